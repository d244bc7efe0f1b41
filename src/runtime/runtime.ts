/**
 * Everything a transport (HTTP server, CLI command, scheduled job) needs, opened once:
 * configuration → declaration → database (migrated) → keys.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { userInfo } from 'node:os';
import path from 'node:path';
import { createMailer, type Mailer } from '../mail/mailer.js';
import type { Actor } from '../auth/roles.js';
import type { Config } from '../config/config.js';
import { defaultKekProvider, type KekProvider } from '../crypto/kek.js';
import { attachAuditWitness } from '../audit/audit.service.js';
import { AuditWitness } from '../audit/audit.witness.js';
import { openDatabase } from '../db/database.js';
import { LEDGER_FILE } from '../backup/erasure-ledger.js';
import { loadPolicy, type LoadedPolicy } from '../policy/policy.loader.js';
import { holdsWrappedKeys, Keyring } from '../register/keyring.js';
import type { RegisterContext } from '../register/register.service.js';
import { systemClock, type Clock } from '../shared/clock.js';

export interface Runtime extends RegisterContext {
  config: Config;
  mailer: Mailer;
  /** The audit chain's witness file in the data folder (absent in tests that do not need one). */
  witness?: AuditWitness;
  close(): Promise<void>;
}

export function mailerFor(config: Config, loaded: LoadedPolicy): Mailer {
  const org = loaded.policy.organisation;
  const address = org.privacy_contact?.email ?? org.contact.email ?? 'privacy@localhost';
  return createMailer({
    smtpUrl: config.smtpUrl,
    from: config.mailFrom ?? `"${org.name.replace(/["\\]/g, '')}" <${address}>`,
    outboxDir: path.join(config.dataDir, 'outbox'),
  });
}

/** The erasure ledger's file: beside the key file, in the data folder (src/backup/erasure-ledger.ts). */
export const ledgerFileFor = (config: Config): string => path.join(config.dataDir, LEDGER_FILE);

export function kekProviderFor(config: Config, opts: { mayCreate?: () => Promise<boolean> } = {}): KekProvider {
  return defaultKekProvider({ dataDir: config.dataDir, env: config.masterKey ? { STEWARD_MASTER_KEY: config.masterKey } : {}, ...opts });
}

export async function openRuntime(config: Config, opts: { clock?: Clock; policy?: LoadedPolicy } = {}): Promise<Runtime> {
  const policy = opts.policy ?? (await loadPolicy(config.policyFile));
  const database = await openDatabase(config.databaseUrl);
  try {
    // A key file is only ever created for a database that has no wrapped keys yet.
    const keyring = await Keyring.open(database.db, kekProviderFor(config, { mayCreate: async () => !(await holdsWrappedKeys(database.db)) }));
    const mailer = mailerFor(config, policy);
    const clock = opts.clock ?? systemClock;
    const witness = new AuditWitness(config.dataDir, keyring, clock);
    attachAuditWitness(database.db, witness);
    // A `keys rotate` run elsewhere is picked up within a second, without a restart.
    const stopWatching = keyring.watch(database.db);
    return {
      config,
      database,
      keyring,
      policy,
      mailer,
      witness,
      clock,
      erasureLedgerFile: ledgerFileFor(config),
      close: async () => {
        stopWatching();
        await witness.flush();
        mailer.close();
        await database.close();
      },
    };
  } catch (e) {
    await database.close().catch(() => undefined);
    throw e;
  }
}

/** The operating-system account running a command ("unknown" where there is no passwd entry). */
export function osAccount(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    // No passwd entry (some containers).
    return 'unknown';
  }
}

/** The Steward user a CLI command acts as (steward --as, STEWARD_USER), set by withRuntime. */
const cliIdentity = new AsyncLocalStorage<Actor>();

/** Runs `fn` with `actor` as the CLI's actor (see cliActor). */
export const runAsCliActor = <T>(actor: Actor, fn: () => Promise<T>): Promise<T> => cliIdentity.run(actor, fn);

/**
 * The operator at the console. Named (--as or STEWARD_USER): that Steward user, with their role,
 * and the operating-system account beside it in the audit trail. Unnamed: the operating-system
 * account itself ("os:<account>"), who holds the key file and so acts with the owner's rights.
 */
export function cliActor(): Actor {
  const named = cliIdentity.getStore();
  if (named) return named;
  const os = `os:${osAccount()}`;
  return { kind: 'cli', id: os, role: 'owner', jobRoles: [], allCategories: true, ip: os };
}

export const systemActor = (job: string): Actor => ({ kind: 'system', id: `system:${job}`, role: 'owner', jobRoles: [], allCategories: true });
