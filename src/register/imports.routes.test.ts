/**
 * The import API the console's import journey is built on: upload, suggested mapping and dry run,
 * then a job whose progress is polled; and a record's fields over the API.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOwner } from '../auth/auth.service.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { systemActor } from '../kernel/actors.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CSV = readFileSync(path.join(ROOT, 'test/fixtures/register/office-customers.csv'), 'utf8');

describe.each(dialects)('the import API on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let owner: string;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: path.join(ROOT, 'examples/kestronics.yaml') });
    app = await buildApp({ ...rt, logger: false });
    const first = await ensureOwner(rt, systemActor('test'));
    owner = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner', password: first!.password } })).json().token;
  });
  afterAll(async () => {
    await app.close();
    await rt.close();
  });

  async function tokenFor(role: string): Promise<string> {
    const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
    const created = await app.inject({ method: 'POST', url: '/api/v1/users', headers: auth(owner), payload: { username, role } });
    return (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: created.json().password } })).json().token;
  }

  it('checks an upload (mapping and dry run, nothing written), runs it as a job, and reports progress', async () => {
    const staff = await tokenFor('staff');
    const bad = `${CSV}Ann,Ash,Buyer,Ash Ltd,not-an-email,,,,,AA-1\n`;
    const up = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: auth(staff), payload: { relationship: 'customer', csv: bad } });
    expect(up.statusCode).toBe(201);
    const checked = up.json();
    expect(checked).toMatchObject({ status: 'checked', check: { dryRun: true, rows: 6, created: 5, rejected: 1, unmapped: [] } });
    expect(checked.check.columns).toHaveLength(10);
    expect(checked.check.rejections).toEqual([{ line: 7, code: 'VALIDATION_FAILED', reason: 'column "Email": is not a valid email address' }]);
    expect(JSON.stringify(checked)).not.toContain('Okafor');
    expect(await rt.database.db.selectFrom('subjects').select('id').execute()).toHaveLength(0);

    // Another user cannot see or run it.
    const other = await tokenFor('staff');
    expect((await app.inject({ method: 'GET', url: `/api/v1/imports/${checked.id}`, headers: auth(other) })).statusCode).toBe(404);

    const run = await app.inject({ method: 'POST', url: `/api/v1/imports/${checked.id}/run`, headers: auth(staff), payload: {} });
    expect(run.statusCode).toBe(202);
    let state = run.json();
    for (let i = 0; i < 200 && state.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      state = (await app.inject({ method: 'GET', url: `/api/v1/imports/${checked.id}`, headers: auth(staff) })).json();
    }
    expect(state).toMatchObject({ status: 'done', progress: { rows: 6, created: 5, rejected: 1 }, result: { dryRun: false, created: 5, rejected: 1 } });
    expect((await app.inject({ method: 'POST', url: `/api/v1/imports/${checked.id}/run`, headers: auth(staff), payload: {} })).statusCode).toBe(409);
  });

  it('changes one field of a record over the API, keeping the others', async () => {
    const staff = await tokenFor('staff');
    const found = (await app.inject({ method: 'POST', url: '/api/v1/subjects/search', headers: auth(staff), payload: { email: 'dev@patelandsons.example' } })).json();
    const person = (await app.inject({ method: 'GET', url: `/api/v1/subjects/${found.subjects[0].id}`, headers: auth(staff) })).json();
    const contact = person.records.find((r: { category: string }) => r.category === 'identity-and-contact');
    expect(contact.fields.map((f: { label: string }) => f.label)).toContain('Job title');
    const res = await app.inject({ method: 'PATCH', url: `/api/v1/records/${contact.id}`, headers: auth(staff), payload: { fields: { 'job-title': 'Managing director' } } });
    expect(res.statusCode).toBe(200);
    const fields = Object.fromEntries(res.json().fields.map((f: { id: string; value: string }) => [f.id, f.value]));
    expect(fields).toMatchObject({ 'job-title': 'Managing director', surname: 'Patel', email: 'dev@patelandsons.example' });
    const wrong = await app.inject({ method: 'PATCH', url: `/api/v1/records/${contact.id}`, headers: auth(staff), payload: { fields: { 'shoe-size': '9' } } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('VALIDATION_FAILED');
  });
});
