/**
 * `steward backup` and `steward restore`: a logical export of every Steward table, read in one
 * consistent snapshot while the server keeps running, sealed under the current key-encryption-key
 * epoch (backup.format.ts); and its restore into an empty database of either kind, followed by
 * every erasure the ledger file records, so a restore never brings an erased person back.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { appendAudit, readVerifiedHead, RESTORE_ACTION, type RestoreAuditDetails } from '../audit/audit.service.js';
import { AuditWitness } from '../audit/audit.witness.js';
import type { Actor } from '../auth/roles.js';
import type { KekProvider } from '../crypto/kek.js';
import { migrate, type Database } from '../db/database.js';
import { migrationNames } from '../db/migrations/index.js';
import type { Tables } from '../db/tables.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { Keyring } from '../crypto/keyring.js';
import { eraseSubject } from '../register/register.service.js';
import { deleteRecordRows, presentRecords } from '../register/register.repository.js';
import { liveSubjectIds } from '../register/register.queries.js';
import type { Clock } from '../shared/clock.js';
import { isStewardError, StewardError } from '../shared/errors.js';
import { BackupWriter, decodeValue, encodeValue, readBackupHeader, readBackupLines, type BackupHeader } from './backup.format.js';
import { afterErasure, mirrorLedger, readLedgerFile, type LedgerEntry } from './erasure-ledger.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

const PAGE = 2000;
const MIGRATION_TABLES = ['kysely_migration_lock', 'kysely_migration'];

export type Progress = (message: string) => void;

/** Tables so that each comes after every table it references (foreign keys load in order). */
export function dependencyOrder(tables: ReadonlyArray<{ name: string; references: string[] }>): string[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done' || s === 'visiting') return; // a cycle (or a self-reference) is loaded in row order
    state.set(name, 'visiting');
    for (const r of byName.get(name)?.references ?? []) if (byName.has(r) && r !== name) visit(r);
    state.set(name, 'done');
    out.push(name);
  };
  for (const t of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(t.name);
  return out;
}

async function appliedMigrations(db: Kysely<any>): Promise<string[]> {
  const r = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return r.rows.map((x) => x.name);
}

export interface BackupResult {
  file: string;
  epoch: number;
  createdAt: string;
  tables: Array<{ name: string; rows: number }>;
  rows: number;
}

/**
 * Writes a backup of the whole database to `out` (written beside it under a temporary name,
 * mode 0600, and renamed into place only once complete). The erasure ledger is mirrored to its
 * file first: a backup is never newer than the ledger that must outlive it.
 */
export async function createBackup(
  ctx: AppContext,
  actor: Actor,
  out: string,
  opts: { onProgress?: Progress } = {},
): Promise<BackupResult> {
  await mirrorLedger(ctx);
  const { version: epoch, key } = await ctx.keyring.provider.current();
  const createdAt = ctx.clock.now().toISOString();
  const { db, adapter } = ctx.database;
  await mkdir(dirname(out), { recursive: true, mode: 0o700 });
  const tmp = `${out}.${randomBytes(6).toString('hex')}.partial`;
  const fh = await open(tmp, 'wx', 0o600);
  let result: BackupResult;
  try {
    await fh.chmod(0o600);
    const tx = db.transaction();
    // One snapshot for every table: PostgreSQL repeatable read, SQLite a read transaction in WAL
    // mode. Writers carry on meanwhile; the backup sees none of their changes.
    result = await (adapter.snapshotIsolation ? tx.setIsolationLevel(adapter.snapshotIsolation) : tx).execute(async (trx) => {
      const order = dependencyOrder(await adapter.listTables(trx));
      const tables: Array<{ name: string; rows: number }> = [];
      for (const name of order) {
        const n = await trx.selectFrom(name as keyof Tables).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        tables.push({ name, rows: Number(n.n) });
      }
      const migrations = await appliedMigrations(trx);
      const writer = await BackupWriter.start(fh, key, { epoch, createdAt, source: adapter.kind, migrations, tables });
      let total = 0;
      for (const t of tables) {
        await writer.line({ table: t.name });
        let after: string | undefined;
        let columns: string[] | undefined;
        let done = 0;
        for (;;) {
          const page = await adapter.pageRows(trx, t.name, after, PAGE);
          if (page.rows.length === 0) break;
          if (!columns) {
            columns = Object.keys(page.rows[0]!);
            await writer.line({ columns });
          }
          for (const row of page.rows) await writer.line(columns.map((c) => encodeValue(row[c])));
          done += page.rows.length;
          after = page.last;
          if (t.rows >= 10 * PAGE && done % (10 * PAGE) === 0) opts.onProgress?.(`${t.name}: ${done}/${t.rows} rows`);
        }
        if (done !== t.rows) throw new StewardError('INTERNAL', `table ${t.name} changed during the backup's snapshot (${done} rows read, ${t.rows} counted)`);
        total += done;
        opts.onProgress?.(`${t.name}: ${done} rows`);
      }
      await writer.line({ end: true, rows: total });
      await writer.finish();
      return { file: out, epoch, createdAt, tables, rows: total };
    });
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, out);
  await writeTx(ctx, (trx) => appendAudit(trx, ctx, actor, [{ action: 'backup.create', details: { epoch, rows: result.rows, tables: result.tables.length } }]));
  return result;
}

export interface RestoreOptions {
  file: string;
  database: Database;
  provider: KekProvider;
  policy: LoadedPolicy;
  clock: Clock;
  /** The running configuration and mailer, for the context the restore re-applies erasures in. */
  config: AppContext['config'];
  mailer: AppContext['mailer'];
  actor: Actor;
  /** The erasure ledger's file: every erasure in it is applied again after loading. */
  erasureLedgerFile: string;
  /**
   * The data folder whose audit witness file follows this database: the restore replaces the
   * witness with the restored chain's head (and records the head it replaced in the chain).
   */
  witnessDir?: string;
  force?: boolean;
  onProgress?: Progress;
}

export interface RestoreResult {
  epoch: number;
  createdAt: string;
  source: string;
  rows: number;
  reapplied: { subjects: number; records: number; entries: number };
  /** What the restore's audit entry records about the chain it replaced. */
  audit: RestoreAuditDetails;
}

/** Opens a backup's header and the key of its epoch; the errors name what is wrong. */
async function openBackup(file: string, provider: KekProvider) {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new StewardError('CONFIG_INVALID', `cannot read the backup file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const opened = await readBackupHeader(fh);
    const epoch = opened.header.epoch;
    const held = provider.epochs ? (await provider.epochs()).map((e) => e.version) : undefined;
    if (held && !held.includes(epoch)) {
      throw new StewardError(
        'BACKUP_KEY_RETIRED',
        `The backup was sealed under key-encryption key version ${epoch}, which ${provider.id} no longer holds (held: ${held.join(', ')}): ` +
          'that epoch was retired after the backup retention period, or this is another installation\'s key file. It cannot be opened.',
      );
    }
    const kek = await provider.get(epoch);
    return { fh, opened, kek };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Reads a backup's header without loading anything: `steward restore --check`. */
export async function inspectBackup(file: string, provider: KekProvider): Promise<BackupHeader> {
  const { fh, opened, kek } = await openBackup(file, provider);
  try {
    for await (const _ of readBackupLines(opened, kek)) void _;
    return opened.header;
  } finally {
    await fh.close();
  }
}

/**
 * Restores a backup into `opts.database`, which must hold no data (or `force`): its tables are
 * dropped, the schema built as the backup had it, the rows loaded in one transaction (a damaged
 * or truncated file loads nothing), the schema migrated to this version, and then every erasure
 * in the ledger file applied again through the register.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const { database, onProgress } = opts;
  const { db, adapter } = database;
  const { fh, opened, kek } = await openBackup(opts.file, opts.provider);
  const header = opened.header;
  let rows = 0;
  try {
    const known = new Set(migrationNames());
    const unknown = header.migrations.filter((m) => !known.has(m));
    if (unknown.length > 0 || header.migrations.length === 0) {
      throw new StewardError('BACKUP_UNSUPPORTED', `The backup was made by a newer Steward (its schema has ${unknown.length} migrations this version does not know): restore it with that version.`);
    }
    const existing = await adapter.listTables(db);
    for (const t of existing) {
      if (t.name === 'key_state') continue; // a new installation's own keys: replaced by the backup's
      const n = await db.selectFrom(t.name as keyof Tables).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(n.n) > 0 && !opts.force) {
        throw new StewardError('RESTORE_TARGET_NOT_EMPTY', `The database ${database.description} already holds data (table ${t.name}): restore into an empty database, or add --force to replace everything in it.`);
      }
    }
    for (const name of dependencyOrder(existing).reverse()) await adapter.dropTable(db, name);
    for (const name of MIGRATION_TABLES) await adapter.dropTable(db, name);
    await migrate(database, { to: header.migrations[header.migrations.length - 1]! });
    onProgress?.(`restoring a backup of ${header.createdAt} (${header.source}, key epoch ${header.epoch})`);
    const expected = new Map(header.tables.map((t) => [t.name, t.rows]));
    await db.transaction().execute(async (trx) => {
      let table: string | undefined;
      let columns: string[] = [];
      let batch: unknown[][] = [];
      let loaded = 0;
      let ended = false;
      const flush = async () => {
        if (!table || batch.length === 0) return;
        const values = batch.map((r) => Object.fromEntries(columns.map((c, i) => [c, decodeValue(r[i])])));
        await trx.insertInto(table as keyof Tables).values(values as never).execute();
        batch = [];
      };
      const close = async () => {
        if (!table) return;
        await flush();
        await adapter.afterLoad(trx, table);
        if (loaded !== expected.get(table)) throw new StewardError('BACKUP_CORRUPT', `The backup file is damaged: table ${table} holds ${loaded} rows, its header says ${String(expected.get(table))}.`);
        onProgress?.(`${table}: ${loaded} rows`);
      };
      const perBatch = (n: number) => Math.max(1, Math.min(1000, Math.floor(adapter.maxParameters / Math.max(1, n))));
      for await (const line of readBackupLines(opened, kek)) {
        if (ended) throw new StewardError('BACKUP_CORRUPT', 'The backup file is damaged: it has lines after its end.');
        if (Array.isArray(line)) {
          if (!table || line.length !== columns.length) throw new StewardError('BACKUP_CORRUPT', 'The backup file is damaged: a row does not fit its table.');
          batch.push(line);
          loaded++;
          rows++;
          if (batch.length >= perBatch(columns.length)) await flush();
          if (loaded % 20_000 === 0) onProgress?.(`${table}: ${loaded}/${String(expected.get(table))} rows`);
        } else if (typeof line.table === 'string') {
          await close();
          if (!expected.has(line.table)) throw new StewardError('BACKUP_CORRUPT', 'The backup file is damaged: it names a table its header does not list.');
          table = line.table;
          columns = [];
          loaded = 0;
          // Rows a migration seeded (e.g. the write-lock row) are replaced by the backup's own.
          await trx.deleteFrom(table as keyof Tables).execute();
        } else if (Array.isArray(line.columns)) {
          columns = line.columns.map(String);
        } else if (line.end === true) {
          await close();
          if (line.rows !== rows) throw new StewardError('BACKUP_CORRUPT', 'The backup file is damaged: its row count does not match.');
          ended = true;
        }
      }
      if (!ended) throw new StewardError('BACKUP_CORRUPT', 'The backup file is damaged: its end marker is missing.');
    });
  } finally {
    await fh.close();
  }
  await migrate(database);
  let keyring: Keyring;
  try {
    keyring = await Keyring.open(db, opts.provider);
  } catch (e) {
    if (isStewardError(e) && e.code === 'CONFIG_INVALID') throw new StewardError('BACKUP_WRONG_KEY', `The restored database's keys do not open with ${opts.provider.id}: ${e.message}`);
    throw e;
  }
  const ctx: AppContext = { config: opts.config, mailer: opts.mailer, database, keyring, policy: opts.policy, clock: opts.clock, erasureLedgerFile: opts.erasureLedgerFile };
  // The chain is now the backup's: anchors kept outside the database may record a newer head.
  const restoredEntries = (await readVerifiedHead(db, keyring))?.count ?? 0;
  const witness = opts.witnessDir ? new AuditWitness(opts.witnessDir, keyring, opts.clock) : undefined;
  const previous = witness ? await witness.read() : undefined;
  const audit: RestoreAuditDetails = {
    restoredEntries,
    supersededWitness: previous?.state === 'ok' ? { count: previous.anchor.count, hash: previous.anchor.hash, at: previous.at } : null,
  };
  if (!existsSync(opts.erasureLedgerFile)) {
    onProgress?.(`warning: no erasure ledger at ${opts.erasureLedgerFile}: erasures made after the backup cannot be re-applied (copy it here from the installation's data folder and restore again with --force)`);
  }
  const reapplied = await reapplyErasures(ctx, opts.actor, await readLedgerFile(opts.erasureLedgerFile, keyring));
  onProgress?.(`re-applied ${reapplied.subjects} erasures of people and ${reapplied.records} of records from the erasure ledger`);
  await writeTx(ctx, (trx) =>
    appendAudit(trx, ctx, opts.actor, [{ action: RESTORE_ACTION, details: { epoch: header.epoch, takenAt: header.createdAt, source: header.source, rows, reapplied, ...audit } }]),
  );
  // A new anchor for the restored chain. `audit verify` accepts older anchors (this witness as it
  // was, checkpoints mailed before) only beyond `restoredEntries` and only because the entry just
  // written, MACed under the chain's key, says a restore replaced them.
  const head = await readVerifiedHead(db, keyring);
  if (witness && head) await witness.replace(head);
  await afterErasure(ctx);
  return { epoch: header.epoch, createdAt: header.createdAt, source: header.source, rows, reapplied, audit };
}

/**
 * Applies again every erasure of the ledger that the restored database does not reflect: people
 * through the register's own erasure (key destroyed, suppression list, audit entry), records
 * deleted in one audited transaction. The ledger's own rows are then completed from the file.
 */
export async function reapplyErasures(ctx: AppContext, actor: Actor, entries: readonly LedgerEntry[]): Promise<{ subjects: number; records: number; entries: number }> {
  const db = ctx.database.db;
  const subjectIds = [...new Set(entries.filter((e) => e.kind === 'subject').map((e) => e.target))];
  const recordIds = [...new Set(entries.filter((e) => e.kind === 'record').map((e) => e.target))];
  let subjects = 0;
  const live = await liveSubjectIds(db, subjectIds);
  for (const id of subjectIds.filter((s) => live.has(s))) {
    await eraseSubject(ctx, actor, id, 'restore: erased after the backup was taken', { ledgerReason: 'restore' });
    subjects++;
  }
  const present = await presentRecords(db, recordIds);
  if (present.length > 0) {
    const now = ctx.clock.now().toISOString();
    await writeTx(ctx, async (trx) => {
      await deleteRecordRows(trx, present.map((r) => r.id), { now, reason: 'restore' });
      await appendAudit(trx, ctx, actor, [{ action: 'backup.restore.records', details: { records: present.length, subjects: new Set(present.map((r) => r.subjectId)).size } }]);
    });
  }
  // The ledger table of the restored database gains the entries made after its backup.
  const known = new Set<string>();
  const ids = entries.map((e) => e.id);
  for (let i = 0; i < ids.length; i += 1000) {
    for (const r of await db.selectFrom('erasure_ledger').select('id').where('id', 'in', ids.slice(i, i + 1000)).execute()) known.add(r.id);
  }
  const missing = entries.filter((e) => !known.has(e.id));
  const mirroredAt = ctx.clock.now().toISOString();
  for (let i = 0; i < missing.length; i += 1000) {
    await db
      .insertInto('erasure_ledger')
      .values(missing.slice(i, i + 1000).map((e) => ({ id: e.id, kind: e.kind, target_id: e.target, erased_at: e.at, reason: e.reason, mirrored_at: mirroredAt })))
      .execute();
  }
  return { subjects, records: present.length, entries: entries.length };
}
