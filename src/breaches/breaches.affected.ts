/**
 * The people affected by a breach, chosen from the register: by data category, relationship,
 * source, the date records were collected, or a list of identifiers (matched through the blind
 * indexes, never decrypting anything). The breach keeps the subject ids and, per person, how many
 * records of each category were involved; the totals give the "approximate number of data
 * subjects and records" the ICO asks for (Art 33(3)(a)).
 *
 * Whoever may read breaches sees the counts. Who the people are is shown only to someone who may
 * see every category involved (a category restricted to named roles stays closed to the others).
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, canSeeCategory, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { recordCounts, relationshipRowsOf, subjectsByIndex } from '../register/subject-lookups.js';
import { StewardError } from '../shared/errors.js';
import { parseInstant } from './breaches.clock.js';
import { LIMITS, timeText, type AffectedCounts, type SelectionCriteria } from './breaches.events.js';
import { appendEvent } from './breaches.store.js';
import { loadBreach } from './breaches.read.js';
import { parseInput } from './breaches.service.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { indexFields } from '../register/record.prepare.js';

const idText = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an id from the declaration').max(64);
const ids = z.array(idText).min(1).max(LIMITS.listItems);

export const affectedInput = z.strictObject({
  /** add: to the people already selected; replace: instead of them. */
  mode: z.enum(['add', 'replace']).default('add'),
  /** Everyone in the register (a whole-database breach). */
  all: z.boolean().optional(),
  categories: ids.optional(),
  relationships: ids.optional(),
  sources: ids.optional(),
  collectedFrom: timeText.optional(),
  collectedTo: timeText.optional(),
  identifiers: z
    .strictObject({
      emails: z.array(z.string().max(320)).max(LIMITS.identifiersPerCall).optional(),
      phones: z.array(z.string().max(60)).max(LIMITS.identifiersPerCall).optional(),
      other: z.array(z.strictObject({ category: idText, field: idText.optional(), value: z.string().max(1024) })).max(LIMITS.identifiersPerCall).optional(),
    })
    .optional(),
  expectedVersion: z.number().int().min(1).optional(),
});
export type AffectedInput = z.input<typeof affectedInput>;

export interface SelectionResult {
  matched: number;
  added: number;
  removed: number;
  criteria: SelectionCriteria;
  totals: AffectedCounts;
  version: number;
}

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

const chunks = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/** A date alone in `collectedTo` means to the end of that day (UK time). */
function endOf(value: string, path: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return parseInstant(value, path);
  parseInstant(value, path);
  const next = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1));
  return parseInstant(next.toISOString().slice(0, 10), path);
}

/** Subjects matching any of the identifiers, by blind index; counts only, no values kept. */
async function matchIdentifiers(
  ctx: AppContext,
  db: Kysely<Tables>,
  given: NonNullable<z.output<typeof affectedInput>['identifiers']>,
): Promise<{ subjects: Set<string>; given: number; unmatched: number; invalid: number }> {
  const idx = policyIndex(ctx.policy);
  const terms = new Map<string, Set<string>>();
  let total = 0;
  let bad = 0;
  const add = (field: string, kind: 'email' | 'phone' | 'other', value: string) => {
    total++;
    const e = ctx.keyring.indexer.index(field, kind, value);
    if (!e) {
      bad++;
      return;
    }
    if (!terms.has(field)) terms.set(field, new Set());
    terms.get(field)!.add(e.digest);
  };
  for (const v of given.emails ?? []) add('email', 'email', v);
  for (const v of given.phones ?? []) add('phone', 'phone', v);
  (given.other ?? []).forEach((o, i) => {
    const cat = idx.categories.get(o.category);
    const fs = cat ? indexFields(cat).filter((f) => f.kind === 'other' && (o.field === undefined || f.def.id === o.field)) : [];
    if (fs.length === 0) throw invalid(`identifiers.other[${i}].category`, `"${o.category}${o.field ? `.${o.field}` : ''}" is not a declared identifier field`);
    for (const f of fs) add(f.field, f.kind, o.value);
  });
  const subjects = new Set<string>();
  const found = new Set<string>();
  for (const [field, digests] of terms) {
    for (const r of await subjectsByIndex(ctx, db, field, [...digests])) {
      subjects.add(r.subjectId);
      found.add(`${field}\u0000${r.digest}`);
    }
  }
  const distinct = [...terms].reduce((n, [, d]) => n + d.size, 0);
  return { subjects, given: total, unmatched: distinct - found.size, invalid: bad };
}

async function totalsFor(db: Kysely<Tables>, breachId: string): Promise<AffectedCounts> {
  const links = await db.selectFrom('breach_subjects').select(['subject_id', 'categories', 'records']).where('breach_id', '=', breachId).execute();
  const byCategory = new Map<string, { people: number; records: number }>();
  let records = 0;
  for (const l of links) {
    records += Number(l.records);
    for (const [cat, n] of Object.entries(JSON.parse(l.categories) as Record<string, number>)) {
      const c = byCategory.get(cat) ?? { people: 0, records: 0 };
      c.people++;
      c.records += n;
      byCategory.set(cat, c);
    }
  }
  const byRelationship = new Map<string, Set<string>>();
  for (const r of await relationshipRowsOf(db, links.map((l) => l.subject_id))) {
    if (!byRelationship.has(r.relationship)) byRelationship.set(r.relationship, new Set());
    byRelationship.get(r.relationship)!.add(r.subjectId);
  }
  return {
    people: links.length,
    records,
    byCategory: [...byCategory].sort(([a], [b]) => a.localeCompare(b)).map(([category, c]) => ({ category, ...c })),
    byRelationship: [...byRelationship].sort(([a], [b]) => a.localeCompare(b)).map(([relationship, s]) => ({ relationship, people: s.size })),
  };
}

/** Selects the people affected and stores them on the breach (privacy officer, owner). */
export async function selectAffected(ctx: AppContext, actor: Actor, id: string, raw: AffectedInput): Promise<SelectionResult> {
  authorise(actor, 'breaches:manage');
  const input = parseInput(affectedInput, raw);
  const idx = policyIndex(ctx.policy);
  const check = (kind: string, list: string[] | undefined, known: { has(k: string): boolean }) =>
    list?.forEach((v, i) => {
      if (!known.has(v)) throw invalid(`${kind}[${i}]`, `"${v}" is not in the declaration`);
    });
  check('categories', input.categories, idx.categories);
  check('relationships', input.relationships, idx.relationships);
  check('sources', input.sources, idx.sources);
  const from = input.collectedFrom ? parseInstant(input.collectedFrom, 'collectedFrom') : undefined;
  const to = input.collectedTo ? endOf(input.collectedTo, 'collectedTo') : undefined;
  if (from && to && to <= from) throw invalid('collectedTo', 'is not after collectedFrom');
  const identifierCount = (input.identifiers?.emails?.length ?? 0) + (input.identifiers?.phones?.length ?? 0) + (input.identifiers?.other?.length ?? 0);
  const narrowing = Boolean(input.categories || input.relationships || input.sources || from || to);
  if (input.all && (narrowing || identifierCount > 0)) throw invalid('all', 'selects everyone: give it alone, or give criteria instead');
  if (!input.all && !narrowing && identifierCount === 0) {
    throw invalid('request', 'say who was affected: categories, relationships, sources, a collection date range, identifiers, or all');
  }
  const now = ctx.clock.now().toISOString();

  return writeTx(ctx, async (trx) => {
    const b = await loadBreach(ctx, trx, id);
    if (b.state.closed) throw new StewardError('CONFLICT', `breach ${b.row.reference} is closed: reopen it first`);
    if (input.expectedVersion !== undefined && input.expectedVersion !== b.state.version) {
      throw new StewardError('CONFLICT', `breach ${b.row.reference} has changed since version ${input.expectedVersion} (now version ${b.state.version}): reload it and try again`);
    }
    let people: string[] | undefined;
    const criteria: SelectionCriteria = {
      ...(input.all ? { all: true } : {}),
      ...(input.categories ? { categories: input.categories } : {}),
      ...(input.relationships ? { relationships: input.relationships } : {}),
      ...(input.sources ? { sources: input.sources } : {}),
      ...(from ? { collectedFrom: from } : {}),
      ...(to ? { collectedTo: to } : {}),
    };
    if (input.identifiers && identifierCount > 0) {
      const m = await matchIdentifiers(ctx, trx, input.identifiers);
      people = [...m.subjects];
      criteria.identifiers = { given: m.given, matchedPeople: m.subjects.size, unmatched: m.unmatched, invalid: m.invalid };
    }
    // Without a category filter, the breach's own categories (if recorded) bound the records counted.
    const recordCategories = input.categories ?? (input.all || !b.state.facts.categories.length ? undefined : b.state.facts.categories);
    const matched = await recordCounts(trx, { categories: recordCategories, relationships: input.relationships, sources: input.sources, from, to }, people);
    // People matched by identifier but holding no record in scope are affected all the same.
    for (const p of people ?? []) if (!matched.has(p) && !narrowing) matched.set(p, new Map());

    const existing = new Map(
      (await trx.selectFrom('breach_subjects').select(['subject_id', 'categories']).where('breach_id', '=', b.row.id).execute()).map((r) => [
        r.subject_id,
        new Map(Object.entries(JSON.parse(r.categories) as Record<string, number>)),
      ]),
    );
    const before = new Set(existing.keys());
    let removed = 0;
    if (input.mode === 'replace') {
      removed = [...before].filter((s) => !matched.has(s)).length;
      await trx.deleteFrom('breach_subjects').where('breach_id', '=', b.row.id).execute();
      existing.clear();
    }
    const inserts: Array<Tables['breach_subjects']> = [];
    let added = 0;
    for (const [subject, cats] of matched) {
      const prior = existing.get(subject);
      if (!prior) {
        if (!before.has(subject)) added++;
        inserts.push({
          breach_id: b.row.id,
          subject_id: subject,
          categories: JSON.stringify(Object.fromEntries(cats)),
          records: [...cats.values()].reduce((a, n) => a + n, 0),
          added_at: now,
          added_by: actor.id,
        });
        continue;
      }
      // Selections overlap: a record counted twice is still one record, so keep the larger count.
      let grew = false;
      for (const [cat, n] of cats) {
        if ((prior.get(cat) ?? 0) < n) {
          prior.set(cat, n);
          grew = true;
        }
      }
      if (grew) {
        await trx
          .updateTable('breach_subjects')
          .set({ categories: JSON.stringify(Object.fromEntries(prior)), records: [...prior.values()].reduce((a, n) => a + n, 0) })
          .where('breach_id', '=', b.row.id)
          .where('subject_id', '=', subject)
          .execute();
      }
    }
    for (const part of chunks(inserts, Math.floor(ctx.database.adapter.maxParameters / 6))) await trx.insertInto('breach_subjects').values(part).execute();
    const totals = await totalsFor(trx, b.row.id);
    const appended = await appendEvent(trx, b.row, b.dek, actor, b.events, { type: 'affected-selected', mode: input.mode, criteria, matched: matched.size, added, removed, totals }, now);
    await appendAudit(trx, ctx, actor, [
      {
        action: 'breach.affected',
        details: {
          breach: b.row.id,
          reference: b.row.reference,
          seq: appended.state.version,
          mode: input.mode,
          by: Object.keys(criteria),
          matched: matched.size,
          added,
          removed,
          people: totals.people,
          records: totals.records,
        },
      },
    ]);
    return { matched: matched.size, added, removed, criteria, totals, version: appended.state.version };
  });
}

export interface AffectedPerson {
  subjectId: string;
  categories: Record<string, number>;
  records: number;
  email: 'sending' | 'sent' | 'failed' | 'no-address' | null;
  post: 'exported' | null;
}

export interface AffectedListing {
  counts: AffectedCounts;
  /** Null when the reader may not see every category involved: counts only. */
  people: AffectedPerson[] | null;
  withheld: string | null;
  next: string | null;
}

/** Counts for anyone who may read breaches; the people themselves only if every category is open to the reader. */
export async function listAffected(ctx: AppContext, actor: Actor, id: string, opts: { after?: string; limit: number }): Promise<AffectedListing> {
  authorise(actor, 'breaches:read');
  return writeTx(ctx, async (trx) => {
    const b = await loadBreach(ctx, trx, id);
    const counts = await totalsFor(trx, b.row.id);
    const idx = policyIndex(ctx.policy);
    const closed = counts.byCategory
      .map((c) => c.category)
      .filter((c) => {
        const cat = idx.categories.get(c);
        return cat ? !canSeeCategory(actor, cat) : !(actor.role === 'dpo' || actor.role === 'owner');
      });
    let people: AffectedPerson[] | null = null;
    let next: string | null = null;
    if (closed.length === 0) {
      let q = trx.selectFrom('breach_subjects').select(['subject_id', 'categories', 'records']).where('breach_id', '=', b.row.id).orderBy('subject_id').limit(opts.limit + 1);
      if (opts.after) q = q.where('subject_id', '>', opts.after);
      const rows = await q.execute();
      const page = rows.slice(0, opts.limit);
      const status = new Map<string, { email: AffectedPerson['email']; post: AffectedPerson['post'] }>();
      if (page.length > 0) {
        const notes = await trx
          .selectFrom('breach_notifications')
          .select(['subject_id', 'channel', 'status'])
          .where('breach_id', '=', b.row.id)
          .where('subject_id', 'in', page.map((p) => p.subject_id))
          .orderBy('at')
          .orderBy('id')
          .execute();
        for (const n of notes) {
          const s = status.get(n.subject_id) ?? { email: null, post: null };
          if (n.channel === 'email') s.email = n.status as AffectedPerson['email'];
          else if (n.status === 'exported') s.post = 'exported';
          status.set(n.subject_id, s);
        }
      }
      people = page.map((p) => ({
        subjectId: p.subject_id,
        categories: JSON.parse(p.categories) as Record<string, number>,
        records: Number(p.records),
        email: status.get(p.subject_id)?.email ?? null,
        post: status.get(p.subject_id)?.post ?? null,
      }));
      next = rows.length > opts.limit ? page[page.length - 1]!.subject_id : null;
    }
    await appendAudit(trx, ctx, actor, [
      { action: 'breach.affected.read', details: { breach: b.row.id, reference: b.row.reference, people: counts.people, identitiesShown: people?.length ?? 0 } },
    ]);
    return {
      counts,
      people,
      withheld: people ? null : `the people are not shown: the breach involves ${closed.map((c) => `"${c}"`).join(', ')}, which your role may not see; the counts are complete`,
      next,
    };
  });
}
