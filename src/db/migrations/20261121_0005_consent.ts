/**
 * Consent and marketing: the append-only consent history and its current state per subject,
 * purpose and channel; the suppression list (keyed hashes only, outliving erasure); TPS/CTPS
 * register imports (keyed hashes only); renewal requests sent; preference-page codes.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

export async function up(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    // given | renewed | withdrawn | parental-consent | soft-opt-in
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    // The words the person saw: not personal data.
    .addColumn('wording', 'text')
    // The declaration's hash when the consent was recorded: the notice version shown.
    .addColumn('notice_version', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    // Evidence reference, encrypted under the subject's key (it may name the person).
    .addColumn('evidence', a.binaryType)
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('child', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'text')
    .execute();
  await db.schema.createIndex('consent_events_by_subject').on('consent_events').columns(['subject_id', 'purpose', 'channel', 'id']).execute();

  await db.schema
    .createTable('consent_state')
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    // active | withdrawn | none
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('given_at', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('child', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('parental', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('soft_opt_in', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_event_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('consent_state_pk', ['subject_id', 'purpose', 'channel'])
    .execute();
  await db.schema.createIndex('consent_state_by_purpose').on('consent_state').columns(['purpose', 'channel']).execute();
  await db.schema.createIndex('consent_state_by_expiry').on('consent_state').columns(['status', 'expires_at']).execute();

  await db.schema
    .createTable('suppressions')
    .addColumn('id', a.serialType, (c) => a.identity(c))
    .addColumn('hash', 'text', (c) => c.notNull())
    // The blind-index digest (key version 1) of the same identifier, so an audience check hashes
    // each recipient once. Null for entries imported as bare hashes.
    .addColumn('lookup', 'text')
    // A channel, or '*' for every channel.
    .addColumn('channel', 'text', (c) => c.notNull())
    // A purpose id, or '*' for all direct marketing.
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('suppressions_unique').on('suppressions').columns(['hash', 'channel', 'scope']).unique().execute();
  await db.schema.createIndex('suppressions_by_scope').on('suppressions').columns(['channel', 'scope']).execute();

  await db.schema
    .createTable('tps_numbers')
    // tps (individuals) | ctps (corporates)
    .addColumn('register', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tps_numbers_pk', ['register', 'hash'])
    .execute();
  await db.schema
    .createTable('tps_imports')
    .addColumn('id', a.serialType, (c) => a.identity(c))
    .addColumn('register', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .addColumn('numbers', 'integer', (c) => c.notNull())
    .addColumn('rejected', 'integer', (c) => c.notNull())
    .addColumn('file_digest', 'text', (c) => c.notNull())
    .addColumn('imported_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tps_imports_by_register').on('tps_imports').columns(['register', 'imported_at']).execute();

  await db.schema
    .createTable('renewal_requests')
    // subject|purpose|channel|expiry: one request per consent period, however often the job runs.
    .addColumn('period_key', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    // sending | sent | failed | skipped
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('claim', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('renewal_requests_by_status').on('renewal_requests').columns(['status', 'claimed_at']).execute();

  await db.schema
    .createTable('preference_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The suppression-list hash of the address: no plaintext.
    .addColumn('email_hash', 'text', (c) => c.notNull())
    .addColumn('code_mac', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('preference_codes_by_email').on('preference_codes').columns(['email_hash', 'created_at']).execute();
}
