/**
 * Rate-limit counters shared by every instance on the database: one row per limited key (a keyed
 * hash of an address, an account or both, never the value itself), with a fixed window's start and
 * its count. Rows are small and pruned once their window is long past.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_limits_window').on('rate_limits').column('window_start').execute();
}
