/**
 * The linter: consistency checks and the contents UK GDPR Arts 13/14 require of a notice.
 * (Skeleton interface; rules are filled in by policy.lint.rules.ts.)
 */
import type { LoadedPolicy } from './policy.loader.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable rule id, e.g. "lawful-basis-missing". Documented in docs/lint-rules.md. */
  rule: string;
  severity: Severity;
  /** Dotted path in the declaration, e.g. "purposes[2].lawful_basis". */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export function lintPolicy(_loaded: LoadedPolicy): Finding[] {
  return [];
}
