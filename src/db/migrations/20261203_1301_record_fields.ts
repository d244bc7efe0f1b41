/**
 * Records become one category's labelled field values (issue 13). The ciphertext format is read
 * both ways by the record codec (src/register/record.codec.ts, with fields.ts): an old one-value
 * record reads as the single field of its category, so no data needs decrypting here. What changes in the schema is
 * the blind index: a record may now hold several identifier fields (an email and a phone inside
 * "Contact details"), so the index is keyed by record, field and digest instead of by record.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, _a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('blind_indexes_by_field')
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blind_indexes_by_field_pk', ['record_id', 'kind', 'digest'])
    .execute();
  await db
    .insertInto('blind_indexes_by_field')
    .columns(['record_id', 'subject_id', 'kind', 'key_version', 'digest'])
    .expression(db.selectFrom('blind_indexes').select(['record_id', 'subject_id', 'kind', 'key_version', 'digest']))
    .execute();
  await db.schema.dropTable('blind_indexes').execute();
  await db.schema.alterTable('blind_indexes_by_field').renameTo('blind_indexes').execute();
  await db.schema.createIndex('blind_indexes_lookup').on('blind_indexes').columns(['kind', 'digest']).execute();
  await db.schema.createIndex('blind_indexes_by_subject').on('blind_indexes').column('subject_id').execute();
}
