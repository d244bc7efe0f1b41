/**
 * A fresh database for a suite of CLI tests, reached by the child process through `--db`: on
 * SQLite the file in the data directory (no arguments), on PostgreSQL a throwaway schema named in
 * the URL, created and migrated here and dropped by `dispose`. `useCliWorkspace` adds the folder
 * the CLI runs in, for a whole suite.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { runCli, type CliResult } from './cli.js';
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

export interface CliWorkspace {
  /** The folder the CLI runs in; its data directory is `data` inside it. */
  dir: string;
  db: CliDatabase;
  /** Runs `steward` in `dir` on the workspace's data directory, declaration and database. */
  run(args: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
}

/**
 * A folder and a database for a suite of CLI tests, made before its tests and removed after them.
 * The object is returned at once and filled in before the first test. With `policy` every run
 * passes `--policy`; without it, a test passes its own.
 */
export function useCliWorkspace(kind: 'sqlite' | 'postgres', opts: { prefix: string; policy?: string }): CliWorkspace {
  const ws = {
    run: (args: string[], env: Record<string, string | undefined> = {}) =>
      runCli(['--data-dir', 'data', ...(opts.policy ? ['--policy', opts.policy] : []), ...ws.db.args, ...args], { cwd: ws.dir, env }),
  } as CliWorkspace;
  beforeAll(async () => {
    ws.dir = mkdtempSync(path.join(tmpdir(), `steward-${opts.prefix}-`));
    ws.db = await cliDatabase(kind, opts.prefix);
  });
  afterAll(async () => {
    await ws.db?.dispose();
    if (ws.dir) rmSync(ws.dir, { recursive: true, force: true });
  });
  return ws;
}
