/**
 * Opens the database named by a URL — `sqlite:/path/file.sqlite` (embedded, the default) or
 * `postgres://…` — and brings its schema up to date.
 */
import { closeSync, fchmodSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { redactUrl } from '../config/config.js';
import { StewardError } from '../shared/errors.js';
import { postgresAdapter, sqliteAdapter, type DialectAdapter } from './adapter.js';
import { loadMigrations } from './migrations/index.js';
import type { Tables } from './tables.js';

export type DB = Kysely<Tables>;

export interface Database {
  db: DB;
  adapter: DialectAdapter;
  /** The URL without its password, for messages. */
  description: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL only: use (and create) this schema instead of `public`. Tests use a fresh one each. */
  schema?: string;
  /** Run pending migrations (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

// PostgreSQL returns int8 (counts, bigserial ids) as strings by default; our ids and counts fit
// comfortably in a double, so parse them as numbers once, here.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * Kysely prepares every query afresh; with better-sqlite3 a prepared statement can be reused, and
 * preparing is a large share of a small query's cost. Keep the most recent statements by SQL
 * text (queries are parameterised, so the set of texts is small). SQLite re-prepares a cached
 * statement by itself if the schema changes under it.
 */
function cachePreparedStatements(handle: SQLite.Database, max = 500): void {
  const prepare = handle.prepare.bind(handle);
  const cache = new Map<string, SQLite.Statement>();
  handle.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (stmt) {
      // Move to the back: the map's order is its recency.
      cache.delete(source);
    } else {
      stmt = prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, stmt);
    return stmt;
  }) as typeof handle.prepare;
}

/** SQLite's page cache per connection, in KiB. */
export const SQLITE_CACHE_KIB = 64 * 1024;
/** How much of the SQLite file is read through a memory map. */
export const SQLITE_MMAP_BYTES = 4 * 1024 ** 3;

/**
 * Refuses a database file, or the folder holding it, that group or others may use: the file holds
 * password hashes, wrapped keys and the breach register. Like the key file (crypto/kek.ts).
 */
function assertPrivatePath(what: string, target: string, st: Stats): void {
  if (process.platform === 'win32') return; // POSIX modes do not describe Windows ACLs
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const fix = st.isDirectory() ? `chmod 700 ${target}` : `chmod 600 ${target}`;
  throw new StewardError(
    'CONFIG_INVALID',
    `The SQLite ${what} ${target} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); ` +
      `it holds password hashes and encrypted personal data, so Steward will not use it. Fix: ${fix}`,
    [{ path: target, message: `mode ${mode.toString(8).padStart(4, '0')}` }],
  );
}

const sqliteCompanions = (file: string): string[] => [file, `${file}-wal`, `${file}-shm`];

function assertPrivateSqliteFiles(file: string): void {
  for (const f of sqliteCompanions(file)) {
    let st: Stats;
    try {
      st = statSync(f);
    } catch {
      continue; // -wal and -shm come and go
    }
    assertPrivatePath('database file', f, st);
  }
}

/**
 * The folder (0700) and an empty database file (0600) are made before SQLite opens it: SQLite
 * creates its -wal and -shm files with the main file's permissions, so all three stay private
 * whatever the umask.
 */
function preparePrivateSqlite(file: string): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertPrivatePath('folder', dir, statSync(dir));
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StewardError('CONFIG_INVALID', `cannot create the SQLite database ${file}: ${(e as Error).message}`);
  }
  assertPrivateSqliteFiles(file);
}

function openSqlite(file: string): Database {
  if (file !== ':memory:') preparePrivateSqlite(file);
  let handle: SQLite.Database;
  try {
    handle = new SQLite(file);
  } catch (e) {
    throw new StewardError('CONFIG_INVALID', `cannot open the SQLite database ${file}: ${(e as Error).message}`);
  }
  // WAL: readers never block the writer, and a crash never leaves a half-written page.
  handle.pragma('journal_mode = WAL');
  if (file !== ':memory:') {
    try {
      assertPrivateSqliteFiles(file);
    } catch (e) {
      handle.close();
      throw e;
    }
  }
  handle.pragma('synchronous = NORMAL');
  handle.pragma('foreign_keys = ON');
  // Another process (a CLI command beside the server) may hold the write lock briefly.
  handle.pragma('busy_timeout = 5000');
  // SQLite's default page cache is 2 MiB: with a register of a million people, nearly every
  // lookup then reads its index pages from the OS again. 64 MiB (allocated only as pages are used)
  // holds the hot upper levels of every index and cut a lookup among 1M from ~250 to ~65 µs here.
  handle.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  // Reads through a memory map: a page the OS already caches costs no read() call and no copy.
  // It roughly halved a random lookup among 1M people (50 → 18 µs in the statement). Mapped
  // pages count in the process's RSS but are the OS's file cache, shared and reclaimable.
  handle.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
  cachePreparedStatements(handle);
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: handle }) });
  return { db, adapter: sqliteAdapter, description: `sqlite:${file}`, close: () => db.destroy() };
}

function openPostgres(url: string, opts: OpenOptions): Database {
  const schema = opts.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new StewardError('CONFIG_INVALID', `invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return { db, adapter: postgresAdapter, description: redactUrl(url), close: () => db.destroy() };
}

/**
 * Brings the schema up to date, or only up to the migration `opts.to` (a restore builds the schema
 * its backup was taken with, loads it, then migrates the rest of the way).
 */
export async function migrate(database: Database, opts: { to?: string } = {}): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(Object.entries(loadMigrations()).map(([name, m]) => [name, { up: (db: Kysely<any>) => m.up(db, database.adapter) }])),
  };
  // Kysely looks for its bookkeeping tables in any schema on the search path unless told which:
  // name the current one, so databases in separate schemas (tests, several tenants) never share it.
  const schema =
    database.adapter.kind === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(database.db)).rows[0]?.s : undefined;
  const migrator = new Migrator({ db: database.db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = opts.to ? await migrator.migrateTo(opts.to) : await migrator.migrateToLatest();
  if (error) {
    throw new StewardError('INTERNAL', `database migration failed: ${(error as Error).message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function openDatabase(url: string, opts: OpenOptions = {}): Promise<Database> {
  let database: Database;
  if (url.startsWith('sqlite:')) {
    database = openSqlite(url.slice('sqlite:'.length));
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    database = openPostgres(url, opts);
    try {
      if (opts.schema) await sql`create schema if not exists ${sql.id(opts.schema)}`.execute(database.db);
      else await sql`select 1`.execute(database.db);
    } catch (e) {
      await database.close().catch(() => undefined);
      throw new StewardError('CONFIG_INVALID', `cannot connect to ${redactUrl(url)}: ${(e as Error).message}`);
    }
  } else {
    throw new StewardError('CONFIG_INVALID', `unsupported database URL ${redactUrl(url)}: use sqlite:FILE or postgres://…`);
  }
  if (opts.migrate !== false) {
    try {
      await migrate(database);
    } catch (e) {
      await database.close().catch(() => undefined);
      throw e;
    }
  }
  return database;
}
