/**
 * A fresh database for a suite of CLI tests, reached by the child process through `--db`: on
 * SQLite the file in the data directory (no arguments), on PostgreSQL a throwaway schema named in
 * the URL, created and migrated here and dropped by `dispose`.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.js';
import { postgresUrl } from './databases.js';

export interface CliDatabase {
  /** Arguments that point the CLI at it. */
  args: string[];
  dispose(): Promise<void>;
}

export async function cliDatabase(kind: 'sqlite' | 'postgres', prefix = 'cli'): Promise<CliDatabase> {
  if (kind === 'sqlite') return { args: [], dispose: async () => undefined };
  if (!postgresUrl) throw new Error('STEWARD_TEST_DATABASE_URL is not set');
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const url = `${postgresUrl}${postgresUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const admin = await openDatabase(postgresUrl, { migrate: false, poolSize: 1 });
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  // Opening migrates, with Kysely's bookkeeping kept in this schema (see migrate()).
  const d = await openDatabase(url, { poolSize: 1 });
  await d.close();
  return {
    args: ['--db', url],
    dispose: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    },
  };
}
