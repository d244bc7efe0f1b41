/**
 * A fast path for normalising the plain email addresses that fill campaign lists. An address
 * that is ASCII, trimmed of surrounding space, and of the simple shape below normalises, under
 * crypto/blind-index.ts normaliseEmail, to exactly its lower-cased self: NFKC leaves ASCII
 * alone, and the shape is a subset of what that function accepts (a dot-atom local part of at
 * most 64 characters, DNS labels, an alphabetic top-level label). Anything else goes the full way.
 * The tests compare the two over many generated addresses.
 */
import { normaliseEmail } from '../crypto/blind-index.js';

export const SIMPLE_EMAIL = /^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function normaliseEmailFast(input: string): string | undefined {
  const s = input.trim();
  if (s.length >= 3 && s.length <= 254 && SIMPLE_EMAIL.test(s) && s.indexOf('@') <= 64) return s.toLowerCase();
  return normaliseEmail(input);
}
