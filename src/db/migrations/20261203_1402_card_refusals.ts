/**
 * How many times payment card data was refused, per day and per way in (API, public form, CLI,
 * import): the promises board's evidence for "we never store card numbers". Counts only: no value,
 * no field, no person.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('card_refusals')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('refusals', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('card_refusals_pk', ['day', 'source'])
    .execute();
}
