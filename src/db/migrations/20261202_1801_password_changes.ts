/**
 * When each user last chose their own password. A user with no row here still has a password
 * someone else chose (the one-time password printed on first run, or one an owner set), and the
 * console asks for a new one before anything else. Its own table, so the users table is untouched.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('user_password_changes')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();
}
