/**
 * The migrations, listed here in the order they apply: one change per file, named
 * `YYYYMMDD_NNNN_what.ts`, written once with Kysely's schema builder and the adapter's column
 * types, so the same file serves both databases. A new migration is a new file added at the end
 * of this list (its name must sort after the last one: the migrator refuses one out of order, and
 * a test checks the list is sorted and complete).
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';
import * as m20261121_0001_policy_versions from './20261121_0001_policy_versions.js';
import * as m20261121_0002_register from './20261121_0002_register.js';
import * as m20261121_0003_breaches from './20261121_0003_breaches.js';
import * as m20261121_0004_retention from './20261121_0004_retention.js';
import * as m20261121_0005_consent from './20261121_0005_consent.js';
import * as m20261121_0006_job_runs from './20261121_0006_job_runs.js';
import * as m20261121_0007_requests from './20261121_0007_requests.js';
import * as m20261122_0008_request_fees from './20261122_0008_request_fees.js';
import * as m20261202_1201_rate_limits from './20261202_1201_rate_limits.js';
import * as m20261202_1202_user_password_state from './20261202_1202_user_password_state.js';
import * as m20261202_1203_life_event_approval from './20261202_1203_life_event_approval.js';
import * as m20261202_1301_erasure_ledger from './20261202_1301_erasure_ledger.js';
import * as m20261202_1601_policy_publications from './20261202_1601_policy_publications.js';
import * as m20261202_1602_complaints from './20261202_1602_complaints.js';
import * as m20261202_1701_cookie_consents from './20261202_1701_cookie_consents.js';
import * as m20261202_1901_disclosures from './20261202_1901_disclosures.js';
import * as m20261203_1301_record_fields from './20261203_1301_record_fields.js';
import * as m20261203_1402_card_refusals from './20261203_1402_card_refusals.js';
import * as m20261204_1101_one_rate_limit_table from './20261204_1101_one_rate_limit_table.js';
import * as m20261204_1101_record_purposes from './20261204_1101_record_purposes.js';
import * as m20261204_1102_email_codes from './20261204_1102_email_codes.js';

export interface StewardMigration {
  up(db: Kysely<any>, adapter: DialectAdapter): Promise<void>;
}

const MIGRATIONS: ReadonlyArray<readonly [string, StewardMigration]> = [
  ['20261121_0001_policy_versions', m20261121_0001_policy_versions],
  ['20261121_0002_register', m20261121_0002_register],
  ['20261121_0003_breaches', m20261121_0003_breaches],
  ['20261121_0004_retention', m20261121_0004_retention],
  ['20261121_0005_consent', m20261121_0005_consent],
  ['20261121_0006_job_runs', m20261121_0006_job_runs],
  ['20261121_0007_requests', m20261121_0007_requests],
  ['20261122_0008_request_fees', m20261122_0008_request_fees],
  ['20261202_1201_rate_limits', m20261202_1201_rate_limits],
  ['20261202_1202_user_password_state', m20261202_1202_user_password_state],
  ['20261202_1203_life_event_approval', m20261202_1203_life_event_approval],
  ['20261202_1301_erasure_ledger', m20261202_1301_erasure_ledger],
  ['20261202_1601_policy_publications', m20261202_1601_policy_publications],
  ['20261202_1602_complaints', m20261202_1602_complaints],
  ['20261202_1701_cookie_consents', m20261202_1701_cookie_consents],
  ['20261202_1901_disclosures', m20261202_1901_disclosures],
  ['20261203_1301_record_fields', m20261203_1301_record_fields],
  ['20261203_1402_card_refusals', m20261203_1402_card_refusals],
  ['20261204_1101_one_rate_limit_table', m20261204_1101_one_rate_limit_table],
  ['20261204_1101_record_purposes', m20261204_1101_record_purposes],
  ['20261204_1102_email_codes', m20261204_1102_email_codes],
];

export const migrationNames = (): string[] => MIGRATIONS.map(([name]) => name);

export const loadMigrations = (): Record<string, StewardMigration> => Object.fromEntries(MIGRATIONS);
