/**
 * Publishing the notice is an act: each publication records which declaration (by content hash)
 * was published, by whom, when, whether it was forced past lint errors and why, and a summary of
 * what changed since the publication before it. policy_versions stays the store of each distinct
 * declaration's content; a declaration published again later gets a second publication row.
 *
 * Servers used to publish whatever declaration they started with. Those versions were served to
 * the public, so they become publications here, in the order they were first loaded, attributed
 * to the server that published them.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('policy_publications')
    .addColumn('id', a.serialType, (c) => a.identity(c))
    .addColumn('version_id', 'bigint', (c) => c.notNull().references('policy_versions.id'))
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('effective_date', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    .addColumn('forced_reason', 'text')
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('warnings', 'integer', (c) => c.notNull().defaultTo(0))
    /** JSON array of one-line descriptions of what changed since the previous publication. */
    .addColumn('changes', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('policy_publications_published').on('policy_publications').columns(['published_at', 'id']).execute();

  const earlier = await db.selectFrom('policy_versions').select(['id', 'hash', 'effective_date', 'first_loaded_at']).orderBy('id').execute();
  for (const v of earlier as Array<{ id: number; hash: string; effective_date: string; first_loaded_at: string }>) {
    await db
      .insertInto('policy_publications')
      .values({
        version_id: v.id,
        hash: v.hash,
        effective_date: v.effective_date,
        published_at: v.first_loaded_at,
        published_by: 'system:serve',
        forced_reason: null,
        errors: 0,
        warnings: 0,
        changes: JSON.stringify(['Published automatically when the server started (before publishing was a separate step); lint results were not recorded.']),
      })
      .execute();
  }
}
