/**
 * The linter: consistency checks, and the contents UK GDPR Arts 13/14 require of a privacy notice.
 *
 * A pure function over a validated declaration. Each rule is a small function with a stable id,
 * one severity and a one-line description, kept in a group by the article it enforces
 * (lint.<group>.ts); LINT_RULES runs every group in a fixed order. docs/lint-rules.md lists them all
 * and the tests iterate over the table, so a new rule cannot go undocumented or untested.
 *
 * Severities: "error" — the notice would be unlawful or the declaration contradicts itself (a
 * purpose with no lawful basis, a transfer with no valid safeguard); "warning" — probably wrong or
 * incomplete, worth fixing before publishing; "info" — allowed, but worth knowing.
 *
 * Rules that describe the notice's contents skip purposes where the organisation only acts as a
 * processor (every relationship of the purpose has role "processor"): for that data the client is
 * the controller and gives the notice (Art 28; Arts 13/14 bind controllers).
 */
import { PROMISE_RULES } from '../promises/promises.lint.js';
import { ACCOUNTABILITY_RULES } from './lint.accountability.js';
import { ACT_2025_RULES } from './lint.act-2025.js';
import { CATEGORY_RULES } from './lint.categories.js';
import { CONTROLLER_RULES } from './lint.controller.js';
import { COOKIE_AND_SECURITY_RULES } from './lint.cookies-security.js';
import { FIELD_RULES } from './lint.fields.js';
import { LAWFUL_BASIS_RULES } from './lint.lawful-basis.js';
import { MARKETING_RULES } from './lint.marketing.js';
import { LEGAL_REFERENCE_RULES } from './lint.references.js';
import { RELATIONSHIP_RULES } from './lint.relationships.js';
import { RETENTION_RULES } from './lint.retention.js';
import { RIGHTS_RULES } from './lint.rights.js';
import { TRANSFER_RULES } from './lint.transfers.js';
import { TRANSPARENCY_RULES } from './lint.transparency.js';
import type { Finding, LintContext, LintRule, Severity } from './lint.types.js';
import { formatPath, type LoadedPolicy } from './policy.loader.js';
import type { Policy } from './policy.schema.js';

/** Every rule, group by group, in the order the documentation lists them. */
export const LINT_RULES: readonly LintRule[] = [
  // Who the controller is and how to reach it (Art 13(1)(a), (b), Art 13(2)(d))
  ...CONTROLLER_RULES,
  // The law the notice cites
  ...LEGAL_REFERENCE_RULES,
  // Relationships: controller or processor (Art 28(3)(a), (10))
  ...RELATIONSHIP_RULES,
  // Data categories (Art 5(1)(c); PCI DSS)
  ...CATEGORY_RULES,
  // Lawful basis (Art 6), special-category and criminal-offence data (Arts 9, 10; DPA 2018 s.10, Sch 1)
  ...LAWFUL_BASIS_RULES,
  // What the notice must say (Arts 13, 14)
  ...TRANSPARENCY_RULES,
  // Retention (Art 5(1)(e), Art 13(2)(a), Art 28(3)(g))
  ...RETENTION_RULES,
  // Transfers outside the UK (Chapter V, Arts 44-49; Art 13(1)(f))
  ...TRANSFER_RULES,
  // Consent (Art 7) and electronic marketing (PECR reg 22)
  ...MARKETING_RULES,
  // Rights requests (Arts 12-22; DPA 2018 s.9)
  ...RIGHTS_RULES,
  // Cookie information (PECR reg 6) and security measures (Art 30(1)(g))
  ...COOKIE_AND_SECURITY_RULES,
  // Processors, transfer assessments and DPIAs (Art 5(2), Arts 24, 28, 35, 46(1A))
  ...ACCOUNTABILITY_RULES,
  // Retention promises the declaration defeats: src/promises/promises.lint.ts
  ...PROMISE_RULES,
  // The law as amended by the Data (Use and Access) Act 2025, and notice precision
  ...ACT_2025_RULES,
  // Fields inside categories
  ...FIELD_RULES,
];

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function lintContext(policy: Policy, today: string = new Date().toISOString().slice(0, 10)): LintContext {
  const byId = <T extends { id: string }>(items: readonly T[]): ReadonlyMap<string, T> => new Map(items.map((x) => [x.id, x]));
  return {
    policy,
    today,
    relationships: byId(policy.relationships),
    categories: byId(policy.data_categories),
    sources: byId(policy.sources),
    recipients: byId(policy.recipients),
    retention: byId(policy.retention),
  };
}

/** Findings sorted by severity (errors first), then by position in the file. */
export function lintPolicy(loaded: LoadedPolicy, opts: { today?: string } = {}): Finding[] {
  const ctx = lintContext(loaded.policy, opts.today);
  const findings = LINT_RULES.flatMap((rule) =>
    rule.check(ctx).map((hit): Finding => {
      const at = loaded.locate(hit.path);
      return { rule: rule.id, severity: rule.severity, path: formatPath(hit.path), line: at?.line, column: at?.column, message: hit.message };
    }),
  );
  return findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.rule.localeCompare(b.rule),
  );
}
