/**
 * Lint rules from the promises simulation (promises.simulate.ts): a retention promise the notice
 * makes that the declaration itself defeats. Registered in LINT_RULES with one line.
 */
import type { LintRule, RuleHit } from '../policy/policy.lint.js';
import { modelOf, outcomeWords, simulatePromises } from './promises.simulate.js';

const q = (s: string): string => `"${s}"`;
const list = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;

export const PROMISE_RULES: readonly LintRule[] = [
  {
    id: 'retention-promise-defeated',
    severity: 'error',
    description: 'The notice promises a relationship a retention period that no record of theirs gets: another purpose holding the same data keeps it longer.',
    fix: 'Narrow the defeating purposes\' relationships, split the relationship, or give the relationship default_purposes so its records are held for the purposes they were collected for.',
    check: ({ policy }) => {
      const model = modelOf(policy);
      const report = simulatePromises(policy);
      const hits: RuleHit[] = [];
      report.relationships.forEach((rel, ri) => {
        // Where we act as a processor the client is the controller and makes the promises.
        if (rel.role === 'processor') return;
        // One finding per promise (relationship and purpose), listing the categories it fails for.
        const byPurpose = new Map<string, { categories: string[]; defeaters: Set<string>; heldBy: 'default-purposes' | 'every-purpose' }>();
        for (const c of rel.categories) {
          for (const p of c.promises) {
            if (p.holds !== false) continue;
            const entry = byPurpose.get(p.purpose) ?? { categories: [], defeaters: new Set<string>(), heldBy: c.heldBy };
            entry.categories.push(c.categoryName.toLowerCase());
            for (const d of p.defeatedBy) entry.defeaters.add(d.purpose);
            byPurpose.set(p.purpose, entry);
          }
        }
        for (const [pid, e] of byPurpose) {
          const pi = policy.purposes.findIndex((p) => p.id === pid);
          const purpose = policy.purposes[pi]!;
          const defeaters = [...e.defeaters].map((d) => `${d} (${outcomeWords(model, d)})`);
          const held =
            e.heldBy === 'every-purpose'
              ? `a record of theirs is held for every purpose that uses it, since ${q(rel.relationship)} names no default_purposes for it`
              : `a record of theirs is held for the relationship's default_purposes`;
          hits.push({
            path: ['purposes', pi, 'retention'],
            message:
              `The notice tells ${rel.name.toLowerCase()} (${rel.relationship}) that their ${list(e.categories)}, used for ${q(purpose.name)}, are ${outcomeWords(model, pid)}. ` +
              `But ${held}, and ${list(defeaters)} keep${e.defeaters.size === 1 ? 's' : ''} it longer: the latest end wins, so the promise never takes effect. ` +
              `Fix: narrow the relationships of ${list([...e.defeaters])}; split ${q(rel.relationship)} into the people this promise is about and the others; ` +
              `or give relationships[${ri}] default_purposes (e.g. [${pid}]) so its records are held for the purposes they were collected for.`,
          });
        }
      });
      return hits;
    },
  },
];
