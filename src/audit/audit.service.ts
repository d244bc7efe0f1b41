/**
 * The audit trail: every read and write of personal data, every export and every sign-in, in a
 * chain where each entry carries a MAC over its content and the previous entry's hash.
 *
 * Entries hold ids, actions, purposes, counts and digests only — never plaintext personal data —
 * so erasing a person deletes nothing from the chain and never breaks it. The MAC key is derived
 * from the keys in the key file, so someone with only database access cannot re-forge the chain
 * after altering it; a MACed head checkpoint catches entries removed from the end.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/database.js';
import type { Tables } from '../db/tables.js';
import { onWriteCommitted } from '../db/transactions.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Clock } from '../shared/clock.js';
import { StewardError } from '../shared/errors.js';
import { isCleanText, UNCLEAN_TEXT_MESSAGE } from '../shared/text.js';

export const GENESIS = '0'.repeat(64);
/** The action of the entry a restore writes (backup.service.ts); verify reads its details. */
export const RESTORE_ACTION = 'backup.restore';
const HEAD = 'audit_head';

export interface AuditEvent {
  /** A dotted verb, e.g. "subject.create", "record.read", "auth.login". */
  action: string;
  subjectId?: string;
  recordId?: string;
  purpose?: string;
  /** Ids, counts, category names and digests only. */
  details?: Record<string, unknown>;
}

/** Who an entry is about: any Actor, or an anonymous caller (a failed sign-in). */
export interface AuditActor {
  id: string;
  role: string | null;
  ip?: string;
}

export interface AuditContext {
  keyring: Keyring;
  clock: Clock;
}

/** What an entry's MAC covers: every column but the sequence number and the chain hashes. */
type EntryContent = Omit<Tables['audit_log'], 'seq' | 'prev_hash' | 'hash'>;

const canonicalEntry = (e: EntryContent): string =>
  JSON.stringify([e.at, e.actor, e.actor_role, e.ip, e.action, e.subject_id, e.record_id, e.purpose, e.details]);

const headMac = (keyring: Keyring, hash: string, count: number): string => keyring.auditMac(hash, `head:${count}`);

async function readHead(db: Kysely<Tables>): Promise<{ hash: string; count: number; mac: string } | undefined> {
  const row = await db.selectFrom('key_state').select('value').where('name', '=', HEAD).executeTakeFirst();
  if (!row) return undefined;
  return JSON.parse(row.value) as { hash: string; count: number; mac: string };
}

/** The end of the chain: how many entries, and the last one's hash. */
export interface AuditHead {
  count: number;
  hash: string;
}

/** Something kept outside the database that follows the committed head (the witness file). */
export interface AuditWitnessSink {
  advance(head: AuditHead): void;
}

const sinks = new WeakMap<object, AuditWitnessSink>();
/** The head each open transaction has written, until it commits. */
const appendedHeads = new WeakMap<object, AuditHead>();

/** Makes commits through `db` (a database's Kysely instance) advance `sink`. */
export function attachAuditWitness(db: Kysely<Tables>, sink: AuditWitnessSink): void {
  sinks.set(db, sink);
}

/**
 * Called by the transaction helpers once `trx` has committed: hands the head it wrote, if any, to
 * the database's witness. Only after the commit, so the witness is never ahead of the log.
 */
export function auditCommitted(db: Kysely<Tables>, trx: Kysely<Tables>): void {
  const head = appendedHeads.get(trx);
  if (!head) return;
  appendedHeads.delete(trx);
  sinks.get(db)?.advance(head);
}

// Every committed write transaction advances the witness past the entries it appended.
onWriteCommitted(auditCommitted);

/** One entry to append: who did it, what, and (for a read queued earlier) when. */
export interface PendingEntry {
  actor: AuditActor;
  event: AuditEvent;
  /** When it happened; the time of the append when omitted. */
  at?: string;
}

/**
 * Appends entries inside the caller's transaction, which must have taken the write lock
 * (adapter.lockForWrite) so that no other writer extends the chain at the same time.
 */
export async function appendAudit(trx: Kysely<Tables>, ctx: AuditContext, actor: AuditActor, events: readonly AuditEvent[]): Promise<void> {
  await appendAuditEntries(trx, ctx, events.map((event) => ({ actor, event })));
}

/** appendAudit for entries by several actors (the read-audit queue commits many callers' reads at once). */
export async function appendAuditEntries(trx: Kysely<Tables>, ctx: AuditContext, entries: readonly PendingEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const head = await readHead(trx);
  let prev = head?.hash ?? GENESIS;
  const now = ctx.clock.now().toISOString();
  const rows = entries.map(({ actor, event: ev, at }) => {
    // Stored, a lone surrogate becomes U+FFFD and the MAC computed here would never match again;
    // PostgreSQL refuses NUL outright. The edge refuses both; this keeps any other caller honest.
    for (const v of [actor.id, actor.role, actor.ip, ev.action, ev.subjectId, ev.recordId, ev.purpose]) {
      if (typeof v === 'string' && !isCleanText(v)) throw new StewardError('VALIDATION_FAILED', `an audit entry ${UNCLEAN_TEXT_MESSAGE}`);
    }
    const content: EntryContent = {
      at: at ?? now,
      actor: actor.id,
      actor_role: actor.role,
      ip: actor.ip ?? null,
      action: ev.action,
      subject_id: ev.subjectId ?? null,
      record_id: ev.recordId ?? null,
      purpose: ev.purpose ?? null,
      details: JSON.stringify(ev.details ?? {}),
    };
    const hash = ctx.keyring.auditMac(prev, canonicalEntry(content));
    const row = { ...content, prev_hash: prev, hash };
    prev = hash;
    return row;
  });
  // Chunked so a large import stays under the databases' bound-parameter limits.
  for (let i = 0; i < rows.length; i += 2000) await trx.insertInto('audit_log').values(rows.slice(i, i + 2000)).execute();
  const count = (head?.count ?? 0) + rows.length;
  const value = JSON.stringify({ hash: prev, count, mac: headMac(ctx.keyring, prev, count) });
  await trx
    .insertInto('key_state')
    .values({ name: HEAD, value })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
    .execute();
  // Outside a transaction each statement has committed already; inside one, the helper that
  // committed it calls auditCommitted.
  if (trx.isTransaction) appendedHeads.set(trx, { count, hash: prev });
  else sinks.get(trx)?.advance({ count, hash: prev });
}

/** What verification can find wrong. */
export type AuditProblemKind =
  /** An entry's content no longer matches its MAC. */
  | 'altered'
  /** An entry that was never part of the chain sits in it. */
  | 'inserted'
  /** Entries are missing between two that remain. */
  | 'removed'
  /** Entries are missing from the end, or the head checkpoint is missing or altered. */
  | 'truncated'
  /** The log is behind an anchor kept outside the database: entries it recorded are gone. */
  | 'rolled-back'
  /** The log is empty (or has no head) while an anchor outside the database says it had entries. */
  | 'wiped'
  /** An anchor kept outside the database (the witness file, a checkpoint) is not genuine. */
  | 'anchor-invalid';

export interface AuditProblem {
  kind: AuditProblemKind;
  seq: number | null;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** How many entries the log holds (all were checked). */
  entries: number;
  /** The first problem found, if any (kept for callers that read one). */
  problem?: AuditProblem;
  /** Every problem found, in chain order, then the head, then the anchors. */
  problems?: AuditProblem[];
  /**
   * Anchors the chain no longer reaches because a restore recorded in the chain replaced the
   * entries they vouched for (not problems: the restore was made with the key).
   */
  superseded?: string[];
}

/** What a `backup.restore` entry records about the chain it left behind (audit details). */
export interface RestoreAuditDetails {
  /** Entries the restored backup held: anchors up to here must still be found. */
  restoredEntries: number;
  /** The witness file's head just before the restore, if there was a genuine one. */
  supersededWitness: { count: number; hash: string; at: string } | null;
}

/**
 * A point the chain is known to have passed, kept outside the database: the witness file beside
 * the key file, or a checkpoint mailed to the privacy contact. `count` entries ended in `hash`.
 */
export interface AuditAnchor {
  /** Where it comes from, for messages ("the witness file", "the checkpoint of 2026-03-01"). */
  source: string;
  count: number;
  hash: string;
  /** When the anchor was made (MACed with it); an anchor older than a recorded restore may be superseded. */
  at?: string;
}

/** The MAC of an anchor (a witness or a checkpoint), under the chain's key, with its own domain. */
export const anchorMac = (keyring: Keyring, kind: 'witness' | 'checkpoint', count: number, hash: string, at: string): string =>
  keyring.auditMac(kind, `${count}:${hash}:${at}`);

/** The chain head as the database records it, if its MAC is genuine. */
export async function readVerifiedHead(db: Kysely<Tables>, keyring: Keyring): Promise<{ hash: string; count: number } | undefined> {
  const head = await readHead(db);
  if (!head || head.mac !== headMac(keyring, head.hash, head.count)) return undefined;
  return { hash: head.hash, count: head.count };
}

export interface VerifyOptions {
  onProgress?: (done: number) => void;
  /** Anchors kept outside the database that the chain must still contain. */
  anchors?: readonly AuditAnchor[];
  /** Problems found while reading the anchors (an altered witness file). */
  anchorProblems?: readonly AuditProblem[];
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * Walks the whole chain in order and reports every altered, inserted or removed entry (a problem
 * does not stop the walk: later tampering is never hidden behind an earlier one), then checks the
 * head checkpoint and the anchors kept outside the database (a wipe or a rollback of the log
 * leaves a consistent chain behind, which only an outside anchor reveals).
 */
export async function verifyAudit(db: DB, keyring: Keyring, onProgressOrOptions?: ((done: number) => void) | VerifyOptions): Promise<VerifyResult> {
  const opts: VerifyOptions = typeof onProgressOrOptions === 'function' ? { onProgress: onProgressOrOptions } : (onProgressOrOptions ?? {});
  const problems: AuditProblem[] = [];
  const anchors = opts.anchors ?? [];
  const seen = new Set<number>();
  let expectedPrev = GENESIS;
  let lastHash = GENESIS;
  let count = 0;
  let lastSeq = 0;
  // A one-entry look-behind distinguishes an altered entry (its successor still links to its
  // stored hash) from an inserted one (its successor links to the entry before it).
  let suspect: { seq: number; storedHash: string; prevBefore: string } | undefined;
  // Restores recorded in the chain (genuine entries only): when, and how much of the chain they kept.
  const restores: Array<{ seq: number; at: string; restoredEntries: number }> = [];
  for (;;) {
    const page = await db.selectFrom('audit_log').selectAll().where('seq', '>', lastSeq).orderBy('seq').limit(5000).execute();
    if (page.length === 0) break;
    for (const e of page) {
      const seq = Number(e.seq);
      count++;
      lastSeq = seq;
      lastHash = e.hash;
      anchors.forEach((a, i) => {
        if (a.hash === e.hash) seen.add(i);
      });
      if (suspect) {
        if (e.prev_hash === suspect.prevBefore && e.prev_hash !== suspect.storedHash) {
          problems.push({ kind: 'inserted', seq: suspect.seq, message: `entry ${suspect.seq} was inserted into the chain` });
          expectedPrev = suspect.prevBefore;
        } else {
          problems.push({ kind: 'altered', seq: suspect.seq, message: `entry ${suspect.seq} has been altered` });
          // Carry on from what its successor links to, so one alteration is reported once.
          expectedPrev = e.prev_hash;
        }
        suspect = undefined;
      }
      const computed = keyring.auditMac(e.prev_hash, canonicalEntry(e));
      if (computed !== e.hash) {
        suspect = { seq, storedHash: e.hash, prevBefore: expectedPrev };
        continue;
      }
      if (e.prev_hash !== expectedPrev) {
        problems.push({ kind: 'removed', seq, message: `one or more entries before entry ${seq} have been removed` });
      }
      if (e.action === RESTORE_ACTION) {
        const d = JSON.parse(e.details) as Partial<RestoreAuditDetails>;
        if (typeof d.restoredEntries === 'number') restores.push({ seq, at: e.at, restoredEntries: d.restoredEntries });
      }
      expectedPrev = e.hash;
    }
    opts.onProgress?.(count);
  }
  if (suspect) {
    problems.push({ kind: 'altered', seq: suspect.seq, message: `entry ${suspect.seq} (the last) has been altered or inserted` });
  }
  const head = await readHead(db);
  const headOk = head !== undefined && head.mac === headMac(keyring, head.hash, head.count);
  if (count > 0 || head) {
    if (!headOk) {
      problems.push({ kind: 'truncated', seq: null, message: 'the chain head checkpoint is missing or has been altered' });
    } else if (head.hash !== lastHash) {
      const gone = head.count - count;
      problems.push({
        kind: 'truncated',
        seq: lastSeq || null,
        message:
          gone > 0
            ? `the chain ends early: ${plural(gone, 'entry was', 'entries were')} removed after entry ${lastSeq}`
            : `the chain does not end where its head checkpoint says (after entry ${lastSeq})`,
      });
    } else if (head.count !== count && !problems.some((p) => p.kind === 'removed' || p.kind === 'inserted')) {
      problems.push({ kind: 'removed', seq: null, message: `the head checkpoint counts ${head.count} entries but the log holds ${count}` });
    }
  }
  problems.push(...(opts.anchorProblems ?? []));
  const superseded: string[] = [];
  anchors.forEach((a, i) => {
    if (a.count === 0 || seen.has(i)) return;
    // Made before a restore, and beyond what the restored backup held: those entries were
    // replaced by the restore on purpose. Anything the backup held must still be there.
    const by = a.at === undefined ? undefined : restores.find((r) => a.at! < r.at && a.count > r.restoredEntries);
    if (by) {
      superseded.push(`${a.source} records entry ${a.count}, replaced by the restore recorded at entry ${by.seq} (${by.at}), which kept ${by.restoredEntries}`);
      return;
    }
    if (count === 0) {
      problems.push({ kind: 'wiped', seq: null, message: `the audit log is empty, but ${a.source} records ${plural(a.count, 'entry', 'entries')}: the log has been wiped` });
    } else {
      problems.push({
        kind: 'rolled-back',
        seq: lastSeq,
        message: `${a.source} records entry ${a.count} of the chain, which the log no longer holds (it holds ${count}): the log has been rolled back or cut`,
      });
    }
  });
  const notes = superseded.length > 0 ? { superseded } : {};
  if (problems.length === 0) return { ok: true, entries: count, ...notes };
  return { ok: false, entries: count, problem: problems[0]!, problems, ...notes };
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  actorRole: string | null;
  ip: string | null;
  action: string;
  subjectId: string | null;
  recordId: string | null;
  purpose: string | null;
  details: Record<string, unknown>;
}

export async function listAudit(
  db: DB,
  filter: { subjectId?: string; action?: string; actor?: string; from?: string; until?: string; after?: number; limit: number },
): Promise<{ entries: AuditEntry[]; next: number | null }> {
  let q = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(filter.limit + 1);
  if (filter.subjectId) q = q.where('subject_id', '=', filter.subjectId);
  if (filter.action) q = q.where('action', '=', filter.action);
  if (filter.actor) q = q.where('actor', '=', filter.actor);
  // Times are ISO 8601 in UTC, so they compare as text on both databases.
  if (filter.from) q = q.where('at', '>=', filter.from);
  if (filter.until) q = q.where('at', '<', filter.until);
  if (filter.after) q = q.where('seq', '<', filter.after);
  const rows = await q.execute();
  const page = rows.slice(0, filter.limit);
  return {
    entries: page.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      actor: r.actor,
      actorRole: r.actor_role,
      ip: r.ip,
      action: r.action,
      subjectId: r.subject_id,
      recordId: r.record_id,
      purpose: r.purpose,
      details: JSON.parse(r.details) as Record<string, unknown>,
    })),
    next: rows.length > filter.limit ? Number(page[page.length - 1]!.seq) : null,
  };
}

export const auditCount = async (db: DB): Promise<number> =>
  Number((await sql<{ n: number }>`select count(*) as n from audit_log`.execute(db)).rows[0]?.n ?? 0);
