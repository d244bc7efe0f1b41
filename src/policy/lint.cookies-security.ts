/**
 * Lint rules for cookie information (PECR reg 6: clear and comprehensive information, including how
 * long each cookie lasts) and for the security measures the record of processing describes
 * (Art 30(1)(g), Art 32).
 */
import { type LintRule, q } from './lint.types.js';

export const COOKIE_AND_SECURITY_RULES: readonly LintRule[] = [
  {
    id: 'cookie-duration-missing',
    severity: 'info',
    description: 'A cookie does not say how long it lasts.',
    fix: 'Add duration, e.g. session, "13 months".',
    check: ({ policy }) =>
      policy.cookies.flatMap((c, i) =>
        c.duration ? [] : [{ path: ['cookies', i, 'duration'], message: `The cookie ${q(c.name)} does not say how long it lasts; the ICO expects the cookie information to give each cookie's duration. Add duration, e.g. session or "13 months".` }],
      ),
  },
  {
    id: 'security-measures-missing',
    severity: 'info',
    description: 'No security measures are declared (for the Art 30 record of processing).',
    fix: 'List your main measures under security_measures, e.g. "Encryption at rest".',
    check: ({ policy }) =>
      policy.security_measures.length > 0
        ? []
        : [{ path: ['security_measures'], message: 'No security measures are listed. The record of processing should describe them where possible (Art 30(1)(g)). Add security_measures, e.g. "Data encrypted at rest", "Access limited by role".' }],
  },
];
