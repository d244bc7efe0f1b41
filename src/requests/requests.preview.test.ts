import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { aMatchedRequest, aPerson } from '../../test/support/factories.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { PREVIEW_LINK, previewFulfil } from './requests.preview.js';
import { fulfilRequest } from './requests.fulfil.js';
import { confirmMatch, getRequest, openRequest, verifyRequest } from './requests.service.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');

describe.each(dialects)('previewing an answer on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('shows the letter and the pack as they will go, and stores and sends nothing', async () => {
    const dpo = actorWith('dpo');
    const person = await aPerson(rt, { email: 'preview@example.com', name: 'Pre View' });
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

  it('shows the letters of the other five answers exactly as fulfilling will send them, and changes nothing', async () => {
    const dpo = actorWith('dpo');
    const prepared = async (type: 'erasure' | 'rectification' | 'restriction' | 'marketing-objection' | 'withdraw-consent', email: string) => {
      const person = await aPerson(rt, { email, name: 'Sam Ple' });
      const r = await aMatchedRequest(rt, person.id, { type, channel: 'letter', requester: { address: '1 Preview Road', name: 'Sam Ple' } }, dpo);
      return { person, r };
    };
    const snapshot = async (subjectId: string) => ({
      subject: await rt.database.db.selectFrom('subjects').select(['erased_at', 'restricted']).where('id', '=', subjectId).executeTakeFirst(),
      records: await rt.database.db.selectFrom('records').select(['id', 'ciphertext']).where('subject_id', '=', subjectId).orderBy('id').execute(),
      suppressions: (await rt.database.db.selectFrom('suppressions').select('hash').execute()).length,
      audit: (await rt.database.db.selectFrom('audit_log').select('seq').where('action', 'not like', '%read%').execute()).length,
    });

    const erasure = await prepared('erasure', 'erase.me@example.com');
    const before = await snapshot(erasure.person.id);
    const preview = await previewFulfil(rt, dpo, erasure.r.reference);
    expect(preview.pack).toBeNull();
    expect(preview.letter.subject).toContain(erasure.r.reference);
    expect(await snapshot(erasure.person.id)).toEqual(before);
    const stillOpen = await getRequest(rt, dpo, erasure.r.id);
    expect(stillOpen.status).toBe('open');
    expect(stillOpen.doc.letters).toEqual([]);
    expect(await rt.database.db.selectFrom('request_tasks').select('id').where('request_id', '=', erasure.r.id).execute()).toEqual([]);
    // The real answer sends the letter the preview showed.
    await fulfilRequest(rt, dpo, erasure.r.id);
    const sent = (await getRequest(rt, dpo, erasure.r.id)).doc.letters.at(-1)!;
    expect(sent.text).toBe(preview.letter.text);
    expect((await snapshot(erasure.person.id)).records).toEqual([]);

    // Rectification takes the same input as fulfilling it.
    const rect = await prepared('rectification', 'fix.me@example.com');
    const nameRecord = (await snapshot(rect.person.id)).records;
    const name = (await rt.database.db.selectFrom('records').select('id').where('subject_id', '=', rect.person.id).where('category', '=', 'name').executeTakeFirstOrThrow()).id;
    await expect(previewFulfil(rt, dpo, rect.r.id)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const rectPreview = await previewFulfil(rt, dpo, rect.r.id, { changes: [{ recordId: name, value: 'Samuel Ple' }] });
    expect(rectPreview.letter.text.length).toBeGreaterThan(100);
    expect((await snapshot(rect.person.id)).records).toEqual(nameRecord);

    for (const [type, email] of [
      ['restriction', 'hold.me@example.com'],
      ['marketing-objection', 'no.ads@example.com'],
      ['withdraw-consent', 'withdraw@example.com'],
    ] as const) {
      const { person, r } = await prepared(type, email);
      const was = await snapshot(person.id);
      const p = await previewFulfil(rt, dpo, r.id);
      expect(p.letter.subject).toContain(r.reference);
      expect(await snapshot(person.id)).toEqual(was);
      expect((await getRequest(rt, dpo, r.id)).status).toBe('open');
      await fulfilRequest(rt, dpo, r.id);
      expect((await getRequest(rt, dpo, r.id)).doc.letters.at(-1)!.text).toBe(p.letter.text);
    }

    // Staff may not answer requests, so they may not preview the answer either.
    const last = await prepared('restriction', 'staff.try@example.com');
    await expect(previewFulfil(rt, actorWith('staff'), last.r.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
