/**
 * The complaints register (DPA 2018 s.164A). The row holds only what the clock, the lists and the
 * reminder job need; who complained, what about, the steps taken and the letters are one document
 * encrypted under the complaint's own data key, as rights requests are kept.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('complaints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('received_on', 'text', (c) => c.notNull())
    .addColumn('ack_due_on', 'text', (c) => c.notNull())
    .addColumn('acknowledged_on', 'text')
    .addColumn('closed_on', 'text')
    .addColumn('outcome', 'text')
    .addColumn('subject_id', 'text')
    .addColumn('notice_hash', 'text', (c) => c.notNull())
    .addColumn('reminded', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('wrapped_key', a.binaryType, (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('payload', a.binaryType, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('complaints_status_due').on('complaints').columns(['status', 'ack_due_on']).execute();
  await db.schema.createIndex('complaints_subject').on('complaints').column('subject_id').execute();
}
