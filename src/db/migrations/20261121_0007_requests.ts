/**
 * Rights requests: the requests (dates and status in clear, the requester's details encrypted),
 * their history, Art 19 tasks, reminders, public-centre email codes and released packs.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('received_on', 'text', (c) => c.notNull())
    .addColumn('id_received_on', 'text')
    .addColumn('authority_needed', 'integer', (c) => c.notNull())
    .addColumn('authority_received_on', 'text')
    .addColumn('pauses', 'text', (c) => c.notNull())
    .addColumn('extended', 'integer', (c) => c.notNull())
    .addColumn('due_on', 'text', (c) => c.notNull())
    .addColumn('first_due_on', 'text', (c) => c.notNull())
    .addColumn('extension_notice_due', 'text', (c) => c.notNull())
    .addColumn('rules_id', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('outcome', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('wrapped_key', a.binaryType, (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('payload', a.binaryType, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('requests_by_status_due').on('requests').columns(['status', 'due_on']).execute();
  await db.schema.createIndex('requests_by_subject').on('requests').column('subject_id').execute();

  await db.schema
    .createTable('request_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addUniqueConstraint('request_events_seq', ['request_id', 'seq'])
    .execute();

  await db.schema
    .createTable('request_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('done_at', 'text')
    .addColumn('done_by', 'text')
    .execute();
  await db.schema.createIndex('request_tasks_by_request').on('request_tasks').columns(['request_id', 'status']).execute();

  await db.schema
    .createTable('request_reminders')
    .addColumn('id', a.serialType, (c) => a.identity(c))
    .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('due_on', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('message_id', 'text')
    .addUniqueConstraint('request_reminders_once', ['request_id', 'stage', 'due_on'])
    .execute();

  await db.schema
    .createTable('request_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('code_mac', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('request_codes_by_email').on('request_codes').columns(['email_hash', 'created_at']).execute();

  await db.schema
    .createTable('request_packs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('content', a.binaryType, (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('downloads', 'integer', (c) => c.notNull())
    .execute();
}
