/** A register runtime on a throwaway database, with its own keys and a fixed clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Actor, Role } from '../../src/auth/roles.js';
import { loadConfig } from '../../src/config/config.js';
import { envKekProvider, fileKekProvider, generateEnvKekValue } from '../../src/crypto/kek.js';
import { loadPolicy } from '../../src/policy/policy.loader.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { mailerFor, type Runtime } from '../../src/kernel/runtime.js';
import { fixedClock } from '../../src/shared/clock.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

export const REGISTER_POLICY = path.resolve(import.meta.dirname, '../fixtures/register-policy.yaml');

export interface TestRuntime extends Runtime {
  clock: ReturnType<typeof fixedClock>;
  testDb: TestDatabase;
  dataDir: string;
}

export async function createTestRuntime(kind: 'sqlite' | 'postgres', opts: { policyFile?: string; keyFile?: boolean; smtpUrl?: string; migrateTo?: string } = {}): Promise<TestRuntime> {
  const testDb = await createTestDatabase(kind, opts.migrateTo ? { migrateTo: opts.migrateTo } : {});
  const dataDir = mkdtempSync(path.join(tmpdir(), 'steward-rt-'));
  const policy = await loadPolicy(opts.policyFile ?? REGISTER_POLICY);
  const provider = opts.keyFile ? fileKekProvider(path.join(dataDir, 'steward.key')) : envKekProvider(generateEnvKekValue());
  const keyring = await Keyring.open(testDb.db, provider);
  const config = loadConfig({ dataDir, policy: policy.file }, opts.smtpUrl ? { STEWARD_SMTP_URL: opts.smtpUrl } : {}, dataDir);
  const mailer = mailerFor(config, policy);
  return {
    config,
    mailer,
    database: testDb,
    testDb,
    keyring,
    policy,
    dataDir,
    clock: fixedClock('2026-03-02T10:00:00Z'),
    close: async () => {
      mailer.close();
      await testDb.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const actorWith = (role: Role, jobRoles: string[] = [], id = `user-${role}`): Actor => ({ kind: 'user', id, role, jobRoles, ip: '127.0.0.1' });
