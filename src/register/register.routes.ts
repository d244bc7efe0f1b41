/**
 * The register over HTTP. Each handler: authenticate, validate (schemas here), call the domain
 * (which authorises, works in a transaction and audits), present.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { StewardError } from '../shared/errors.js';
import { presentRecord, presentSubject, presentSummary, recordResponse, subjectResponse, summaryResponse } from './register.presenter.js';
import { addRecords, createSubject, deleteRecord, eraseSubject, setRestriction, updateRecord } from './register.service.js';
import { findSubjects, getRecord, getSubject, listSubjects } from './register.read.js';
import { LIMITS, type RecordInput } from './record.prepare.js';

const idText = z.string().regex(/^[a-z0-9][a-z0-9-]*$/).max(64);
const purposeQuery = z.object({ purpose: z.string().max(64).optional() });

const recordInput = z.object({
  category: idText,
  kind: z.enum(['value', 'communication', 'file']).optional(),
  /** The labelled field values by field id (see the declaration's data_categories[].fields). */
  fields: z.record(idText, z.string().max(LIMITS.valueChars)).optional(),
  value: z.string().max(LIMITS.valueChars).optional(),
  text: z.string().max(LIMITS.textChars).optional(),
  channel: z.enum(['email', 'phone', 'sms', 'post', 'chat', 'social', 'in-person', 'letter']).optional(),
  file: z
    .object({
      name: z.string().min(1).max(255),
      contentType: z.string().max(127),
      // base64 is 4/3 the size of the bytes.
      base64: z.string().max(Math.ceil((LIMITS.fileBytes * 4) / 3) + 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
    })
    .optional(),
  purposes: z.array(idText).min(1).max(50).optional(),
  source: idText.optional(),
  collectedAt: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
});

const toRecordInput = (r: z.infer<typeof recordInput>): RecordInput => ({
  category: r.category,
  kind: r.kind,
  fields: r.fields,
  value: r.value,
  text: r.text,
  channel: r.channel,
  file: r.file && { name: r.file.name, contentType: r.file.contentType, data: Buffer.from(r.file.base64, 'base64') },
  purposes: r.purposes,
  source: r.source,
  collectedAt: r.collectedAt,
});

const relationshipInput = z.object({
  relationship: idText,
  role: z.enum(['controller', 'processor']).optional(),
  onBehalfOf: z.string().min(1).max(200).optional(),
  subscriberType: z.enum(['individual', 'corporate']).optional(),
  startedAt: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
});

export const registerRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['register'];

    app.post(
      `${API_PREFIX}/subjects`,
      {
        schema: {
          summary: 'Record a person: their relationships and, optionally, their first records',
          tags,
          security: bearerSecurity,
          body: z.object({ relationships: z.array(relationshipInput).min(1).max(20), records: z.array(recordInput).max(LIMITS.recordsPerSubjectCall).optional() }),
          response: { 201: subjectResponse, ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        const subject = await createSubject(deps, actor, {
          relationships: req.body.relationships.map((r) => ({
            relationship: r.relationship,
            role: r.role,
            onBehalfOf: r.onBehalfOf,
            subscriberType: r.subscriberType,
            startedAt: r.startedAt,
          })),
          records: (req.body.records ?? []).map(toRecordInput),
        });
        return reply.status(201).send(presentSubject(subject));
      },
    );

    app.get(
      `${API_PREFIX}/subjects`,
      {
        schema: {
          summary: 'List people, optionally by relationship; paginated by cursor',
          tags,
          security: bearerSecurity,
          querystring: z.object({ relationship: idText.optional(), after: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
          response: { 200: z.object({ subjects: z.array(summaryResponse), next: z.string().nullable() }), ...errorResponses },
        },
      },
      async (req) => {
        const actor = req.actor;
        const page = await listSubjects(deps, actor, {
          limit: req.query.limit,
          relationship: req.query.relationship,
          after: req.query.after,
        });
        return { subjects: page.subjects.map(presentSummary), next: page.next };
      },
    );

    app.post(
      `${API_PREFIX}/subjects/search`,
      {
        schema: {
          summary: 'Find people by exact email, phone or other identifier (POST keeps identifiers out of URLs and logs)',
          tags,
          security: bearerSecurity,
          body: z.object({
            email: z.string().max(320).optional(),
            phone: z.string().max(40).optional(),
            identifier: z.object({ category: idText, field: idText.optional(), value: z.string().max(1024) }).optional(),
            purpose: z.string().max(64).optional(),
          }),
          response: { 200: z.object({ subjects: z.array(summaryResponse) }), ...errorResponses },
        },
      },
      async (req) => {
        const actor = req.actor;
        const { purpose, ...q } = req.body;
        const found = await findSubjects(deps, actor, { email: q.email, phone: q.phone, identifier: q.identifier }, purpose);
        return { subjects: found.map(presentSummary) };
      },
    );

    app.get(
      `${API_PREFIX}/subjects/:id`,
      {
        schema: {
          summary: 'A person with every record you may see, decrypted (audited)',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          querystring: purposeQuery,
          response: { 200: subjectResponse, ...errorResponses },
        },
      },
      async (req) => presentSubject(await getSubject(deps, req.actor, req.params.id, req.query.purpose)),
    );

    app.delete(
      `${API_PREFIX}/subjects/:id`,
      {
        schema: {
          summary: 'Erase a person: delete their records and destroy their data key (privacy officer, owner)',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          querystring: z.object({ reason: z.string().max(500).optional() }),
          response: { 200: z.object({ erased: z.literal(true), records: z.number() }), ...errorResponses },
        },
      },
      async (req) => {
        const r = await eraseSubject(deps, req.actor, req.params.id, req.query.reason);
        return { erased: true as const, records: r.records };
      },
    );

    app.put(
      `${API_PREFIX}/subjects/:id/restriction`,
      {
        schema: {
          summary: 'Restrict processing of a person (Art 18) or lift it (privacy officer, owner)',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          body: z.object({ restricted: z.boolean(), reason: z.string().min(1).max(500) }),
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (req, reply) => {
        await setRestriction(deps, req.actor, req.params.id, req.body.restricted, req.body.reason);
        return reply.status(204).send(null);
      },
    );

    app.post(
      `${API_PREFIX}/subjects/:id/records`,
      {
        schema: {
          summary: 'Add records to a person',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          body: z.object({ records: z.array(recordInput).min(1).max(LIMITS.recordsPerSubjectCall) }),
          response: { 201: z.object({ records: z.array(recordResponse) }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const records = await addRecords(deps, req.actor, req.params.id, req.body.records.map(toRecordInput));
        return reply.status(201).send({ records: records.map(presentRecord) });
      },
    );

    app.get(
      `${API_PREFIX}/records/:id`,
      {
        schema: { summary: 'One record, decrypted (audited)', tags, security: bearerSecurity, params: z.object({ id: z.uuid() }), querystring: purposeQuery, response: { 200: recordResponse, ...errorResponses } },
      },
      async (req) => presentRecord(await getRecord(deps, req.actor, req.params.id, req.query.purpose)),
    );

    app.patch(
      `${API_PREFIX}/records/:id`,
      {
        schema: {
          summary: 'Correct a record (rectification): one field or several; the audit trail keeps digests of before and after and the ids of the fields changed, never values',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          querystring: purposeQuery,
          body: z.object({
            fields: z.record(idText, z.string().max(LIMITS.valueChars).nullable()).optional(),
            value: z.string().max(LIMITS.valueChars).optional(),
            text: z.string().max(LIMITS.textChars).optional(),
            purposes: z.array(idText).min(1).max(50).optional(),
          }),
          response: { 200: recordResponse, ...errorResponses },
        },
      },
      async (req) => {
        const b = req.body;
        if (b.value === undefined && b.text === undefined && b.purposes === undefined && b.fields === undefined) {
          throw new StewardError('VALIDATION_FAILED', 'nothing to change: give fields, value, text or purposes');
        }
        const change = { fields: b.fields, value: b.value, text: b.text, purposes: b.purposes };
        return presentRecord(await updateRecord(deps, req.actor, req.params.id, change, req.query.purpose));
      },
    );

    app.delete(
      `${API_PREFIX}/records/:id`,
      {
        schema: {
          summary: 'Delete a record (privacy officer, owner)',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          querystring: z.object({ reason: z.string().max(500).optional() }),
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (req, reply) => {
        await deleteRecord(deps, req.actor, req.params.id, req.query.reason);
        return reply.status(204).send(null);
      },
    );
  };
