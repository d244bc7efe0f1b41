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
import type { Keyring } from '../register/keyring.js';
import type { Clock } from '../shared/clock.js';

export const GENESIS = '0'.repeat(64);
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
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** The first problem found, if any. */
  problem?: { kind: 'altered' | 'inserted' | 'removed' | 'truncated'; seq: number | null; message: string };
}

/** Walks the whole chain in order; reports the first altered, inserted or removed entry. */
export async function verifyAudit(db: DB, keyring: Keyring, onProgress?: (done: number) => void): Promise<VerifyResult> {
  let expectedPrev = GENESIS;
  let count = 0;
  let lastSeq = 0;
  // A one-entry look-behind distinguishes an altered entry (its successor still links to its
  // stored hash) from an inserted one (its successor links to the entry before it).
  let suspect: { seq: number; storedHash: string; prevBefore: string } | undefined;
  for (;;) {
    const page = await db.selectFrom('audit_log').selectAll().where('seq', '>', lastSeq).orderBy('seq').limit(5000).execute();
    if (page.length === 0) break;
    for (const e of page) {
      const seq = Number(e.seq);
      if (suspect) {
        if (e.prev_hash === suspect.storedHash) {
          return { ok: false, entries: count, problem: { kind: 'altered', seq: suspect.seq, message: `entry ${suspect.seq} has been altered` } };
        }
        if (e.prev_hash === suspect.prevBefore) {
          return { ok: false, entries: count, problem: { kind: 'inserted', seq: suspect.seq, message: `entry ${suspect.seq} was inserted into the chain` } };
        }
        return { ok: false, entries: count, problem: { kind: 'altered', seq: suspect.seq, message: `entry ${suspect.seq} has been altered` } };
      }
      const computed = keyring.auditMac(e.prev_hash, canonicalEntry(e));
      if (computed !== e.hash) {
        suspect = { seq, storedHash: e.hash, prevBefore: expectedPrev };
        lastSeq = seq;
        continue;
      }
      if (e.prev_hash !== expectedPrev) {
        return { ok: false, entries: count, problem: { kind: 'removed', seq, message: `one or more entries before entry ${seq} have been removed` } };
      }
      expectedPrev = e.hash;
      count++;
      lastSeq = seq;
    }
    onProgress?.(count);
  }
  if (suspect) {
    return { ok: false, entries: count, problem: { kind: 'altered', seq: suspect.seq, message: `entry ${suspect.seq} (the last) has been altered or inserted` } };
  }
  const head = await readHead(db);
  if (count === 0 && !head) return { ok: true, entries: 0 };
  if (!head || head.mac !== headMac(keyring, head.hash, head.count)) {
    return { ok: false, entries: count, problem: { kind: 'truncated', seq: null, message: 'the chain head checkpoint is missing or has been altered' } };
  }
  if (head.hash !== expectedPrev || head.count !== count) {
    return {
      ok: false,
      entries: count,
      problem: { kind: 'truncated', seq: lastSeq, message: `the chain ends early: ${head.count - count} entr${head.count - count === 1 ? 'y was' : 'ies were'} removed after entry ${lastSeq}` },
    };
  }
  return { ok: true, entries: count };
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
  filter: { subjectId?: string; action?: string; after?: number; limit: number },
): Promise<{ entries: AuditEntry[]; next: number | null }> {
  let q = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(filter.limit + 1);
  if (filter.subjectId) q = q.where('subject_id', '=', filter.subjectId);
  if (filter.action) q = q.where('action', '=', filter.action);
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
