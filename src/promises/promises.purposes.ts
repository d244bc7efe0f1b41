/**
 * The purposes a new record is held for when its creator names none. A record is held for the
 * purposes it was collected for: the relationship's declared `default_purposes`; without them,
 * every purpose using the category for the relationship, but only when those purposes keep it for
 * the same period. Otherwise choosing would decide the person's retention (the latest end wins),
 * so the caller is asked to name the purposes instead.
 */
import type { LoadedPolicy } from '../policy/policy.loader.js';
import type { Policy } from '../policy/policy.schema.js';
import type { RecordFacts, RetentionModel, SubjectFacts, Verdict } from '../retention/retention.engine.js';
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

/**
 * The purposes a relationship's promise names for a category: its default purposes, or every
 * purpose using the category when they all keep it equally long; undefined when there is no one
 * promise (purposes differ and no defaults are declared).
 */
export function promisedPurposes(policy: Policy, model: RetentionModel, relationship: string, category: string): string[] | undefined {
  const declared = defaultPurposesFor(policy, relationship, category);
  if (declared) return declared;
  const applicable = purposesFor(policy, relationship, category).map((p) => p.id);
  return applicable.length > 0 && new Set(applicable.map((p) => retentionSignature(model, p))).size === 1 ? applicable : undefined;
}

export interface OffPromiseRecord {
  recordId: string;
  subjectId: string;
  category: string;
  /** The purpose and rule that decide the record's retention. */
  decidedBy: { purpose: string; rule: string | null };
  /** The purposes the promise of the subject's relationships names for this category. */
  promised: string[];
}

/**
 * Records whose retention is decided by a purpose other than the one their relationship's promise
 * names (typically held for every purpose by an older import): the firm can narrow their purposes.
 */
export class OffPromiseTally {
  records = 0;
  readonly items: OffPromiseRecord[] = [];
  itemsOmitted = 0;
  private readonly promised = new Map<string, { ids: Set<string>; signatures: Set<string> } | null>();

  constructor(
    private readonly model: RetentionModel,
    private readonly detail: number,
  ) {}

  add(subject: SubjectFacts, record: RecordFacts, verdict: Verdict): void {
    const decided = verdict.decided.purpose;
    if (decided === '') return;
    const rels = subject.relationships.map((r) => r.relationship);
    const key = `${rels.join('\u0000')}\u0001${record.category}`;
    let promise = this.promised.get(key);
    if (promise === undefined) {
      const ids = new Set<string>();
      for (const rel of rels) for (const p of promisedPurposes(this.model.policy.policy, this.model, rel, record.category) ?? []) ids.add(p);
      promise = ids.size > 0 ? { ids, signatures: new Set([...ids].map((p) => retentionSignature(this.model, p))) } : null;
      this.promised.set(key, promise);
    }
    if (!promise || promise.ids.has(decided) || promise.signatures.has(retentionSignature(this.model, decided))) return;
    this.records++;
    if (this.items.length >= this.detail) {
      this.itemsOmitted++;
      return;
    }
    this.items.push({ recordId: record.id, subjectId: subject.id, category: record.category, decidedBy: { purpose: decided, rule: verdict.decided.rule }, promised: [...promise.ids] });
  }
}
