/**
 * Text Steward refuses wherever it comes in: NUL characters (PostgreSQL cannot store them in a
 * text column, SQLite can, so accepting them would make the two databases behave differently)
 * and unpaired UTF-16 surrogates (not text at all: stored, they are silently replaced by U+FFFD,
 * so anything computed over the original — an audit entry's MAC — never matches again).
 * Surrogate pairs (emoji and other characters beyond the Basic Multilingual Plane) are fine.
 */
import { StewardError } from './errors.js';

// Without the `u` flag the pattern works on UTF-16 code units, which is what finds lone halves.
const UNCLEAN = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const isCleanText = (s: string): boolean => !UNCLEAN.test(s);

export const UNCLEAN_TEXT_MESSAGE = 'holds a NUL character or an unpaired UTF-16 surrogate, which is not accepted in text';

/** A key that may be shown in an error: field names are ours, but a form's keys are the sender's. */
const SHOWABLE_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The paths (`root.field.0.name`) of every string, and every object key, in `value` that is not
 * clean text; empty when all is well. Never returns the offending value. Walks iteratively, so a
 * deeply nested body cannot overflow the stack.
 */
export function uncleanTextPaths(value: unknown, root: string, max = 20): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0 && found.length < max) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isCleanText(v)) found.push(path);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}.${i}`]);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)) {
      for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
        const child = SHOWABLE_KEY.test(k) ? `${path}.${k}` : `${path}.?`;
        if (!isCleanText(k)) found.push(`${child} (its name)`);
        stack.push([inner, child]);
      }
    }
  }
  return found;
}

/** Throws VALIDATION_FAILED naming every unclean field of `value` (never its content). */
export function assertCleanText(value: unknown, root: string): void {
  const paths = uncleanTextPaths(value, root);
  if (paths.length === 0) return;
  throw new StewardError(
    'VALIDATION_FAILED',
    `${paths.length === 1 ? paths[0] : `${paths.length} fields`} ${UNCLEAN_TEXT_MESSAGE}`,
    paths.map((path) => ({ path, message: UNCLEAN_TEXT_MESSAGE })),
  );
}
