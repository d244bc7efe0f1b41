import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../audit/audit.service.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { loadPolicy } from './policy.loader.js';
import { currentPublication, describeChanges, listPublications, publishNotice, versionInForce } from './publishing.service.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/publishing');
const OLD = path.join(FIXTURES, 'policy-2018.yaml');
const CLEAN = path.join(FIXTURES, 'clean.yaml');

const code = async (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: { code?: string }) => e.code);

describe.each(dialects)('publishing the notice on %s', (kind) => {
  describe('a 2018-style declaration (no lawful basis, no retention)', () => {
    let rt: TestRuntime;
    let app: FastifyInstance;
    beforeAll(async () => {
      rt = await createTestRuntime(kind, { policyFile: OLD });
      app = await buildApp({ ...rt, logger: false });
    });
    afterAll(async () => {
      await app?.close();
      await rt?.close();
    });

    it('serves a draft marked "Draft — not published" that says what is missing instead of promising it', async () => {
      const page = await app.inject('/privacy');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Draft — not published');
      expect(page.body).toContain('<meta name="robots" content="noindex">');
      expect(page.body).toContain('Not stated: the lawful basis');
      expect(page.body).toContain('Not stated: how long we keep this data');
      expect(page.body).not.toContain('We do not send your personal data outside the UK');
      expect((await app.inject('/privacy.md')).body).toContain('Draft — not published');
      expect((await app.inject('/privacy/versions')).body).toContain('No version of our privacy notice has been published yet');
    });

    it('refuses to publish it, and publishes with --force only with a reason, which is recorded', async () => {
      const dpo = actorWith('dpo');
      expect(await code(publishNotice(rt, dpo))).toBe('CONFLICT');
      expect(await code(publishNotice(rt, dpo, { force: true }))).toBe('VALIDATION_FAILED');
      expect(await code(publishNotice(rt, actorWith('staff'), { force: true, reason: 'x' }))).toBe('FORBIDDEN');
      expect(await currentPublication(rt.database.db)).toBeUndefined();
      expect((await versionInForce(rt.database.db, rt.policy)).published).toBe(false);

      const r = await publishNotice(rt, dpo, { force: true, reason: 'The board wants the old notice online while we fix it' });
      expect(r.alreadyInForce).toBe(false);
      expect(r.publication).toMatchObject({ hash: rt.policy.hash, effectiveDate: '2018-05-23', publishedBy: dpo.id, forcedReason: 'The board wants the old notice online while we fix it', errors: 4 });
      expect(r.publication.changes).toEqual(['First published version.']);
      const audit = await listAudit(rt.database.db, { action: 'policy.publish', limit: 5 });
      expect(audit.entries).toHaveLength(1);
      expect(audit.entries[0]!.details).toMatchObject({ forced: true, errors: 4, hash: rt.policy.hash });
      // Published, so no longer a draft, but still honest about what is missing.
      const page = await app.inject('/privacy');
      expect(page.body).not.toContain('Draft — not published');
      expect(page.body).toContain('Not stated: the lawful basis');
    });
  });

  describe('a clean declaration', () => {
    let rt: TestRuntime;
    let app: FastifyInstance;
    let owner: string;
    beforeAll(async () => {
      rt = await createTestRuntime(kind, { policyFile: CLEAN });
      app = await buildApp({ ...rt, logger: false });
      const { createUser, login } = await import('../auth/auth.service.js');
      const made = await createUser(rt, actorWith('owner'), { username: 'pub-owner', role: 'owner' });
      owner = (await login(rt, 'pub-owner', made.password, '127.0.0.1')).token;
    });
    afterAll(async () => {
      await app?.close();
      await rt?.close();
    });

    it('publishes over the API, and /privacy shows it with links to the request, preference and complaint forms', async () => {
      expect((await app.inject({ method: 'POST', url: '/api/v1/policy/publish', payload: {} })).statusCode).toBe(401);
      const res = await app.inject({ method: 'POST', url: '/api/v1/policy/publish', headers: { authorization: `Bearer ${owner}` }, payload: {} });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body.publication).toMatchObject({ hash: rt.policy.hash, effectiveDate: '2026-01-01', errors: 0, forcedReason: null });
      const again = await app.inject({ method: 'POST', url: '/api/v1/policy/publish', headers: { authorization: `Bearer ${owner}` }, payload: {} });
      expect(again.statusCode).toBe(200);
      expect(again.json().alreadyInForce).toBe(true);

      const page = await app.inject('/privacy');
      expect(page.body).not.toContain('Draft — not published');
      expect(page.body).not.toContain('Not stated');
      for (const href of ['/privacy/requests', '/preferences', '/privacy/complaints']) expect(page.body).toContain(`${rt.config.baseUrl}${href}"`);
      const landing = await app.inject('/');
      for (const href of ['/privacy/requests', '/preferences', '/privacy/complaints', '/privacy/versions']) expect(landing.body).toContain(`href="${href}"`);

      const versions = await app.inject('/privacy/versions');
      expect(versions.body).toContain(`/privacy/versions/${body.publication.id}`);
      expect(versions.body).toContain('First published version.');
      expect(versions.body).toContain('(in force)');
      const one = await app.inject(`/privacy/versions/${body.publication.id}`);
      expect(one.statusCode).toBe(200);
      expect(one.body).toContain(rt.policy.hash);
      expect((await app.inject('/privacy/versions/999999')).statusCode).toBe(404);
      expect((await app.inject('/privacy/versions/abc')).statusCode).toBe(404);
      expect((await app.inject('/api/v1/policy/versions')).statusCode).toBe(401);
      const api = await app.inject({ url: '/api/v1/policy/versions', headers: { authorization: `Bearer ${owner}` } });
      expect(api.json().versions).toHaveLength(1);
    });

    it('keeps earlier versions readable, with what changed, when a new one is published', async () => {
      const first = (await currentPublication(rt.database.db))!;
      const changed = await loadPolicy(CLEAN);
      changed.policy.notice.effective_date = '2026-06-01';
      changed.policy.purposes = changed.policy.purposes.filter((p) => p.id !== 'newsletter');
      const { policyHash } = await import('./policy.loader.js');
      changed.hash = policyHash(changed.policy);
      rt.clock.set('2026-06-01T09:00:00Z');
      const r = await publishNotice({ ...rt, policy: changed }, actorWith('owner'));
      expect(r.publication.changes).toContain('Effective date changed from 2026-01-01 to 2026-06-01.');
      expect(r.publication.changes).toContain('Uses of data and lawful bases: removed "Sending our newsletter".');
      const list = await listPublications(rt.database.db);
      expect(list.map((p) => p.id)).toEqual([r.publication.id, first.id]);
      const now = await app.inject('/privacy');
      expect(now.body).toContain('1 June 2026');
      const old = await app.inject(`/privacy/versions/${first.id}`);
      expect(old.body).toContain('This is an earlier version of the notice');
      expect(old.body).toContain('Sending our newsletter');
      // Consent recorded now cites the publication in force, not the file the server loaded.
      expect((await versionInForce(rt.database.db, rt.policy)).hash).toBe(changed.hash);
    });
  });
});

describe('describeChanges', () => {
  it('describes entries added, removed and changed, and unchanged content', async () => {
    const a = (await loadPolicy(CLEAN)).policy;
    const b = structuredClone(a);
    b.recipients[0]!.countries = ['GB', 'IE'];
    b.rights.response_period = '28-days';
    expect(describeChanges(a, b)).toEqual(['Who receives data: changed "Our IT and hosting providers".', 'How to use your rights: changed.']);
    expect(describeChanges(a, structuredClone(a))).toEqual(['No change to the content.']);
  });
});
