/**
 * A database a CLI command or openRuntime can reach by URL alone: a SQLite file in the data folder,
 * or a fresh PostgreSQL schema named in the URL's search path.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.js';
import { postgresUrl } from './databases.js';

export interface UrlDatabase {
  url: string;
  dispose(): Promise<void>;
}

export async function urlDatabase(kind: 'sqlite' | 'postgres', dataDir: string): Promise<UrlDatabase> {
  if (kind === 'sqlite') return { url: `sqlite:${path.join(dataDir, 'steward.sqlite')}`, dispose: async () => undefined };
  const schema = `cli_${randomBytes(6).toString('hex')}`;
  const admin = await openDatabase(postgresUrl!, { schema, poolSize: 1, migrate: false });
  return {
    url: `${postgresUrl}${postgresUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    dispose: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    },
  };
}
