/**
 * One table of codes mailed to prove control of an address (src/kernel/email-codes.ts), for the
 * request form, the complaint form and the preference page, instead of request_codes and
 * preference_codes. Codes in flight are copied as they are: each purpose kept its own hash and MAC
 * domains, which the new service uses unchanged, so a code mailed before this runs still works.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('email_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // A keyed hash of the address in the purpose's domain: no plaintext.
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('code_mac', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('email_codes_by_email').on('email_codes').columns(['email_hash', 'created_at']).execute();
  const columns = ['id', 'email_hash', 'code_mac', 'created_at', 'expires_at', 'attempts', 'used_at'] as const;
  for (const old of ['request_codes', 'preference_codes']) {
    await db
      .insertInto('email_codes')
      .columns([...columns])
      .expression(db.selectFrom(old).select([...columns]))
      .execute();
    await db.schema.dropTable(old).execute();
  }
}
