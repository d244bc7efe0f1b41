/**
 * Lint rules for the law the notice cites (notice.legal_references): laws repealed on 25 May 2018,
 * transfer mechanisms the courts struck down, and the EU GDPR cited where the UK GDPR applies
 * (European Union (Withdrawal) Act 2018 s.3; the UK GDPR as defined in DPA 2018 s.3(10)).
 */
import { type LintRule, q } from './lint.types.js';

/** Laws and mechanisms that are no longer in force, as organisations tend to write them. */
const REPEALED: ReadonlyArray<{ pattern: RegExp; what: string; instead: string }> = [
  {
    pattern: /data protection act,?\s*1998|\bDPA\s*1998\b/i,
    what: 'the Data Protection Act 1998, repealed on 25 May 2018',
    instead: 'the Data Protection Act 2018',
  },
  {
    pattern: /95\/46|data protection directive|\bDPD\b/i,
    what: 'the EU Data Protection Directive 95/46/EC, repealed on 25 May 2018',
    instead: 'the UK GDPR',
  },
  {
    pattern: /privacy shield/i,
    what: 'the EU-US Privacy Shield, invalidated by the EU Court of Justice on 16 July 2020',
    instead: 'the UK Extension to the EU-US Data Privacy Framework, if your US recipients are certified under it',
  },
  {
    pattern: /safe harbou?r/i,
    what: 'the EU-US Safe Harbour framework, invalidated in October 2015',
    instead: 'the UK Extension to the EU-US Data Privacy Framework, if your US recipients are certified under it',
  },
];

export const LEGAL_REFERENCE_RULES: readonly LintRule[] = [
  {
    id: 'repealed-law-cited',
    severity: 'warning',
    description: 'notice.legal_references cites a repealed law or an invalid transfer mechanism.',
    fix: 'Replace it with the UK GDPR, the Data Protection Act 2018 and PECR.',
    check: ({ policy }) =>
      policy.notice.legal_references.flatMap((ref, i) =>
        REPEALED.filter((r) => r.pattern.test(ref)).map((r) => ({
          path: ['notice', 'legal_references', i],
          message: `${q(ref)} refers to ${r.what}. Citing it tells readers the policy is out of date; cite ${r.instead} instead.`,
        })),
      ),
  },
  {
    id: 'eu-gdpr-only',
    severity: 'info',
    description: 'The notice cites the (EU) GDPR but not the UK GDPR.',
    fix: 'Cite "UK GDPR" and "Data Protection Act 2018" in notice.legal_references.',
    check: ({ policy }) => {
      const refs = policy.notice.legal_references;
      const gdpr = refs.findIndex((r) => /\bGDPR\b|general data protection regulation/i.test(r));
      const uk = refs.some((r) => /\bUK[\s-]*GDPR\b|UK general data protection regulation/i.test(r));
      if (gdpr < 0 || uk) return [];
      return [
        {
          path: ['notice', 'legal_references', gdpr],
          message: `${q(refs[gdpr] ?? '')} is the EU regulation. Since 1 January 2021 the law that applies in the UK is the UK GDPR, with the Data Protection Act 2018 and PECR. Add "UK GDPR" and "Data Protection Act 2018"; keep the EU GDPR only if you also serve people in the EU.`,
        },
      ];
    },
  },
];
