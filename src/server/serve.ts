/**
 * Start-up: configuration → declaration → database (migrated) → keys → server. Anything wrong
 * stops start-up with a message that names what to fix; nothing half-starts.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { ensureOwner, type UserView } from '../auth/auth.service.js';
import type { Config } from '../config/config.js';
import { lintPolicy } from '../policy/policy.lint.js';
import { currentPublication, type Publication } from '../policy/publishing.service.js';
import { openRuntime, type Runtime } from '../kernel/runtime.js';
import type { Clock } from '../shared/clock.js';
import { buildApp } from './app.js';
import { serverJobs } from './jobs.js';
import { Scheduler } from '../kernel/scheduler.js';
import { systemActor } from '../kernel/actors.js';

export interface RunningServer {
  app: FastifyInstance;
  runtime: Runtime;
  /** The publication in force, if any: starting a server publishes nothing (steward policy publish does). */
  published: Publication | undefined;
  /** Lint counts of the loaded declaration, printed at start so problems are not silent. */
  lint: { errors: number; warnings: number };
  url: string;
  /** Set on first run only: the owner account created, with its one-time password. */
  firstOwner?: { user: UserView; password: string };
  /** Set on first run only: the 0600 file in the data folder holding those credentials. */
  firstOwnerFile?: string;
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'steward' },
    // Defence in depth: these keys never carry personal data by design, but redact them anyway.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.email', '*.phone', '*.password', '*.token'], censor: '[redacted]' },
  });
}

export const FIRST_RUN_FILE = 'first-run-owner.txt';

/**
 * The first owner's credentials go to a file only its owner can read, never to stdout: service
 * managers keep stdout in logs that others read and that outlive the password. Delete the file
 * after signing in (the password must be changed then anyway).
 */
export function writeFirstRunCredentials(dataDir: string, creds: { user: UserView; password: string }): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, FIRST_RUN_FILE);
  rmSync(file, { force: true });
  writeFileSync(
    file,
    [
      '# Steward: the first owner account. The password is one-time: sign in and choose a new one',
      '# (POST /api/v1/auth/password), then delete this file.',
      `username: ${creds.user.username}`,
      `password: ${creds.password}`,
      '',
    ].join('\n'),
    { mode: 0o600, flag: 'wx' },
  );
  chmodSync(file, 0o600);
  return file;
}

export async function startServer(
  config: Config,
  opts: { clock?: Clock; logger?: Logger | false; listen?: boolean; jobs?: boolean } = {},
): Promise<RunningServer> {
  const runtime = await openRuntime(config, opts.clock ? { clock: opts.clock } : {});
  try {
    const published = await currentPublication(runtime.database.db);
    const findings = lintPolicy(runtime.policy);
    const lint = { errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length };
    // The first owner's password is generated, so it is one-time: changed at the first sign-in.
    const firstOwner = await ensureOwner(runtime, systemActor('first-run'), { mustChangePassword: true });
    const firstOwnerFile = firstOwner ? writeFirstRunCredentials(config.dataDir, firstOwner) : undefined;
    const app = await buildApp({ ...runtime, logger: opts.logger ?? false });
    let url = config.baseUrl;
    if (opts.listen !== false) {
      url = await app.listen({ host: config.host, port: config.port });
    } else {
      await app.ready();
    }
    // Retention sweeps and reminders; a lease per job makes instances sharing a database take turns.
    const scheduler = opts.jobs === false ? undefined : new Scheduler({ db: runtime.database.db, clock: runtime.clock, jobs: serverJobs(runtime, opts.logger ?? false), logger: opts.logger ?? false });
    scheduler?.start();
    return {
      app,
      runtime,
      published,
      lint,
      url,
      ...(firstOwner ? { firstOwner } : {}),
      ...(firstOwnerFile ? { firstOwnerFile } : {}),
      close: async () => {
        await scheduler?.stop();
        await app.close();
        await runtime.close();
      },
    };
  } catch (e) {
    await runtime.close().catch(() => undefined);
    throw e;
  }
}
