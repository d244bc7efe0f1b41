/**
 * Everything a transport (HTTP server, CLI command, scheduled job) needs, opened once:
 * configuration → declaration → database (migrated) → keys.
 */
import path from 'node:path';
import { createMailer, type Mailer } from '../mail/mailer.js';
import type { Config } from '../config/config.js';
import { defaultKekProvider, type KekProvider } from '../crypto/kek.js';
import { attachAuditWitness } from '../audit/audit.service.js';
import { AuditWitness } from '../audit/audit.witness.js';
import { openDatabase } from '../db/database.js';
import { LEDGER_FILE } from '../backup/erasure-ledger.js';
import { loadPolicy, type LoadedPolicy } from '../policy/policy.loader.js';
import { holdsWrappedKeys, Keyring } from '../crypto/keyring.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { AppContext } from './context.js';
import { privacyOfficerEmail } from '../policy/contacts.js';

/** The application context as opened by a transport, which closes it when done. */
export interface Runtime extends AppContext {
  close(): Promise<void>;
}

export function mailerFor(config: Config, loaded: LoadedPolicy): Mailer {
  const org = loaded.policy.organisation;
  const address = privacyOfficerEmail(loaded.policy) ?? 'privacy@localhost';
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
