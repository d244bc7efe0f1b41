/**
 * Lint rules for the law as amended by the Data (Use and Access) Act 2025, and for precision the
 * notice needs to be truthful. Run by LINT_RULES (policy.lint.ts); same shape, documented
 * and tested the same way.
 */
import { q } from './lint.types.js';
import type { LintContext, LintRule, RuleHit } from './lint.types.js';
import type { PolicyPath } from './policy.loader.js';

/** PECR Sch A1 and the other main changes took effect on this day. */
export const ACT_2025_IN_FORCE = '2026-02-05';
/** Criteria that say nothing beyond "as long as necessary", however phrased. */
const ONLY_AS_LONG_AS_NECESSARY =
  /^\s*(?:(?:we\s+)?(?:keep|retain|hold)\s+(?:it|(?:your\s+)?(?:personal\s+)?(?:data|information))\s+|kept\s+|retained\s+)?(?:for\s+)?(?:only\s+)?(?:as|so)\s+long\s+as\s+(?:is\s+|it\s+is\s+)?(?:(?:strictly|reasonably)\s+)?(?:necessary|needed|required|we\s+need\s+(?:it|to))(?:\s+(?:for|to\s+fulfil)\s+(?:the|these|those|our)\s+purposes?(?:\s+(?:for\s+which\s+it\s+was|it\s+was|we)\s+collected(?:\s+it)?(?:\s+for)?)?)?\s*\.?\s*$/i;

const today = (ctx: LintContext): string => ctx.today ?? new Date().toISOString().slice(0, 10);
const yearBefore = (iso: string): string => `${String(Number(iso.slice(0, 4)) - 1).padStart(4, '0')}${iso.slice(4)}`;

export const ACT_2025_RULES: readonly LintRule[] = [
  {
    id: 'complaints-channel-missing',
    severity: 'warning',
    description: 'No way to complain to the organisation is declared (DPA 2018 s.164A, since 19 June 2026).',
    fix: 'Add complaints.channels: at least one electronic way (web-form or email) and one other (post or phone).',
    check: ({ policy }) =>
      policy.complaints
        ? []
        : [
            {
              path: ['complaints'],
              message:
                'Since 19 June 2026 people may complain to you about your use of their data, and you must make that easy, "such as providing a complaint form which can be completed electronically and by other means" (DPA 2018 s.164A). The notice should say how to complain to you before the ICO. Add complaints.channels, e.g. - { type: email, address: privacy@example.co.uk } and - { type: post }.',
            },
          ],
  },
  {
    id: 'cookie-exemption-invalid',
    severity: 'error',
    description: 'A cookie declared exempt (statistics or appearance) does not meet the conditions of PECR Sch A1.',
    fix: 'Keep the exemption only for cookies used solely for statistics or appearance, shared only with a processor, with cookie_controls.objection; otherwise ask for consent.',
    check: ({ policy, recipients }) =>
      policy.cookies.flatMap((c, i): RuleHit[] => {
        if (!c.exemption) return [];
        const at: PolicyPath = ['cookies', i, 'exemption'];
        const hits: RuleHit[] = [];
        if (c.category === 'marketing' || (c.exemption === 'appearance' && c.category === 'analytics') || (c.exemption === 'statistics' && c.category === 'functional')) {
          hits.push({ path: at, message: `The cookie ${q(c.name)} is in the ${c.category} category but declared exempt for ${c.exemption}. The exemption covers storage whose sole purpose is ${c.exemption === 'statistics' ? 'statistics to improve the service' : "adapting the website's appearance or functions to the user's preferences"}; advertising and tracking still need consent. Remove exemption, or correct the category.` });
        }
        if (c.technology === 'fingerprint') hits.push({ path: at, message: `The cookie ${q(c.name)} is a device fingerprint: people cannot see or clear it, so the free, simple way to object that the exemption needs is not real. Ask for consent instead.` });
        for (const [j, r] of (c.shared_with ?? []).entries()) {
          const recipient = recipients.get(r);
          if (c.exemption === 'statistics' && recipient?.kind !== 'processor') {
            hits.push({ path: ['cookies', i, 'shared_with', j], message: `The statistics cookie ${q(c.name)} shares its data with ${q(recipient?.name ?? r)}, which is not a processor. The statistics exemption allows sharing only with someone helping you improve the service on your behalf (a processor); otherwise it needs consent.` });
          }
        }
        if (!policy.cookie_controls?.objection) {
          hits.push({ path: at, message: `The cookie ${q(c.name)} is used without consent, which the law allows only if people get clear information and a simple, free way to object. Say how in cookie_controls.objection, e.g. "Use the Object button in our cookie settings".` });
        }
        return hits;
      }),
  },
  // The data protection test for transfers (Art 46(1A)) is checked by transfer-assessment-missing and
  // transfer-assessment-not-met in lint.accountability.ts, on the recipient's or transfer's transfer_assessment.
  {
    id: 'charity-soft-opt-in-misused',
    severity: 'error',
    description: 'The charity soft opt-in is declared where its conditions (PECR reg 22, 2025 Act) cannot hold.',
    fix: 'Use charity_soft_opt_in only as a charity, for email or text direct marketing furthering its purposes, with an unsubscribe link in every message.',
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i): RuleHit[] => {
        if (!p.charity_soft_opt_in) return [];
        const at: PolicyPath = ['purposes', i, 'charity_soft_opt_in'];
        const problems: string[] = [];
        if (policy.organisation.charity !== true) problems.push('the organisation is not declared a charity (organisation.charity: true)');
        if (!p.direct_marketing) problems.push('the purpose is not direct marketing');
        const other = (p.channels ?? []).filter((c) => c !== 'email' && c !== 'sms');
        if (!p.channels?.length || other.length) problems.push(other.length ? `it covers ${other.join(', ')}, but the soft opt-in covers only email and text messages` : 'it names no channel (email or sms)');
        if (!policy.rights.consent.withdrawal_channels.includes('unsubscribe-link')) problems.push('no refusal is offered in every message (add unsubscribe-link to rights.consent.withdrawal_channels)');
        return problems.length
          ? [{ path: at, message: `The purpose ${q(p.name)} uses the charity soft opt-in, but ${problems.join('; ')}. It lets a charity email or text people who expressed interest in or supported it, solely to further its charitable purposes, with a simple free refusal offered then and in every message; otherwise ask for consent.` }]
          : [];
      }),
  },
  {
    id: 'notice-before-2025-act',
    severity: 'warning',
    description: 'The notice took effect before 5 February 2026, so it cannot reflect the Data (Use and Access) Act 2025.',
    fix: 'Review the notice against the 2025 Act (complaints, cookies, recognised legitimate interests, transfers) and set a new notice.effective_date.',
    check: ({ policy }) =>
      policy.notice.effective_date < ACT_2025_IN_FORCE
        ? [{ path: ['notice', 'effective_date'], message: `The notice took effect on ${policy.notice.effective_date}, before the main changes of the Data (Use and Access) Act 2025 came into force on 5 February 2026 (and the complaints duty on 19 June 2026), so it cannot reflect them. Review it and set a new effective_date.` }]
        : [],
  },
  {
    id: 'notice-over-a-year-old',
    severity: 'info',
    description: 'The notice took effect over a year ago.',
    fix: 'Review the notice at least yearly; set notice.effective_date when you publish the reviewed version.',
    check: (ctx) => {
      const { effective_date } = ctx.policy.notice;
      return effective_date < yearBefore(today(ctx))
        ? [{ path: ['notice', 'effective_date'], message: `The notice took effect on ${effective_date}, more than a year ago. Check it still describes what you do, then publish it with a new effective_date.` }]
        : [];
    },
  },
  {
    id: 'retention-criteria-vague',
    severity: 'warning',
    description: 'A retention rule\'s only criterion is "as long as necessary", which tells people nothing.',
    fix: 'Say what decides the period (e.g. "until the warranty ends", "6 years for tax law") or give a duration and trigger.',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        !r.duration && !r.until && !r.review_every && r.criteria && ONLY_AS_LONG_AS_NECESSARY.test(r.criteria.replace(/\s+/g, ' '))
          ? [{ path: ['retention', i, 'criteria'], message: `The retention rule ${q(r.id)} says only ${q(r.criteria.trim())}. Art 13(2)(a) asks for the period or the criteria used to decide it; "as long as necessary" is neither. Say what decides it, e.g. "until your warranty ends", or give duration and trigger.` }]
          : [],
      ),
  },
  {
    id: 'legal-references-missing',
    severity: 'warning',
    description: 'The notice cites no law at all.',
    fix: 'Add notice.legal_references: "UK GDPR", "Data Protection Act 2018" and, for marketing or cookies, "Privacy and Electronic Communications Regulations 2003".',
    check: ({ policy }) =>
      policy.notice.legal_references.length
        ? []
        : [{ path: ['notice'], message: 'The notice cites no law, so readers cannot tell which rules it follows. Add legal_references: ["UK GDPR", "Data Protection Act 2018"], and "Privacy and Electronic Communications Regulations 2003" if you market electronically or use cookies.' }],
  },
];
