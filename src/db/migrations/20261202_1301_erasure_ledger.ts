/**
 * The erasure ledger: one row per erasure (a whole person, or one record), holding only random
 * ids, a time and a reason code — never personal data — so that a restore can re-apply every
 * erasure made since its backup. `mirrored_at` says when the row was appended to the ledger file
 * kept outside the database (beside the key file).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('erasure_ledger')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('erased_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('mirrored_at', 'text')
    .execute();
  await db.schema.createIndex('erasure_ledger_mirrored').on('erasure_ledger').column('mirrored_at').execute();
}
