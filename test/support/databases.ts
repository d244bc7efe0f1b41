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
import { openDatabase, type Database } from '../../src/db/database.js';

export interface TestDatabase extends Database {
  /** Drops the throwaway schema or deletes the temporary files. */
  dispose(): Promise<void>;
}

export const postgresUrl = process.env.STEWARD_TEST_DATABASE_URL;

if (!postgresUrl && process.env.CI) {
  throw new Error('STEWARD_TEST_DATABASE_URL must be set in CI: the suite runs on SQLite and PostgreSQL');
}

export const dialects: Array<'sqlite' | 'postgres'> = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite'];

export async function createTestDatabase(kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-test-'));
    const database = await openDatabase(`sqlite:${path.join(dir, 'test.sqlite')}`);
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
  const database = await openDatabase(postgresUrl, { schema, poolSize: 4 });
  return {
    ...database,
    // The schema of a test database: the real search path, for tests that need a raw connection.
    dispose: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}
