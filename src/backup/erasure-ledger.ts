/**
 * The erasure ledger. Every erasure — a person (their data key destroyed) or a single record —
 * writes an entry in the same transaction as the erasure itself: a random id, the erased
 * subject's or record's id (random, never personal data), the time and a reason code. After the
 * transaction commits, entries are appended to a file outside the database (`steward.erasures`
 * beside the key file, mode 0600), so that restoring an old backup still sees the erasures made
 * since: `steward restore` re-applies every entry of that file.
 *
 * Each line carries a MAC under a key derived from the installation's keys, so an edited or
 * invented line is refused rather than applied.
 */
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Tables } from '../db/tables.js';
import type { Keyring } from '../crypto/keyring.js';
import { emptyPacksOfSubjects } from '../requests/requests.store.js';
import { forgetRetentionFacts } from '../retention/retention.forget.js';
import { StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import './backup.tables.js';

/** The ledger file's name, in the data folder beside the key file. */
export const LEDGER_FILE = 'steward.erasures';

/** Why something was erased: a code, never free text. */
export const ERASURE_REASONS = ['register-delete', 'record-delete', 'retention', 'review', 'rights-request', 'objection', 'restore'] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

export type ErasureKind = 'subject' | 'record';

export interface LedgerEntry {
  id: string;
  kind: ErasureKind;
  target: string;
  at: string;
  reason: ErasureReason;
}

export interface ErasureContext {
  database: Database;
  keyring: Keyring;
  /** Where the ledger is mirrored outside the database; without it, only the table is written. */
  erasureLedgerFile?: string | undefined;
}

const CHUNK = 2000;

/**
 * Writes ledger entries for erasures made in `trx` (call it inside the erasing transaction). For
 * erased people it also removes what other features hold only about them: their access packs (a
 * pack is a copy of their data under the request's own key, which destroying the person's key
 * would not reach), and the life events and review decisions kept to time their data.
 */
export async function recordErasures(trx: Kysely<Tables>, kind: ErasureKind, ids: readonly string[], reason: ErasureReason, now: string): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    await trx
      .insertInto('erasure_ledger')
      .values(chunk.map((target) => ({ id: newId(), kind, target_id: target, erased_at: now, reason, mirrored_at: null })))
      .execute();
    if (kind === 'subject') {
      await emptyPacksOfSubjects(trx, chunk);
      await forgetRetentionFacts(trx, chunk);
    }
  }
}

const macInput = (e: LedgerEntry): string => [e.id, e.kind, e.target, e.at, e.reason].join('|');

export function ledgerLine(keyring: Keyring, e: LedgerEntry): string {
  return `${JSON.stringify({ ...e, mac: keyring.linkMac('erasure-ledger', macInput(e)) })}\n`;
}

/**
 * Appends the entries not yet in the ledger file to it (fsync'd before they are marked), so the
 * file holds every committed erasure. Safe to run from several processes at once: an entry
 * appended twice is read once.
 */
export async function mirrorLedger(ctx: ErasureContext): Promise<{ appended: number }> {
  const file = ctx.erasureLedgerFile;
  if (!file) return { appended: 0 };
  const db = ctx.database.db;
  let appended = 0;
  for (;;) {
    const rows = await db.selectFrom('erasure_ledger').selectAll().where('mirrored_at', 'is', null).orderBy('erased_at').orderBy('id').limit(5000).execute();
    if (rows.length === 0) break;
    const text = rows
      .map((r) => ledgerLine(ctx.keyring, { id: r.id, kind: r.kind as ErasureKind, target: r.target_id, at: r.erased_at, reason: r.reason as ErasureReason }))
      .join('');
    await appendPrivate(file, text);
    const now = new Date().toISOString();
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .updateTable('erasure_ledger')
        .set({ mirrored_at: now })
        .where('id', 'in', rows.slice(i, i + 500).map((r) => r.id))
        .execute();
    }
    appended += rows.length;
  }
  return { appended };
}

async function appendPrivate(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const fh = await open(file, 'a', 0o600);
  try {
    assertPrivate(file, (await fh.stat()).mode);
    // One write per batch, in append mode: concurrent writers never interleave inside a line.
    await fh.write(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function assertPrivate(file: string, mode: number): void {
  if (process.platform === 'win32') return;
  if ((mode & 0o077) !== 0) {
    throw new StewardError('CONFIG_INVALID', `The erasure ledger ${file} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}). Fix: chmod 600 ${file}`);
  }
}

/**
 * What an erasure leaves to do once it has committed: the ledger mirrored to its file, and the
 * database's write-ahead log checkpointed so the destroyed key's old page is not left in it.
 * Never throws (the erasure itself is done): what fails now is retried by the next erasure, by
 * the scheduled job and by `steward backup`, which refuses to run until it succeeds.
 */
export async function afterErasure(ctx: ErasureContext): Promise<void> {
  await mirrorLedger(ctx).catch(() => undefined);
  await ctx.database.adapter.checkpoint(ctx.database.db).catch(() => undefined);
}

/** Reads the ledger file: every entry, each line's MAC checked; an absent file is an empty ledger. */
export async function readLedgerFile(file: string, keyring: Keyring): Promise<LedgerEntry[]> {
  let text: string;
  try {
    assertPrivate(file, (await stat(file)).mode);
    const fh = await open(file, 'r');
    try {
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const seen = new Map<string, LedgerEntry>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    const bad = (why: string) =>
      new StewardError('LEDGER_INVALID', `The erasure ledger ${file} line ${i + 1} ${why}; it was not written by this installation or was altered. Nothing was restored past this point.`);
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // A crash can leave a torn last line: it was never marked as mirrored, so it is rewritten whole.
      if (i === lines.length - 1) return;
      throw bad('is not JSON');
    }
    const e: LedgerEntry = { id: String(o.id), kind: o.kind as ErasureKind, target: String(o.target), at: String(o.at), reason: o.reason as ErasureReason };
    if ((e.kind !== 'subject' && e.kind !== 'record') || !ERASURE_REASONS.includes(e.reason)) throw bad('has an unknown kind or reason');
    if (typeof o.mac !== 'string' || o.mac !== keyring.linkMac('erasure-ledger', macInput(e))) throw bad('does not carry a valid MAC');
    seen.set(e.id, e);
  });
  return [...seen.values()];
}
