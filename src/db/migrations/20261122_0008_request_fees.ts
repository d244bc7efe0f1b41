/**
 * Fees on rights requests (UK GDPR Art 12(5), Art 15(3)): the day a fee was asked for and the day
 * it arrived, the only two facts the clock needs. The amount, the reason and the explanation are
 * kept in the request's encrypted document with the rest of what the organisation told the person.
 *
 * One ADD COLUMN per statement: SQLite's ALTER TABLE takes only one. Both columns are nullable
 * with no default, which both databases add without rewriting the table.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('requests').addColumn('fee_asked_on', 'text').execute();
  await db.schema.alterTable('requests').addColumn('fee_received_on', 'text').execute();
}
