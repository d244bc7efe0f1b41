/**
 * The ordered list of migrations. One change per file, named by date; written once with Kysely's
 * schema builder and the adapter's column types, so the same file serves both databases.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';
import * as m0001 from './20261121_0001_policy_versions.js';
import * as m0002 from './20261121_0002_register.js';

export interface StewardMigration {
  up(db: Kysely<any>, adapter: DialectAdapter): Promise<void>;
}

export const migrations: Record<string, StewardMigration> = {
  '20261121_0001_policy_versions': m0001,
  '20261121_0002_register': m0002,
};
