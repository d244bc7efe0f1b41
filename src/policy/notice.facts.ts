/**
 * Facts the notice derives from the declaration rather than reading one field: the rights a
 * person has over a purpose, and every transfer of personal data outside the UK. The record of
 * processing (ropa.ts) and the access pack state the same facts.
 */
import { EEA_AND_GIBRALTAR } from './adequacy.js';
import { categoriesOf } from './declaration.facts.js';
import { clean, countryName, isDefined } from './notice.text.js';
import type { RightKey } from './notice.wording.js';
import type { Policy, Purpose } from './policy.schema.js';
import { type Safeguard, SAFEGUARD_LABEL } from './schema.recipients.js';

/**
 * The rights a person has over one purpose, which depend on its lawful basis (the ICO's table):
 * erasure does not apply where the law requires the processing or for a public task (Art 17(3)(b));
 * portability only for consent or contract, and only for data the person provided (Art 20);
 * the Art 21(1) objection only against public-task and legitimate-interest processing (and, we
 * take it, the recognised legitimate interests of Art 6(1)(ea) (check)); consent can be withdrawn
 * (Art 7(3)); direct marketing can always be refused (Art 21(2)–(3)).
 */
export function rightsForPurpose(purpose: Purpose, policy: Policy): RightKey[] {
  const basis = purpose.lawful_basis;
  const rights: RightKey[] = ['access', 'rectification'];
  if (basis !== 'legal-obligation' && basis !== 'public-task') rights.push('erasure');
  rights.push('restriction');
  if (basis === 'public-task' || basis === 'legitimate-interests' || basis === 'recognised-legitimate-interest') rights.push('objection');
  if (basis === 'consent' || basis === 'contract') {
    const categories = categoriesOf(purpose, policy);
    // Portability covers what the person gave us; a purpose using only data from elsewhere has none.
    if (categories.length === 0 || categories.some((c) => c.provided_by_subject !== false)) rights.push('portability');
  }
  if (basis === 'consent' || purpose.special_condition === 'explicit-consent') rights.push('withdraw-consent');
  if (purpose.direct_marketing) rights.push('object-to-marketing');
  if (purpose.automated_decision) rights.push('human-review');
  return rights;
}

export const isUk = (country: string): boolean => country === 'GB';

/** One international transfer, from a recipient abroad or a transfers entry. */
export interface TransferFact {
  /** Who receives the data, or what the transfer is. */
  what: string;
  /** The countries outside the UK; undefined when the declaration does not say (a transfers entry without countries). */
  countries?: string[];
  safeguard?: Safeguard;
  /** The safeguard in words (SAFEGUARD_LABEL), or a fallback where none is declared. */
  safeguardText: string;
  copy?: string;
  recipientId?: string;
}

/**
 * Every transfer of personal data outside the UK: recipients holding data abroad, plus the
 * declared transfers. A transfer entry that names a recipient replaces that recipient's own line,
 * and takes the recipient's countries, safeguard and copy where it gives none of its own. A
 * transfer whose countries are not stated anywhere is still listed, with countries undefined.
 */
export function transferFacts(policy: Policy): TransferFact[] {
  const facts: TransferFact[] = [];
  const described = new Set(policy.transfers.map((t) => t.recipient).filter(isDefined));
  for (const r of policy.recipients) {
    const abroad = (r.countries ?? []).filter((c) => !isUk(c));
    if (abroad.length === 0 || described.has(r.id)) continue;
    facts.push({ what: r.name, countries: abroad, safeguardText: safeguardText(r.safeguard, abroad), recipientId: r.id, safeguard: r.safeguard, copy: r.safeguard_copy });
  }
  for (const t of policy.transfers) {
    const recipient = t.recipient ? policy.recipients.find((r) => r.id === t.recipient) : undefined;
    const safeguard = t.safeguard ?? recipient?.safeguard;
    const copy = t.safeguard_copy ?? recipient?.safeguard_copy;
    const stated = t.countries ?? recipient?.countries;
    const abroad = stated?.filter((c) => !isUk(c));
    if (abroad && abroad.length === 0) continue;
    facts.push({
      what: recipient ? `${recipient.name}: ${clean(t.description)}` : clean(t.description),
      countries: abroad,
      safeguardText: safeguardText(safeguard, abroad),
      safeguard,
      copy,
      recipientId: t.recipient,
    });
  }
  return facts;
}

/** "Countries not stated" where a transfer does not name them. */
export const COUNTRIES_NOT_STATED = 'Countries not stated';

/** The countries of a transfer as words: "India, United States", or "Countries not stated". */
export function transferCountriesText(fact: TransferFact): string {
  return fact.countries ? fact.countries.map(countryName).join(', ') : COUNTRIES_NOT_STATED;
}

function safeguardText(safeguard: Safeguard | undefined, countries: readonly string[] | undefined): string {
  if (safeguard) return SAFEGUARD_LABEL[safeguard];
  // Unknown countries are never assumed to be adequate.
  if (countries && countries.every((c) => EEA_AND_GIBRALTAR.has(c))) return SAFEGUARD_LABEL.adequacy;
  return 'not stated: contact us to ask how your data is protected';
}
