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
};
