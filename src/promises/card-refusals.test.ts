import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { dashboard } from '../console/dashboard.service.js';
import { openDatabase } from '../db/database.js';
import { buildApp } from '../server/app.js';
import { cardRefusalsSince } from './card-refusals.js';
import { signInAs } from '../../test/support/factories.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');
const CARD = '4111 1111 1111 1111';

describe.each(dialects)('card numbers refused, counted for the promises board, on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let token: string;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
    rt.clock.set('2026-03-02T10:00:00Z');
    app = await buildApp({ ...rt, logger: false });
    token = (await signInAs(app, rt, ['dpo'])).dpo;
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
  });

  it('counts a card number refused by the API, and nothing else, and shows it on the dashboard', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const refused = await app.inject({ method: 'POST', url: '/api/v1/requests', headers: auth, payload: { type: 'access', channel: 'phone', receivedOn: '2026-03-01', requester: { phone: '07700 900001' }, details: `I paid with ${CARD}` } });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('FORBIDDEN_DATA');
    expect(refused.body).not.toContain('4111');
    // Other refusals are not card numbers and are not counted.
    expect((await app.inject({ method: 'POST', url: '/api/v1/requests', headers: auth, payload: { type: 'access', channel: 'phone', receivedOn: 'yesterday' } })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/v1/requests/R-0000-0000', headers: auth })).statusCode).toBeGreaterThanOrEqual(400);

    expect(await cardRefusalsSince(rt.database.db, '2026-01-01')).toEqual({ total: 1, bySource: { api: 1 } });
    const board = (await dashboard(rt, actorWith('staff'))).promises.find((p) => p.id === 'no-card-numbers')!;
    expect(board.kept).toBe(true);
    expect(board.evidence[0]).toBe('card numbers refused this year: 1 (1 through the API and console)');
    // Last year's refusals are not this year's.
    expect(await cardRefusalsSince(rt.database.db, '2026-03-03')).toEqual({ total: 0, bySource: {} });
  });
});

describe.each(dialects)('card numbers refused at the command line on %s', (kind) => {
  const ws = useCliWorkspace(kind, { prefix: 'cards', policy: POLICY });

  it('are counted too', async () => {
    const cli = (...args: string[]) => ws.run(args);
    const r = await cli('requests', 'open', '--type', 'access', '--channel', 'phone', '--phone', '07700 900002', '--details', `card ${CARD}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FORBIDDEN_DATA');
    expect(r.stderr).not.toContain('4111');
    const url = kind === 'sqlite' ? `sqlite:${path.join(ws.dir, 'data', 'steward.sqlite')}` : ws.db.args[1]!;
    const d = await openDatabase(url, { migrate: false, poolSize: 1 });
    try {
      expect((await d.db.selectFrom('card_refusals').select(['source', 'refusals']).execute())).toEqual([{ source: 'cli', refusals: 1 }]);
    } finally {
      await d.close();
    }
  });
});
