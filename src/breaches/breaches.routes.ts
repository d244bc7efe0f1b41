/**
 * The breach register over HTTP, under /api/v1/breaches. Each handler: authenticate, validate
 * (the schemas shared with the service), call the domain (which authorises, works in a
 * transaction and audits), present.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { affectedInput, listAffected, selectAffected } from './breaches.affected.js';
import { assessInput, closeInput, decideInput, factsUpdateInput, icoReportInput, noteInput, openInput } from './breaches.events.js';
import { exportRegisterCsv } from './breaches.export.js';
import { notifyPeopleByEmail, previewNotify } from './breaches.notify.js';
import {
  affectedResponse,
  breachResponse,
  notifyPreviewResponse,
  notifyResponse,
  presentAffected,
  presentBreach,
  presentNotify,
  presentNotifyPreview,
  presentSelection,
  presentSummary,
  selectionResponse,
  summaryResponse,
} from './breaches.presenter.js';
import { buildIcoReport } from './breaches.report.js';
import { getBreach, listBreaches } from './breaches.read.js';
import { icoReportResponse, presentIcoReport } from './breaches.report.presenter.js';
import { addNote, assessRisk, closeBreach, openBreach, recordDecision, recordIcoReport, updateFacts } from './breaches.service.js';
import { renderIcoReportHtml } from './breaches.templates.js';

const params = z.object({ id: z.uuid() });
const BASE = `${API_PREFIX}/breaches`;

export const breachRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['breaches'];
    const ok = { 200: breachResponse, ...errorResponses };

    app.post(
      BASE,
      {
        schema: {
          summary: 'Report a breach: what is known so far; the 72-hour clock starts at awareAt (any signed-in role but auditor)',
          tags,
          security: bearerSecurity,
          body: openInput,
          response: { 201: breachResponse, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(presentBreach(await openBreach(deps, req.actor, req.body))),
    );

    app.get(
      BASE,
      {
        schema: {
          summary: 'The breach register, newest first, each with its clock (privacy officer, owner, auditor)',
          tags,
          security: bearerSecurity,
          querystring: z.object({ status: z.enum(['open', 'closed']).optional(), after: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
          response: { 200: z.object({ breaches: z.array(summaryResponse), next: z.string().nullable() }), ...errorResponses },
        },
      },
      async (req) => {
        const page = await listBreaches(deps, req.actor, {
          limit: req.query.limit,
          status: req.query.status,
          after: req.query.after,
        });
        return { breaches: page.breaches.map(presentSummary), next: page.next };
      },
    );

    app.get(
      `${BASE}/export`,
      {
        schema: {
          summary: 'The whole breach register as CSV (spreadsheet formulas neutralised)',
          tags,
          security: bearerSecurity,
          querystring: z.object({ format: z.enum(['csv']).default('csv') }),
          response: { 200: z.string(), ...errorResponses },
        },
      },
      async (req, reply) => {
        const { csv } = await exportRegisterCsv(deps, req.actor);
        return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="breach-register.csv"').send(csv);
      },
    );

    app.get(
      `${BASE}/:id`,
      {
        schema: {
          summary: 'A breach: its facts, clock, risk, decisions, reports and the people told; with its history, or as known at an earlier time (asOf)',
          tags,
          security: bearerSecurity,
          params,
          querystring: z.object({ history: z.enum(['true', 'false']).optional(), asOf: z.string().max(40).optional() }),
          response: ok,
        },
      },
      async (req) =>
        presentBreach(await getBreach(deps, req.actor, req.params.id, { history: req.query.history === 'true', asOf: req.query.asOf })),
    );

    app.post(
      `${BASE}/:id/facts`,
      { schema: { summary: 'Add to or correct the facts (appended; the history keeps what was known before)', tags, security: bearerSecurity, params, body: factsUpdateInput, response: ok } },
      async (req) => presentBreach(await updateFacts(deps, req.actor, req.params.id, req.body)),
    );

    app.post(
      `${BASE}/:id/assessment`,
      { schema: { summary: 'Record the risk to people: unlikely, risk or high, with reasons and any Art 34(3) exemptions', tags, security: bearerSecurity, params, body: assessInput, response: ok } },
      async (req) => presentBreach(await assessRisk(deps, req.actor, req.params.id, req.body)),
    );

    app.post(
      `${BASE}/:id/decisions`,
      { schema: { summary: 'Record a decision (report to the ICO or not; tell people or not) with its reason and who made it', tags, security: bearerSecurity, params, body: decideInput, response: ok } },
      async (req) => presentBreach(await recordDecision(deps, req.actor, req.params.id, req.body)),
    );

    app.post(
      `${BASE}/:id/ico-reports`,
      { schema: { summary: 'Record a report made to the ICO: the initial one, then updates; a late first report needs the reasons for the delay', tags, security: bearerSecurity, params, body: icoReportInput, response: ok } },
      async (req) => presentBreach(await recordIcoReport(deps, req.actor, req.params.id, req.body)),
    );

    app.post(
      `${BASE}/:id/notes`,
      { schema: { summary: 'Add a note to the record', tags, security: bearerSecurity, params, body: noteInput, response: ok } },
      async (req) => presentBreach(await addNote(deps, req.actor, req.params.id, req.body)),
    );

    app.post(
      `${BASE}/:id/close`,
      { schema: { summary: 'Close a breach, with the reason', tags, security: bearerSecurity, params, body: closeInput, response: ok } },
      async (req) => presentBreach(await closeBreach(deps, req.actor, req.params.id, req.body)),
    );

    app.post(
      `${BASE}/:id/reopen`,
      { schema: { summary: 'Reopen a closed breach, with the reason', tags, security: bearerSecurity, params, body: closeInput, response: ok } },
      async (req) => presentBreach(await closeBreach(deps, req.actor, req.params.id, req.body, true)),
    );

    app.post(
      `${BASE}/:id/affected`,
      {
        schema: {
          summary: 'Select the people affected from the register (by category, relationship, source, collection dates or identifiers); returns counts',
          tags,
          security: bearerSecurity,
          params,
          body: affectedInput,
          response: { 200: selectionResponse, ...errorResponses },
        },
      },
      async (req) => presentSelection(await selectAffected(deps, req.actor, req.params.id, req.body)),
    );

    app.get(
      `${BASE}/:id/affected`,
      {
        schema: {
          summary: 'Counts of people and records affected; the people (subject ids, delivery status) only for a reader who may see every category involved',
          tags,
          security: bearerSecurity,
          params,
          querystring: z.object({ after: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: affectedResponse, ...errorResponses },
        },
      },
      async (req) =>
        presentAffected(await listAffected(deps, req.actor, req.params.id, { limit: req.query.limit, after: req.query.after })),
    );

    app.post(
      `${BASE}/:id/notify/preview`,
      {
        schema: {
          summary: 'A dry run of notify: how many people would be emailed now, how many have no email address, and the letter; nothing is sent',
          tags,
          security: bearerSecurity,
          params,
          response: { 200: notifyPreviewResponse, ...errorResponses },
        },
      },
      async (req) => presentNotifyPreview(await previewNotify(deps, req.actor, req.params.id)),
    );

    app.post(
      `${BASE}/:id/notify`,
      {
        schema: {
          summary:
            'Email the letter to every person affected not yet told (after a decision to notify); delivery is tracked per person. With expectedRecipients (the count a preview showed), refuses if that number changed.',
          tags,
          security: bearerSecurity,
          params,
          body: z.preprocess((v) => v ?? {}, z.strictObject({ expectedRecipients: z.number().int().min(0).optional() })),
          response: { 200: notifyResponse, ...errorResponses },
        },
      },
      async (req) =>
        presentNotify(
          await notifyPeopleByEmail(deps, req.actor, req.params.id, req.body.expectedRecipients !== undefined ? { expectedRecipients: req.body.expectedRecipients } : {}),
        ),
    );

    app.get(
      `${BASE}/:id/report`,
      {
        schema: {
          summary: 'The report for the ICO with every Art 33(3) item, as JSON or a standalone HTML page; asOf gives it as known then',
          tags,
          security: bearerSecurity,
          params,
          querystring: z.object({ format: z.enum(['json', 'html']).default('json'), asOf: z.string().max(40).optional() }),
          response: { 200: icoReportResponse.or(z.string()), ...errorResponses },
        },
      },
      async (req, reply) => {
        const report = await buildIcoReport(deps, req.actor, req.params.id, req.query.asOf ? { asOf: req.query.asOf } : {});
        if (req.query.format === 'html') {
          return reply
            .type('text/html; charset=utf-8')
            .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
            .send(renderIcoReportHtml(report));
        }
        return presentIcoReport(report);
      },
    );
  };
