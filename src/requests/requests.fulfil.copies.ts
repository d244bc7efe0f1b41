/**
 * Answers that release a copy of the person's data: access (Art 15, a pack with the Art 15
 * information and staff redaction of other people's data) and portability (Art 20, the data the
 * person provided, machine-readable). Each pack goes behind an expiring signed link.
 */
import type { Kysely } from 'kysely';
import { insertDisclosure, recipientsFileForPack } from '../accountability/disclosures.service.js';
import type { Actor } from '../auth/roles.js';
import { complaintsOfSubject } from '../complaints/complaints.service.js';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { versionInForce } from '../policy/publishing.service.js';
import { StewardError } from '../shared/errors.js';
import { fulfilChange, loadOpen, needSubject, type FulfilOptions } from './requests.answering.js';
import type { ChangeResult } from './requests.change.js';
import { invalid } from './requests.checks.js';
import { ukToday } from './requests.clock.js';
import { applyRedactions, packFiles, type Redaction } from './requests.pack.js';
import { packUrl, storePack } from './requests.pack-links.js';
import { zipFiles } from './requests.zip.js';
import { getSubject } from '../register/register.read.js';
import { RIGHTS_REQUEST_PURPOSE } from '../register/register.access.js';
import type { RecordView } from '../register/record.codec.js';

/** Every record of the person, or FORBIDDEN if some are kept from this actor's role (the pack would be incomplete). */
async function readAll(ctx: AppContext, actor: Actor, subjectId: string): Promise<RecordView[]> {
  const view = await getSubject(ctx, actor, subjectId, RIGHTS_REQUEST_PURPOSE);
  if (view.withheld.length > 0) {
    throw new StewardError('FORBIDDEN', `the pack would be incomplete: records of ${view.withheld.map((w) => w.category).join(', ')} are restricted to other roles; the privacy officer with access to them must fulfil it`);
  }
  return view.records;
}

/**
 * Art 20: data the person provided: of a category they provide (provided_by_subject), collected
 * from them (a source of kind data-subject, not a third party), held on consent or contract.
 */
export function portableRecords(policy: LoadedPolicy, records: readonly RecordView[]): RecordView[] {
  const cats = policyIndex(policy).categories;
  return records.filter(
    (r) =>
      cats.get(r.category)?.provided_by_subject === true &&
      policy.policy.sources.find((s) => s.id === r.source)?.kind === 'data-subject' &&
      r.purposes.some((p) => p.basis === 'consent' || p.basis === 'contract'),
  );
}

/** A released pack discloses the person's data to the person: the disclosure log says so. */
async function logPackDisclosure(trx: Kysely<Tables>, ctx: AppContext, actor: Actor, subjectId: string, records: ReadonlyArray<{ category: string }>): Promise<void> {
  const categories = [...new Set(records.map((r) => r.category))];
  if (categories.length) await insertDisclosure(trx, ctx, actor, { subjectId, recipient: 'data-subject', categories, reason: 'access-request' }, 'automatic');
}

export async function fulfilAccess(ctx: AppContext, actor: Actor, idOrRef: string, input: { redactions?: Redaction[] }, opts: FulfilOptions): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'access');
  if (!row.subject_id) {
    return fulfilChange(
      ctx,
      actor,
      row,
      (_r, doc) => {
        doc.result = { records: 0 };
        return { set: { status: 'completed', outcome: 'no-data', closed_at: ctx.clock.now().toISOString() }, event: { type: 'fulfilled', details: { records: 0 } }, letter: 'access-no-data' };
      },
      opts,
    );
  }
  const records = await readAll(ctx, actor, row.subject_id);
  const known = new Set(records.map((r) => r.id));
  for (const [i, r] of (input.redactions ?? []).entries()) if (!known.has(r.recordId)) throw invalid(`redactions[${i}].recordId`, 'is not one of this person\'s records');
  const { records: released, replaced } = applyRedactions(records, input.redactions ?? []);
  const org = ctx.policy.policy.organisation.name;
  const notice = await versionInForce(ctx.database.db, ctx.policy);
  // Complaints the person made to us are their personal data too (DPA 2018 s.164A).
  const complaints = await complaintsOfSubject(ctx, row.subject_id);
  const extra = [
    ...(complaints.length ? [{ name: 'complaints.json', content: `${JSON.stringify(complaints, null, 2)}\n` }] : []),
    // Who actually received the person's data (Art 15(1)(c)), from the disclosure log.
    await recipientsFileForPack(ctx.database.db, ctx.policy.policy, row.subject_id),
  ];
  const zip = await zipFiles(packFiles(ctx.policy, released, { reference: row.reference, organisation: org, today: ukToday(ctx.clock.now()), kind: 'access', notice }, extra));
  return fulfilChange(
    ctx,
    actor,
    row,
    async (r, doc, trx) => {
      const { token, expiresOn } = await storePack(trx, ctx, r, 'access', zip);
      await logPackDisclosure(trx, ctx, actor, r.subject_id!, released);
      doc.result = { records: released.length, link: packUrl(ctx.config.baseUrl, token), expiresOn, redacted: replaced };
      return {
        set: { status: 'completed', outcome: 'provided', closed_at: ctx.clock.now().toISOString() },
        event: { type: 'fulfilled', details: { records: released.length, redactions: replaced, bytes: zip.length, expiresOn } },
        audit: { action: 'request.access.release', details: { records: released.length, redactions: replaced, complaints: complaints.length } },
        letter: 'access',
      };
    },
    opts,
  );
}

export async function fulfilPortability(ctx: AppContext, actor: Actor, idOrRef: string, _input: unknown, opts: FulfilOptions): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'portability');
  const subjectId = needSubject(row);
  const records = portableRecords(ctx.policy, await readAll(ctx, actor, subjectId));
  const notice = await versionInForce(ctx.database.db, ctx.policy);
  const zip = await zipFiles(packFiles(ctx.policy, records, { reference: row.reference, organisation: ctx.policy.policy.organisation.name, today: ukToday(ctx.clock.now()), kind: 'portability', notice }));
  return fulfilChange(
    ctx,
    actor,
    row,
    async (r, doc, trx) => {
      const { token, expiresOn } = await storePack(trx, ctx, r, 'portability', zip);
      await logPackDisclosure(trx, ctx, actor, subjectId, records);
      doc.result = { records: records.length, link: packUrl(ctx.config.baseUrl, token), expiresOn };
      return {
        set: { status: 'completed', outcome: 'provided', closed_at: ctx.clock.now().toISOString() },
        event: { type: 'fulfilled', details: { records: records.length, bytes: zip.length, expiresOn } },
        letter: 'portability',
      };
    },
    opts,
  );
}
