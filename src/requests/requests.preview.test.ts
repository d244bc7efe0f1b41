import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { createSubject } from '../register/register.service.js';
import { PREVIEW_LINK, previewFulfil } from './requests.preview.js';
import { confirmMatch, getRequest, openRequest, verifyRequest } from './requests.service.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');

describe.each(dialects)('previewing an access answer on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('shows the letter and the pack as they will go, and stores and sends nothing', async () => {
    const dpo = actorWith('dpo');
    const person = await createSubject(rt, actorWith('staff'), { relationships: [{ relationship: 'customer' }], records: [{ category: 'email-address', value: 'preview@example.com' }, { category: 'name', value: 'Pre View' }] });
    const r = await openRequest(rt, dpo, { type: 'access', channel: 'email', requester: { email: 'preview@example.com', name: 'Pre View' } });
    await verifyRequest(rt, dpo, r.id, { evidence: ['passport', 'utility-bill'] });

    const unmatched = await previewFulfil(rt, dpo, r.reference);
    expect(unmatched.pack).toBeNull();

    await confirmMatch(rt, dpo, r.id, person.id);
    const p = await previewFulfil(rt, dpo, r.reference);
    expect(p.letter.text).toContain(r.reference);
    expect(p.letter.text).toContain(PREVIEW_LINK);
    expect(p.pack!.records).toBe(2);
    const csv = p.pack!.files.find((f) => f.name === 'records.csv')!;
    expect(csv.text).toContain('preview@example.com');
    expect(p.pack!.files.map((f) => f.name)).toEqual(expect.arrayContaining(['records.json', 'your-information.html', 'README.txt']));

    const after = await getRequest(rt, dpo, r.id);
    expect(after.status).toBe('open');
    expect(after.doc.letters.filter((l) => l.kind === 'access')).toEqual([]);
    expect(await rt.database.db.selectFrom('request_packs').select('id').where('request_id', '=', r.id).execute()).toEqual([]);
    await expect(previewFulfil(rt, actorWith('staff'), r.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses types whose answer has no pack', async () => {
    const dpo = actorWith('dpo');
    const r = await openRequest(rt, dpo, { type: 'erasure', channel: 'email', requester: { email: 'x@example.com' } });
    await expect(previewFulfil(rt, dpo, r.id)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
