/**
 * Lint rules from the promises simulation (promises.simulate.ts): a retention promise the notice
 * makes that the declaration itself defeats. Registered in LINT_RULES with one line.
 */
import { q, list } from '../policy/lint.types.js';
import type { LintRule } from '../policy/lint.types.js';
import type { Policy } from '../policy/policy.schema.js';
import { modelOf, outcomeWords, simulatePromises, type CategoryPath, type PromisesReport, type RelationshipPaths } from './promises.simulate.js';


/** Defeated promises of one kind, one entry per relationship and purpose, with the categories they fail for. */
const reports = new WeakMap<Policy, PromisesReport>();
function defeatedPromises(policy: Policy, kind: 'fixed' | 'review') {
  let report = reports.get(policy);
  if (!report) reports.set(policy, (report = simulatePromises(policy)));
  const out: Array<{ ri: number; rel: RelationshipPaths; pid: string; categories: string[]; defeaters: Set<string>; heldBy: CategoryPath['heldBy'] }> = [];
  report.relationships.forEach((rel, ri) => {
    // Where we act as a processor the client is the controller and makes the promises.
    if (rel.role === 'processor') return;
    const byPurpose = new Map<string, (typeof out)[number]>();
    for (const c of rel.categories) {
      for (const p of c.promises) {
        if (p.kind !== kind || p.holds !== false) continue;
        let entry = byPurpose.get(p.purpose);
        if (!entry) byPurpose.set(p.purpose, (entry = { ri, rel, pid: p.purpose, categories: [], defeaters: new Set<string>(), heldBy: c.heldBy }));
        entry.categories.push(c.categoryName.toLowerCase());
        for (const d of p.defeatedBy) entry.defeaters.add(d.purpose);
      }
    }
    out.push(...byPurpose.values());
  });
  return out;
}

const heldWords = (e: { rel: RelationshipPaths; heldBy: CategoryPath['heldBy'] }): string =>
  e.heldBy === 'every-purpose'
    ? `a record of theirs is held for every purpose that uses it, since ${q(e.rel.relationship)} names no default_purposes for it`
    : `a record of theirs is held for the relationship's default_purposes`;

const fixes = (e: { ri: number; rel: RelationshipPaths; pid: string; defeaters: Set<string> }): string =>
  `Fix: narrow the relationships of ${list([...e.defeaters])}; split ${q(e.rel.relationship)} into the people this promise is about and the others; ` +
  `or give relationships[${e.ri}] default_purposes (e.g. [${e.pid}]) so its records are held for the purposes they were collected for.`;

export const PROMISE_RULES: readonly LintRule[] = [
  {
    id: 'retention-promise-defeated',
    severity: 'error',
    description: 'The notice promises a relationship a retention period that no record of theirs gets: another purpose holding the same data keeps it longer.',
    fix: 'Narrow the defeating purposes\' relationships, split the relationship, or give the relationship default_purposes so its records are held for the purposes they were collected for.',
    check: ({ policy }) => {
      const model = modelOf(policy);
      return defeatedPromises(policy, 'fixed').map((e) => ({
        path: ['purposes', policy.purposes.findIndex((p) => p.id === e.pid), 'retention'],
        message:
          `The notice tells ${e.rel.name.toLowerCase()} (${e.rel.relationship}) that their ${list(e.categories)}, used for ${q(policy.purposes.find((p) => p.id === e.pid)!.name)}, are ${outcomeWords(model, e.pid)}. ` +
          `But ${heldWords(e)}, and ${list([...e.defeaters].map((d) => `${d} (${outcomeWords(model, d)})`))} keep${e.defeaters.size === 1 ? 's' : ''} it longer: the latest end wins, so the promise never takes effect. ` +
          fixes(e),
      }));
    },
  },
  {
    id: 'retention-review-promise-defeated',
    severity: 'warning',
    description: 'The notice promises a relationship a periodic review, but another purpose holding the same data has criteria only, so the data needs a decision and no review is ever scheduled.',
    fix: 'Give the criteria-only rule a review_every, narrow that purpose\'s relationships, or give the relationship default_purposes.',
    check: ({ policy }) => {
      const model = modelOf(policy);
      return defeatedPromises(policy, 'review').map((e) => ({
        path: ['purposes', policy.purposes.findIndex((p) => p.id === e.pid), 'retention'],
        message:
          `The notice tells ${e.rel.name.toLowerCase()} (${e.rel.relationship}) that their ${list(e.categories)}, used for ${q(policy.purposes.find((p) => p.id === e.pid)!.name)}, are ${outcomeWords(model, e.pid)}. ` +
          `But ${heldWords(e)}, and ${list([...e.defeaters].map((d) => `${d} (${outcomeWords(model, d)})`))} ha${e.defeaters.size === 1 ? 's' : 've'} no end and no review, so the record waits for someone to decide and never comes up for review. ` +
          `Give that rule a review_every, or ${fixes(e).slice(5)}`,
      }));
    },
  },
];
