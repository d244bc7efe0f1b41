import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StewardError } from '../shared/errors.js';
import {
  BlindIndexer,
  blindIndex,
  deriveIndexKey,
  deriveSuppressionKey,
  keyedHash,
  normaliseEmail,
  normaliseIdentifier,
  normalisePhone,
} from './blind-index.js';

/** RFC 5869 HKDF-SHA-256 written out with HMAC, to check deriveIndexKey independently. */
function referenceHkdf(ikm: Buffer, info: string, length = 32): Buffer {
  const prk = createHmac('sha256', Buffer.alloc(32)).update(ikm).digest(); // empty salt = 32 zero bytes
  let t = Buffer.alloc(0);
  const out: Buffer[] = [];
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    t = createHmac('sha256', prk).update(Buffer.concat([t, Buffer.from(info), Buffer.from([i])])).digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, length);
}

describe('deriveIndexKey', () => {
  const root = randomBytes(32);

  it('is HKDF-SHA-256 with info steward-blind-index:<field>:v<version>', () => {
    expect(deriveIndexKey(root, 'email', 1).equals(referenceHkdf(root, 'steward-blind-index:email:v1'))).toBe(true);
    expect(deriveIndexKey(root, 'phone', 3).equals(referenceHkdf(root, 'steward-blind-index:phone:v3'))).toBe(true);
    expect(deriveSuppressionKey(root).equals(referenceHkdf(root, 'steward-suppression'))).toBe(true);
  });

  it('is deterministic and differs per field, per version and per root key', () => {
    const keys = [
      deriveIndexKey(root, 'email', 1),
      deriveIndexKey(root, 'email', 2),
      deriveIndexKey(root, 'phone', 1),
      deriveIndexKey(root, 'phone', 2),
      deriveIndexKey(randomBytes(32), 'email', 1),
      deriveSuppressionKey(root),
    ].map((k) => k.toString('hex'));
    expect(new Set(keys).size).toBe(keys.length);
    expect(deriveIndexKey(root, 'email', 1).equals(deriveIndexKey(root, 'email', 1))).toBe(true);
    expect(deriveIndexKey(root, 'email', 1)).toHaveLength(32);
  });

  it('refuses short root keys and bad versions', () => {
    const e = (() => {
      try {
        deriveIndexKey(randomBytes(16), 'email', 1);
      } catch (err) {
        return err as StewardError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('CONFIG_INVALID');
    expect(() => deriveIndexKey(root, 'email', 0)).toThrow(StewardError);
    expect(() => deriveIndexKey(root, '', 1)).toThrow(StewardError);
  });
});

describe('blindIndex and keyedHash', () => {
  it('are HMAC-SHA-256 in hex', () => {
    const key = randomBytes(32);
    const expected = createHmac('sha256', key).update('ada@example.org').digest('hex');
    expect(blindIndex(key, 'ada@example.org')).toBe(expected);
    expect(keyedHash(key, 'ada@example.org')).toBe(expected);
    expect(blindIndex(randomBytes(32), 'ada@example.org')).not.toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('normaliseEmail', () => {
  it.each([
    ['ada@example.org', 'ada@example.org'],
    ['  Ada.Lovelace@Example.ORG \n', 'ada.lovelace@example.org'],
    ['ADA+news@Sub.Example.co.uk', 'ada+news@sub.example.co.uk'],
    ['ａｄａ@ｅｘａｍｐｌｅ.ｏｒｇ', 'ada@example.org'], // full-width forms (NFKC)
    ['zoë@bücher.de', 'zoë@xn--bcher-kva.de'],
    ['zoë@xn--bcher-kva.de', 'zoë@xn--bcher-kva.de'],
    ["o'neil_x-y@example.io", "o'neil_x-y@example.io"],
  ])('%j → %j', (input, expected) => {
    expect(normaliseEmail(input)).toBe(expected);
  });

  it.each([
    '',
    'ada',
    'ada@',
    '@example.org',
    'ada@example',
    'ada@@example.org',
    'a@b@example.org',
    'ada lovelace@example.org',
    '.ada@example.org',
    'ada.@example.org',
    'ada..l@example.org',
    '"ada"@example.org',
    'Ada <ada@example.org>',
    'ada@[192.168.0.1]',
    'ada@192.168.0.1',
    'ada@-example.org',
    'ada@example..org',
    'ada@example.org.',
    'ada@exa mple.org',
    `${'a'.repeat(65)}@example.org`,
  ])('rejects %j', (input) => {
    expect(normaliseEmail(input)).toBeUndefined();
  });
});

describe('normalisePhone', () => {
  it.each([
    ['01727 812222', '+441727812222'],
    ['+44 (0)1727 812222', '+441727812222'],
    ['+44(0)1727-812222', '+441727812222'],
    ['+44 1727 812222', '+441727812222'],
    ['0044 1727 812222', '+441727812222'],
    ['00441727812222', '+441727812222'],
    ['(01727) 812222', '+441727812222'],
    ['01727-812-222', '+441727812222'],
    ['07700 900123', '+447700900123'],
    ['07700-900-123', '+447700900123'],
    ['+44 7700 900123', '+447700900123'],
    ['+44 07700 900123', '+447700900123'],
    ['020 7946 0958', '+442079460958'],
    ['tel:+44-20-7946-0958', '+442079460958'],
    ['０１７２７ ８１２２２２', '+441727812222'], // full-width digits (NFKC)
    ['+1 (415) 555-2671', '+14155552671'],
    ['+33 1 23 45 67 89', '+33123456789'],
    ['+353 1 234 5678', '+35312345678'],
    ['+49 30 12345678', '+493012345678'],
    ['+39 06 1234 5678', '+390612345678'], // Italy keeps its leading 0
    ['+81 3-1234-5678', '+81312345678'], // a country without a plan: generic E.164
  ])('%j → %j', (input, expected) => {
    expect(normalisePhone(input)).toBe(expected);
  });

  it('uses the default country for national numbers', () => {
    expect(normalisePhone('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(normalisePhone('1 415 555 2671', 'US')).toBe('+14155552671');
    expect(normalisePhone('011 44 1727 812222', 'US')).toBe('+441727812222');
    expect(normalisePhone('01 23 45 67 89', 'FR')).toBe('+33123456789');
    expect(normalisePhone('087 123 4567', 'IE')).toBe('+353871234567');
    expect(normalisePhone('0011 44 1727 812222', 'AU')).toBe('+441727812222');
  });

  it.each([
    '',
    'n/a',
    '1727 812222', // national without the trunk 0: ambiguous
    '01727 8122', // too short
    '01727 8122222', // too long
    '06727 812222', // no UK number starts 06
    '+44 1727 812222 ext 12',
    '01727 812222 x12',
    '+44 1727 8122AB',
    '+0 1234 567890',
    '+1 (415) 555-267',
    '++44 1727 812222',
    '+44 1727 (812222',
    '+123456789012345678',
    '12345',
  ])('rejects %j', (input) => {
    expect(normalisePhone(input)).toBeUndefined();
  });

  it('refuses an unsupported default country', () => {
    expect(() => normalisePhone('01727 812222', 'XX' as 'GB')).toThrow(StewardError);
  });
});

describe('normaliseIdentifier', () => {
  it('dispatches by kind', () => {
    expect(normaliseIdentifier('email', ' Ada@Example.org ')).toBe('ada@example.org');
    expect(normaliseIdentifier('phone', '01727 812222')).toBe('+441727812222');
    expect(normaliseIdentifier('phone', '(415) 555-2671', { defaultCountry: 'US' })).toBe('+14155552671');
    expect(normaliseIdentifier('other', '  CUST-00042  ')).toBe('CUST-00042');
    expect(normaliseIdentifier('other', 'a \t b')).toBe('a b');
    expect(normaliseIdentifier('other', '   ')).toBeUndefined();
  });
});

describe('BlindIndexer', () => {
  const root = randomBytes(32);

  it('gives the same digest for the same identifier however it is written', () => {
    const ix = new BlindIndexer(root);
    const a = ix.index('email', 'email', 'Ada@Example.org');
    const b = ix.index('email', 'email', '  ada@example.ORG ');
    expect(a).toEqual({ version: 1, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(b).toEqual(a);
    expect(ix.index('phone', 'phone', '+44 (0)1727 812222')).toEqual(ix.index('phone', 'phone', '01727 812222'));
    expect(a?.digest).toBe(blindIndex(deriveIndexKey(root, 'email', 1), 'ada@example.org'));
  });

  it('differs per field, per version and per root key', () => {
    const ix = new BlindIndexer(root);
    const v2 = new BlindIndexer(root, { version: 2 });
    const digests = [
      ix.index('email', 'email', 'ada@example.org')?.digest,
      ix.index('work_email', 'email', 'ada@example.org')?.digest,
      v2.index('email', 'email', 'ada@example.org')?.digest,
      new BlindIndexer(randomBytes(32)).index('email', 'email', 'ada@example.org')?.digest,
      ix.suppressionHash('email', 'ada@example.org'),
    ];
    expect(new Set(digests).size).toBe(digests.length);
    expect(v2.index('email', 'email', 'ada@example.org')?.version).toBe(2);
    expect(ix.indexAt('email', 'email', 'ada@example.org', 2)).toEqual(v2.index('email', 'email', 'ada@example.org'));
    expect(v2.candidates('email', 'email', 'ADA@example.org', [1, 2])).toEqual([
      ix.index('email', 'email', 'ada@example.org'),
      v2.index('email', 'email', 'ada@example.org'),
    ]);
  });

  it('caches derived keys per field and version', () => {
    const ix = new BlindIndexer(root);
    expect(ix.keyFor('email')).toBe(ix.keyFor('email', 1));
    expect(ix.keyFor('email', 2)).not.toBe(ix.keyFor('email', 1));
    expect(ix.keyFor('email', 2).equals(deriveIndexKey(root, 'email', 2))).toBe(true);
  });

  it('indexes nothing that does not normalise', () => {
    const ix = new BlindIndexer(root);
    expect(ix.index('email', 'email', 'not an email')).toBeUndefined();
    expect(ix.index('phone', 'phone', 'call me')).toBeUndefined();
    expect(ix.candidates('phone', 'phone', 'call me', [1, 2])).toEqual([]);
    expect(ix.suppressionHash('email', 'nope')).toBeUndefined();
  });

  it('suppression hashes use the steward-suppression key on the normalised identifier', () => {
    const ix = new BlindIndexer(root, { version: 5 });
    const h = ix.suppressionHash('email', ' ADA@example.org');
    expect(h).toBe(keyedHash(deriveSuppressionKey(root), 'ada@example.org'));
    // Independent of the index version: a suppression keeps matching after re-indexing.
    expect(new BlindIndexer(root, { version: 1 }).suppressionHash('email', 'ada@example.org')).toBe(h);
  });

  it('is not affected by later changes to the caller’s root key buffer', () => {
    const mine = Buffer.from(root);
    const ix = new BlindIndexer(mine);
    const before = ix.index('email', 'email', 'ada@example.org');
    mine.fill(0);
    expect(ix.index('email', 'email', 'ada@example.org')).toEqual(before);
  });
});
