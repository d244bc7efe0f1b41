/**
 * DPIA screening: the ICO's screening questions asked of each purpose, answered from what the
 * declaration says.
 *
 * Art 35(1) requires a DPIA where processing is likely to result in a high risk. Art 35(3) names
 * three cases that always do, and the ICO's list under Art 35(4) adds more ("processing likely to
 * result in high risk"). Those are `mandatory` here: any one of them means a DPIA is required. The
 * European guidelines the ICO follows (WP248) add criteria that are only `indicators`: two or more
 * of them together make a DPIA likely to be needed, and one alone is worth a note.
 *
 * Facts the declaration already holds are derived (special category, criminal offence, biometric
 * and genetic data, automated decisions with significant effects, data from sources other than the
 * person); the rest are the purpose's `dpia_screening` answers.
 */
import type { Assessment, DataCategory, Policy, Purpose } from './policy.schema.js';

export type ScreeningWeight = 'mandatory' | 'indicator';

export interface ScreeningHit {
  /** Stable id of the criterion. */
  criterion: string;
  weight: ScreeningWeight;
  /** Why it applies, in plain words, naming the declared fact. */
  reason: string;
  /** Whether it came from the declaration's other facts or from the purpose's screening answers. */
  from: 'derived' | 'declared';
}

export interface ScreeningResult {
  purpose: string;
  hits: ScreeningHit[];
  /** required: a mandatory criterion, or two indicators; advisable: one indicator; not-indicated: none. */
  verdict: 'required' | 'advisable' | 'not-indicated';
  /** The DPIA on record for the purpose: its `dpia` link or a declared assessment of kind dpia. */
  recorded: { link?: string; assessment?: string } | undefined;
}

const categoriesOf = (policy: Policy, p: Purpose): DataCategory[] =>
  p.categories.map((id) => policy.data_categories.find((c) => c.id === id)).filter((c): c is DataCategory => c !== undefined);

/** Source kinds where the data comes from someone other than the person. */
const INDIRECT = new Set(['purchased-list', 'public-register', 'public-source', 'introducer', 'credit-reference-agency', 'third-party', 'exhibition']);

export function screenPurpose(policy: Policy, p: Purpose): ScreeningResult {
  const hits: ScreeningHit[] = [];
  const add = (criterion: string, weight: ScreeningWeight, reason: string, from: 'derived' | 'declared'): void => {
    hits.push({ criterion, weight, reason, from });
  };
  const answers = p.dpia_screening ?? {};
  const categories = categoriesOf(policy, p);
  const special = categories.filter((c) => c.special_category);
  const criminal = categories.filter((c) => c.criminal_offence);
  const names = (cs: DataCategory[]): string => cs.map((c) => `"${c.name}"`).join(', ');

  // Art 35(3)(b): special category or criminal offence data on a large scale.
  if ((special.length || criminal.length) && answers.large_scale) {
    add('special-data-at-scale', 'mandatory', `special category or criminal offence data (${names([...special, ...criminal])}) processed on a large scale (Art 35(3)(b))`, 'derived');
  } else if (special.length || criminal.length) {
    add('sensitive-data', 'indicator', `special category or criminal offence data: ${names([...special, ...criminal])}`, 'derived');
  }
  // ICO list: biometric data for identification, genetic data.
  const biometric = categories.filter((c) => c.special_category === 'biometric' || c.special_category === 'genetic');
  if (biometric.length) add('biometric-or-genetic', 'mandatory', `biometric or genetic data: ${names(biometric)} (ICO list)`, 'derived');
  // Art 35(3)(a): automated decisions with legal or similarly significant effects.
  if (p.automated_decision) add('automated-decisions', 'mandatory', 'automated decisions with legal or similarly significant effects (Art 35(3)(a))', 'derived');
  // Data obtained from others: an indicator of invisible processing or matching.
  const indirect = (p.sources ?? []).map((id) => policy.sources.find((s) => s.id === id)).filter((s) => s !== undefined && INDIRECT.has(s.kind));
  if (indirect.length >= 2 && !answers.data_matching) {
    add('several-outside-sources', 'indicator', `data from several outside sources (${indirect.map((s) => `"${s!.name}"`).join(', ')}) may be combined`, 'derived');
  }

  if (answers.systematic_monitoring) add('systematic-monitoring', answers.large_scale ? 'mandatory' : 'indicator', answers.large_scale ? 'systematic monitoring on a large scale (Art 35(3)(c), ICO list)' : 'systematic monitoring of people', 'declared');
  if (answers.new_technology) add('new-technology', 'mandatory', 'innovative technology (ICO list)', 'declared');
  if (answers.profiling) add('profiling', answers.large_scale ? 'mandatory' : 'indicator', answers.large_scale ? 'profiling on a large scale (ICO list)' : 'evaluating or scoring people', 'declared');
  if (answers.data_matching) add('data-matching', 'mandatory', 'combining, comparing or matching data from several sources (ICO list)', 'declared');
  if (answers.invisible_processing) add('invisible-processing', 'mandatory', 'data obtained from others without telling each person (ICO list)', 'declared');
  if (answers.tracking) add('tracking', 'mandatory', "tracking people's location or behaviour (ICO list)", 'declared');
  if (answers.children_or_vulnerable) add('children-or-vulnerable', 'mandatory', 'targeting children or other vulnerable people (ICO list)', 'declared');
  if (answers.denial_of_service) add('denial-of-service', 'mandatory', 'decisions about access to a product, service, opportunity or benefit (ICO list)', 'declared');
  if (answers.risk_of_physical_harm) add('risk-of-physical-harm', 'mandatory', "a breach could put someone's physical health or safety at risk (ICO list)", 'declared');
  if (answers.large_scale && !hits.some((h) => h.reason.includes('large scale'))) {
    add('large-scale', 'indicator', 'processing on a large scale', 'declared');
  }

  const mandatory = hits.some((h) => h.weight === 'mandatory');
  const indicators = hits.filter((h) => h.weight === 'indicator').length;
  const verdict = mandatory || indicators >= 2 ? 'required' : indicators === 1 ? 'advisable' : 'not-indicated';
  return { purpose: p.id, hits, verdict, recorded: recordedDpia(policy, p) };
}

/** A DPIA on record for the purpose: its own `dpia` link, or an assessment of kind dpia covering it. */
export function recordedDpia(policy: Policy, p: Purpose): { link?: string; assessment?: string } | undefined {
  const assessment = policy.assessments.find((a) => a.kind === 'dpia' && a.purposes?.includes(p.id));
  if (!p.dpia && !assessment) return undefined;
  return { link: p.dpia, assessment: assessment?.id };
}

/** Assessments of a kind that cover a purpose, a recipient or a transfer. */
export function assessmentsCovering(policy: Policy, kind: Assessment['kind'], target: { purpose?: string; recipient?: string; transfer?: string }): Assessment[] {
  return policy.assessments.filter(
    (a) =>
      a.kind === kind &&
      ((target.purpose !== undefined && a.purposes?.includes(target.purpose)) ||
        (target.recipient !== undefined && a.recipients?.includes(target.recipient)) ||
        (target.transfer !== undefined && a.transfers?.includes(target.transfer))),
  );
}

export function screenPolicy(policy: Policy): ScreeningResult[] {
  return policy.purposes.map((p) => screenPurpose(policy, p));
}
