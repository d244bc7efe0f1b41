/**
 * Everything that differs between SQLite and PostgreSQL lives here, as capability flags and a few
 * operations. Services never ask which database they are on; they ask the adapter.
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export type DialectKind = 'sqlite' | 'postgres';

export interface DialectAdapter {
  readonly kind: DialectKind;
  /** Column type for binary data (ciphertext, hashes). */
  readonly binaryType: 'blob' | 'bytea';
  /** Column type for 64-bit integers (sequence numbers, sizes). */
  readonly bigintType: 'integer' | 'bigint';
  /** Auto-incrementing primary key column type. */
  readonly serialType: 'integer' | 'bigserial';
  /** Makes an id column (of `serialType`) the auto-numbered primary key. */
  identity(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /**
   * The isolation level that gives a read-only transaction one consistent snapshot; undefined
   * where every transaction already has one (SQLite in WAL mode).
   */
  readonly snapshotIsolation: 'repeatable read' | undefined;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParameters: number;
  /**
   * Called first in every transaction that writes personal data or the audit chain: takes the
   * write lock at once, so appends to the hash chain are serialised across processes and a
   * transaction never discovers half-way that another writer got in first.
   */
  lockForWrite(trx: Kysely<any>): Promise<void>;
  /**
   * Runs `fn` inside a transaction that holds the named lock, or returns `{ acquired: false }` at
   * once if another process holds it. Used by scheduled jobs so that several `steward serve`
   * instances sharing one database run each job once.
   */
  withJobLock<T>(db: Kysely<any>, name: string, fn: (trx: Kysely<any>) => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }>;
  /**
   * A number at least the table's row count, cheaply: SQLite's largest rowid (one index step;
   * deleted rows leave it higher than the count), PostgreSQL's count (worked out in the server).
   * For deciding whether to read a table whole or in parts, not for reporting.
   */
  rowsAtMost(db: Kysely<any>, table: string): Promise<number>;
  /**
   * After an erasure commits: makes sure the destroyed key is gone from the database's side files.
   * SQLite copies the WAL's pages into the database file and truncates the WAL (so the wrapped key
   * is not left in `-wal`); nothing on PostgreSQL, whose WAL Steward does not manage.
   */
  checkpoint(db: Kysely<any>): Promise<void>;
  /** Steward's own tables (not Kysely's migration bookkeeping), each with the tables it references. */
  listTables(db: Kysely<any>): Promise<Array<{ name: string; references: string[] }>>;
  /**
   * One page of a table's rows in storage order, after the position `after` (undefined: from the
   * start); `last` is the position to continue from. Run inside one snapshot for a consistent export.
   */
  pageRows(db: Kysely<any>, table: string, after: string | undefined, limit: number): Promise<{ rows: Array<Record<string, unknown>>; last: string | undefined }>;
  /** After rows were loaded with their own ids: moves the table's auto-numbering past them. */
  afterLoad(db: Kysely<any>, table: string): Promise<void>;
  /** Drops a table (restore --force clears the target first). */
  dropTable(db: Kysely<any>, table: string): Promise<void>;
}

/** A stable 31-bit key for a lock name (PostgreSQL advisory locks take integers). */
export function lockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x7fffffff;
}

export const sqliteAdapter: DialectAdapter = {
  kind: 'sqlite',
  snapshotIsolation: undefined,
  binaryType: 'blob',
  bigintType: 'integer',
  serialType: 'integer',
  identity: (c) => c.primaryKey().autoIncrement(),
  // SQLite's default SQLITE_MAX_VARIABLE_NUMBER is 32766 since 3.32.
  maxParameters: 32_000,
  async lockForWrite(trx) {
    // Any write statement makes SQLite take the RESERVED lock (waiting up to busy_timeout); doing
    // it first avoids SQLITE_BUSY_SNAPSHOT when a read-then-write transaction races another process.
    await sql`update key_state set value = value where name = 'write_lock'`.execute(trx);
  },
  async rowsAtMost(db, table) {
    const r = await sql<{ n: number | null }>`select max(rowid) as n from ${sql.table(table)}`.execute(db);
    return Number(r.rows[0]?.n ?? 0);
  },
  async withJobLock(db, _name, fn) {
    // One SQLite file has one writer at a time; a write transaction (BEGIN IMMEDIATE, taken by
    // Kysely's transaction on the single connection) already serialises jobs across processes
    // through SQLite's own file lock and busy timeout.
    const value = await db.transaction().execute((trx) => fn(trx));
    return { acquired: true, value };
  },
  async checkpoint(db) {
    // TRUNCATE: every frame copied back and the -wal file cut to zero bytes. A reader holding an
    // older snapshot (another process) can make it partial; the next checkpoint finishes it.
    await sql`pragma wal_checkpoint(truncate)`.execute(db);
  },
  async listTables(db) {
    const names = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name`.execute(db);
    const out: Array<{ name: string; references: string[] }> = [];
    for (const { name } of names.rows) {
      const fks = await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${name})`.execute(db);
      out.push({ name, references: [...new Set(fks.rows.map((r) => r.table))] });
    }
    return out;
  },
  async pageRows(db, table, after, limit) {
    const from = after === undefined ? sql`` : sql`where rowid > ${Number(after)}`;
    const r = await sql<Record<string, unknown>>`select rowid as "__pos", * from ${sql.table(table)} ${from} order by rowid limit ${limit}`.execute(db);
    return splitPosition(r.rows);
  },
  async afterLoad() {
    // AUTOINCREMENT's counter (sqlite_sequence) already follows the largest id inserted.
  },
  async dropTable(db, table) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  },
};

export const postgresAdapter: DialectAdapter = {
  kind: 'postgres',
  snapshotIsolation: 'repeatable read',
  binaryType: 'bytea',
  bigintType: 'bigint',
  serialType: 'bigserial',
  identity: (c) => c.primaryKey(),
  maxParameters: 65_000,
  async lockForWrite(trx) {
    await sql`select pg_advisory_xact_lock(${lockKey('steward-write')})`.execute(trx);
  },
  async rowsAtMost(db, table) {
    const r = await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    return Number(r.rows[0]?.n ?? 0);
  },
  async withJobLock(db, name, fn) {
    return db.transaction().execute(async (trx) => {
      // Transaction-scoped advisory lock: released automatically at commit or rollback, even if
      // the process dies, so a crashed instance never leaves a job locked.
      const got = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${lockKey(name)}) as locked`.execute(trx);
      if (!got.rows[0]?.locked) return { acquired: false as const };
      return { acquired: true as const, value: await fn(trx) };
    });
  },
  async checkpoint() {
    // The server's WAL and old row versions are PostgreSQL's to recycle (README: Backups).
  },
  async listTables(db) {
    const names = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'kysely_%' order by table_name`.execute(db);
    const fks = await sql<{ t: string; r: string }>`
      select c.relname as t, f.relname as r
      from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class f on f.oid = k.confrelid
      where k.contype = 'f' and k.connamespace = (select oid from pg_namespace where nspname = current_schema())`.execute(db);
    return names.rows.map(({ name }) => ({ name, references: [...new Set(fks.rows.filter((f) => f.t === name).map((f) => f.r))] }));
  },
  async pageRows(db, table, after, limit) {
    // ctid order: a TID range scan (PostgreSQL 14+), stable within the caller's snapshot.
    const r = await sql<Record<string, unknown>>`select ctid::text as "__pos", * from ${sql.table(table)} where ctid > ${after ?? '(0,0)'}::tid order by ctid limit ${limit}`.execute(db);
    return splitPosition(r.rows);
  },
  async afterLoad(db, table) {
    const cols = await sql<{ c: string }>`select column_name as c from information_schema.columns where table_schema = current_schema() and table_name = ${table} and column_default like 'nextval(%'`.execute(db);
    for (const { c } of cols.rows) {
      await sql`select setval(pg_get_serial_sequence(${table}, ${c}), coalesce((select max(${sql.ref(c)}) from ${sql.table(table)}), 0) + 1, false)`.execute(db);
    }
  },
  async dropTable(db, table) {
    await sql`drop table if exists ${sql.table(table)} cascade`.execute(db);
  },
};

function splitPosition(rows: Array<Record<string, unknown>>): { rows: Array<Record<string, unknown>>; last: string | undefined } {
  let last: string | undefined;
  const out = rows.map((r) => {
    const { __pos, ...rest } = r;
    last = String(__pos);
    return rest;
  });
  return { rows: out, last };
}
