/**
 * Life events that wait for a privacy officer: an event recorded by someone who cannot erase,
 * back-dated far enough to make retention delete at once, is "pending" until approved (or
 * "rejected"); a recent one is pending until `pending_until` has passed, so the officer has days
 * to see it in the plan. Existing events were all acted on already: they stay "active".
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('life_events').addColumn('status', 'text', (c) => c.notNull().defaultTo('active')).execute();
  await db.schema.alterTable('life_events').addColumn('pending_until', 'text').execute();
  await db.schema.alterTable('life_events').addColumn('reviewed_by', 'text').execute();
  await db.schema.alterTable('life_events').addColumn('reviewed_at', 'text').execute();
  await db.schema.createIndex('life_events_status').on('life_events').column('status').execute();
}
