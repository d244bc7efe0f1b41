/**
 * The soak's loopback load generator: `concurrency` loops, half sending to each instance over
 * keep-alive connections, each request drawn from a fixed mix: a search by e-mail, a new person,
 * a rights request, a consent given or withdrawn. Counts every answer that is not the one the
 * API documents as success as an error. Reports figures; never judges them.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { percentile } from './support.js';

export type Kind = 'search' | 'create' | 'request' | 'consent';
/** Out of 20: 11 searches, 4 new people, 2 rights requests, 3 consent writes. */
const MIX: Kind[] = [...Array<Kind>(11).fill('search'), ...Array<Kind>(4).fill('create'), ...Array<Kind>(2).fill('request'), ...Array<Kind>(3).fill('consent')];

export interface MixedResult {
  requests: number;
  errors: number;
  seconds: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
  byKind: Record<Kind, { requests: number; errors: number; p99Ms: number }>;
}

export interface MixedJob {
  urls: string[];
  token: string;
  /** People known to exist (consent writes go to them; new people join them). */
  subjects: string[];
  /** People seeded as soak.person.<i>@example.com, i < people: searches look for them. */
  people: number;
  seconds: number;
  concurrency: number;
}

export async function runMixedLoad(job: MixedJob): Promise<MixedResult> {
  const agents = job.urls.map(() => new http.Agent({ keepAlive: true, maxSockets: job.concurrency }));
  const send = (i: number, method: string, p: string, body: unknown): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const u = new URL(p, job.urls[i]);
      const data = JSON.stringify(body);
      const req = http.request(
        { agent: agents[i], host: u.hostname, port: u.port, path: u.pathname, method, headers: { authorization: `Bearer ${job.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });

  const subjects = [...job.subjects];
  const latencies: number[] = [];
  const byKind = Object.fromEntries((['search', 'create', 'request', 'consent'] as const).map((k) => [k, { requests: 0, errors: 0, lat: [] as number[] }])) as Record<
    Kind,
    { requests: number; errors: number; lat: number[] }
  >;
  let sent = 0;
  let errors = 0;
  let created = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + job.seconds * 1000;

  const one = async (instance: number, n: number): Promise<void> => {
    const kind = MIX[(n * 7919) % MIX.length]!;
    let res: { status: number; body: string };
    let expected = 201;
    const t0 = performance.now();
    try {
      if (kind === 'search') {
        expected = 200;
        res = await send(instance, 'POST', '/api/v1/subjects/search', { email: `soak.person.${(n * 104_729) % job.people}@example.com` });
        if (res.status === 200 && !res.body.includes('"subjects":[{')) res = { status: -1, body: `search found nobody: ${res.body.slice(0, 100)}` };
      } else if (kind === 'create') {
        const i = created++;
        res = await send(instance, 'POST', '/api/v1/subjects', {
          relationships: [{ relationship: 'customer' }],
          records: [
            { category: 'name', value: `Soak New ${i}` },
            { category: 'email-address', value: `soak.new.${i}.${instance}@example.com` },
          ],
        });
        if (res.status === 201) subjects.push((JSON.parse(res.body) as { id: string }).id);
      } else if (kind === 'request') {
        res = await send(instance, 'POST', '/api/v1/requests', { type: 'access', channel: 'email', requester: { name: 'Soak Requester', email: `soak.person.${n % job.people}@example.com` } });
      } else {
        const id = subjects[(n * 31) % subjects.length]!;
        res = await send(instance, 'POST', `/api/v1/subjects/${id}/consent`, {
          purpose: 'newsletter',
          channels: ['email'],
          action: n % 3 === 0 ? 'withdrawn' : 'given',
          method: 'web',
          wording: 'Send me the newsletter',
        });
      }
    } catch (e) {
      res = { status: 0, body: (e as Error).message };
    }
    const ms = performance.now() - t0;
    latencies.push(ms);
    const k = byKind[kind];
    k.requests++;
    k.lat.push(ms);
    if (res.status !== expected) {
      errors++;
      k.errors++;
      firstError ??= `${kind} → ${res.status}: ${res.body.slice(0, 300)}`;
    }
  };

  await Promise.all(
    Array.from({ length: job.concurrency }, async (_, c) => {
      while (performance.now() < deadline) await one(c % job.urls.length, sent++);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  for (const a of agents) a.destroy();
  latencies.sort((a, b) => a - b);
  const kinds = Object.fromEntries(
    Object.entries(byKind).map(([name, k]) => {
      k.lat.sort((a, b) => a - b);
      return [name, { requests: k.requests, errors: k.errors, p99Ms: percentile(k.lat, 99) }];
    }),
  ) as MixedResult['byKind'];
  return {
    requests: sent,
    errors,
    seconds,
    perSec: sent / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ...(firstError ? { firstError } : {}),
    byKind: kinds,
  };
}
