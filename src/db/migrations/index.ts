/**
 * The migrations: every file in this folder named `YYYYMMDD_NNNN_what.ts`, applied in name order.
 * One change per file, written once with Kysely's schema builder and the adapter's column types,
 * so the same file serves both databases. Features add a file here; nothing else to register.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export interface StewardMigration {
  up(db: Kysely<any>, adapter: DialectAdapter): Promise<void>;
}

const MIGRATION_FILE = /^(\d{8}_\d{4}_[a-z0-9_]+)\.(ts|js)$/;

export function migrationNames(): string[] {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  return readdirSync(dir)
    .map((f) => MIGRATION_FILE.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

export async function loadMigrations(): Promise<Record<string, StewardMigration>> {
  const out: Record<string, StewardMigration> = {};
  for (const name of migrationNames()) {
    out[name] = (await import(`./${name}.js`)) as StewardMigration;
  }
  return out;
}
