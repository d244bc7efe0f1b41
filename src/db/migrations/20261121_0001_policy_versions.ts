import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('policy_versions')
    .addColumn('id', a.serialType, (c) => a.identity(c))
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('effective_date', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('organisation', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('first_loaded_at', 'text', (c) => c.notNull())
    .execute();
}
