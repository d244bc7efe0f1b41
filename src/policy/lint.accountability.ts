/**
 * Lint rules for accountability (Art 5(2), Art 24): the contracts with processors (Art 28), the
 * assessments behind transfers (Art 46(1A), as amended by the Data (Use and Access) Act 2025) and
 * DPIAs (Art 35), and their review dates.
 *
 * Rules about dates compare with the lint context's `today`, so a declaration that was clean when
 * written starts to warn once a review falls due.
 */
import { outsideAdequacy } from './adequacy.js';
import { assessmentsCovering, screenPurpose } from './dpia-screening.js';
import { list, q, type LintContext, type LintRule, type RuleHit } from './lint.types.js';
import type { Recipient } from './policy.schema.js';
import { ART28_TERMS, type Safeguard } from './schema.recipients.js';

/** Art 46 appropriate safeguards: a transfer under one of them needs the data protection test. */
const APPROPRIATE_SAFEGUARDS: ReadonlySet<Safeguard> = new Set(['idta', 'eu-scc-with-uk-addendum', 'binding-corporate-rules']);
const NO_VALID_SAFEGUARD: ReadonlySet<Safeguard | undefined> = new Set([undefined, 'none', 'eu-us-privacy-shield']);

const TERM_WORDS: Record<(typeof ART28_TERMS)[number], string> = {
  'documented-instructions': 'acting only on documented instructions (a)',
  confidentiality: 'confidentiality of the people handling the data (b)',
  security: 'the security measures of Art 32 (c)',
  'sub-processors': 'the conditions for engaging sub-processors (d)',
  'assistance-with-rights': "assistance with people's rights requests (e)",
  'assistance-with-compliance': 'assistance with security, breach notification and DPIAs (f)',
  'deletion-or-return': 'deletion or return of the data at the end (g)',
  'audits-and-information': 'information and audits to show compliance (h)',
};

const processors = (ctx: LintContext): Array<[Recipient, number]> =>
  ctx.policy.recipients.map((r, i): [Recipient, number] => [r, i]).filter(([r]) => r.kind === 'processor');

/** The date a recipient's arrangement is next reviewed: the agreement's, or the older `review_date`. */
export const reviewDateOf = (r: Recipient): string | undefined => r.agreement?.review ?? r.review_date;

export const ACCOUNTABILITY_RULES: readonly LintRule[] = [
  {
    id: 'processor-contract-missing',
    severity: 'warning',
    description: 'A processor has no contract or data processing agreement recorded (Art 28(3)).',
    fix: 'Add agreement: { link, signed, review, terms } to the recipient, with the Art 28(3) terms it covers.',
    check: (ctx) =>
      processors(ctx)
        .filter(([r]) => !r.agreement && !r.contract)
        .map(([r, i]) => ({
          path: ['recipients', i],
          message: `The processor ${q(r.name)} has no contract recorded. Processing by a processor must be governed by a written contract that sets out the Art 28(3) terms. Add agreement with a link to the contract, the date it was signed, its next review and the terms it covers.`,
        })),
  },
  {
    id: 'processor-terms-missing',
    severity: 'warning',
    description: 'A processor\'s contract does not cover every term Art 28(3) requires, or does not say which it covers.',
    fix: 'List the terms the contract covers under agreement.terms; where one is missing, add it to the contract.',
    check: (ctx) =>
      processors(ctx).flatMap(([r, i]): RuleHit[] => {
        if (!r.agreement && !r.contract) return [];
        const terms = new Set(r.agreement?.terms ?? []);
        const missing = ART28_TERMS.filter((t) => !terms.has(t));
        if (missing.length === 0) return [];
        const path = r.agreement ? ['recipients', i, 'agreement'] : ['recipients', i, 'contract'];
        return [
          {
            path,
            message:
              terms.size === 0
                ? `The contract with the processor ${q(r.name)} is recorded, but not which Art 28(3) terms it covers. List them under agreement.terms (${ART28_TERMS.join(', ')}), so the gaps show.`
                : `The contract with the processor ${q(r.name)} does not cover ${list(missing.map((t) => TERM_WORDS[t]))}. Art 28(3) requires each; add them to the contract and to agreement.terms.`,
          },
        ];
      }),
  },
  {
    id: 'processor-assurance-missing',
    severity: 'info',
    description: 'No security assurance is recorded for a processor (Art 28(1): sufficient guarantees).',
    fix: 'Add assurance: { kind, name, date } — a certification, a completed questionnaire or an audit.',
    check: (ctx) =>
      processors(ctx)
        .filter(([r]) => !r.assurance && !r.is_category)
        .map(([r, i]) => ({
          path: ['recipients', i],
          message: `Nothing records how the processor ${q(r.name)} was checked. Art 28(1) allows only processors that give sufficient guarantees of security; record what you relied on under assurance (a certification such as ISO 27001 or Cyber Essentials, a questionnaire, an audit) and when.`,
        })),
  },
  {
    id: 'recipient-review-overdue',
    severity: 'warning',
    description: 'The review date of a recipient\'s arrangement has passed.',
    fix: 'Review the contract and the recipient\'s safeguards, then set the next review date.',
    check: (ctx) =>
      ctx.policy.recipients.flatMap((r, i): RuleHit[] => {
        const due = reviewDateOf(r);
        if (!due || due >= ctx.today) return [];
        return [
          {
            path: r.agreement?.review ? ['recipients', i, 'agreement', 'review'] : ['recipients', i, 'review_date'],
            message: `The arrangement with ${q(r.name)} was due for review on ${due}. Review the contract, its terms and the recipient's security and transfers, then record the next review date.`,
          },
        ];
      }),
  },
  {
    id: 'sub-processor-transfer-unsafeguarded',
    severity: 'error',
    description: 'A sub-processor outside the UK and adequate countries has no valid transfer safeguard.',
    fix: 'Record the safeguard the sub-processor\'s transfer relies on (IDTA, the EU SCCs with the UK Addendum, binding corporate rules, or the UK-US data bridge).',
    check: (ctx) =>
      ctx.policy.recipients.flatMap((r, i) =>
        (r.sub_processors ?? []).flatMap((s, j): RuleHit[] => {
          const abroad = outsideAdequacy(s.countries).filter((c) => !(c === 'US' && s.safeguard === 'uk-us-data-bridge'));
          if (abroad.length === 0 || !NO_VALID_SAFEGUARD.has(s.safeguard)) return [];
          return [
            {
              path: ['recipients', i, 'sub_processors', j],
              message: `${q(r.name)}'s sub-processor ${q(s.name)} holds or reaches the data in ${list(abroad)}, which UK adequacy regulations do not cover, and no valid safeguard is recorded${s.safeguard ? ` (${s.safeguard} is not one)` : ''}. A restricted transfer needs an appropriate safeguard (Art 46); record which one the processor relies on.`,
            },
          ];
        }),
      ),
  },
  {
    id: 'transfer-assessment-missing',
    severity: 'warning',
    description: 'A transfer under an appropriate safeguard has no recorded data protection test (Art 46(1A), 2025 Act).',
    fix: 'Record transfer_assessment: { date, outcome, reference } on the recipient or transfer, or declare an assessment of kind transfer covering it.',
    check: (ctx) => {
      const hits: RuleHit[] = [];
      ctx.policy.recipients.forEach((r, i) => {
        if (!r.safeguard || !APPROPRIATE_SAFEGUARDS.has(r.safeguard) || outsideAdequacy(r.countries).length === 0) return;
        if (r.transfer_assessment || assessmentsCovering(ctx.policy, 'transfer', { recipient: r.id }).length) return;
        hits.push({
          path: ['recipients', i, 'safeguard'],
          message: `The transfer to ${q(r.name)} relies on ${r.safeguard}, but no data protection test is recorded. Since the Data (Use and Access) Act 2025, a transfer under appropriate safeguards needs the exporter to consider, reasonably and proportionately, that protection abroad is not materially lower than in the UK. Record the assessment's date, outcome and reference.`,
        });
      });
      ctx.policy.transfers.forEach((t, i) => {
        const recipient = t.recipient ? ctx.recipients.get(t.recipient) : undefined;
        // A transfer that takes its recipient's safeguard is covered by the recipient's finding.
        if (!t.safeguard && recipient?.safeguard) return;
        const safeguard = t.safeguard ?? recipient?.safeguard;
        const countries = t.countries ?? recipient?.countries;
        if (!safeguard || !APPROPRIATE_SAFEGUARDS.has(safeguard) || outsideAdequacy(countries).length === 0) return;
        if (t.transfer_assessment || recipient?.transfer_assessment) return;
        if (assessmentsCovering(ctx.policy, 'transfer', { transfer: t.id, recipient: recipient?.id }).length) return;
        hits.push({
          path: ['transfers', i],
          message: `The transfer ${q(t.id)} relies on ${safeguard}, but no data protection test is recorded. Since the Data (Use and Access) Act 2025, a transfer under appropriate safeguards needs a reasonable and proportionate assessment that protection abroad is not materially lower than in the UK. Record its date, outcome and reference.`,
        });
      });
      return hits;
    },
  },
  {
    id: 'transfer-assessment-not-met',
    severity: 'error',
    description: 'A recorded data protection test concluded that a transfer does not meet it, yet the transfer is declared.',
    fix: 'Stop the transfer, or add measures and record a new assessment whose outcome is met or met-with-measures.',
    check: (ctx) => {
      const hits: RuleHit[] = [];
      const msg = (what: string, ref: string): string =>
        `${what} is declared, but its data protection test (${ref}) concluded that protection abroad would be materially lower than in the UK. Such a transfer may not go ahead under appropriate safeguards; stop it or add measures and assess again.`;
      ctx.policy.recipients.forEach((r, i) => {
        if (r.transfer_assessment?.outcome === 'not-met') hits.push({ path: ['recipients', i, 'transfer_assessment', 'outcome'], message: msg(`The transfer to ${q(r.name)}`, r.transfer_assessment.reference) });
      });
      ctx.policy.transfers.forEach((t, i) => {
        if (t.transfer_assessment?.outcome === 'not-met') hits.push({ path: ['transfers', i, 'transfer_assessment', 'outcome'], message: msg(`The transfer ${q(t.id)}`, t.transfer_assessment.reference) });
      });
      return hits;
    },
  },
  {
    id: 'dpia-required',
    severity: 'error',
    description: 'The DPIA screening finds a purpose likely to result in high risk, and no DPIA is recorded (Art 35).',
    fix: 'Carry out a DPIA before the processing starts, then link it in the purpose\'s dpia or declare it under assessments (kind: dpia).',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i): RuleHit[] => {
        const s = screenPurpose(ctx.policy, p);
        if (s.verdict !== 'required' || s.recorded) return [];
        return [
          {
            path: ['purposes', i],
            message: `The purpose ${q(p.name)} needs a data protection impact assessment: ${list(s.hits.map((h) => h.reason))}. None is recorded. Do one before the processing starts, then link it (dpia) or declare it under assessments.`,
          },
        ];
      }),
  },
  {
    id: 'dpia-advisable',
    severity: 'info',
    description: 'The DPIA screening finds one high-risk indicator for a purpose with no DPIA recorded.',
    fix: 'Consider a DPIA; if you decide none is needed, record the screening and the reason in an assessment.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i): RuleHit[] => {
        const s = screenPurpose(ctx.policy, p);
        if (s.verdict !== 'advisable' || s.recorded) return [];
        return [
          {
            path: ['purposes', i],
            message: `The purpose ${q(p.name)} shows one sign of high risk (${s.hits.map((h) => h.reason).join('; ')}). A DPIA is good practice here; if you conclude none is needed, record that decision and why.`,
          },
        ];
      }),
  },
  {
    id: 'assessment-review-overdue',
    severity: 'warning',
    description: 'An assessment\'s review date has passed.',
    fix: 'Review the assessment, record the outcome and set next_review.',
    check: (ctx) =>
      ctx.policy.assessments.flatMap((a, i): RuleHit[] =>
        a.next_review && a.next_review < ctx.today
          ? [{ path: ['assessments', i, 'next_review'], message: `The assessment ${q(a.title)} was due for review on ${a.next_review}. Check it still holds for the processing as it is now, then record the next review date.` }]
          : [],
      ),
  },
  {
    id: 'dpia-high-residual-risk',
    severity: 'warning',
    description: 'A DPIA leaves a high residual risk: the ICO must be consulted before the processing (Art 36).',
    fix: 'Add measures that bring the risk down, or consult the ICO before starting and record it.',
    check: (ctx) =>
      ctx.policy.assessments.flatMap((a, i): RuleHit[] =>
        a.kind === 'dpia' && a.residual_risk === 'high'
          ? [{ path: ['assessments', i, 'residual_risk'], message: `The DPIA ${q(a.title)} leaves a high risk after its measures. Art 36 requires consulting the ICO before the processing starts; record the consultation or reduce the risk.` }]
          : [],
      ),
  },
];
