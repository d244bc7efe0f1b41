/**
 * Builds the rows of synthetic people (one e-mail record each) for the lookup benchmark, in a
 * worker thread so that encryption runs beside the main thread's inserts. Runs the register's own
 * prepareRecord and buildSubjectRows with the database's keys; posts chunks of SubjectRows and
 * keeps at most two unacknowledged, so memory stays bounded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { loadPolicy } from '../src/policy/policy.loader.js';
import { Keyring } from '../src/crypto/keyring.js';
import { buildSubjectRows } from '../src/register/register.rows.js';
import { prepareRecord } from '../src/register/record.prepare.js';
import { kekProviderFor, mailerFor } from '../src/kernel/runtime.js';
import { systemClock } from '../src/shared/clock.js';
import { benchActor, emailOf } from './support.js';
import type { AppContext } from '../src/kernel/context.js';

export interface SeedJob {
  entry: string;
  url: string;
  dataDir: string;
  policyFile: string;
  masterKey: string;
  from: number;
  to: number;
  chunk: number;
}

const job = workerData as SeedJob;
const port = parentPort!;
const config = loadConfig({ dataDir: job.dataDir, policy: job.policyFile, db: job.url }, { STEWARD_MASTER_KEY: job.masterKey }, job.dataDir);
const database = await openDatabase(job.url, { migrate: false, poolSize: 1 });
const keyring = await Keyring.open(database.db, kekProviderFor(config));
await database.close();
const policy = await loadPolicy(job.policyFile);
const ctx: AppContext = { config, mailer: mailerFor(config, policy), database, keyring, policy, clock: systemClock };

let inFlight = 0;
let wake: (() => void) | undefined;
port.on('message', () => {
  inFlight--;
  wake?.();
});

const rels = [{ relationship: 'customer', role: 'controller' as const }];
const now = new Date().toISOString();
for (let from = job.from; from < job.to; from += job.chunk) {
  const rows = [];
  for (let i = from; i < Math.min(job.to, from + job.chunk); i++) {
    const record = prepareRecord(ctx.policy, { category: 'email-address', value: emailOf(i), purposes: ['deliver-orders'], source: 'customer-direct' }, ['customer'], now);
    rows.push(buildSubjectRows(ctx, benchActor, rels, [record], now));
  }
  while (inFlight >= 2) await new Promise<void>((r) => (wake = r));
  inFlight++;
  port.postMessage(rows);
}
while (inFlight > 0) await new Promise<void>((r) => (wake = r));
port.postMessage('done');
