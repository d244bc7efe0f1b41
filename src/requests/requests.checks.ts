/**
 * Checks on what staff and the public give about a request: free text (lengths, no card data),
 * calendar dates, identity and authority evidence (kinds only, never document numbers), and the
 * declaration's rule on how much identity evidence is needed.
 */
import { assertNoCardData } from '../crypto/card-detect.js';
import { isIsoDate } from '../deadline/plain-date.js';
import type { AppContext } from '../kernel/context.js';
import { IDENTITY_EVIDENCE } from '../policy/schema.rights.js';
import { StewardError } from '../shared/errors.js';

export const LIMITS = { textChars: 5000, nameChars: 200, noteChars: 5000, listMax: 500 };
export const AUTHORITY_EVIDENCE = ['signed-authority', 'power-of-attorney', 'court-order', 'parental-responsibility', 'solicitor-letter'] as const;
export const REFUSAL_REASONS = ['manifestly-unfounded', 'manifestly-excessive', 'identity-not-confirmed', 'exemption', 'no-grounds'] as const;

export const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/**
 * Identity evidence is recorded by kind only. Anything that looks like a document number (a
 * passport or licence number, a National Insurance number, a long run of digits) is refused:
 * the law asks us to check identity, not to keep copies of the documents.
 */
const DOCUMENT_NUMBER = [
  /\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b/i, // National Insurance number
  /\b[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}\b/i, // UK driving licence number
  /\b\d{9}\b/, // UK passport number
  /\d[\d\s-]{7,}\d/, // any long run of digits (account, card, document numbers)
];
export function assertNoDocumentNumbers(value: string | undefined, path: string): void {
  if (value === undefined) return;
  if (DOCUMENT_NUMBER.some((re) => re.test(value))) {
    throw new StewardError('FORBIDDEN_DATA', `${path}: looks like a document or account number; record which kinds of evidence were checked, never their numbers or copies`, [
      { path, message: 'document numbers are not recorded' },
    ]);
  }
}

export function checkText(value: string | undefined, path: string, max = LIMITS.textChars): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(path, 'must be text');
  const t = value.trim();
  if (t.length > max) throw invalid(path, `is longer than ${max} characters`);
  // Free text is where a card number slips in ("I paid with 4111…"): never stored.
  assertNoCardData({ [path]: t });
  return t === '' ? undefined : t;
}

export function checkDate(value: string | undefined, path: string, today: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isIsoDate(value)) throw invalid(path, 'is not a calendar date written YYYY-MM-DD');
  if (value > today) throw invalid(path, `is in the future (today is ${today})`);
  if (value < '2018-05-25') throw invalid(path, 'is before 25 May 2018, when the UK GDPR rules began');
  return value;
}

export const EMAIL = /^[^\s@<>()",;]{1,64}@[^\s@<>()",;]{1,255}\.[^\s@<>()",;]{2,63}$/;

/** How many kinds of identity evidence the declaration asks for, and which it accepts. */
export function identityRule(ctx: AppContext): { required: number; accepted: string[] } {
  const id = ctx.policy.policy.rights.identity;
  return { required: id?.required ?? (id && id.accepted.length > 0 ? 1 : 0), accepted: id?.accepted ?? [] };
}

export function checkEvidence(ctx: AppContext, kind: string, path: string): string {
  assertNoDocumentNumbers(kind, path);
  if (!(IDENTITY_EVIDENCE as readonly string[]).includes(kind)) throw invalid(path, `must be one of ${IDENTITY_EVIDENCE.join(', ')}`);
  const accepted = identityRule(ctx).accepted;
  if (accepted.length > 0 && !accepted.includes(kind)) throw invalid(path, `the declaration accepts ${accepted.join(', ')}, not ${kind}`);
  return kind;
}
