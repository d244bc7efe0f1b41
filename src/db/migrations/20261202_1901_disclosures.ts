/**
 * Accountability: the disclosure log (what was actually disclosed to whom, Art 19, Art 30(1)(d))
 * and the reminders sent before a processor contract or an assessment falls due for review.
 *
 * A disclosure row holds ids and dates in clear (the subject's random id, the declared recipient's
 * id, category ids) and any free-text note encrypted under the subject's data key, so erasing the
 * person leaves no readable trace of what was said. Review reminders are keyed by (item, due date)
 * so two servers cannot both send one.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('disclosures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('disclosed_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('note', a.binaryType)
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('disclosures_by_subject').on('disclosures').columns(['subject_id', 'disclosed_at']).execute();
  await db.schema.createIndex('disclosures_by_recipient').on('disclosures').columns(['recipient', 'disclosed_at']).execute();

  await db.schema
    .createTable('review_reminders')
    .addColumn('item', 'text', (c) => c.notNull())
    .addColumn('due_on', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addPrimaryKeyConstraint('review_reminders_pk', ['item', 'due_on'])
    .execute();

  // Art 19 tasks say whether the recipient is known from the log or only declared as routine.
  await db.schema.alterTable('request_tasks').addColumn('basis', 'text').execute();
}
