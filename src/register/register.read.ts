/**
 * Reading the register: a person with every record the actor may see, one record, exact search
 * through blind indexes, listing, export and names for search results. Every read of personal
 * data is audited (read-audit.ts), saying how and how much, never what.
 */
import { authorise, canSeeCategory, type Actor } from '../auth/roles.js';
import { auditReads } from '../audit/read-audit.js';
import type { AuditEvent } from '../audit/audit.service.js';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { readTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import { StewardError } from '../shared/errors.js';
import { categoryFields } from './fields.js';
import { decryptRecord, type RecordView } from './record.codec.js';
import { indexField, indexFields, invalid } from './record.prepare.js';
import { assertCanSee, assertNotRestricted, maySeeCategory, RIGHTS_REQUEST_PURPOSE } from './register.access.js';
import { liveSubjectIdsPage, liveSubjectRows, loadSubjectKey, recordRow, recordsOfSubject, relationshipRows, subjectRow, subjectsWithDigest, summariseSubjects, type SubjectSummary } from './register.repository.js';
import { mostRecordsPerCategory } from './register.queries.js';

export interface RelationshipView {
  relationship: string;
  role: string;
  onBehalfOf: string | null;
  subscriberType: string | null;
  startedAt: string;
  endedAt: string | null;
}

export interface SubjectView {
  id: string;
  createdAt: string;
  updatedAt: string;
  restricted: boolean;
  erasedAt: string | null;
  relationships: RelationshipView[];
  records: RecordView[];
  /** Categories held but not shown to this actor (restricted_to_roles). */
  withheld: Array<{ category: string; count: number }>;
}

async function assembleSubject(ctx: AppContext, db: Kysely<Tables>, actor: Actor, row: Tables['subjects']): Promise<SubjectView> {
  const rels = await relationshipRows(db, row.id);
  const recordRows = await recordsOfSubject(db, row.id);
  const visible = recordRows.filter((r) => maySeeCategory(ctx, actor, r.category));
  const withheld = new Map<string, number>();
  for (const r of recordRows) if (!visible.includes(r)) withheld.set(r.category, (withheld.get(r.category) ?? 0) + 1);
  const dek = visible.length > 0 ? await loadSubjectKey(ctx, db, row.id) : undefined;
  if (visible.length > 0 && !dek) throw new StewardError('INTERNAL', `subject ${row.id} has records but no key`);
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    restricted: row.restricted === 1,
    erasedAt: row.erased_at,
    relationships: rels.map((r) => ({
      relationship: r.relationship,
      role: r.role,
      onBehalfOf: r.on_behalf_of,
      subscriberType: r.subscriber_type,
      startedAt: r.started_at,
      endedAt: r.ended_at,
    })),
    records: visible.map((r) => decryptRecord(dek!, r, ctx.policy)),
    withheld: [...withheld].map(([category, count]) => ({ category, count })),
  };
}

/** A subject as the actor may see them, not audited: for the caller that has just written them. */
export async function getSubjectUnaudited(ctx: AppContext, actor: Actor, id: string): Promise<SubjectView> {
  return assembleSubject(ctx, ctx.database.db, actor, await subjectRow(ctx.database.db, id));
}

/** Reads a subject with every record the actor may see, and audits the read. */
export async function getSubject(ctx: AppContext, actor: Actor, id: string, purpose?: string): Promise<SubjectView> {
  authorise(actor, 'subjects:read');
  const view = await readTx(ctx, async (trx) => {
    const row = await subjectRow(trx, id);
    assertNotRestricted(row, purpose);
    return assembleSubject(ctx, trx, actor, row);
  });
  await auditReads(ctx, actor, [{ action: 'subject.read', subjectId: id, purpose, details: { records: view.records.length, withheld: view.withheld.reduce((n, w) => n + w.count, 0) } }]);
  return view;
}

export async function getRecord(ctx: AppContext, actor: Actor, id: string, purpose?: string): Promise<RecordView> {
  authorise(actor, 'subjects:read');
  const { view, row } = await readTx(ctx, async (trx) => {
    const row = await recordRow(trx, id);
    assertNotRestricted(await subjectRow(trx, row.subject_id), purpose);
    assertCanSee(ctx, actor, row.category);
    const dek = await loadSubjectKey(ctx, trx, row.subject_id);
    if (!dek) throw new StewardError('CONFLICT', `record ${id} can no longer be read: its subject's key was destroyed`);
    return { view: decryptRecord(dek, row, ctx.policy), row };
  });
  await auditReads(ctx, actor, [{ action: 'record.read', subjectId: row.subject_id, recordId: id, purpose, details: { category: row.category } }]);
  return view;
}

export interface SearchQuery {
  email?: string;
  phone?: string;
  /** An identifier field of a declared category (default: its primary identifier field) and its value. */
  identifier?: { category: string; field?: string; value: string };
}

/** Exact search through blind indexes. The audit entry says how, never what was searched for. */
export async function findSubjects(ctx: AppContext, actor: Actor, q: SearchQuery, purpose?: string): Promise<SubjectSummary[]> {
  authorise(actor, 'subjects:read');
  const terms: Array<{ field: string; digest: string }> = [];
  const indexer = ctx.keyring.indexer;
  const add = (field: string, kind: 'email' | 'phone' | 'other', value: string, name: string) => {
    const e = indexer.index(field, kind, value);
    if (!e) throw invalid(name, `is not a valid ${kind === 'other' ? 'identifier' : kind}`);
    terms.push({ field, digest: e.digest });
  };
  if (q.email !== undefined) add('email', 'email', q.email, 'email');
  if (q.phone !== undefined) add('phone', 'phone', q.phone, 'phone');
  if (q.identifier) {
    const cat = policyIndex(ctx.policy).categories.get(q.identifier.category);
    const fieldId = q.identifier.field;
    const f = cat && (fieldId ? indexFields(cat).find((x) => x.def.id === fieldId) : indexField(cat));
    if (!f) throw invalid('identifier.category', `"${q.identifier.category}${fieldId ? `.${fieldId}` : ''}" is not a declared identifier field`);
    add(f.field, f.kind, q.identifier.value, 'identifier.value');
  }
  if (terms.length === 0) throw invalid('query', 'give an email, a phone number or an identifier');
  // A read outside any write transaction: each term is one statement (the blind index joined to
  // the subject and its relationships); the audit entry is group-committed with other reads'.
  let found: Map<string, SubjectSummary> | undefined;
  for (const t of terms) {
    const matches = await subjectsWithDigest(ctx.database.db, t.field, t.digest);
    found = found === undefined ? matches : new Map([...found].filter(([id]) => matches.has(id)));
  }
  const summaries = [...(found ?? new Map<string, SubjectSummary>()).values()];
  await auditReads(ctx, actor, [{ action: 'subject.search', purpose, details: { by: terms.map((t) => t.field), matches: summaries.length } }]);
  return summaries;
}

/** Lists subjects (ids and relationships, no decrypted data), newest first, by cursor. */
export async function listSubjects(
  ctx: AppContext,
  actor: Actor,
  opts: { relationship?: string; after?: string; limit: number },
): Promise<{ subjects: SubjectSummary[]; next: string | null }> {
  authorise(actor, 'subjects:read');
  if (opts.relationship && !policyIndex(ctx.policy).relationships.has(opts.relationship)) {
    throw invalid('relationship', `"${opts.relationship}" is not a relationship in the declaration`);
  }
  const result = await readTx(ctx, async (trx) => {
    const rows = await liveSubjectIdsPage(trx, { after: opts.after, limit: opts.limit + 1, relationship: opts.relationship });
    const page = rows.slice(0, opts.limit);
    const summaries = await summariseSubjects(trx, page);
    summaries.sort((a, b) => (a.id < b.id ? -1 : 1));
    return { subjects: summaries, next: rows.length > opts.limit ? page[page.length - 1]! : null };
  });
  await auditReads(ctx, actor, [{ action: 'subject.list', details: { relationship: opts.relationship ?? null, count: result.subjects.length } }]);
  return result;
}

/** Streams every subject the actor may see, decrypted, for an export; one audit entry for it all. */
export async function* exportSubjects(ctx: AppContext, actor: Actor, opts: { relationship?: string; purpose?: string } = {}): AsyncGenerator<SubjectView> {
  authorise(actor, 'subjects:export');
  let after = '';
  let count = 0;
  for (;;) {
    const rows = await liveSubjectRows(ctx.database.db, { after, limit: 500, relationship: opts.relationship });
    if (rows.length === 0) break;
    for (const row of rows) {
      // Restricted subjects are stored, not processed: they stay out of bulk exports.
      if (row.restricted) continue;
      count++;
      yield await assembleSubject(ctx, ctx.database.db, actor, row);
    }
    after = rows[rows.length - 1]!.id;
  }
  await auditReads(ctx, actor, [{ action: 'subjects.export', purpose: opts.purpose, details: { relationship: opts.relationship ?? null, subjects: count } }]);
}

/** The most records of each category any one person holds (for the export's columns). */
export async function recordRepeats(ctx: AppContext): Promise<Map<string, number>> {
  return mostRecordsPerCategory(ctx.database.db);
}

/**
 * The names of people found by a search, from their fields typed "name" (joined in declared
 * order: first name, surname), decrypted and audited like any read. Restricted people and
 * categories the actor may not see give no name.
 */
export async function subjectNames(ctx: AppContext, actor: Actor, people: ReadonlyArray<{ id: string; restricted: boolean }>, purpose?: string): Promise<Map<string, string>> {
  authorise(actor, 'subjects:read');
  const idx = policyIndex(ctx.policy);
  const nameCats = [...idx.categories.values()].filter((c) => canSeeCategory(actor, c) && categoryFields(c).some((f) => f.type === 'name'));
  const out = new Map<string, string>();
  const ids = people.filter((p) => !p.restricted || purpose === RIGHTS_REQUEST_PURPOSE).map((p) => p.id);
  if (nameCats.length === 0 || ids.length === 0) return out;
  const read: AuditEvent[] = [];
  await readTx(ctx, async (trx) => {
    for (const id of ids) {
      const rows = await recordsOfSubject(trx, id, { kind: 'value', categories: nameCats.map((c) => c.id), order: 'created' });
      if (rows.length === 0) continue;
      const dek = await loadSubjectKey(ctx, trx, id);
      if (!dek) continue;
      const parts: string[] = [];
      for (const r of rows) for (const f of decryptRecord(dek, r, ctx.policy).fields ?? []) if (f.type === 'name') parts.push(f.value);
      if (parts.length === 0) continue;
      out.set(id, parts.join(' '));
      read.push({ action: 'subject.read', subjectId: id, purpose, details: { fields: 'name', records: rows.length } });
    }
  });
  if (read.length) await auditReads(ctx, actor, read);
  return out;
}
