/**
 * The API the console's part 2 pages use, beyond the browser: the audit trail's filters by user
 * and day, the anchors verification reports, each finding's fix, users whose password is one-time,
 * and retention run now — each refused to the roles that may not, with stable codes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachAuditWitness } from '../audit/audit.service.js';
import { createCheckpoint } from '../audit/audit.checkpoint.js';
import { AuditWitness } from '../audit/audit.witness.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { bearer, signInAs, signInOwner } from '../../test/support/factories.js';

describe.each(dialects)('the console’s part 2 API on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let owner: string;
  const auth = bearer;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    rt = await createTestRuntime(kind);
    const witness = new AuditWitness(rt.dataDir, rt.keyring, rt.clock);
    attachAuditWitness(rt.database.db, witness);
    rt.witness = witness;
    app = await buildApp({ ...rt, logger: false });
    owner = await signInOwner(app, rt);
    Object.assign(tokens, await signInAs(app, rt, ['dpo', 'staff', 'auditor'], { suffix: '-one', owner }));
  });
  afterAll(async () => {
    await app.close();
    await rt.witness?.flush();
    await rt.close();
  });

  it('filters the audit trail by user (a username or an actor id) and by day, and names users', async () => {
    const get = async (q: string, token = tokens.auditor!) => app.inject({ url: `/api/v1/audit?${q}`, headers: auth(token) });
    const logins = (await get('user=dpo-one&action=auth.login')).json();
    expect(logins.entries).toHaveLength(1);
    expect(logins.entries[0]).toMatchObject({ action: 'auth.login', actorName: 'dpo-one', actorRole: 'dpo' });
    const created = (await get('user=system:test&action=user.create')).json();
    expect(created.entries.map((e: { actorName: string | null }) => e.actorName)).toEqual([null]);
    expect((await get('user=nobody-here')).json().entries).toEqual([]);
    // The test clock stands at 2026-03-02: every entry is that day.
    const all = (await get('limit=1000')).json().entries.length;
    expect((await get('from=2026-03-02&to=2026-03-02&limit=1000')).json().entries).toHaveLength(all);
    expect((await get('to=2026-03-01')).json().entries).toEqual([]);
    expect((await get('from=2026-03-03')).json().entries).toEqual([]);
    for (const q of ['from=2026-02-30', 'to=yesterday', 'from=2026-03-05&to=2026-03-01']) {
      const r = await get(q);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect((await get('', tokens.staff)).statusCode).toBe(403);
  });

  it('reports which anchors outside the database the chain was checked against', async () => {
    const r = (await app.inject({ url: '/api/v1/audit/verify', headers: auth(tokens.dpo!) })).json();
    expect(r.ok).toBe(true);
    // The witness file is named, but not where the server keeps it.
    expect(r.anchors).toEqual([{ source: 'the witness file (2026-03-02T10:00:00.000Z)', count: expect.any(Number) }]);
    expect(JSON.stringify(r)).not.toContain(rt.dataDir);
    // A checkpoint as mailed is checked too; a forged one is reported; anything else is refused.
    const checkpoint = JSON.stringify(await createCheckpoint(rt, new Date('2026-03-02T10:00:00Z')));
    const post = (checkpoints: string[]) => app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: auth(tokens.auditor!), payload: { checkpoints } });
    const good = (await post([checkpoint])).json();
    expect(good.ok).toBe(true);
    expect(good.anchors.map((a: { source: string }) => a.source)).toEqual([expect.stringMatching(/witness/), 'the checkpoint of 2026-03-02T10:00:00.000Z']);
    const forged = (await post([checkpoint.replace(/"count":\d+/, '"count":99999')])).json();
    expect(forged).toMatchObject({ ok: false, problems: [{ kind: 'anchor-invalid' }] });
    // A wiped log is reported from the witness, again without the server's paths.
    const saved = await rt.database.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    const head = await rt.database.db.selectFrom('key_state').selectAll().where('name', '=', 'audit_head').execute();
    await rt.database.db.deleteFrom('audit_log').execute();
    await rt.database.db.deleteFrom('key_state').where('name', '=', 'audit_head').execute();
    try {
      const wiped = (await post([])).json();
      expect(wiped.problems.map((p: { kind: string }) => p.kind)).toEqual(['wiped']);
      expect(wiped.problem.message).toMatch(/^the audit log is empty, but the witness file \(2026-03-02T10:00:00.000Z\) records \d+ entries/);
      expect(JSON.stringify(wiped)).not.toContain(rt.dataDir);
    } finally {
      await rt.database.db.insertInto('audit_log').values(saved).execute();
      await rt.database.db.insertInto('key_state').values(head).execute();
    }
    const junk = await post(['not a checkpoint']);
    expect(junk.statusCode).toBe(400);
    expect(junk.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'checkpoints.0' }] });
    expect((await app.inject({ method: 'POST', url: '/api/v1/audit/verify', headers: auth(tokens.staff!), payload: { checkpoints: [] } })).statusCode).toBe(403);
  });

  it('gives each declaration finding the rule’s fix', async () => {
    const r = (await app.inject('/api/v1/policy/findings')).json();
    for (const f of r.findings) expect(f.fix, f.rule).toMatch(/\w/);
  });

  it('makes a new user’s password one-time when asked: they must change it before anything else', async () => {
    const made = await app.inject({ method: 'POST', url: '/api/v1/users', headers: auth(owner), payload: { username: 'newcomer', role: 'staff', mustChangePassword: true } });
    expect(made.json().user.mustChangePassword).toBe(true);
    const token = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'newcomer', password: made.json().password } })).json().token;
    const refused = await app.inject({ method: 'POST', url: '/api/v1/subjects/search', headers: auth(token), payload: { email: 'a@example.org' } });
    expect(refused.json().error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const changed = await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: auth(token), payload: { currentPassword: made.json().password, newPassword: 'a passphrase of my own' } });
    expect(changed.json().user.mustChangePassword).toBe(false);
  });

  it('runs retention now for the privacy officer and owner only, and records it as the last run', async () => {
    for (const role of ['staff', 'auditor']) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/retention/run', headers: auth(tokens[role]!) });
      expect(r.statusCode, role).toBe(403);
      expect(r.json().error.code).toBe('FORBIDDEN');
    }
    const run = await app.inject({ method: 'POST', url: '/api/v1/retention/run', headers: auth(tokens.dpo!) });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({ acquired: true, complete: true, asOf: '2026-03-02', deleted: 0 });
    const last = await rt.database.db.selectFrom('job_runs').selectAll().where('name', '=', 'retention').executeTakeFirstOrThrow();
    expect(last).toMatchObject({ last_run_at: '2026-03-02T10:00:00.000Z', last_status: 'deleted 0, anonymised 0 (run now)' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/retention/run', headers: auth(owner) })).statusCode).toBe(200);
  });
});
