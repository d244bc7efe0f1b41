/**
 * The example declarations encode the three seed privacy policies. `steward policy check` on them
 * must show the real problems their texts carry, and nothing else: each test lists the exact set
 * of rule ids expected, so a new false alarm (or a lost true finding) fails here.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from './lint.types.js';
import { lintPolicy } from './policy.lint.js';
import { loadPolicy, type LoadedPolicy } from './policy.loader.js';

const example = (name: string): string => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

interface Linted {
  loaded: LoadedPolicy;
  findings: Finding[];
}

async function lintExample(name: string): Promise<Linted> {
  const loaded = await loadPolicy(example(name));
  return { loaded, findings: lintPolicy(loaded) };
}

const ruleIds = (findings: Finding[]): string[] => [...new Set(findings.map((f) => f.rule))].sort();

/** The ids of the purposes (or recipients …) a rule reports, from paths like "purposes[3].x". */
function idsFlagged({ loaded, findings }: Linted, rule: string, list: 'purposes' | 'recipients' | 'data_categories' | 'retention' | 'transfers'): string[] {
  return findings
    .filter((f) => f.rule === rule)
    .map((f) => {
      const m = new RegExp(`^${list}\\[(\\d+)\\]`).exec(f.path);
      if (!m) throw new Error(`${rule} at ${f.path} is not in ${list}`);
      return loaded.policy[list][Number(m[1])]?.id ?? '?';
    })
    .sort();
}

function expectPositions(findings: Finding[]): void {
  for (const f of findings) {
    expect(f.line, `${f.rule} ${f.path}`).toBeGreaterThan(0);
    expect(f.column, `${f.rule} ${f.path}`).toBeGreaterThan(0);
  }
}

describe('examples/kestronics.yaml (seed 000, the demo organisation)', () => {
  let k: Linted;
  beforeAll(async () => {
    k = await lintExample('kestronics.yaml');
  });

  it('parses without schema errors and every finding has a position', () => {
    expect(k.loaded.policy.organisation.name).toBe('Kestronics');
    expectPositions(k.findings);
  });

  it('reports exactly the problems its text carries', () => {
    expect(ruleIds(k.findings)).toEqual(
      [
        'controller-not-named', // applies to both companies; never says which is the controller
        'complaints-channel-missing', // no way to complain to the firm (s.164A, 2026)
        'notice-before-2025-act', // written before the 2025 Act took effect
        'notice-over-a-year-old',
        'cookie-duration-missing', // cookies neither named nor timed
        'criminal-offence-data', // notes of suspected fraud kept without a Schedule 1 condition
        'dpia-advisable', // health and criminal offence data: one DPIA indicator each, no DPIA named
        'eu-gdpr-only', // cites only the EU GDPR
        'processor-assurance-missing', // Worldpay: no check of the processor recorded
        'processor-contract-missing', // Worldpay and the IT suppliers: no processor contract named
        'lawful-basis-missing', // no basis except for marketing and legal duties
        'processor-data-own-purpose', // "we are the Data Processor", yet profiles that data
        'recipient-countries-missing', // "may be outside the EEA", nowhere named
        'requirement-missing', // never says whether data must be provided
        'special-condition-missing', // health data shared "to protect our rights", no Art 9 condition
        'transfer-countries-missing', // 3.2: "might be outside of the EEA", no country or safeguard named
      ].sort(),
    );
  });

  it('flags the purposes with no lawful basis, and only those', () => {
    expect(idsFlagged(k, 'lawful-basis-missing', 'purposes')).toEqual(
      [
        'provide-services',
        'run-and-improve',
        'statistics-and-profiling',
        'staff-training',
        'call-monitoring',
        'card-payments',
        'credit-and-fraud-checks',
        'debt-transfer',
        'group-sales',
        'legal-action',
        'suspected-offences',
        'website-analytics',
      ].sort(),
    );
  });

  it('flags the controller/processor ambiguity, sensitive and criminal-offence data', () => {
    expect(idsFlagged(k, 'processor-data-own-purpose', 'purposes')).toEqual(['statistics-and-profiling']);
    expect(idsFlagged(k, 'special-condition-missing', 'purposes')).toEqual(['share-sensitive-when-required']);
    expect(idsFlagged(k, 'criminal-offence-data', 'purposes')).toEqual(['suspected-offences']);
    expect(k.findings.find((f) => f.rule === 'eu-gdpr-only')).toMatchObject({ severity: 'info', path: 'notice.legal_references[0]' });
  });

  it('declares the transfer outside the EEA of 3.2 without countries or safeguard, and reports both', () => {
    expect(k.loaded.policy.transfers.map((t) => [t.id, t.countries, t.safeguard])).toEqual([['recipients-outside-eea', undefined, undefined]]);
    expect(idsFlagged(k, 'transfer-countries-missing', 'transfers')).toEqual(['recipients-outside-eea']);
    const f = k.findings.find((x) => x.rule === 'transfer-countries-missing');
    expect(f).toMatchObject({ severity: 'warning', path: 'transfers[0].countries' });
    expect(f?.message).toContain('No safeguard is named either');
  });

  it('never stores card details: Worldpay holds them, Kestronics keeps a reference', () => {
    const storage = Object.fromEntries(k.loaded.policy.data_categories.map((c) => [c.id, c.storage]));
    expect(storage).toMatchObject({ 'card-number': 'never', 'card-security-code': 'never', 'payment-reference': 'reference-only' });
    const payments = k.loaded.policy.purposes.find((p) => p.id === 'card-payments');
    expect(payments?.categories).toContain('payment-reference');
    expect(payments?.recipients).toEqual(['worldpay']);
  });

  it('encodes the group, the retention promise and the identity check', () => {
    const { organisation, retention, rights } = k.loaded.policy;
    expect(organisation.entities.map((e) => [e.name, e.company_number, e.parent])).toEqual([
      ['Kestronics Ltd', '2337714', 'kestronics-holdings'],
      ['Kestronics Holdings Ltd', '10270987', undefined],
    ]);
    expect(retention.map((r) => [r.duration, r.trigger, r.action])).toEqual([
      ['6 years', 'account-closed', 'delete'],
      ['6 years', 'account-closed', 'anonymise'],
    ]);
    expect(rights.identity?.required).toBe(2);
    expect(rights.identity?.accepted).toHaveLength(7);
    expect(rights.consent.withdrawal_channels).toEqual(['phone', 'email']);
  });
});

describe('examples/kynex.yaml (seed 002)', () => {
  let k: Linted;
  beforeAll(async () => {
    k = await lintExample('kynex.yaml');
  });

  it('parses and every finding has a position', () => {
    expectPositions(k.findings);
  });

  it('reports exactly the problems its text carries', () => {
    expect(ruleIds(k.findings)).toEqual(
      [
        'age-of-digital-consent', // parental consent under 16
        'complaints-channel-missing', // no way to complain to the firm (s.164A, 2026)
        'notice-before-2025-act', // written before the 2025 Act took effect
        'notice-over-a-year-old',
        'bought-in-consent', // relies on consent collected by a data company
        'controller-address-missing', // no legal name or address anywhere
        'cookie-duration-missing',
        'dpia-advisable', // credit checks combine credit agencies and bought-in call-centre data
        'eu-gdpr-only',
        'lawful-basis-missing',
        'marketing-channels-missing', // "contacting you" after events, no channel
        'privacy-contact-unreachable', // DPO named (IT Manager) without contact details
        'processor-assurance-missing', // Google and MailChimp: "comply with the legislation", no check recorded
        'processor-contract-missing', // hosting, billing, Google, MailChimp: no processor contract named
        'recipient-countries-missing',
        'recipient-unused', // regulators and HR providers listed, no purpose given
        'repealed-law-cited', // DPA 1998, Directive 95/46
        'requirement-missing',
        'response-period-28-days', // allowed: 28 days instead of a month
        'retention-criteria-only', // no fixed periods, only criteria
        'rights-channel-address-missing', // the email address is unreadable in the text
        'transfer-safeguard-invalid', // Google and MailChimp under the Privacy Shield
      ].sort(),
    );
  });

  it('flags the Privacy Shield for Google and MailChimp', () => {
    const hits = k.findings.filter((f) => f.rule === 'transfer-safeguard-invalid');
    expect(hits.every((f) => f.severity === 'error' && f.path.endsWith('.safeguard'))).toBe(true);
    expect(idsFlagged(k, 'transfer-safeguard-invalid', 'recipients')).toEqual(['google', 'mailchimp']);
  });

  it('flags the repealed DPA 1998 and the 1995 directive, and the EU GDPR', () => {
    const repealed = k.findings.filter((f) => f.rule === 'repealed-law-cited');
    expect(repealed.map((f) => f.path)).toEqual(['notice.legal_references[0]', 'notice.legal_references[1]']);
    expect(repealed[0]?.message).toContain('Data Protection Act 1998');
    expect(repealed[1]?.message).toContain('95/46/EC');
  });

  it('flags the child consent age of 16 and notes the 28-day period', () => {
    expect(k.findings.find((f) => f.rule === 'age-of-digital-consent')).toMatchObject({ severity: 'warning', path: 'rights.age_of_digital_consent' });
    expect(k.findings.find((f) => f.rule === 'age-of-digital-consent')?.message).toContain('13');
    expect(k.findings.find((f) => f.rule === 'response-period-28-days')).toMatchObject({ severity: 'info' });
    expect(k.loaded.policy.rights.extension_allowed).toBe(true);
  });

  it('flags the purposes with no lawful basis and the bought-in consent', () => {
    expect(idsFlagged(k, 'lawful-basis-missing', 'purposes')).toEqual(['call-recording', 'donations', 'enquiries', 'improve-business', 'website-analytics']);
    expect(idsFlagged(k, 'bought-in-consent', 'purposes')).toEqual(['sole-trader-marketing']);
  });

  it('deletes client call recordings once handed to the client, so only the vague rules are criteria-only', () => {
    const rule = k.loaded.policy.retention.find((r) => r.id === 'client-recordings');
    expect(rule).toMatchObject({ until: 'handed-to-client', action: 'delete' });
    expect(rule?.criteria).toBeUndefined();
    expect(idsFlagged(k, 'retention-criteria-only', 'retention')).toEqual(['after-contract-claims', 'business-commitment']);
  });

  it('restricts call recordings to the DPO, and client recordings to the DPO and tech manager', () => {
    const roles = Object.fromEntries(k.loaded.policy.data_categories.map((c) => [c.id, c.restricted_to_roles]));
    expect(roles['call-recordings']).toEqual(['dpo']);
    expect(roles['client-call-recordings']).toEqual(['dpo', 'tech-manager']);
  });
});

describe('examples/smart-computers.yaml (seed 003)', () => {
  let s: Linted;
  beforeAll(async () => {
    s = await lintExample('smart-computers.yaml');
  });

  it('parses and every finding has a position', () => {
    expectPositions(s.findings);
  });

  it('reports exactly the problems its text carries', () => {
    expect(ruleIds(s.findings)).toEqual(
      [
        'card-data-stored', // payment card details kept for the duration of the contract
        'complaints-channel-missing', // no way to complain to the firm (s.164A, 2026)
        'notice-before-2025-act', // written before the 2025 Act took effect
        'notice-over-a-year-old',
        'legal-references-missing', // cites no law at all
        'cookie-duration-missing',
        'dpia-advisable', // prospect lists combine introducers, suppliers and other websites
        'identity-evidence-unspecified', // "we will ask for proof of identity", not which or how many
        'lawful-basis-missing',
        'marketing-channels-missing', // business-development contact, no channel
        'processor-contract-missing', // service suppliers and cloud providers: no processor contract named
        'processor-retention-missing', // data processed for a third party, no deletion promise
        'recipient-countries-missing',
        'requirement-missing',
        'retention-criteria-only', // the general "as long as necessary" rule
        'transfer-countries-missing', // staff outside the EEA, "appropriate safeguards" unnamed
      ].sort(),
    );
  });

  it('flags the purposes with no lawful basis, and only those', () => {
    expect(idsFlagged(s, 'lawful-basis-missing', 'purposes')).toEqual(
      ['ad-hoc-feedback', 'credit-check', 'quotations', 'referee-contact', 'sale-of-business', 'supplier-management', 'website-and-email-analytics'].sort(),
    );
    expect(idsFlagged(s, 'card-data-stored', 'data_categories')).toEqual(['payment-card-details']);
    expect(idsFlagged(s, 'processor-retention-missing', 'purposes')).toEqual(['processing-for-third-parties']);
  });

  it('encodes the retention promises', () => {
    const rules = Object.fromEntries(s.loaded.policy.retention.map((r) => [r.id, r]));
    expect(rules['seven-years-after-contract']).toMatchObject({ duration: '7 years', trigger: 'contract-ended' });
    expect(rules['duration-of-support']).toMatchObject({ until: 'service-ended' });
    expect(rules['enquiry-three-months']).toMatchObject({ duration: '3 months', trigger: 'enquiry', unless: ['marketing-consent'] });
    expect(rules['candidate-six-months']).toMatchObject({ duration: '6 months', trigger: 'recruitment-concluded' });
    expect(rules['contacts-review']).toMatchObject({ review_every: '3 years' });
    expect(s.loaded.policy.rights.consent.validity).toBe('3 years');
  });

  it('declares staff access from outside the EEA as a transfer without countries or safeguard', () => {
    expect(s.loaded.policy.transfers.map((t) => [t.id, t.countries, t.safeguard])).toEqual([['staff-outside-eea', undefined, undefined]]);
    expect(idsFlagged(s, 'transfer-countries-missing', 'transfers')).toEqual(['staff-outside-eea']);
    expect(s.findings.find((f) => f.rule === 'transfer-countries-missing')?.message).toContain('No safeguard is named either');
  });

  it('asks for proof of identity without saying which or how many', () => {
    expect(s.loaded.policy.rights.identity).toMatchObject({ accepted: [] });
    expect(s.loaded.policy.rights.identity?.required).toBeUndefined();
    expect(s.findings.find((f) => f.rule === 'identity-evidence-unspecified')).toMatchObject({ severity: 'info', path: 'rights.identity' });
  });

  it('covers every relationship the policy lists', () => {
    expect(s.loaded.policy.relationships.length).toBeGreaterThanOrEqual(10);
    expect(s.loaded.policy.relationships.filter((r) => r.role === 'processor').map((r) => r.id)).toEqual(['third-party-provided', 'customer-data-subject']);
  });
});
