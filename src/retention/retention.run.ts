/**
 * The retention run: deletes and anonymises every record due, under a database job lock,
 * idempotently. It reads only the subjects that can have something due, a page at a time, and
 * acts set-based per page: one DELETE per few thousand ids.
 */
import { eventInEffect } from './events.effect.js';
import type { Kysely } from 'kysely';
import { appendAudit, type AuditEvent } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { StewardError } from '../shared/errors.js';
import { eventConditions } from './conditions.js';
import { addDurationClamped, maxDate, parseDuration, toCalendarDate, ZERO, type CalendarDate, type Duration } from './duration.js';
import { holdActive, unreleasedHolds } from './holds.service.js';
import { afterErasure } from '../backup/erasure-ledger.js';
import { writeStatistics, type AnonymiseGroup } from './retention.statistics.js';
import { deleteRecordRows, eraseSubjects } from '../register/register.repository.js';
import { subjectsHoldingPurposes, subjectsWithRelationshipEndedBy } from '../register/register.queries.js';
import { RECORD_TRIGGERS, retentionModel, type EndAction, type RetentionModel } from './retention.engine.js';
import { loadSubjectPage, type SubjectPage } from './retention.store.js';
import type { AppContext } from '../kernel/context.js';
import { evaluatePage, resolveAsOf, type Evaluated, type RetentionOptions } from './retention.evaluate.js';

/** The database job lock: several `steward serve` instances sharing PostgreSQL run retention once. */
export const RETENTION_LOCK = 'steward-retention';
/**
 * Subjects per transaction of a run (candidates only, so most are due). Larger transactions mean
 * fewer commits and WAL checkpoints; smaller ones block other writers for less time.
 */
export const RUN_SUBJECTS = 5000;

/** Month-end clamping can make an end up to 3 days later than plain subtraction suggests. */
const CLAMP_SLACK = parseDuration('4 days');

/**
 * The subjects a run must read: only those that can have a record due on `day`. A record is due
 * only when every purpose's rule has ended, so at least one rule's event must be old enough:
 * a life event of that type on or before day − duration (plus slack for month ends), an ended
 * relationship as old, or — for rules counting from the record itself (collection, recording,
 * last contact) — a record held for such a purpose and collected as long ago. Everyone else is
 * still waiting, and a run need not read their records. The result is a superset: each
 * candidate is decided in full inside the run's transaction.
 */
export async function candidateSubjects(db: Kysely<Tables>, model: RetentionModel, day: CalendarDate): Promise<string[]> {
  const boundOf = (d: Duration | undefined) => addDurationClamped(addDurationClamped(day, d ?? ZERO, -1), CLAMP_SLACK);
  const eventBounds = new Map<string, CalendarDate>();
  const recordBounds = new Map<string, CalendarDate>();
  for (const p of model.purposes.values()) {
    const r = p.rule;
    if (!r?.event || (r.mode === 'after' && !r.duration)) continue;
    const bound = boundOf(r.duration);
    if (RECORD_TRIGGERS.has(r.event) || r.event === 'last-contact') recordBounds.set(p.id, maxDate(recordBounds.get(p.id) ?? bound, bound));
    if (!RECORD_TRIGGERS.has(r.event)) eventBounds.set(r.event, maxDate(eventBounds.get(r.event) ?? bound, bound));
  }
  const ids = new Set<string>();
  if (eventBounds.size > 0) {
    const rows = await db
      .selectFrom('life_events')
      .select('subject_id')
      .distinct()
      .where((eb) => eb.or([...eventBounds].map(([type, bound]) => eb.and([eb('type', '=', type), eb('occurred_on', '<=', bound)]))))
      .where(eventInEffect(day))
      .execute();
    for (const r of rows) ids.add(r.subject_id);
  }
  const ended = eventBounds.get('relationship-ended');
  if (ended) {
    for (const id of await subjectsWithRelationshipEndedBy(db, `${ended}T23:59:59.999Z`)) ids.add(id);
  }
  for (const [purpose, bound] of recordBounds) {
    for (const id of await subjectsHoldingPurposes(db, [purpose], { collectedBy: `${bound}T23:59:59.999Z` })) ids.add(id);
  }
  return [...ids].sort();
}

export interface RunRuleResult {
  rule: string;
  action: EndAction;
  records: number;
  subjects: number;
}

export interface RunResult {
  /** False when another instance held the retention lock, so this one did nothing. */
  acquired: boolean;
  /** Whether every subject was looked at (false if another instance took over half-way). */
  complete: boolean;
  asOf: CalendarDate;
  deleted: number;
  anonymised: number;
  /** Rows of anonymous statistics written. */
  statistics: number;
  subjectsErased: number;
  held: number;
  kept: number;
  restricted: number;
  rules: RunRuleResult[];
  /** Transactions used (one per page of subjects, plus the closing summary). */
  slices: number;
}

/**
 * Deletes and anonymises every record due on `asOf` (default today; never a future day). It reads
 * only the subjects that can have something due (candidateSubjects), a page at a time; each page
 * is one transaction that holds the retention job lock and the write lock, so
 * concurrent runs (several servers on one PostgreSQL) never act twice on a record, a crash never
 * leaves half a page done, and writers are blocked for one page at a time only. Running it again
 * finds nothing more to do: it is idempotent. Every deletion is audited per rule (counts only)
 * and per subject (counts, whether the key was destroyed), in the same transaction.
 */
export async function runRetention(ctx: AppContext, actor: Actor, asOf?: Date | string, opts: RetentionOptions = {}): Promise<RunResult> {
  authorise(actor, 'retention:manage');
  const { day, at } = resolveAsOf(ctx, asOf);
  const today = toCalendarDate(ctx.clock.now());
  if (day > today) {
    throw new StewardError('VALIDATION_FAILED', `asOf: ${day} is in the future; a run deletes data, so it acts on today (${today}) or earlier — use the plan to see the future`);
  }
  const model = retentionModel(ctx.policy);
  const conditions = opts.conditions ?? eventConditions;
  const { adapter, db } = ctx.database;
  const result: RunResult = { acquired: false, complete: false, asOf: day, deleted: 0, anonymised: 0, statistics: 0, subjectsErased: 0, held: 0, kept: 0, restricted: 0, rules: [], slices: 0 };
  const byRule = new Map<string, { rule: string; action: EndAction; records: number; subjects: Set<string> }>();
  const candidates = await candidateSubjects(db, model, day);
  const size = opts.pageSize ?? RUN_SUBJECTS;
  for (let i = 0; ; i += size) {
    const chunk = candidates.slice(i, i + size);
    const slice = await adapter.withJobLock(db, RETENTION_LOCK, async (raw) => {
      const trx = raw as Kysely<Tables>;
      await adapter.lockForWrite(trx);
      const page = chunk.length > 0 ? await loadSubjectPage(trx, { ids: chunk, limit: chunk.length, asOf: day }) : undefined;
      if (chunk.length === 0) {
        await appendAudit(trx, ctx, actor, [
          {
            action: 'retention.run',
            details: {
              asOf: day,
              policy: ctx.policy.hash.slice(0, 16),
              deleted: result.deleted,
              anonymised: result.anonymised,
              subjectsErased: result.subjectsErased,
              held: result.held,
              kept: result.kept,
              restricted: result.restricted,
            },
          },
        ]);
        return { done: true };
      }
      if (page) {
        const holds = (await unreleasedHolds(trx)).filter((h) => holdActive(h, day));
        const evaluated = await evaluatePage(trx, model, page, day, at, holds, conditions);
        await actOnPage(trx, ctx, actor, model, page, evaluated, day, result, byRule);
      }
      return { done: false };
    });
    if (!slice.acquired) break;
    result.acquired = true;
    result.slices++;
    if (slice.value.done) {
      result.complete = true;
      break;
    }
  }
  result.rules = [...byRule.values()].map((r) => ({ rule: r.rule, action: r.action, records: r.records, subjects: r.subjects.size })).sort((a, b) => a.rule.localeCompare(b.rule));
  if (result.deleted + result.anonymised + result.subjectsErased > 0) await afterErasure(ctx);
  return result;
}

async function actOnPage(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  model: RetentionModel,
  page: SubjectPage,
  evaluated: Map<string, Evaluated[]>,
  day: CalendarDate,
  result: RunResult,
  byRule: Map<string, { rule: string; action: EndAction; records: number; subjects: Set<string> }>,
): Promise<void> {
  const deletes: string[] = [];
  const groups = new Map<string, AnonymiseGroup>();
  const perRule = new Map<string, { rule: string; action: EndAction; records: number; subjects: Set<string>; categories: Record<string, number> }>();
  const perSubject = new Map<string, { deleted: number; anonymised: number; rules: Set<string> }>();
  for (const [subjectId, list] of evaluated) {
    for (const { record, verdict: v } of list) {
      if (v.status === 'held') result.held++;
      else if (v.status === 'kept') result.kept++;
      else if (v.status === 'restricted') result.restricted++;
      if (v.status !== 'due') continue;
      const rule = v.decided.rule!;
      const action = v.action!;
      if (action === 'delete') deletes.push(record.id);
      else {
        const key = `${subjectId}\u0000${rule}`;
        const g = groups.get(key) ?? { subjectId, rule, end: v.end!, records: [] };
        g.records.push(record);
        groups.set(key, g);
      }
      const rk = `${action}\u0000${rule}`;
      const r = perRule.get(rk) ?? { rule, action, records: 0, subjects: new Set<string>(), categories: {} };
      r.records++;
      r.subjects.add(subjectId);
      r.categories[record.category] = (r.categories[record.category] ?? 0) + 1;
      perRule.set(rk, r);
      const s = perSubject.get(subjectId) ?? { deleted: 0, anonymised: 0, rules: new Set<string>() };
      if (action === 'delete') s.deleted++;
      else s.anonymised++;
      s.rules.add(rule);
      perSubject.set(subjectId, s);
    }
  }
  if (perSubject.size === 0) return;
  const anonymised = [...groups.values()].flatMap((g) => g.records.map((r) => r.id));
  const statistics = await writeStatistics(trx, ctx, model, [...groups.values()], page.relationshipsOf, day);
  const now = ctx.clock.now().toISOString();
  await deleteRecordRows(trx, [...deletes, ...anonymised], { now, reason: 'retention' });
  // Every record of the page's subjects was read inside this write-locked transaction: a subject
  // whose records were all due has none left now.
  const erased = new Set([...perSubject.keys()].filter((id) => evaluated.get(id)!.every((e) => e.verdict.status === 'due')));
  await eraseSubjects(trx, [...erased], now, 'retention');
  const events: AuditEvent[] = [];
  for (const r of perRule.values()) {
    events.push({ action: r.action === 'delete' ? 'retention.delete' : 'retention.anonymise', details: { rule: r.rule, asOf: day, records: r.records, subjects: r.subjects.size, categories: r.categories } });
  }
  for (const [subjectId, s] of perSubject) {
    events.push({ action: 'retention.subject', subjectId, details: { asOf: day, deleted: s.deleted, anonymised: s.anonymised, rules: [...s.rules].sort(), keyDestroyed: erased.has(subjectId) } });
  }
  await appendAudit(trx, ctx, actor, events);
  result.deleted += deletes.length;
  result.anonymised += anonymised.length;
  result.statistics += statistics;
  result.subjectsErased += erased.size;
  for (const r of perRule.values()) {
    const k = `${r.action}\u0000${r.rule}`;
    const acc = byRule.get(k) ?? { rule: r.rule, action: r.action, records: 0, subjects: new Set<string>() };
    acc.records += r.records;
    for (const s of r.subjects) acc.subjects.add(s);
    byRule.set(k, acc);
  }
}
