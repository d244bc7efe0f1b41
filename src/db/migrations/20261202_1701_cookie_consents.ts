/**
 * The website cookie banner's consent log: one row per choice a visitor makes (append-only), the
 * choice per category beside it for counting, and rate-limit windows shared by every instance.
 * No IP address is stored: the rate-limit key is a keyed hash of it, kept one window long.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('cookie_consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The anonymous id the banner keeps in the visitor's own first-party cookie.
    .addColumn('consent_id', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    // banner | settings | gpc
    .addColumn('method', 'text', (c) => c.notNull())
    // accept-all | reject-all | custom
    .addColumn('outcome', 'text', (c) => c.notNull())
    // JSON: { category: true|false }, true meaning the category may run.
    .addColumn('choices', 'text', (c) => c.notNull())
    .addColumn('gpc', 'integer', (c) => c.notNull().defaultTo(0))
    // The declaration's hash (the notice version) and the banner text version the visitor saw.
    .addColumn('notice_version', 'text', (c) => c.notNull())
    .addColumn('banner_version', 'text', (c) => c.notNull())
    .addColumn('ua_hash', 'text')
    // The website the choice was made on (an origin, not personal data).
    .addColumn('origin', 'text')
    .execute();
  await db.schema.createIndex('cookie_consents_by_consent').on('cookie_consents').columns(['consent_id', 'id']).execute();

  await db.schema
    .createTable('cookie_consent_choices')
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('granted', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('cookie_consent_choices_pk', ['record_id', 'category'])
    .execute();
  await db.schema.createIndex('cookie_consent_choices_by_day').on('cookie_consent_choices').columns(['day', 'category', 'granted']).execute();
  await db.schema.createIndex('cookie_consents_by_day').on('cookie_consents').columns(['day', 'outcome']).execute();

  await db.schema
    .createTable('rate_limit_windows')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limit_windows_pk', ['key', 'window_start'])
    .execute();
  await db.schema.createIndex('rate_limit_windows_by_start').on('rate_limit_windows').columns(['window_start']).execute();
}
