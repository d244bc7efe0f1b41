import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubject, setRestriction } from '../register/register.service.js';
import { type RecordInput } from '../register/record.prepare.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { FALLBACK, HASHED, hashEmailLines, hashEmails } from './audience-hashing.js';
import { DigestTable, digestWords, IdTable } from './audience-tables.js';
import { reasonOf } from './audience.rules.js';
import { checkAudience, type AudienceTuning } from './audience.service.js';
import { recordConsent } from './consent.service.js';
import { FastHmac } from './fast-hmac.js';
import { normaliseEmailFast, SIMPLE_EMAIL } from './normalise.js';
import { suppress } from './suppression.add.js';

const CONSENT_POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/consent/policy.yaml');

const words = (...w: number[]) => Int32Array.from(w);
const hexOf = (w: Int32Array) => Array.from(w, (v) => (v >>> 0).toString(16).padStart(8, '0')).join('');

describe('the audience lookup tables', () => {
  it('tells apart digests that share a bucket, a prefix, or all but the last word', () => {
    const t = new DigestTable(6);
    const a = words(1, 2, 3, 4, 5, 6, 7, 8);
    const b = words(1, 2, 3, 4, 5, 6, 7, 9); // same first seven words
    const c = words(1, 2, 9, 9, 9, 9, 9, 9); // same first two words: same home bucket
    const d = words(-1, -2, -3, -4, -5, -6, -7, -8);
    const zero = new Int32Array(8);
    expect([t.add(a, 0), t.add(b, 0), t.add(c, 0), t.add(d, 0), t.add(zero, 0)]).toEqual([0, 1, 2, 3, 4]);
    expect([t.add(c, 0), t.add(a, 0), t.add(zero, 0)]).toEqual([2, 0, 4]);
    expect(t.size).toBe(5);
    expect(t.find(words(1, 2, 3, 4, 5, 6, 7, 10), 0)).toBe(-1);
    const packed = new Int32Array(16);
    packed.set(b, 8);
    expect(t.find(packed, 8)).toBe(1);
    expect(t.findHex(`xx${hexOf(d)};`, 2)).toBe(3);
    expect(t.hexOf(3)).toBe(hexOf(d));
    expect(t.findHex(hexOf(d).toUpperCase(), 0)).toBe(-1);
    expect(t.findHex(hexOf(d).slice(0, 63), 0)).toBe(-1);
    expect(t.add(words(7, 7, 7, 7, 7, 7, 7, 7), 0)).toBe(5);
    expect(() => t.add(words(8, 8, 8, 8, 8, 8, 8, 8), 0)).toThrow(/full/);
    expect(digestWords(hexOf(d))).toEqual(d);
    expect(digestWords(`${hexOf(d).slice(0, 63)}g`)).toBeUndefined();
    expect(digestWords(hexOf(d).slice(1))).toBeUndefined();
  });

  it('holds many digests, as many as it was made for', () => {
    const t = new DigestTable(5000);
    const all = new Int32Array(5000 * 8);
    for (let i = 0; i < all.length; i++) all[i] = (Math.imul(i, 2654435761) ^ (i >>> 3)) | 0;
    for (let i = 0; i < 5000; i++) expect(t.add(all, i * 8)).toBe(i);
    for (let i = 0; i < 5000; i++) expect(t.find(all, i * 8)).toBe(i);
  });

  it('finds ids in place, across strings, prefixes of each other, and as it grows', () => {
    const t = new IdTable();
    const ids = Array.from({ length: 3000 }, (_, i) => `id-${i}`);
    const joined = `${ids.join(';')};`;
    let from = 0;
    for (let i = 0; i < ids.length; i++) {
      expect(t.add(joined, from, from + ids[i]!.length)).toBe(i);
      from += ids[i]!.length + 1;
    }
    expect(t.size).toBe(3000);
    // The same id from another string is the same entry; a longer or shorter one is not.
    expect(t.find('x id-12 y', 2, 7)).toBe(12);
    expect(t.add('id-12', 0, 5)).toBe(12);
    expect(t.find('id-1200', 0, 6)).toBe(120);
    expect(t.find('id-3000', 0, 7)).toBe(-1);
    expect(t.id(2999)).toBe('id-2999');
    expect(t.add('', 0, 0)).toBe(3000);
    expect(t.find('abc', 1, 1)).toBe(3000);
  });
});

describe('hashing email lists from bytes', () => {
  const key = randomBytes(32);
  const hmacHex = (v: string) => createHmac('sha256', key).update(v).digest('hex');
  const fastBranch = (v: string) => {
    const s = v.trim();
    return s.length >= 3 && s.length <= 254 && SIMPLE_EMAIL.test(s) && s.indexOf('@') <= 64;
  };
  const samples = (): string[] => {
    const parts = ['a', 'Z', '0', '.', '-', '_', '+', '@', ' ', '\t', '\v', '\f', '..', 'xn--', 'é', 'K', '\u00a0', 'com', 'co.uk', '-x', 'x-', '"', '@@', 'ab', '9'];
    const out = ['Person.1@Example.COM', '  ann@example.org\t', 'a@b.co', 'a..b@example.org', '.a@example.org', 'a.@example.org', 'a@-b.com', 'a@b-.com', 'a@b.c', 'a@b.123', 'a@localhost', `${'x'.repeat(64)}@e.io`, `${'x'.repeat(65)}@e.io`, `a@${'d'.repeat(63)}.io`, `a@${'d'.repeat(64)}.io`, `a@b.${'c'.repeat(63)}`, `a@b.${'c'.repeat(64)}`, `${'x'.repeat(60)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.io`, '\u00a0ann@example.org', 'ann@exämple.org', 'a+tag@sub.example.co.uk', 'a_b@c_d.com', 'a@b..com', 'a@.b.com', 'a@b.com.', '@b.com', 'a@', '', '   ', 'a@b.c0m', 'A@B.CO'];
    let seed = 11;
    const rnd = (k: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % k;
    for (let i = 0; i < 4000; i++) out.push(Array.from({ length: 3 + rnd(9) }, () => parts[rnd(parts.length)]).join(''));
    // Mostly plain ones, near the edges of the shape: runs, dots, hyphens, case, lengths.
    const chars = 'abcXYZ019_+-';
    const run = (k: number, from = chars) => Array.from({ length: 1 + rnd(k) }, () => from[rnd(from.length)]).join('');
    for (let i = 0; i < 1000; i++) {
      const local = Array.from({ length: 1 + rnd(3) }, () => run(i % 50 === 0 ? 40 : 6)).join('.');
      const labels = Array.from({ length: 1 + rnd(3) }, () => run(i % 70 === 0 ? 70 : 5, 'abQ09-'));
      out.push(`${rnd(5) === 0 ? ' ' : ''}${local}@${labels.join('.')}.${run(3, 'abcXYZ')}${rnd(5) === 0 ? '\t' : ''}`);
    }
    return out;
  };

  it('takes exactly the plain addresses normaliseEmailFast takes its fast path for, and hashes them as node:crypto does', () => {
    const list = samples();
    const text = Buffer.from(`${list.join('\n')}`);
    const starts = new Int32Array(list.length + 1);
    for (let i = 0, p = 0; i < list.length; i++) {
      starts[i] = p;
      p += Buffer.byteLength(list[i]!) + 1;
    }
    starts[list.length] = text.length + 1;
    const status = new Uint8Array(list.length);
    const digests = new Int32Array(list.length * 8);
    hashEmailLines(new FastHmac(key), text, starts, status, digests, 0, list.length);
    let hashed = 0;
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      const ascii = /^[\x00-\x7f]*$/.test(v);
      if (status[i] === HASHED) {
        hashed++;
        expect(fastBranch(v), JSON.stringify(v)).toBe(true);
        expect(hexOf(digests.subarray(i * 8, i * 8 + 8)), JSON.stringify(v)).toBe(hmacHex(normaliseEmailFast(v)!));
      } else {
        expect(status[i]).toBe(FALLBACK);
        // Only what is not plain ASCII may fall back while the fast path would take it.
        if (ascii) expect(fastBranch(v), JSON.stringify(v)).toBe(false);
      }
    }
    expect(hashed).toBeGreaterThan(300);
  });

  it('shares a list between worker threads and this one, with the same digests', async () => {
    const list: unknown[] = [...samples(), ...Array.from({ length: 20_000 }, (_, i) => `Person.${i}@Example.com`), 42, 'line\nbreak@example.org', `${'x'.repeat(400)}@example.org`];
    const h = hashEmails(list, key, { workers: 2, maxChars: 320 });
    await h.done();
    expect(h.failures).toBe(0);
    const one = hashEmails(list, key, { workers: 0, maxChars: 320 });
    await one.done();
    expect([...h.status]).toEqual([...one.status]);
    expect([...h.digests]).toEqual([...one.digests]);
    expect(h.status.includes(0)).toBe(false);
    const at = samples().length;
    expect(hexOf(h.digests.subarray(at * 8, at * 8 + 8))).toBe(hmacHex('person.0@example.com'));
    expect([...h.status.subarray(-3)]).toEqual([FALLBACK, FALLBACK, FALLBACK]);
  });
});

describe.each(dialects)('the audience check by every path on %s', (kind) => {
  let rt: TestRuntime;
  const staff = actorWith('staff');
  const dpo = actorWith('dpo');

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: CONSENT_POLICY });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('gives the same answers probing, scanning, in ranges and with workers, past the tables’ first growth', async () => {
    const person = (relationship: string, email: string, subscriberType?: 'individual' | 'corporate') => {
      const records: RecordInput[] = [{ category: 'name', value: email }, { category: 'email-address', value: email }];
      return createSubject(rt, staff, { relationships: [{ relationship, ...(subscriberType ? { subscriberType } : {}) }], records });
    };
    const give = (subjectId: string, purpose: string, action: 'given' | 'withdrawn' = 'given') =>
      recordConsent(rt, staff, { subjectId, purpose, channels: ['email'], action, ...(action === 'given' ? { method: 'ticked-box', wording: 'Yes, send me news by email' } : { method: 'email' }) });
    const list: string[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) {
      const email = `member.${i}@example.org`;
      const s = await person(i % 4 === 3 ? 'business-contact' : 'customer', email);
      const customer = i % 4 !== 3;
      if (customer && i % 5 === 0) await give(s.id, 'newsletter');
      if (customer && i % 5 === 1) {
        await give(s.id, 'newsletter');
        await give(s.id, 'newsletter', 'withdrawn');
      }
      if (i === 2) await setRestriction(rt, dpo, s.id, true, 'accuracy contested');
      list.push(i % 2 ? email.toUpperCase() : ` ${email}`);
      expected.push(i === 2 ? 'restricted' : customer && i % 5 === 0 ? 'consent' : customer && i % 5 === 1 ? 'suppressed' : 'no-consent');
    }
    // One address on two people: one's restriction wins over the other's consent (a withdrawal would suppress the address).
    const a = await person('customer', 'shared@example.org');
    const b = await person('customer', 'shared@example.org');
    await give(a.id, 'newsletter');
    await give(b.id, 'newsletter');
    await setRestriction(rt, dpo, b.id, true, 'objection pending');
    await suppress(rt, staff, { identifiers: ['gone@example.org'], channel: 'email', reason: 'opt-out' });
    list.push('shared@example.org', 'gone@example.org', 'stranger@example.org', 'not-an-email', 'ümlaut@example.org', 'x'.repeat(400));
    expected.push('restricted', 'suppressed', 'unknown-person', 'invalid-identifier', 'unknown-person', 'invalid-identifier');

    const paths: AudienceTuning[] = [{}, { scanAt: 1 }, { workerAt: 1, scanAt: 1, workers: 1 }, { workerAt: 1, scanAt: 1, workers: 2, scanEntries: 7 }, { workerAt: 1, scanAt: 1_000_000 }, { scanAt: 1, scanEntries: 5 }];
    for (const tuning of paths) {
      const r = await checkAudience(rt, staff, { purpose: 'newsletter', channel: 'email', recipients: list }, tuning);
      expect([...r.codes].map(reasonOf), JSON.stringify(tuning)).toEqual(expected);
    }
    // On legitimate interests the relationships decide: corporate contacts may be emailed, customers without a soft opt-in not.
    const b2b = await checkAudience(rt, staff, { purpose: 'b2b', channel: 'email', recipients: list }, {});
    for (const tuning of paths.slice(1)) expect([...(await checkAudience(rt, staff, { purpose: 'b2b', channel: 'email', recipients: list }, tuning)).codes], JSON.stringify(tuning)).toEqual([...b2b.codes]);
    expect(reasonOf(b2b.codes[3]!)).toBe('corporate-legitimate-interest');
    expect(reasonOf(b2b.codes[4]!)).toBe('relationship-not-covered');
  });

  it('works out each kind of person in the database, on the big-list path, as the rules do on the small', async () => {
    const person = async (relationship: string, email: string, subscriberType?: 'individual' | 'corporate') =>
      (await createSubject(rt, staff, { relationships: [{ relationship, ...(subscriberType ? { subscriberType } : {}) }], records: [{ category: 'email-address', value: email }] })).id;
    const consent = (subjectId: string, purpose: string, extra: Record<string, unknown> = {}) =>
      recordConsent(rt, staff, { subjectId, purpose, channels: ['email'], action: 'given', method: 'ticked-box', wording: 'Yes, send me news by email', ...extra });
    // Given three years and more ago: lapsed now.
    rt.clock.set('2026-01-05T10:00:00Z');
    const lapsed = await person('customer', 'p.lapsed@example.org');
    await consent(lapsed, 'newsletter');
    rt.clock.set('2029-06-01T10:00:00Z');
    const active = await person('customer', 'p.active@example.org');
    await consent(active, 'newsletter');
    const withdrawn = await person('customer', 'p.withdrawn@example.org');
    await consent(withdrawn, 'newsletter');
    await recordConsent(rt, staff, { subjectId: withdrawn, purpose: 'newsletter', channels: ['email'], action: 'withdrawn', method: 'email' });
    const child = await person('customer', 'p.child@example.org');
    await consent(child, 'newsletter', { birthDate: '2020-01-01' });
    const childWithParent = await person('customer', 'p.child2@example.org');
    await consent(childWithParent, 'newsletter', { birthDate: '2020-01-01', parental: { method: 'form', evidenceRef: 'signed form' } });
    const restricted = await person('customer', 'p.restricted@example.org');
    await consent(restricted, 'newsletter');
    await setRestriction(rt, dpo, restricted, true, 'accuracy contested');
    const soft = await person('customer', 'p.soft@example.org');
    await recordConsent(rt, staff, { subjectId: soft, purpose: 'offers', channels: ['email'], action: 'soft-opt-in', method: 'sale', optOutOffered: true });
    await person('customer', 'p.nothing@example.org');
    await person('business-contact', 'p.company@example.org');
    await person('business-contact', 'p.soletrader@example.org', 'individual');
    await person('sole-trader', 'p.sole@example.org');
    const list = ['active', 'lapsed', 'withdrawn', 'child', 'child2', 'restricted', 'soft', 'nothing', 'company', 'soletrader', 'sole'].map((w) => `p.${w}@example.org`);
    const big: AudienceTuning = { workerAt: 1, scanAt: 1, workers: 1 };
    const answers = async (purpose: string) => {
      const small = [...(await checkAudience(rt, staff, { purpose, channel: 'email', recipients: list })).codes].map(reasonOf);
      const scanned = [...(await checkAudience(rt, staff, { purpose, channel: 'email', recipients: list }, big)).codes].map(reasonOf);
      expect(scanned).toEqual(small);
      return scanned;
    };
    // Consent: lapsed after three years; a withdrawal also suppresses the address; a child needs a parent's consent.
    expect(await answers('newsletter')).toEqual([
      'consent',
      'lapsed',
      'suppressed',
      'child-without-parental-consent',
      'consent',
      'restricted',
      'no-consent',
      'no-consent',
      'no-consent',
      'no-consent',
      'no-consent',
    ]);
    // Legitimate interests for customers: newsletter consent does not carry over; the soft opt-in does.
    expect(await answers('offers')).toEqual([
      'no-consent',
      'no-consent',
      'no-consent',
      'no-consent',
      'no-consent',
      'restricted',
      'soft-opt-in',
      'no-consent',
      'relationship-not-covered',
      'relationship-not-covered',
      'relationship-not-covered',
    ]);
    // Business contacts: corporate unless recorded as an individual; sole traders are individuals.
    expect((await answers('b2b')).slice(5)).toEqual(['restricted', 'relationship-not-covered', 'relationship-not-covered', 'corporate-legitimate-interest', 'no-consent', 'no-consent']);
  });
});
