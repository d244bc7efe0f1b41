/**
 * The console's pages among many people (part of (b)): the server time of the dashboard's data
 * and of everything a person's page asks for, measured with `inject` against a real `steward serve`
 * app over the benchmark's register (no network, no client): the goal is about the server.
 *
 * A person's page is the requests the console makes when it opens one (see
 * console/src/features/people/api/people.ts): the person, their retention explanation, consent,
 * life events, audit trail, and the holds and requests lists it filters. The people are the
 * benchmark's synthetic ones, found by email first (that search is not timed).
 */
import { performance } from 'node:perf_hooks';
import { createToken } from '../src/auth/auth.service.js';
import { startServer } from '../src/server/serve.js';
import { emailOf, percentile, type BenchTarget } from './support.js';
import { cliActor } from '../src/kernel/actors.js';

export interface PagesResult {
  dashboardP50Ms: number;
  dashboardP99Ms: number;
  personP50Ms: number;
  personP99Ms: number;
  people: number;
  errors: number;
}

export async function pagesBench(target: BenchTarget, subjects: number, opts: { people?: number; dashboards?: number } = {}): Promise<PagesResult> {
  const server = await startServer({ ...target.config, host: '127.0.0.1', port: 0 }, { logger: false, listen: false, jobs: false });
  try {
    const { token } = await createToken(server.runtime, cliActor(), { name: 'bench-pages', role: 'dpo', expiresInDays: 1 });
    const headers = { authorization: `Bearer ${token}` };
    let errors = 0;
    const get = async (url: string): Promise<unknown> => {
      const res = await server.app.inject({ url, headers });
      if (res.statusCode !== 200) errors++;
      return res.json();
    };
    const timeOf = async (fn: () => Promise<unknown>): Promise<number> => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };

    const dashboardTimes: number[] = [];
    for (let i = 0; i < 5; i++) await get('/api/v1/dashboard');
    for (let i = 0; i < (opts.dashboards ?? 50); i++) dashboardTimes.push(await timeOf(() => get('/api/v1/dashboard')));

    const personTimes: number[] = [];
    const people = opts.people ?? 200;
    for (let i = 0; i < people + 10; i++) {
      const email = emailOf((i * 104_729) % subjects);
      const found = await server.app.inject({ method: 'POST', url: '/api/v1/subjects/search', headers, payload: { email } });
      const id = (found.json() as { subjects: Array<{ id: string }> }).subjects[0]?.id;
      if (!id) {
        errors++;
        continue;
      }
      const ms = await timeOf(() =>
        Promise.all([
          get(`/api/v1/subjects/${id}`),
          get(`/api/v1/retention/subjects/${id}`),
          get(`/api/v1/subjects/${id}/consent`),
          get(`/api/v1/events?subject=${id}`),
          get(`/api/v1/audit?subject=${id}&limit=100`),
          get('/api/v1/holds'),
          get('/api/v1/requests?limit=500'),
        ]),
      );
      // The first few warm the JIT and the statement caches.
      if (i >= 10) personTimes.push(ms);
    }
    dashboardTimes.sort((a, b) => a - b);
    personTimes.sort((a, b) => a - b);
    return {
      dashboardP50Ms: percentile(dashboardTimes, 50),
      dashboardP99Ms: percentile(dashboardTimes, 99),
      personP50Ms: percentile(personTimes, 50),
      personP99Ms: percentile(personTimes, 99),
      people: personTimes.length,
      errors,
    };
  } finally {
    await server.close();
  }
}
