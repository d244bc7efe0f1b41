/**
 * Identity evidence moves a request's clock only when the declaration asks for identity: found
 * on the way to the console (issue 14), where recording evidence nobody asked for moved the due
 * date to a month after the day it was recorded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { openRequest, verifyRequest } from './requests.service.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');

describe.each(dialects)('identity evidence and the clock on %s', (kind) => {
  let dir: string;
  let asked: TestRuntime;
  let notAsked: TestRuntime;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-idclock-'));
    const text = readFileSync(FIXTURE, 'utf8');
    const without = text.replace(/\n  identity:\n    required: 2\n    accepted: \[[^\]]*\]\n/, '\n');
    expect(without).not.toBe(text);
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, without);
    notAsked = await createTestRuntime(kind, { policyFile: file });
    asked = await createTestRuntime(kind, { policyFile: FIXTURE });
  });
  afterAll(async () => {
    await notAsked?.close();
    await asked?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the due date when evidence arrives that the declaration never asked for', async () => {
    const dpo = actorWith('dpo');
    // Received 2026-02-02; the clock stands at 2026-03-02.
    const r = await openRequest(notAsked, dpo, { type: 'access', channel: 'letter', receivedOn: '2026-02-02', requester: { address: '1 Example Road' } });
    expect(r.status).toBe('open');
    const after = await verifyRequest(notAsked, dpo, r.id, { evidence: ['passport'] });
    expect(after.dueOn).toBe(r.dueOn);
    expect(after.idReceivedOn).toBeNull();
  });

  it('starts the clock on the day the requested evidence is complete', async () => {
    const dpo = actorWith('dpo');
    const r = await openRequest(asked, dpo, { type: 'access', channel: 'letter', receivedOn: '2026-02-02', requester: { address: '1 Example Road' } });
    expect(r.status).toBe('identity-pending');
    const one = await verifyRequest(asked, dpo, r.id, { evidence: ['passport'], receivedOn: '2026-02-20' });
    expect(one.idReceivedOn).toBeNull();
    const two = await verifyRequest(asked, dpo, r.id, { evidence: ['utility-bill'], receivedOn: '2026-02-20' });
    expect(two.idReceivedOn).toBe('2026-02-20');
    expect(two.dueOn > r.dueOn).toBe(true);
    expect(two.status).toBe('open');
  });
});
