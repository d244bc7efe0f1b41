/**
 * The application context: what every feature works with, opened once per process by
 * openRuntime (src/kernel/runtime.ts) and passed explicitly to domain functions. It belongs to no
 * feature; features depend on it, never on each other's contexts.
 *
 * A function that needs less may say so with Pick<AppContext, …>; it still receives this one.
 */
import type { AuditWitness } from '../audit/audit.witness.js';
import type { Config } from '../config/config.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../db/database.js';
import type { Mailer } from '../mail/mailer.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import type { Clock } from '../shared/clock.js';

export interface AppContext {
  config: Config;
  database: Database;
  keyring: Keyring;
  /** The declaration (steward.yaml) as loaded and checked. */
  policy: LoadedPolicy;
  clock: Clock;
  mailer: Mailer;
  /** The erasure ledger's file outside the database (src/backup/erasure-ledger.ts); unset: table only. */
  erasureLedgerFile?: string | undefined;
  /** The audit chain's witness file in the data folder (absent in tests that do not need one). */
  witness?: AuditWitness;
}
