/**
 * The breach register: breaches, their append-only events (encrypted), the people affected,
 * per-person notification results, and the reminders sent as the 72 hours run out.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('breaches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('aware_at', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('ico_state', 'text', (c) => c.notNull())
    .addColumn('risk', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', a.binaryType, (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('breaches_by_state').on('breaches').columns(['status', 'ico_state', 'deadline_at']).execute();

  await db.schema
    .createTable('breach_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('breach_id', 'text', (c) => c.notNull().references('breaches.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text')
    .addColumn('payload', a.binaryType, (c) => c.notNull())
    .addUniqueConstraint('breach_events_seq', ['breach_id', 'seq'])
    .execute();

  await db.schema
    .createTable('breach_subjects')
    .addColumn('breach_id', 'text', (c) => c.notNull().references('breaches.id'))
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id').onDelete('cascade'))
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('breach_subjects_pk', ['breach_id', 'subject_id'])
    .execute();

  await db.schema
    .createTable('breach_notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('breach_id', 'text', (c) => c.notNull().references('breaches.id'))
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('error', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('breach_notifications_by_subject').on('breach_notifications').columns(['breach_id', 'subject_id']).execute();

  await db.schema
    .createTable('breach_reminders')
    .addColumn('id', a.serialType, (c) => a.identity(c))
    .addColumn('breach_id', 'text', (c) => c.notNull().references('breaches.id'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('message_id', 'text')
    .addUniqueConstraint('breach_reminders_stage', ['breach_id', 'stage'])
    .execute();
}
