/**
 * The purposes a new record is held for when its creator names none. A record is held for the
 * purposes it was collected for: the relationship's declared `default_purposes`; without them,
 * every purpose using the category for the relationship, but only when those purposes keep it for
 * the same period. Otherwise choosing would decide the person's retention (the latest end wins),
 * so the caller is asked to name the purposes instead.
 */
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { StewardError } from '../shared/errors.js';
import { defaultPurposesFor, modelOf, outcomeWords, purposesFor, retentionSignature } from './promises.simulate.js';

/**
 * The purposes a record of `category` gets for a person in `relationships` when none is named; an
 * empty list when no purpose uses the category for them (the caller says so in its own words).
 * Throws VALIDATION_FAILED listing the choices when they would keep the record for different periods.
 */
export function defaultPurposes(loaded: LoadedPolicy, category: string, relationships: readonly string[], path: string, ask = 'name the purposes it was collected for'): string[] {
  const policy = loaded.policy;
  const model = modelOf(policy, loaded);
  const chosen = new Set<string>();
  for (const rel of relationships) {
    const declared = defaultPurposesFor(policy, rel, category);
    if (declared) {
      for (const p of declared) chosen.add(p);
      continue;
    }
    const applicable = purposesFor(policy, rel, category).map((p) => p.id);
    if (new Set(applicable.map((p) => retentionSignature(model, p))).size > 1) {
      const choices = applicable.map((p) => `${p} (${outcomeWords(model, p)})`).join('; ');
      const message =
        `the purposes that use "${category}" for a ${rel} keep it for different periods: ${choices}. ` +
        `Holding it for all of them would keep it for the longest; ${ask}, or give the relationship "${rel}" default_purposes in the declaration`;
      throw new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);
    }
    for (const p of applicable) chosen.add(p);
  }
  // In declaration order, as the register always listed them.
  return policy.purposes.map((p) => p.id).filter((p) => chosen.has(p));
}
