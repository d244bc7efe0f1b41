/**
 * Lint rules for the lawful basis of each purpose (Art 6(1), including the recognised legitimate
 * interests of Art 6(1)(ea) and Annex 1), the conditions for special-category data (Art 9(2), with
 * DPA 2018 s.10 and Schedule 1) and for criminal-offence data (Art 10, DPA 2018 s.10(5)).
 */
import { type LintRule, list, q } from './lint.types.js';
import { LAWFUL_BASES, RECOGNISED_INTERESTS } from './schema.purposes.js';
import { categoriesOf } from './declaration.facts.js';
import { controllerPurposes, purposeLabel } from './lint.purposes.js';

/** Art 9(2) conditions that, under DPA 2018 s10, also need a Schedule 1 condition. */
const NEEDS_SCHEDULE1 = new Set(['employment-social-security', 'substantial-public-interest', 'health-or-social-care', 'public-health', 'archiving-research-statistics']);

const BASIS_LIST = LAWFUL_BASES.join(', ');

export const LAWFUL_BASIS_RULES: readonly LintRule[] = [
  {
    id: 'lawful-basis-missing',
    severity: 'error',
    description: 'A purpose has no lawful basis (Art 6(1); Art 13(1)(c)).',
    fix: `Add lawful_basis: one of ${BASIS_LIST}.`,
    check: (ctx) =>
      controllerPurposes(ctx).flatMap(([p, i]) =>
        p.lawful_basis
          ? []
          : [{ path: ['purposes', i, 'lawful_basis'], message: `${purposeLabel(p)} has no lawful basis. Every use of personal data needs one and the notice must state it. Add lawful_basis: contract (needed to deliver what the person asked for), legal-obligation (a law requires it), legitimate-interests (your own reasonable interest, with legitimate_interest saying what it is), consent, vital-interests, public-task or recognised-legitimate-interest.` }],
      ),
  },
  {
    id: 'legitimate-interest-missing',
    severity: 'error',
    description: 'A legitimate-interests purpose does not say what the interest is (Art 13(1)(d)).',
    fix: 'Add legitimate_interest: the interest in plain words, e.g. "to grow our business by contacting people we have met".',
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.lawful_basis === 'legitimate-interests' && !p.legitimate_interest
          ? [{ path: ['purposes', i, 'lawful_basis'], message: `${purposeLabel(p)} relies on legitimate interests but does not say what the interest is; the notice must. Add legitimate_interest describing it in plain words, and link your assessment in lia_reference.` }]
          : [],
      ),
  },
  {
    id: 'recognised-interest-missing',
    severity: 'error',
    description: 'A recognised-legitimate-interest purpose does not say which recognised interest applies.',
    fix: `Add recognised_interest: one of ${RECOGNISED_INTERESTS.join(', ')}.`,
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.lawful_basis === 'recognised-legitimate-interest' && !p.recognised_interest
          ? [{ path: ['purposes', i, 'lawful_basis'], message: `${purposeLabel(p)} relies on a recognised legitimate interest (Art 6(1)(ea)) but does not say which; only a fixed list qualifies. Add recognised_interest: one of ${RECOGNISED_INTERESTS.join(', ')}, or choose another basis.` }]
          : [],
      ),
  },
  {
    id: 'public-authority-legitimate-interests',
    severity: 'warning',
    description: 'A public authority relies on legitimate interests.',
    fix: 'Use public-task for the authority\'s tasks; keep legitimate-interests only for other activities.',
    check: ({ policy }) =>
      policy.organisation.public_authority
        ? policy.purposes.flatMap((p, i) =>
            p.lawful_basis === 'legitimate-interests'
              ? [{ path: ['purposes', i, 'lawful_basis'], message: `${purposeLabel(p)} relies on legitimate interests, which a public authority cannot use for its tasks (Art 6(1), last sentence). Use public-task if this is one of your official functions.` }]
              : [],
          )
        : [],
  },

  // --- Special category and criminal-offence data (Arts 9, 10) ---------------------------------
  {
    id: 'special-condition-missing',
    severity: 'error',
    description: 'A purpose uses special-category data without an Art 9(2) condition.',
    fix: 'Add special_condition (e.g. explicit-consent, employment-social-security, legal-claims).',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        const special = categoriesOf(p, ctx.policy).filter((c) => c.special_category);
        return special.length > 0 && !p.special_condition
          ? [{ path: ['purposes', i, 'special_condition'], message: `${purposeLabel(p)} uses ${list(special.map((c) => `${q(c.name)} (${c.special_category ?? ''})`))}, which is special-category data: besides a lawful basis it needs one of the conditions in Art 9(2). Add special_condition, e.g. explicit-consent, employment-social-security or legal-claims; several also need schedule1_condition.` }]
          : [];
      }),
  },
  {
    id: 'special-condition-unneeded',
    severity: 'info',
    description: 'A purpose names an Art 9 condition but uses no special-category data.',
    fix: 'Remove special_condition, or mark the category that is special with special_category.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) =>
        p.special_condition && !categoriesOf(p, ctx.policy).some((c) => c.special_category)
          ? [{ path: ['purposes', i, 'special_condition'], message: `${purposeLabel(p)} names an Art 9 condition but none of its data categories is special-category data. Either a category is missing its special_category, or the condition can go.` }]
          : [],
      ),
  },
  {
    id: 'schedule1-condition-missing',
    severity: 'warning',
    description: 'The Art 9 condition chosen also needs a DPA 2018 Schedule 1 condition.',
    fix: 'Add schedule1_condition naming the Schedule 1 paragraph, e.g. "Sch 1 para 1 (employment)".',
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.special_condition && NEEDS_SCHEDULE1.has(p.special_condition) && !p.schedule1_condition
          ? [{ path: ['purposes', i, 'special_condition'], message: `${purposeLabel(p)} uses the Art 9 condition ${p.special_condition}, which in the UK also needs a condition from Schedule 1 of the Data Protection Act 2018 (s10), often with an appropriate policy document. Add schedule1_condition naming it.` }]
          : [],
      ),
  },
  {
    id: 'criminal-offence-data',
    severity: 'warning',
    description: 'A purpose uses criminal-offence data without a DPA 2018 Schedule 1 condition (Art 10).',
    fix: 'Add schedule1_condition naming the Schedule 1 condition (e.g. "Sch 1 para 10, preventing or detecting unlawful acts").',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        const crim = categoriesOf(p, ctx.policy).filter((c) => c.criminal_offence);
        return crim.length > 0 && !p.schedule1_condition
          ? [{ path: ['purposes', i, 'categories'], message: `${purposeLabel(p)} uses ${list(crim.map((c) => q(c.name)))}, data about criminal offences or allegations. A private organisation may only process it under a condition in Schedule 1 of the Data Protection Act 2018 (Art 10; s10(5)), usually with an appropriate policy document. Add schedule1_condition naming the condition, e.g. "Sch 1 para 10 (preventing or detecting unlawful acts)".` }]
          : [];
      }),
  },
];
