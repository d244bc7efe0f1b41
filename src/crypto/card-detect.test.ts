import { describe, expect, it } from 'vitest';
import { StewardError } from '../shared/errors.js';
import { assertNoCardData, findCardNumbers, isCvvFieldName, looksLikeCardPin, looksLikeCvv, luhnValid } from './card-detect.js';

function refusal(fields: Record<string, unknown>): StewardError {
  try {
    assertNoCardData(fields);
  } catch (e) {
    expect(e).toBeInstanceOf(StewardError);
    expect((e as StewardError).code).toBe('FORBIDDEN_DATA');
    return e as StewardError;
  }
  throw new Error('expected FORBIDDEN_DATA');
}

describe('luhnValid', () => {
  it('checks the Luhn digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('4111a11111111111')).toBe(false);
  });
});

describe('findCardNumbers', () => {
  it.each([
    ['4111 1111 1111 1111', 16],
    ['4111111111111111', 16],
    ['5555-5555-5555-4444', 16],
    ['378282246310005', 15],
    ['3782 822463 10005', 15], // Amex grouping
    ['6011111111111117', 16],
    ['4222222222222', 13],
    ['6011 1111 1111 1111 110', 19],
  ])('finds the test card number %j', (text, digits) => {
    expect(findCardNumbers(text)).toEqual([{ start: 0, end: text.length, digits }]);
  });

  it('returns positions within text, not the digits', () => {
    const text = 'Paid with card 4111 1111 1111 1111, thanks! Also 5555555555554444.';
    const found = findCardNumbers(text);
    expect(found).toHaveLength(2);
    expect(text.slice(found[0]?.start, found[0]?.end)).toBe('4111 1111 1111 1111');
    expect(text.slice(found[1]?.start, found[1]?.end)).toBe('5555555555554444');
    expect(JSON.stringify(found)).not.toContain('4111');
  });

  it('finds numbers next to other numbers and inside track data', () => {
    expect(findCardNumbers('order 12 4111 1111 1111 1111 ok')).toHaveLength(1);
    expect(findCardNumbers('%B4111111111111111^DOE/JOHN^2512101')).toHaveLength(1);
    // Longer than any E.164 number, so not a telephone number even after '+'.
    expect(findCardNumbers('+4111111111111111')).toEqual([{ start: 1, end: 17, digits: 16 }]);
    const track2 = ';4111111111111111=25121010000000000?';
    expect(findCardNumbers(track2)[0]).toEqual({ start: 1, end: 17, digits: 16 });
  });

  it.each([
    ['a Luhn-failing number', '4111 1111 1111 1112'],
    ['a masked number', '411111******1111'],
    ['a masked number with spaces', '4111 11** **** 1111'],
    ['a masked number with X', '4111 XXXX XXXX 1111'],
    ['last four only', 'card ending 1111'],
    ['a 12-digit invoice number', 'INV 123456789012'],
    ['a UK phone number', '+44 1727 812222'],
    ['a UK phone number with (0)', '+44 (0)1727 812222'],
    ['a national phone number', '01727 812222'],
    ['a digit run embedded in a longer one', '99999411111111111111119999'],
    ['a 20-digit reference', '41111111111111111111'],
    ['a sort code and account number', '12-34-56 12345678'],
    ['a date and time', '2024-05-01 12:30:45'],
    ['an IBAN', 'GB82 WEST 1234 5698 7654 32'],
    ['an IBAN with a Luhn-valid stretch', 'DE95 4111 1111 1111 1111 00'],
    ['an unspaced IBAN', 'DE95411111111111111100'],
    ['zeros', '0000 0000 0000 0000'],
    ['a national number starting with 0', '0411111111111111'],
    ['an international number', '+8613800138000'],
  ])('ignores %s', (_what, text) => {
    expect(findCardNumbers(text)).toEqual([]);
  });

  it('would have found the Luhn-valid stretch of that IBAN on its own', () => {
    // Shows the IBAN case above is excluded because it is an IBAN, not by accident.
    expect(findCardNumbers('4111 1111 1111 1111 00')).toEqual([{ start: 0, end: 19, digits: 16 }]);
    expect(findCardNumbers('DE96 4111 1111 1111 1111 00')).toHaveLength(1); // wrong IBAN check digits
  });
});

describe('looksLikeCvv', () => {
  it.each(['cvv', 'CVV', 'cvc', 'cvv2', 'CVC2', 'cid', 'security code', 'securityCode', 'card_security_code', 'cardVerificationValue', 'card verification', 'card.cvv', 'cardCvv', 'CVVNumber'])(
    'recognises the field name %j',
    (name) => {
      expect(isCvvFieldName(name)).toBe(true);
      expect(looksLikeCvv(name, '123')).toBe(true);
      expect(looksLikeCvv(name, '1234')).toBe(true);
      expect(looksLikeCvv(name, 737)).toBe(true);
    },
  );

  it('needs a 3–4 digit value and a card-security field name', () => {
    expect(looksLikeCvv('cvv', '12')).toBe(false);
    expect(looksLikeCvv('cvv', '12345')).toBe(false);
    expect(looksLikeCvv('cvv', '***')).toBe(false);
    expect(looksLikeCvv('cvv', '')).toBe(false);
    expect(looksLikeCvv('cvv', null)).toBe(false);
    expect(looksLikeCvv('postcode', '123')).toBe(false);
    expect(looksLikeCvv('code', '123')).toBe(false);
    expect(looksLikeCvv('decided', '123')).toBe(false);
  });

  it('recognises card PINs', () => {
    expect(looksLikeCardPin('cardPin', '1234')).toBe(true);
    expect(looksLikeCardPin('pin_block', '0123456789ABCDEF')).toBe(true);
    expect(looksLikeCardPin('pin', '1234')).toBe(false); // could be anything; only card PINs are named
  });
});

describe('assertNoCardData', () => {
  it('accepts ordinary records', () => {
    expect(() =>
      assertNoCardData({
        name: 'Ada Lovelace',
        email: 'ada@example.org',
        phone: '+44 1727 812222',
        invoice: '123456789012',
        card_last4: '1111',
        masked: '411111******1111',
        note: 'Luhn-failing 4111 1111 1111 1112',
        age: 36,
        tags: ['a', 'b'],
        nested: { when: new Date(), postcode: 'AL1 3LF' },
      }),
    ).not.toThrow();
  });

  it.each([
    ['4111 1111 1111 1111'],
    ['5555-5555-5555-4444'],
    ['378282246310005'],
  ])('refuses %j, naming the field but not the digits', (pan) => {
    const e = refusal({ name: 'Ada', payment_card: pan });
    expect(e.message).toContain('payment_card');
    expect(e.details.map((d) => d.path)).toEqual(['payment_card']);
    const digits = pan.replace(/\D/g, '');
    for (const text of [e.message, JSON.stringify(e.details)]) {
      expect(text).not.toContain(pan);
      expect(text).not.toContain(digits);
      expect(text).not.toContain(digits.slice(0, 6));
    }
  });

  it('refuses text with an embedded card number', () => {
    const e = refusal({ notes: 'Customer read out her card 4111 1111 1111 1111 exp 12/27 on the phone' });
    expect(e.message).toContain('"notes"');
    expect(e.message).not.toMatch(/4111/);
  });

  it('refuses CVVs by field name and value', () => {
    const e = refusal({ card_token: 'tok_abc', cvv: '123' });
    expect(e.message).toContain('"cvv"');
    expect(e.message).toContain('security code');
    expect(e.message).not.toContain('123');
    expect(() => assertNoCardData({ cvv: '' })).not.toThrow();
  });

  it('walks nested objects, arrays and Maps, and names every offending field by path', () => {
    const e = refusal({
      customer: { payments: [{ token: 'tok_1' }, { number: '4111111111111111', securityCode: 737 }] },
      extra: new Map([['backup', '5555 5555 5555 4444']]),
    });
    expect(e.details.map((d) => d.path)).toEqual(['customer.payments[1].number', 'customer.payments[1].securityCode', 'extra.backup']);
    expect(e.message).not.toContain('737');
  });

  it('refuses card numbers stored as numbers, and as object keys without echoing them', () => {
    expect(refusal({ pan: 4111111111111111 }).details[0]?.path).toBe('pan');
    const e = refusal({ cards: { '4111111111111111': 'visa' } });
    expect(e.details[0]?.path).toBe('cards.<redacted key>');
    expect(e.message).not.toContain('4111');
  });

  it('copes with cycles and refuses absurd nesting', () => {
    const a: Record<string, unknown> = { name: 'x' };
    a.self = a;
    expect(() => assertNoCardData(a)).not.toThrow();
    let deep: Record<string, unknown> = { v: 'x' };
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(() => assertNoCardData(deep)).toThrow(StewardError);
  });

  it('prefixes paths when given one', () => {
    try {
      assertNoCardData({ pan: '4111111111111111' }, { path: 'rows[3]' });
    } catch (e) {
      expect((e as StewardError).details[0]?.path).toBe('rows[3].pan');
      return;
    }
    throw new Error('expected FORBIDDEN_DATA');
  });
});
