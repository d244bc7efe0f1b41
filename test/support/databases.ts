/**
 * The databases every contract suite runs against: embedded SQLite always, and PostgreSQL when
 * STEWARD_TEST_DATABASE_URL names one. In CI PostgreSQL is mandatory: a suite that silently ran on
 * SQLite alone would hide half the product.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { migrate, openDatabase, type Database } from '../../src/db/database.js';

export interface TestDatabase extends Database {
  /** Drops the throwaway schema or deletes the temporary files. */
  dispose(): Promise<void>;
}

export const postgresUrl = process.env.STEWARD_TEST_DATABASE_URL;

if (!postgresUrl && process.env.CI) {
  throw new Error('STEWARD_TEST_DATABASE_URL must be set in CI: the suite runs on SQLite and PostgreSQL');
}

export const dialects: Array<'sqlite' | 'postgres'> = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

/** A fresh database; `migrateTo` stops its schema at that migration (to test a later one on data of an earlier format). */
export async function createTestDatabase(kind: 'sqlite' | 'postgres', opts: { migrateTo?: string } = {}): Promise<TestDatabase> {
  const upTo = async (database: Database): Promise<Database> => {
    if (opts.migrateTo) await migrate(database, { to: opts.migrateTo });
    return database;
  };
  const migrateNow = opts.migrateTo ? { migrate: false } : {};
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-test-'));
    const database = await upTo(await openDatabase(`sqlite:${path.join(dir, 'test.sqlite')}`, migrateNow));
    return {
      ...database,
      dispose: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!postgresUrl) throw new Error('no PostgreSQL test database configured');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const database = await upTo(await openDatabase(postgresUrl, { schema, poolSize: 4, ...migrateNow }));
  return {
    ...database,
    // The schema of a test database: the real search path, for tests that need a raw connection.
    dispose: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}
