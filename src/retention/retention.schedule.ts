/**
 * The daily retention run inside `steward serve`. Every instance schedules it; the database job
 * lock inside runRetention makes one of them do the work when several share PostgreSQL, and the
 * others find it taken (or, a moment later, nothing left to do).
 */
import type { Actor } from '../auth/roles.js';
import type { RetentionConditions } from './conditions.js';
import { runRetention, type RunResult } from './retention.service.js';
import type { AppContext } from '../kernel/context.js';
import { systemActor } from '../kernel/actors.js';

export interface DailyRetentionOptions {
  /** Hour of the day (UTC) to run at; default 2 (02:00 UTC, a quiet time in the UK). */
  hourUtc?: number;
  /** Also run this long after start-up (default one minute), so a server restarted daily still runs. */
  firstRunAfterMs?: number | false;
  actor?: Actor;
  conditions?: RetentionConditions;
  /** Told of each run's result (log it: counts only). */
  onResult?: (r: RunResult) => void;
  /** Told of a failed run; the schedule carries on. */
  onError?: (e: unknown) => void;
}

export interface DailyRetention {
  /** Runs now (outside the schedule), e.g. for an admin action; resolves with the result. */
  runNow(): Promise<RunResult>;
  stop(): void;
}

const DAY_MS = 86_400_000;

/** Milliseconds from `now` to the next `hourUtc`:00 UTC (strictly in the future). */
export function msUntilNextRun(now: Date, hourUtc: number): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hourUtc);
  const t = next > now.getTime() ? next : next + DAY_MS;
  return t - now.getTime();
}

export function scheduleDailyRetention(ctx: AppContext, opts: DailyRetentionOptions = {}): DailyRetention {
  const hour = opts.hourUtc ?? 2;
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError('hourUtc must be a whole hour from 0 to 23');
  const actor = opts.actor ?? systemActor('retention');
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let running: Promise<RunResult> | undefined;

  const runNow = (): Promise<RunResult> => {
    // One run at a time in this process; the job lock covers other processes.
    running ??= runRetention(ctx, actor, undefined, opts.conditions ? { conditions: opts.conditions } : {}).finally(() => {
      running = undefined;
    });
    return running;
  };
  const tick = async (): Promise<void> => {
    try {
      opts.onResult?.(await runNow());
    } catch (e) {
      opts.onError?.(e);
    }
  };
  const after = (ms: number, fn: () => void): void => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    // The schedule never keeps the process alive on its own.
    t.unref();
    timers.add(t);
  };
  const daily = (): void => after(msUntilNextRun(ctx.clock.now(), hour), () => void tick().finally(daily));
  if (opts.firstRunAfterMs !== false) after(opts.firstRunAfterMs ?? 60_000, () => void tick());
  daily();
  return {
    runNow,
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
