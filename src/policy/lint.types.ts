/** The linter's types and wording helpers, shared by the rule files. */
import type { PolicyPath } from './policy.loader.js';
import type { DataCategory, Policy, Recipient, Relationship, RetentionRule, Source } from './policy.schema.js';

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

/** What a rule reports before the path is formatted and located in the file. */
export interface RuleHit {
  path: PolicyPath;
  message: string;
}

/** Lookups shared by the rules, built once per lint. */
export interface LintContext {
  policy: Policy;
  /** Today's date (YYYY-MM-DD, UK), for rules about dates that have passed. */
  today: string;
  relationships: ReadonlyMap<string, Relationship>;
  categories: ReadonlyMap<string, DataCategory>;
  sources: ReadonlyMap<string, Source>;
  recipients: ReadonlyMap<string, Recipient>;
  retention: ReadonlyMap<string, RetentionRule>;
}

export interface LintRule {
  id: string;
  severity: Severity;
  /** One line: what the rule checks. */
  description: string;
  /** One line: what to write to fix it. */
  fix: string;
  check(ctx: LintContext): RuleHit[];
}

/** A name in quotes, as rule messages show declared names. */
export const q = (s: string): string => `"${s}"`;

/** "a", "a and b", "a, b and c". */
export const list = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
