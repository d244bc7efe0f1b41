/**
 * Refuses payment card data before it is stored (PCI DSS v4.0 requirements 3.3.1 and 3.5.1; UK
 * GDPR Art 32): Steward stores no card number (PAN) and never sensitive authentication data
 * (CVV/CVC, PIN, track data), not even encrypted. Only a payment provider's token and the last
 * four digits may be kept.
 *
 * Detection is deliberately on the safe side, with a few well-understood exceptions so that
 * ordinary data is not refused:
 * - a card number is 13–19 digits, contiguous or in groups separated by one space or dash, that
 *   passes the Luhn check and does not start with 0;
 * - masked numbers (411111******1111, 4111 XXXX XXXX 1111) are allowed: masking characters break
 *   the digits into runs too short to be a card number;
 * - digits inside a longer run of digits are not a card number (a 25-digit reference is not a
 *   card); a group of 1–2 digits never joins a grouped number (sort codes, dates, IBAN tails);
 * - a number of up to 15 digits written after '+' is a telephone number (E.164); a valid IBAN
 *   is not a card number.
 *
 * Errors name the field, never the digits.
 */
import { StewardError } from '../shared/errors.js';

export interface CardNumberMatch {
  /** UTF-16 offset of the first digit. */
  start: number;
  /** UTF-16 offset just after the last digit. */
  end: number;
  /** How many digits the number has (13–19). */
  digits: number;
}

const MIN_PAN = 13;
const MAX_PAN = 19;
/** The shortest group that may be part of a grouped card number (4-4-4-4, 4-6-5, …, 4-4-4-4-3). */
const MIN_GROUP = 3;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** One separator between groups: space, no-break space, hyphen-minus, hyphen, non-breaking hyphen, figure/en dash. */
const isSeparator = (c: number): boolean => c === 32 || c === 0xa0 || c === 45 || (c >= 0x2010 && c <= 0x2013);

/** The Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

interface Run {
  start: number;
  end: number;
}

function plausiblePan(digits: string): boolean {
  if (digits.length < MIN_PAN || digits.length > MAX_PAN) return false;
  if (digits.charCodeAt(0) === 48) return false; // no issuer number starts with 0 (national phone numbers do)
  if (/^(\d)\1*$/.test(digits)) return false; // 0000…, 1111…: placeholders
  return luhnValid(digits);
}

// An IBAN: two letters, two check digits, then 11–30 letters/digits, optionally in groups of four.
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/gi;

function ibanValid(candidate: string): boolean {
  const s = candidate.replace(/ /g, '').toUpperCase();
  if (s.length < 15 || s.length > 34) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const val = code >= 65 ? String(code - 55) : ch;
    for (const d of val) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

function ibanSpans(text: string): Run[] {
  if (!/[A-Za-z]{2}\d{2}/.test(text)) return [];
  const spans: Run[] = [];
  for (const m of text.matchAll(IBAN)) {
    if (ibanValid(m[0])) spans.push({ start: m.index, end: m.index + m[0].length });
  }
  return spans;
}

/**
 * Finds card numbers in text. Returns their positions only — never the digits — so that callers
 * cannot leak them by accident.
 */
export function findCardNumbers(text: string): CardNumberMatch[] {
  if (typeof text !== 'string') return [];
  // Fast path: most values have too few digits to hold a card number.
  let digitCount = 0;
  for (let i = 0; i < text.length && digitCount < MIN_PAN; i++) if (isDigit(text.charCodeAt(i))) digitCount++;
  if (digitCount < MIN_PAN) return [];

  // Maximal runs of digits, grouped into sequences joined by exactly one separator.
  const sequences: Run[][] = [];
  let seq: Run[] = [];
  let i = 0;
  while (i < text.length) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    const run = { start, end: i };
    const prev = seq[seq.length - 1];
    if (prev && run.start === prev.end + 1 && isSeparator(text.charCodeAt(prev.end))) seq.push(run);
    else {
      if (seq.length) sequences.push(seq);
      seq = [run];
    }
  }
  if (seq.length) sequences.push(seq);

  const ibans = ibanSpans(text);
  const inIban = (r: Run): boolean => ibans.some((s) => r.start < s.end && r.end > s.start);

  const found: CardNumberMatch[] = [];
  for (const runs of sequences) {
    const first = runs[0];
    const afterPlus = first !== undefined && first.start > 0 && text.charCodeAt(first.start - 1) === 43; // '+'
    let a = 0;
    while (a < runs.length) {
      let best: CardNumberMatch | undefined;
      let bestEnd = a;
      // After '+' it is a telephone number, unless it is longer than E.164 allows (15 digits).
      const minDigits = a === 0 && afterPlus ? 16 : MIN_PAN;
      let digits = '';
      for (let b = a; b < runs.length; b++) {
        const r = runs[b] as Run;
        const len = r.end - r.start;
        if (len > MAX_PAN) break;
        if (b > a || len < MIN_PAN) {
          // Part of a grouped number: every group must be a real group.
          if (len < MIN_GROUP || ((runs[a] as Run).end - (runs[a] as Run).start) < MIN_GROUP) break;
        }
        digits += text.slice(r.start, r.end);
        if (digits.length > MAX_PAN) break;
        if (digits.length >= minDigits && plausiblePan(digits)) {
          const span = { start: (runs[a] as Run).start, end: r.end };
          if (!runs.slice(a, b + 1).some(inIban)) {
            best = { ...span, digits: digits.length };
            bestEnd = b;
          }
        }
      }
      if (best) {
        found.push(best);
        a = bestEnd + 1;
      } else a++;
    }
  }
  return found;
}

/** True if the text contains a card number. */
export const containsCardNumber = (text: string): boolean => findCardNumbers(text).length > 0;

/** Splits a field name into lower-case words: `cardCVV2` → card, cvv2; `security_code` → security, code. */
function words(fieldName: string): string[] {
  return fieldName
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const CVV_WORDS = new Set(['cvv', 'cvv2', 'cvc', 'cvc2', 'cid', 'csc', 'cvn', 'cvn2', 'cvd', 'cav2', 'cve']);

// Field names repeat on every record of an import: classify each name once.
const NAME_CACHE_MAX = 4096;
const nameClass = new Map<string, { cvv: boolean; pin: boolean }>();

function classify(fieldName: string): { cvv: boolean; pin: boolean } {
  let c = nameClass.get(fieldName);
  if (!c) {
    c = { cvv: cvvName(fieldName), pin: pinName(fieldName) };
    if (nameClass.size >= NAME_CACHE_MAX) nameClass.clear();
    nameClass.set(fieldName, c);
  }
  return c;
}

/** Does a field name say "card security code"? */
export function isCvvFieldName(fieldName: string): boolean {
  return classify(fieldName).cvv;
}

function cvvName(fieldName: string): boolean {
  const w = words(fieldName);
  if (w.some((x) => CVV_WORDS.has(x))) return true;
  const compact = w.join('');
  return (
    compact.includes('cvv') ||
    compact.includes('cvc') ||
    compact.includes('securitycode') ||
    compact.includes('cardverification') ||
    compact.includes('cardsecurity')
  );
}

function isShortDigits(value: unknown, min: number, max: number): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value < 10 ** max;
  if (typeof value === 'bigint') return value >= 0n && value < 10n ** BigInt(max);
  if (typeof value !== 'string') return false;
  const s = value.trim();
  return s.length >= min && s.length <= max && /^\d+$/.test(s);
}

/** A field named cvv/cvc/cvv2/cid/security code/card verification… holding a 3–4 digit value. */
export function looksLikeCvv(fieldName: string, value: unknown): boolean {
  return typeof fieldName === 'string' && classify(fieldName).cvv && isShortDigits(value, 3, 4);
}

function pinName(fieldName: string): boolean {
  const w = words(fieldName);
  const compact = w.join('');
  return compact.includes('pinblock') || compact.includes('cardpin') || (w.includes('pin') && w.includes('card'));
}

/** A card PIN or PIN block (`cardPin`, `pin_block`, `card pin`) holding 4–12 digits or a 16-hex-digit block. */
export function looksLikeCardPin(fieldName: string, value: unknown): boolean {
  if (typeof fieldName !== 'string' || !classify(fieldName).pin) return false;
  return isShortDigits(value, 4, 12) || (typeof value === 'string' && /^[0-9a-f]{16}$/i.test(value.trim()));
}

type Finding = 'card number' | 'card security code' | 'card PIN';

const MAX_DEPTH = 64;

/** The refusal assertNoCardData throws: FORBIDDEN_DATA, told apart from other refusals so that it can be counted. */
export class CardDataRefused extends StewardError {
  constructor(message: string, details: Array<{ path: string; message: string }>) {
    super('FORBIDDEN_DATA', message, details);
  }
}

export const isCardDataRefusal = (e: unknown): e is CardDataRefused => e instanceof CardDataRefused;

/**
 * Walks a record (nested objects, arrays and Maps too) and throws StewardError('FORBIDDEN_DATA')
 * naming every field that holds a card number, a card security code or a card PIN. The message
 * never contains the value. Object keys are checked as well (a card number used as a key is
 * reported as `<redacted key>`).
 */
export function assertNoCardData(fields: Record<string, unknown>, opts: { path?: string } = {}): void {
  const problems: Array<{ path: string; finding: Finding }> = [];
  const seen = new WeakSet<object>();

  const join = (base: string, key: string): string => (base ? `${base}.${key}` : key);

  const visit = (value: unknown, path: string, name: string, depth: number): void => {
    if (value === null || value === undefined) return;
    if (typeof value === 'string') {
      if (looksLikeCvv(name, value)) problems.push({ path, finding: 'card security code' });
      else if (looksLikeCardPin(name, value)) problems.push({ path, finding: 'card PIN' });
      else if (findCardNumbers(value).length > 0) problems.push({ path, finding: 'card number' });
      return;
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
      if (looksLikeCvv(name, value)) problems.push({ path, finding: 'card security code' });
      else if (looksLikeCardPin(name, value)) problems.push({ path, finding: 'card PIN' });
      else if ((typeof value === 'bigint' || Number.isInteger(value)) && findCardNumbers(value.toString()).length > 0) {
        problems.push({ path, finding: 'card number' });
      }
      return;
    }
    if (typeof value !== 'object') return;
    if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
    if (seen.has(value)) return;
    seen.add(value);
    if (depth >= MAX_DEPTH) {
      throw new StewardError('VALIDATION_FAILED', `${path || 'The record'} is nested more than ${MAX_DEPTH} levels deep`, [
        { path, message: 'nested too deeply to check for payment card data' },
      ]);
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`, name, depth + 1));
      return;
    }
    const entries: Array<[unknown, unknown]> = value instanceof Map ? [...value.entries()] : Object.entries(value);
    for (const [k, v] of entries) {
      const key = String(k);
      const keyHasCard = findCardNumbers(key).length > 0;
      const childPath = join(path, keyHasCard ? '<redacted key>' : key);
      if (keyHasCard) problems.push({ path: childPath, finding: 'card number' });
      visit(v, childPath, key, depth + 1);
    }
  };

  if (typeof fields !== 'object' || fields === null) return;
  visit(fields, opts.path ?? '', '', 0);

  if (problems.length === 0) return;
  const names = [...new Set(problems.map((p) => p.path))];
  throw new CardDataRefused(
    `Refused: ${names.map((n) => `"${n}"`).join(', ')} ${names.length === 1 ? 'holds' : 'hold'} payment card data ` +
      `(${[...new Set(problems.map((p) => p.finding))].join(', ')}). Steward never stores card numbers, security codes or PINs ` +
      '(PCI DSS): keep the payment provider’s token and at most the last four digits instead.',
    problems.map((p) => ({ path: p.path, message: `looks like a ${p.finding}; remove it before importing` })),
  );
}
