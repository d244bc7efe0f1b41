/**
 * Retention: life events, legal holds, periodic review decisions, and the anonymous statistics
 * that anonymisation keeps.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('life_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_on', 'text', (c) => c.notNull())
    .addColumn('relationship', 'text')
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('life_events_by_subject').on('life_events').columns(['subject_id', 'type']).execute();
  // A run starts from the events old enough to make something due.
  await db.schema.createIndex('life_events_by_type').on('life_events').columns(['type', 'occurred_on']).execute();

  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.references('subjects.id').onDelete('cascade'))
    .addColumn('relationship', 'text')
    .addColumn('category', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('placed_by', 'text', (c) => c.notNull())
    .addColumn('placed_at', 'text', (c) => c.notNull())
    .addColumn('review_on', 'text', (c) => c.notNull())
    .addColumn('expires_on', 'text')
    .addColumn('released_at', 'text')
    .addColumn('released_by', 'text')
    .addColumn('release_reason', 'text')
    .execute();
  await db.schema.createIndex('legal_holds_active').on('legal_holds').columns(['released_at', 'subject_id']).execute();

  await db.schema
    .createTable('retention_reviews')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id').onDelete('cascade'))
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text', (c) => c.notNull())
    .addColumn('next_review_on', 'text')
    .execute();
  await db.schema.createIndex('retention_reviews_by_subject').on('retention_reviews').columns(['subject_id', 'rule', 'decided_at']).execute();

  await db.schema
    .createTable('retention_statistics')
    .addColumn('id', a.serialType, (c) => a.identity(c))
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('anonymised_in', 'text', (c) => c.notNull())
    .addColumn('record_count', 'integer', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('retention_statistics_by_rule').on('retention_statistics').columns(['rule', 'anonymised_in']).execute();
}
