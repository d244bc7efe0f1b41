/**
 * Scheduled jobs for `steward serve` (retention sweeps, reminders, renewals). Several instances
 * may share one PostgreSQL database: a lease row per job makes sure one of them runs it, and the
 * last run time makes a daily job daily across restarts. Portable SQL only (INSERT … ON CONFLICT
 * DO UPDATE … WHERE works on SQLite ≥ 3.24 and PostgreSQL), so no dialect-specific lock.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { DB } from '../db/database.js';
import type { Clock } from '../shared/clock.js';

declare module '../db/tables.js' {
  interface Tables {
    job_runs: JobRunsTable;
  }
}

export interface JobRunsTable {
  name: string;
  holder: string | null;
  lease_until: string;
  last_run_at: string | null;
  last_status: string | null;
}

export interface Job {
  name: string;
  /** How often it should run. */
  everyMs: number;
  /** Longest it may take before another instance may take over. */
  leaseMs?: number;
  run(now: Date): Promise<string | void>;
}

export interface SchedulerOptions {
  db: DB;
  clock: Clock;
  jobs: Job[];
  logger?: Logger | false;
  /** How often to look for due jobs (default one minute). */
  tickMs?: number;
}

export class Scheduler {
  readonly holder = `instance-${randomBytes(6).toString('hex')}`;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly #o: SchedulerOptions;

  constructor(options: SchedulerOptions) {
    this.#o = options;
  }

  start(): void {
    const tick = () => {
      this.#running ??= this.runDue()
        .then(() => undefined)
        .finally(() => {
          this.#running = undefined;
        });
    };
    tick();
    this.#timer = setInterval(tick, this.#o.tickMs ?? 60_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Runs every job that is due and whose lease this instance wins. Returns the names it ran. */
  async runDue(): Promise<string[]> {
    const ran: string[] = [];
    for (const job of this.#o.jobs) {
      const now = this.#o.clock.now();
      if (!(await this.#acquire(this.#o.db, job, now))) continue;
      let status = 'ok';
      try {
        status = (await job.run(now)) ?? 'ok';
        ran.push(job.name);
      } catch (e) {
        status = `failed: ${(e as Error).message.slice(0, 200)}`;
        if (this.#o.logger) this.#o.logger.error({ job: job.name, err: { message: (e as Error).message } }, 'scheduled job failed');
      }
      await this.#o.db
        .updateTable('job_runs')
        .set({ holder: null, lease_until: now.toISOString(), last_run_at: now.toISOString(), last_status: status })
        .where('name', '=', job.name)
        .where('holder', '=', this.holder)
        .execute();
      if (this.#o.logger) this.#o.logger.info({ job: job.name, status }, 'scheduled job finished');
    }
    return ran;
  }

  async #acquire(db: Kysely<any>, job: Job, now: Date): Promise<boolean> {
    const nowIso = now.toISOString();
    const dueBefore = new Date(now.getTime() - job.everyMs).toISOString();
    const leaseUntil = new Date(now.getTime() + (job.leaseMs ?? 30 * 60_000)).toISOString();
    await db
      .insertInto('job_runs')
      .values({ name: job.name, holder: this.holder, lease_until: leaseUntil, last_run_at: null, last_status: null })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ holder: this.holder, lease_until: leaseUntil })
          // Take it only if nobody holds a live lease and the last run is old enough.
          .where((eb) => eb.and([eb('job_runs.lease_until', '<=', nowIso), eb.or([eb('job_runs.last_run_at', 'is', null), eb('job_runs.last_run_at', '<=', dueBefore)])])),
      )
      .execute();
    const row = await db.selectFrom('job_runs').select(['holder', 'lease_until']).where('name', '=', job.name).executeTakeFirst();
    return row?.holder === this.holder && row.lease_until === leaseUntil;
  }
}

/**
 * Records a run made on demand (retention "run now") as the job's last run, so the dashboard and
 * the schedule see it; the lease is left alone (the job's own lock keeps runs apart).
 */
export async function recordJobRun(db: DB, name: string, at: Date, status: string): Promise<void> {
  const iso = at.toISOString();
  await db
    .insertInto('job_runs')
    .values({ name, holder: null, lease_until: iso, last_run_at: iso, last_status: status })
    .onConflict((oc) => oc.column('name').doUpdateSet({ last_run_at: iso, last_status: status }))
    .execute();
}

/** When a job last ran here and how it ended, if it ever ran. */
export async function lastJobRun(db: DB, name: string): Promise<{ at: string; status: string | null } | undefined> {
  const row = await db.selectFrom('job_runs').select(['last_run_at', 'last_status']).where('name', '=', name).executeTakeFirst();
  return row?.last_run_at ? { at: row.last_run_at, status: row.last_status } : undefined;
}
