/**
 * Account lifecycle: a password set by someone else (the first-run password, an owner's reset) must
 * be changed at the next sign-in; the console reads this flag to send the user to that form. The
 * day of the last change is kept for the same reason. Both columns are added with a default, which
 * both databases do without rewriting the table.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('users').addColumn('password_changed_at', 'text').execute();
}
