import { complaintsOfSubject } from '../complaints/complaints.service.js';
/**
 * Fulfilment of each kind of request, ending in a response letter: access (a pack behind an
 * expiring signed link, with staff redaction), portability, erasure with exceptions, rectification
 * (digests before/after), restriction and its lifting, objection (legitimate interests; direct
 * marketing, absolute) and withdrawal of consent. Art 19 tasks are created for each recipient of
 * the categories a rectification, erasure or restriction affected.
 */
import { art19Recipients, insertDisclosure, recipientsFileForPack } from '../accountability/disclosures.service.js';
import { versionInForce } from '../policy/publishing.service.js';
import { timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { consentStates, recordConsent } from '../consent/consent.service.js';
import { entriesFor, insertSuppressions, type Identifier } from '../consent/suppression.service.js';
import { suppressSubject } from '../register/register.identifiers.js';
import { objectToDirectMarketing } from '../consent/consent.service.js';
import { decrypt, encrypt } from '../crypto/envelope.js';
import type { Tables } from '../db/tables.js';
import { ciphertextDigest, type RecordView } from '../register/record.codec.js';
import { getSubject } from '../register/register.read.js';
import { RIGHTS_REQUEST_PURPOSE } from '../register/register.access.js';
import { setRestrictionIn, updateRecordIn } from '../register/register.service.js';
import { deleteRecordRows, eraseEmptySubjects } from '../register/register.repository.js';
import { afterErasure } from '../backup/erasure-ledger.js';
import { retentionModel } from '../retention/retention.engine.js';
import { explainSubject } from '../retention/retention.explain.js';
import { holdActive, holdsCovering, unreleasedHolds } from '../retention/holds.service.js';
import { StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { ukToday } from './requests.clock.js';
import { applyRedactions, packFiles, type Redaction } from './requests.pack.js';
import { changeRequest, type ChangeResult, type RequestsContext } from './requests.service.js';
import { emptyPacksOfSubjects, packAad, requestKey, requestRow, type RequestRow } from './requests.store.js';
import { zipFiles } from './requests.zip.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { consentConditions } from '../consent/consent.conditions.js';

export const PACK_TTL_DAYS = 30;
const LEGITIMATE_INTEREST_BASES = new Set(['legitimate-interests', 'recognised-legitimate-interest', 'public-task']);
const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

async function loadOpen(ctx: AppContext, idOrRef: string, type: string | string[]): Promise<RequestRow> {
  const row = await requestRow(ctx.database.db, idOrRef);
  const types = Array.isArray(type) ? type : [type];
  if (!types.includes(row.type)) throw new StewardError('CONFLICT', `request ${row.reference} is a ${row.type} request, not ${types.join(' or ')}`);
  if (row.status === 'identity-pending') throw new StewardError('CONFLICT', `request ${row.reference} awaits identity or authority evidence: verify it first`);
  if (row.status === 'paused') throw new StewardError('CONFLICT', `request ${row.reference} is paused awaiting clarification: resume it first`);
  if (row.status === 'fee-pending') throw new StewardError('CONFLICT', `request ${row.reference} awaits the fee asked for: record it as received, or waive it, first`);
  if (['completed', 'refused', 'withdrawn'].includes(row.status)) throw new StewardError('CONFLICT', `request ${row.reference} is already ${row.status}`);
  return row;
}

/**
 * changeRequest for an answer prepared from `row` (read outside the transaction, often with slow
 * work after it: reading the register, building a pack): refused if the request changed since
 * (paused, a fee asked, answered by someone else), so nothing is answered on stale terms.
 */
const fulfilChange = async (ctx: RequestsContext, actor: Actor, row: RequestRow, fn: Parameters<typeof changeRequest>[4]): Promise<ChangeResult> => {
  const result = await changeRequest(ctx, actor, row.id, 'requests:manage', fn, { expectVersion: row.version });
  // Erasure, objection and withdrawal may have erased: mirror the ledger, checkpoint the WAL.
  await afterErasure(ctx);
  return result;
};

const needSubject = (row: RequestRow): string => {
  if (!row.subject_id) throw new StewardError('CONFLICT', `request ${row.reference} is not matched to anyone in the register: run match and confirm first`);
  return row.subject_id;
};

const methodFor = (channel: string): string => ({ email: 'email', phone: 'phone', letter: 'post', web: 'web-form' })[channel] ?? 'email';

// ——— Art 19 ———

/** Art 19 tasks for the recipients the disclosure log shows received these categories of the person's data. */
async function createTasks(trx: Kysely<Tables>, ctx: AppContext, requestId: string, subjectId: string, action: string, categories: readonly string[]): Promise<number> {
  const now = ctx.clock.now().toISOString();
  const rows = (await art19Recipients(trx, ctx.policy.policy, subjectId, categories)).map((r) => ({
    id: newId(),
    request_id: requestId,
    recipient: r.recipient,
    categories: JSON.stringify(r.categories),
    action,
    status: 'open',
    created_at: now,
    done_at: null,
    done_by: null,
    basis: r.basis,
  }));
  if (rows.length) await trx.insertInto('request_tasks').values(rows).execute();
  return rows.length;
}

// ——— packs and their links ———

function packToken(ctx: AppContext, packId: string, expiresMs: number): string {
  const data = `${packId}.${expiresMs}`;
  return `${data}.${ctx.keyring.linkMac('request-pack', data)}`;
}

export const packUrl = (baseUrl: string | undefined, token: string): string => `${(baseUrl ?? '').replace(/\/$/, '')}/api/v1/privacy/requests/download?t=${token}`;

async function storePack(trx: Kysely<Tables>, ctx: AppContext, row: RequestRow, kind: string, zip: Buffer): Promise<{ token: string; expiresOn: string }> {
  const now = ctx.clock.now();
  const expires = new Date(now.getTime() + PACK_TTL_DAYS * 86_400_000);
  const id = newId();
  const dek = await requestKey(ctx, row);
  await trx
    .insertInto('request_packs')
    .values({ id, request_id: row.id, kind, created_at: now.toISOString(), expires_at: expires.toISOString(), content: encrypt(dek, zip, packAad(row.id, id)), size: zip.length, downloads: 0 })
    .execute();
  return { token: packToken(ctx, id, expires.getTime()), expiresOn: ukToday(expires) };
}

/** The pack behind a signed link; undefined for a bad, expired or withdrawn link (one answer for all). */
export async function downloadPack(ctx: AppContext, token: string, ip?: string): Promise<{ filename: string; data: Buffer } | undefined> {
  const m = /^([0-9a-f-]{36})\.(\d{1,15})\.([\w-]{43})$/.exec(token);
  if (!m) return undefined;
  const [, packId, expires, mac] = m as unknown as [string, string, string, string];
  const want = Buffer.from(ctx.keyring.linkMac('request-pack', `${packId}.${expires}`));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  const now = ctx.clock.now();
  if (Number(expires) <= now.getTime()) return undefined;
  return writeTx(ctx, async (trx) => {
    const pack = await trx.selectFrom('request_packs').selectAll().where('id', '=', packId).executeTakeFirst();
    // An emptied pack (expired, or its person erased) answers like an unknown link.
    if (!pack || pack.expires_at <= now.toISOString() || pack.content.length === 0) return undefined;
    const row = await trx.selectFrom('requests').selectAll().where('id', '=', pack.request_id).executeTakeFirstOrThrow();
    if (row.status === 'withdrawn') return undefined;
    const data = decrypt(await requestKey(ctx, row), pack.content, packAad(row.id, pack.id));
    await trx.updateTable('request_packs').set({ downloads: pack.downloads + 1 }).where('id', '=', pack.id).execute();
    // Whoever holds the link is, as far as Steward can tell, the requester it was sent to: the
    // entry names them by the request's reference (no personal data), not an anonymous actor.
    await appendAudit(trx, ctx, { id: `requester:${row.reference}`, role: null, ...(ip ? { ip } : {}) }, [
      { action: 'request.pack.download', ...(row.subject_id ? { subjectId: row.subject_id } : {}), details: { request: row.id, pack: pack.id, bytes: pack.size } },
    ]);
    return { filename: `${row.reference}-${pack.kind}.zip`, data };
  });
}

/**
 * Empties the packs whose link has expired. A pack is a copy of someone's data made for one
 * answer; once its link can no longer be used, keeping the copy only adds risk, and it is
 * encrypted under the request's key, not the person's, so erasing the person would not reach it.
 * The row stays (what was released, when, how many downloads); the content goes.
 */
export async function purgeExpiredPacks(ctx: AppContext, actor: Actor, now = ctx.clock.now()): Promise<{ purged: number; bytes: number }> {
  return writeTx(ctx, async (trx) => {
    const due = await trx
      .selectFrom('request_packs')
      .select(['id', 'request_id', 'size'])
      .where('expires_at', '<=', now.toISOString())
      .where(sql<number>`length(content)`, '>', 0)
      .execute();
    if (due.length === 0) return { purged: 0, bytes: 0 };
    const ids = due.map((d) => d.id);
    for (let i = 0; i < ids.length; i += 500) {
      await trx.updateTable('request_packs').set({ content: Buffer.alloc(0) }).where('id', 'in', ids.slice(i, i + 500)).execute();
    }
    const bytes = due.reduce((n, d) => n + Number(d.size), 0);
    await appendAudit(trx, ctx, actor, [{ action: 'request.pack.purge', details: { packs: due.length, bytes, requests: [...new Set(due.map((d) => d.request_id))].slice(0, 100) } }]);
    return { purged: due.length, bytes };
  });
}

async function readAll(ctx: AppContext, actor: Actor, subjectId: string): Promise<RecordView[]> {
  const view = await getSubject(ctx, actor, subjectId, RIGHTS_REQUEST_PURPOSE);
  if (view.withheld.length > 0) {
    throw new StewardError('FORBIDDEN', `the pack would be incomplete: records of ${view.withheld.map((w) => w.category).join(', ')} are restricted to other roles; the privacy officer with access to them must fulfil it`);
  }
  return view.records;
}

// ——— access and portability ———

/** A released pack discloses the person's data to the person: the disclosure log says so. */
async function logPackDisclosure(trx: Kysely<Tables>, ctx: AppContext, actor: Actor, subjectId: string, records: ReadonlyArray<{ category: string }>): Promise<void> {
  const categories = [...new Set(records.map((r) => r.category))];
  if (categories.length) await insertDisclosure(trx, ctx, actor, { subjectId, recipient: 'data-subject', categories, reason: 'access-request' }, 'automatic');
}

export async function fulfilAccess(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { redactions?: Redaction[] } = {}): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'access');
  if (!row.subject_id) {
    return fulfilChange(ctx, actor, row, (_r, doc) => {
      doc.result = { records: 0 };
      return { set: { status: 'completed', outcome: 'no-data', closed_at: ctx.clock.now().toISOString() }, event: { type: 'fulfilled', details: { records: 0 } }, letter: 'access-no-data' };
    });
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
  return fulfilChange(ctx, actor, row, async (r, doc, trx) => {
    const { token, expiresOn } = await storePack(trx, ctx, r, 'access', zip);
    await logPackDisclosure(trx, ctx, actor, r.subject_id!, released);
    doc.result = { records: released.length, link: packUrl(ctx.config?.baseUrl, token), expiresOn, redacted: replaced };
    return {
      set: { status: 'completed', outcome: 'provided', closed_at: ctx.clock.now().toISOString() },
      event: { type: 'fulfilled', details: { records: released.length, redactions: replaced, bytes: zip.length, expiresOn } },
      audit: { action: 'request.access.release', details: { records: released.length, redactions: replaced, complaints: complaints.length } },
      letter: 'access',
    };
  });
}

/** Art 20: data the person provided (declared provided_by_subject), held on consent or contract. */
export async function fulfilPortability(ctx: RequestsContext, actor: Actor, idOrRef: string): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'portability');
  const subjectId = needSubject(row);
  const cats = policyIndex(ctx.policy).categories;
  const records = (await readAll(ctx, actor, subjectId)).filter(
    // Provided by the person: a category they provide, collected from them (not from a third party).
    (r) =>
      cats.get(r.category)?.provided_by_subject === true &&
      ctx.policy.policy.sources.find((s) => s.id === r.source)?.kind === 'data-subject' &&
      r.purposes.some((p) => p.basis === 'consent' || p.basis === 'contract'),
  );
  const notice = await versionInForce(ctx.database.db, ctx.policy);
  const zip = await zipFiles(packFiles(ctx.policy, records, { reference: row.reference, organisation: ctx.policy.policy.organisation.name, today: ukToday(ctx.clock.now()), kind: 'portability', notice }));
  return fulfilChange(ctx, actor, row, async (r, doc, trx) => {
    const { token, expiresOn } = await storePack(trx, ctx, r, 'portability', zip);
    await logPackDisclosure(trx, ctx, actor, subjectId, records);
    doc.result = { records: records.length, link: packUrl(ctx.config?.baseUrl, token), expiresOn };
    return {
      set: { status: 'completed', outcome: 'provided', closed_at: ctx.clock.now().toISOString() },
      event: { type: 'fulfilled', details: { records: records.length, bytes: zip.length, expiresOn } },
      letter: 'portability',
    };
  });
}

// ——— erasure ———

export interface LegalClaim {
  category: string;
  /** e.g. "defence of claim ref 2026/14": a case reference, not a narrative about people. */
  reason: string;
  until?: string;
}

export interface ErasureLine {
  category: string;
  name: string;
  erased: number;
  kept: number;
  why?: string;
  until?: string | null;
}

/**
 * Erases every record not covered by an exception: an active legal hold (retention), a purpose on
 * the legal-obligation basis (Art 17(3)(b)), or legal claims recorded by staff (Art 17(3)(e)).
 * Suppresses the identifiers first (the suppression list outlives erasure); when nothing is left,
 * destroys the subject key (crypto-shredding), all in one transaction.
 */
export async function fulfilErasure(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { legalClaims?: LegalClaim[] } = {}): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'erasure');
  const subjectId = needSubject(row);
  const idx = policyIndex(ctx.policy);
  const claims = new Map<string, LegalClaim>();
  for (const [i, c] of (input.legalClaims ?? []).entries()) {
    if (!idx.categories.has(c.category)) throw invalid(`legalClaims[${i}].category`, 'is not a data category in the declaration');
    if (!c.reason?.trim() || c.reason.length > 500) throw invalid(`legalClaims[${i}].reason`, 'give a case reference (at most 500 characters)');
    if (c.until !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(c.until)) throw invalid(`legalClaims[${i}].until`, 'is not a date YYYY-MM-DD');
    claims.set(c.category, c);
  }
  // When legally required records end, from the retention engine (best effort: a policy without rules has none).
  const ends = new Map<string, string | null>();
  try {
    for (const r of (await explainSubject(ctx, actor, subjectId, { conditions: consentConditions })).records) ends.set(r.recordId, r.end);
  } catch (e) {
    if (!(e instanceof StewardError) || e.code !== 'FORBIDDEN') throw e;
  }
  const today = ukToday(ctx.clock.now());
  return fulfilChange(ctx, actor, row, async (_r, doc, trx) => {
    const s = await trx.selectFrom('subjects').select(['erased_at']).where('id', '=', subjectId).executeTakeFirst();
    if (!s || s.erased_at) throw new StewardError('CONFLICT', `subject ${subjectId} has already been erased`);
    const records = await trx.selectFrom('records').select(['id', 'category', 'purposes', 'ciphertext']).where('subject_id', '=', subjectId).execute();
    const rels = new Set((await trx.selectFrom('subject_relationships').select('relationship').where('subject_id', '=', subjectId).execute()).map((x) => x.relationship));
    const holds = (await unreleasedHolds(trx)).filter((h) => holdActive(h, today));
    const holdById = new Map(holds.map((h) => [h.id, h]));
    const model = retentionModel(ctx.policy);
    const lines = new Map<string, ErasureLine>();
    const toDelete: typeof records = [];
    for (const rec of records) {
      const line = lines.get(rec.category) ?? { category: rec.category, name: idx.categories.get(rec.category)?.name ?? rec.category, erased: 0, kept: 0 };
      lines.set(rec.category, line);
      const held = holdsCovering(holds, model, { subjectId, category: rec.category, purposes: rec.purposes }, rels);
      const bases = (JSON.parse(rec.purposes) as Array<{ purpose: string; basis: string | null }>).map((p) => p.basis);
      const claim = claims.get(rec.category);
      if (held.length > 0) {
        line.kept++;
        line.why = 'a legal hold requires us to keep it';
        const h = held.map((id) => holdById.get(id)!).find((h) => h.expires_on);
        line.until = h?.expires_on ?? null;
      } else if (bases.includes('legal-obligation')) {
        line.kept++;
        line.why = 'the law requires us to keep it (Article 17(3)(b) UK GDPR)';
        const end = ends.get(rec.id) ?? null;
        if (end && (!line.until || end > line.until)) line.until = end;
      } else if (claim) {
        line.kept++;
        line.why = 'we need it for legal claims (Article 17(3)(e) UK GDPR)';
        line.until = claim.until ?? null;
      } else {
        line.erased++;
        toDelete.push(rec);
      }
    }
    // The identifiers go on the suppression list before their records are deleted.
    const suppressed = await suppressSubject(trx, ctx, actor, subjectId, 'erasure');
    const now = ctx.clock.now().toISOString();
    await deleteRecordRows(trx, toDelete.map((r) => r.id), { now, reason: 'rights-request' });
    // The person asked for erasure: no copy made for an earlier access request stays behind.
    await emptyPacksOfSubjects(trx, [subjectId]);
    const erasedWhole = (await eraseEmptySubjects(trx, [subjectId], now, 'rights-request')).has(subjectId);
    await appendAudit(trx, ctx, actor, [
      ...toDelete.map((r) => ({ action: 'record.delete', subjectId, recordId: r.id, details: { category: r.category, digest: ciphertextDigest(r.ciphertext), reason: `request:${row.id}` } })),
      ...(erasedWhole ? [{ action: 'subject.erase', subjectId, details: { records: toDelete.length, keyDestroyed: true, reason: `request:${row.id}` } }] : []),
    ]);
    const affected = [...lines.values()].filter((l) => l.erased > 0).map((l) => l.category);
    const tasks = await createTasks(trx, ctx, row.id, subjectId, 'erasure', affected);
    const categories = [...lines.values()];
    doc.result = { categories, keyDestroyed: erasedWhole };
    const kept = categories.reduce((n, l) => n + l.kept, 0);
    return {
      set: { status: 'completed', outcome: kept ? 'partly-erased' : 'erased', closed_at: now },
      event: { type: 'fulfilled', details: { erased: toDelete.length, kept, keyDestroyed: erasedWhole, suppressed: suppressed.identifiers, tasks } },
      audit: { action: 'request.erasure', details: { erased: toDelete.length, kept, keyDestroyed: erasedWhole } },
      letter: 'erasure',
    };
  });
}

// ——— rectification ———

export interface Correction {
  recordId: string;
  /** The corrected value of the record's primary field (its single field, or its identifier). */
  value?: string;
  /** Corrected field values by field id (an empty value removes the field). */
  fields?: Record<string, string | null>;
  text?: string;
}

/**
 * Rectification as one transaction: the request's permission is checked before anything is
 * read or written, then each correction (the register's own permission, visibility and Art 18
 * checks first), the request's answer and the Art 19 tasks commit together or not at all.
 */
export async function fulfilRectification(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { changes: Correction[] }): Promise<ChangeResult> {
  authorise(actor, 'requests:manage');
  const row = await loadOpen(ctx, idOrRef, 'rectification');
  const subjectId = needSubject(row);
  if (!Array.isArray(input.changes) || input.changes.length === 0) throw invalid('changes', 'give at least one correction');
  if (input.changes.length > 500) throw invalid('changes', 'at most 500 corrections at a time');
  for (const [i, c] of input.changes.entries()) {
    if (c.value === undefined && c.text === undefined && c.fields === undefined) throw invalid(`changes[${i}]`, 'give the corrected value, fields or text');
  }
  return fulfilChange(ctx, actor, row, async (_r, doc, trx) => {
    const digests: Array<{ record: string; category: string; before: string; after: string }> = [];
    for (const [i, c] of input.changes.entries()) {
      const rec = await trx.selectFrom('records').select(['id', 'subject_id', 'category']).where('id', '=', c.recordId).executeTakeFirst();
      if (!rec || rec.subject_id !== subjectId) throw invalid(`changes[${i}].recordId`, 'is not one of this person\'s records');
      const change = { ...(c.value !== undefined ? { value: c.value } : {}), ...(c.fields !== undefined ? { fields: c.fields } : {}), ...(c.text !== undefined ? { text: c.text } : {}) };
      const done = await updateRecordIn(trx, ctx, actor, c.recordId, change, RIGHTS_REQUEST_PURPOSE, { request: row.id });
      digests.push({ record: c.recordId, category: rec.category, before: done.before, after: done.after });
    }
    const tasks = await createTasks(trx, ctx, row.id, subjectId, 'rectification', [...new Set(digests.map((d) => d.category))]);
    doc.result = { records: digests.length };
    return {
      set: { status: 'completed', outcome: 'rectified', closed_at: ctx.clock.now().toISOString() },
      event: { type: 'fulfilled', details: { records: digests.length, digests: digests as unknown as Record<string, unknown>, tasks } },
      audit: { action: 'request.rectification', details: { digests } },
      letter: 'rectification',
    };
  });
}

// ——— restriction ———

/** Restriction as one transaction: the request's permission first, then the register's. */
export async function fulfilRestriction(ctx: RequestsContext, actor: Actor, idOrRef: string): Promise<ChangeResult> {
  authorise(actor, 'requests:manage');
  const row = await loadOpen(ctx, idOrRef, 'restriction');
  const subjectId = needSubject(row);
  return fulfilChange(ctx, actor, row, async (_r, doc, trx) => {
    await setRestrictionIn(trx, ctx, actor, subjectId, true, `request:${row.id}`);
    const cats = (await trx.selectFrom('records').select('category').distinct().where('subject_id', '=', subjectId).execute()).map((c) => c.category);
    const tasks = await createTasks(trx, ctx, row.id, subjectId, 'restriction', cats);
    doc.result = { categories: cats };
    return { set: { status: 'completed', outcome: 'restricted', closed_at: ctx.clock.now().toISOString() }, event: { type: 'fulfilled', details: { tasks } }, letter: 'restriction' };
  });
}

/** Art 18(3): the person must be told before a restriction is lifted; the record of that is required. */
export async function liftRestriction(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { toldOn: string; method: string }): Promise<ChangeResult> {
  const row = await requestRow(ctx.database.db, idOrRef);
  if (row.type !== 'restriction' || row.outcome !== 'restricted') throw new StewardError('CONFLICT', `request ${row.reference} did not restrict anyone's data`);
  const today = ukToday(ctx.clock.now());
  if (!input.toldOn || !/^\d{4}-\d{2}-\d{2}$/.test(input.toldOn) || input.toldOn > today) throw invalid('toldOn', 'give the day the person was told (YYYY-MM-DD, not in the future)');
  if (!['email', 'letter', 'phone', 'in-person'].includes(input.method)) throw invalid('method', 'must be one of email, letter, phone, in-person');
  const subjectId = needSubject(row);
  return changeRequest(
    ctx,
    actor,
    row.id,
    'requests:manage',
    async (_r, doc, trx) => {
      await setRestrictionIn(trx, ctx, actor, subjectId, false, `request:${row.id}`);
      doc.restrictionLift = { toldOn: input.toldOn, method: input.method, by: actor.id, at: ctx.clock.now().toISOString() };
      return { set: { outcome: 'restriction-lifted' }, event: { type: 'restriction-lifted', details: { toldOn: input.toldOn, method: input.method } } };
    },
    { allowClosed: true },
  );
}

// ——— objection ———

/**
 * Art 21(1): stop legitimate-interest (and public-task) processing unless compelling grounds are
 * recorded. Records used for other purposes too lose those purposes; records used only for them
 * are erased (Art 17(1)(c)), unless a legal hold covers them.
 */
export async function fulfilObjection(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { compellingGrounds?: string } = {}): Promise<ChangeResult> {
  authorise(actor, 'requests:manage');
  const row = await loadOpen(ctx, idOrRef, 'objection');
  const subjectId = needSubject(row);
  const grounds = input.compellingGrounds?.trim();
  if (grounds) {
    if (grounds.length > 5000) throw invalid('compellingGrounds', 'is longer than 5000 characters');
    return fulfilChange(ctx, actor, row, (_r, doc) => {
      doc.result = { grounds };
      return { set: { status: 'completed', outcome: 'objection-refused', closed_at: ctx.clock.now().toISOString() }, event: { type: 'fulfilled', details: { compellingGrounds: true } }, letter: 'objection-refused' };
    });
  }
  const idx = policyIndex(ctx.policy);
  const today = ukToday(ctx.clock.now());
  // One transaction: records used for other purposes too lose the objected ones, the rest go.
  return fulfilChange(ctx, actor, row, async (_r, doc, trx) => {
    const records = await trx.selectFrom('records').select(['id', 'category', 'purposes']).where('subject_id', '=', subjectId).execute();
    const stopped = new Set<string>();
    const onlyLi: string[] = [];
    for (const rec of records) {
      const purposes = JSON.parse(rec.purposes) as Array<{ purpose: string; basis: string | null }>;
      const li = purposes.filter((p) => p.basis && LEGITIMATE_INTEREST_BASES.has(p.basis));
      if (li.length === 0) continue;
      for (const p of li) stopped.add(p.purpose);
      const rest = purposes.filter((p) => !li.includes(p));
      if (rest.length === 0) onlyLi.push(rec.id);
      else await updateRecordIn(trx, ctx, actor, rec.id, { purposes: rest.map((p) => p.purpose) }, RIGHTS_REQUEST_PURPOSE, { request: row.id });
    }
    const holds = (await unreleasedHolds(trx)).filter((h) => holdActive(h, today));
    const rels = new Set((await trx.selectFrom('subject_relationships').select('relationship').where('subject_id', '=', subjectId).execute()).map((x) => x.relationship));
    const model = retentionModel(ctx.policy);
    const rows = onlyLi.length ? await trx.selectFrom('records').select(['id', 'category', 'purposes', 'ciphertext']).where('id', 'in', onlyLi).execute() : [];
    const del = rows.filter((r) => holdsCovering(holds, model, { subjectId, category: r.category, purposes: r.purposes }, rels).length === 0);
    await deleteRecordRows(trx, del.map((r) => r.id), { now: ctx.clock.now().toISOString(), reason: 'objection' });
    if (del.length) {
      await appendAudit(trx, ctx, actor, del.map((r) => ({ action: 'record.delete', subjectId, recordId: r.id, details: { category: r.category, digest: ciphertextDigest(r.ciphertext), reason: `request:${row.id}` } })));
    }
    const names = [...stopped].map((p) => idx.purposes.get(p)?.name ?? p);
    doc.result = { stopped: names };
    return {
      set: { status: 'completed', outcome: 'objection-upheld', closed_at: ctx.clock.now().toISOString() },
      event: { type: 'fulfilled', details: { purposes: [...stopped], erased: del.length, held: rows.length - del.length } },
      letter: 'objection-upheld',
    };
  });
}

/** Art 21(2)–(3): absolute. Withdraws marketing consents and suppresses every identifier, matched or not. */
export async function fulfilMarketingObjection(ctx: RequestsContext, actor: Actor, idOrRef: string): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'marketing-objection');
  return fulfilChange(ctx, actor, row, async (r, doc, trx) => {
    let withdrawn = 0;
    let suppressed = 0;
    if (r.subject_id) {
      const res = await objectToDirectMarketing(ctx, actor, r.subject_id, methodFor(r.channel), trx);
      withdrawn = res.withdrawn;
      suppressed += res.suppressed;
    }
    // The address they wrote from goes on the list too, even if it is not in the register.
    const ids: Identifier[] = [];
    if (doc.requester.email) ids.push({ kind: 'email', value: doc.requester.email });
    if (doc.requester.phone) ids.push({ kind: 'phone', value: doc.requester.phone });
    suppressed += await insertSuppressions(trx, ctx, actor, entriesFor(ctx, ids, '*', '*'), 'objection');
    doc.result = { withdrawn, suppressed };
    return {
      set: { status: 'completed', outcome: 'marketing-stopped', closed_at: ctx.clock.now().toISOString() },
      event: { type: 'fulfilled', details: { withdrawn, suppressed } },
      letter: 'marketing-objection',
    };
  });
}

// ——— withdrawal of consent ———

export async function fulfilWithdrawal(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { purposes?: string[] } = {}): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'withdraw-consent');
  const subjectId = needSubject(row);
  const idx = policyIndex(ctx.policy);
  for (const [i, p] of (input.purposes ?? []).entries()) if (!idx.purposes.has(p)) throw invalid(`purposes[${i}]`, 'is not a purpose in the declaration');
  return fulfilChange(ctx, actor, row, async (r, doc, trx) => {
    const nowIso = ctx.clock.now().toISOString();
    const active = (await consentStates(trx, [subjectId], nowIso)).filter((s) => s.status === 'active' && (!input.purposes?.length || input.purposes.includes(s.purpose)));
    const byPurpose = new Map<string, string[]>();
    for (const s of active) byPurpose.set(s.purpose, [...(byPurpose.get(s.purpose) ?? []), s.channel]);
    for (const [purpose, channels] of byPurpose) {
      await recordConsent(ctx, actor, { subjectId, purpose, channels, action: 'withdrawn', method: methodFor(r.channel) }, trx);
    }
    const names = [...byPurpose.keys()].map((p) => idx.purposes.get(p)?.name ?? p);
    doc.result = { purposes: names };
    return {
      set: { status: 'completed', outcome: byPurpose.size ? 'consent-withdrawn' : 'no-consent-held', closed_at: nowIso },
      event: { type: 'fulfilled', details: { purposes: [...byPurpose.keys()], consents: active.length } },
      letter: 'consent-withdrawn',
    };
  });
}

/** One entry point for the transports: fulfils by the request's type. */
export async function fulfilRequest(ctx: RequestsContext, actor: Actor, idOrRef: string, input: FulfilInput = {}): Promise<ChangeResult> {
  const row = await requestRow(ctx.database.db, idOrRef);
  switch (row.type) {
    case 'access':
      return fulfilAccess(ctx, actor, row.id, { redactions: input.redactions ?? [] });
    case 'portability':
      return fulfilPortability(ctx, actor, row.id);
    case 'erasure':
      return fulfilErasure(ctx, actor, row.id, { legalClaims: input.legalClaims ?? [] });
    case 'rectification':
      return fulfilRectification(ctx, actor, row.id, { changes: input.changes ?? [] });
    case 'restriction':
      return fulfilRestriction(ctx, actor, row.id);
    case 'objection':
      return fulfilObjection(ctx, actor, row.id, input.compellingGrounds ? { compellingGrounds: input.compellingGrounds } : {});
    case 'marketing-objection':
      return fulfilMarketingObjection(ctx, actor, row.id);
    case 'withdraw-consent':
      return fulfilWithdrawal(ctx, actor, row.id, input.purposes ? { purposes: input.purposes } : {});
    default:
      throw new StewardError('CONFLICT', `request ${row.reference} has an unknown type`);
  }
}

export interface FulfilInput {
  redactions?: Redaction[];
  legalClaims?: LegalClaim[];
  changes?: Correction[];
  compellingGrounds?: string;
  purposes?: string[];
}
