/**
 * Shared pieces of the benchmarks: synthetic people, throwaway databases and runtimes, and
 * number formatting. Benchmarks print figures; they never assert timings.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Actor } from '../src/auth/roles.js';
import { loadConfig, type Config } from '../src/config/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { loadPolicy, type LoadedPolicy } from '../src/policy/policy.loader.js';
import { Keyring } from '../src/crypto/keyring.js';
import { kekProviderFor, mailerFor } from '../src/kernel/runtime.js';
import { systemClock } from '../src/shared/clock.js';
import type { AppContext } from '../src/kernel/context.js';

export const POLICY_FILE = path.resolve(import.meta.dirname, '../test/fixtures/register/policy.yaml');

/** The operator at the console, as the CLI acts. */
export const benchActor: Actor = { kind: 'cli', id: 'cli:bench', role: 'owner', jobRoles: [], allCategories: true };

export const intEnv = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number.parseInt(v.replace(/_/g, ''), 10);
  if (!Number.isFinite(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
};

// ——— synthetic people: six fields, every identifier valid and unique ———

const TITLES = ['Buyer', 'Director', 'Office manager', 'IT manager', 'Accounts assistant', 'Engineer', 'Sales lead', 'Owner'];
const STREETS = ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Mill Lane', 'Park Avenue'];

export const COLUMNS = ['name', 'email-address', 'phone', 'company', 'job-title', 'address'] as const;

export const emailOf = (i: number): string => `person.${i}@example.com`;
/** UK mobile numbers 071 0000 0000 onwards: valid for the normaliser, unique per person. */
export const phoneOf = (i: number): string => {
  const n = String(100_000_000 + i);
  return `07${n.slice(0, 3)} ${n.slice(3)}`;
};

export function personRow(i: number): Record<(typeof COLUMNS)[number], string> {
  return {
    name: `Person ${i} Example`,
    'email-address': emailOf(i),
    phone: phoneOf(i),
    company: `Company ${i % 5000} Ltd`,
    'job-title': TITLES[i % TITLES.length]!,
    address: `${(i % 300) + 1} ${STREETS[i % STREETS.length]}, Exampleton EX${(i % 9) + 1} ${i % 10}AB`,
  };
}

// ——— the realistic contact spreadsheet: nine columns a customer list has, three categories ———

export const CONTACT_COLUMNS = ['First name', 'Surname', 'Email', 'Phone', 'Job title', 'Company', 'Billing address', 'Delivery address', 'Postcode'] as const;
const FIRST = ['Margaret', 'Dev', 'Siobhan', 'Tomasz', 'Grace', 'Owen', 'Aisha', 'Ewan'];
const LAST = ['Okafor', 'Patel', "O'Neill", 'Nowak', 'Adeyemi', 'Jones', 'Khan', 'Fraser'];

export function contactRow(i: number): Record<(typeof CONTACT_COLUMNS)[number], string> {
  const street = `${(i % 300) + 1} ${STREETS[i % STREETS.length]}, Exampleton`;
  return {
    'First name': FIRST[i % FIRST.length]!,
    Surname: `${LAST[i % LAST.length]!}-${i}`,
    Email: emailOf(i),
    Phone: phoneOf(i),
    'Job title': TITLES[i % TITLES.length]!,
    Company: `Company ${i % 5000} Ltd`,
    'Billing address': street,
    'Delivery address': i % 3 === 0 ? `Unit ${i % 40}, Trade Park, Exampleton` : street,
    Postcode: `EX${(i % 9) + 1} ${i % 10}AB`,
  };
}

/** Writes the contact spreadsheet as CSV, streaming. */
export async function writeContactsCsv(file: string, rows: number): Promise<number> {
  const out = createWriteStream(file);
  let buf = `${CONTACT_COLUMNS.join(',')}\n`;
  for (let i = 0; i < rows; i++) {
    const p = contactRow(i);
    buf += `${CONTACT_COLUMNS.map((c) => csvField(p[c])).join(',')}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
  return rows;
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Writes a CSV of `rows` synthetic people, streaming, so a million rows never sit in memory. */
export async function writePeopleCsv(file: string, rows: number, offset = 0): Promise<number> {
  const out = createWriteStream(file);
  let buf = `${COLUMNS.join(',')}\n`;
  for (let i = 0; i < rows; i++) {
    const p = personRow(offset + i);
    buf += `${COLUMNS.map((c) => csvField(p[c])).join(',')}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
  return out.bytesWritten;
}

// ——— databases and runtimes ———

export interface BenchTarget {
  kind: 'sqlite' | 'postgres';
  /** A directory for files (CSV, SQLite database, key file); removed by dispose. */
  dir: string;
  /** The URL a CLI or server would use to reach the same database. */
  url: string;
  config: Config;
  ctx: AppContext;
  close(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A fresh database (a SQLite file in a temp dir, or a new schema on PostgreSQL) with its keys,
 * as a AppContext. The KEK comes from a generated STEWARD_MASTER_KEY held in the config, so
 * a server started from `config` opens the same keys.
 *
 * With `keep`, a SQLite target lives in that directory and survives dispose(), its master key in
 * `master.key` beside it: the lookup benchmark keeps its million people between runs.
 */
export async function createTarget(kind: 'sqlite' | 'postgres', pgUrl?: string, opts: { keep?: string } = {}): Promise<BenchTarget> {
  let dir: string;
  let masterKey: string;
  if (opts.keep) {
    if (kind !== 'sqlite') throw new Error('only SQLite targets are kept between runs');
    dir = opts.keep;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keyFile = path.join(dir, 'master.key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, `v1:${randomBytes(32).toString('base64')}`, { mode: 0o600 });
    masterKey = readFileSync(keyFile, 'utf8').trim();
  } else {
    dir = mkdtempSync(path.join(tmpdir(), `steward-bench-${kind}-`));
    masterKey = `v1:${randomBytes(32).toString('base64')}`;
  }
  let url: string;
  let schema: string | undefined;
  if (kind === 'sqlite') {
    url = `sqlite:${path.join(dir, 'steward.sqlite')}`;
  } else {
    if (!pgUrl) throw new Error('no PostgreSQL URL');
    schema = `bench_${randomBytes(5).toString('hex')}`;
    url = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }
  const config = loadConfig({ dataDir: dir, policy: POLICY_FILE, db: url, port: 0, logLevel: 'silent' }, { STEWARD_MASTER_KEY: masterKey }, dir);
  const policy: LoadedPolicy = await loadPolicy(POLICY_FILE);
  let database: Database = kind === 'postgres' ? await openDatabase(pgUrl!, { schema: schema! }) : await openDatabase(url);
  const keyring = await Keyring.open(database.db, kekProviderFor(config));
  const ctx: AppContext = { config, mailer: mailerFor(config, policy), database, keyring, policy, clock: systemClock };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await database.close();
  };
  return {
    kind,
    dir,
    url,
    config,
    ctx,
    close,
    dispose: async () => {
      await close();
      if (schema) {
        database = await openDatabase(pgUrl!, { migrate: false, poolSize: 1 });
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
        await database.close();
      }
      if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ——— numbers ———

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-GB');
export const fmtMs = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);
export const fmtMiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const log = (s: string): void => void process.stderr.write(`${s}\n`);
