/**
 * Lint rules for transfers outside the UK (UK GDPR Chapter V, Arts 44-49): a country with UK
 * adequacy (Art 45, DPA 2018 s.17A) or an appropriate safeguard (Art 46), a copy of it people can
 * ask for (Art 13(1)(f)), and no mechanism that is no longer valid.
 */
import { type LintContext, type LintRule, list, q } from './lint.types.js';
import { outsideAdequacy } from './adequacy.js';
import type { PolicyPath } from './policy.loader.js';
import type { Safeguard } from './schema.recipients.js';

/** Adequacy that covers only part of a country's organisations. */
const PARTIAL_ADEQUACY: Readonly<Record<string, string>> = {
  CA: 'covers only commercial organisations subject to PIPEDA, not every Canadian recipient',
  JP: 'covers only the private sector under the APPI, not public bodies',
};

/** Safeguards under Art 46/47 of which the notice must say how to get a copy (Art 13(1)(f)). */
const COPY_SAFEGUARDS: ReadonlySet<Safeguard> = new Set(['idta', 'eu-scc-with-uk-addendum', 'binding-corporate-rules']);

/** Places where personal data crosses a border: recipients with countries, and transfers. */
interface Crossing {
  path: PolicyPath;
  label: string;
  /** The countries named; empty when none are (see countriesStated). */
  countries: readonly string[];
  /** False for a transfers entry that names no countries (nor does its recipient). */
  countriesStated: boolean;
  safeguard: Safeguard | undefined;
  safeguardCopy: string | undefined;
}

/**
 * Recipients that name countries or a safeguard, and every transfers entry. A transfers entry that
 * names a recipient takes that recipient's countries, safeguard and copy where it gives none of its
 * own, as the notice does; and a recipient's safeguard copy counts as given when a transfers entry
 * naming it gives one, since the notice then shows that entry in the recipient's place.
 */
function crossings(ctx: LintContext): Crossing[] {
  const out: Crossing[] = [];
  const copyFromTransfers = new Map<string, string>();
  for (const t of ctx.policy.transfers) {
    if (t.recipient && t.safeguard_copy && !copyFromTransfers.has(t.recipient)) copyFromTransfers.set(t.recipient, t.safeguard_copy);
  }
  ctx.policy.recipients.forEach((r, i) => {
    if ((r.countries && r.countries.length > 0) || r.safeguard) {
      out.push({
        path: ['recipients', i],
        label: `The recipient ${q(r.name)}`,
        countries: r.countries ?? [],
        countriesStated: true,
        safeguard: r.safeguard,
        safeguardCopy: r.safeguard_copy ?? copyFromTransfers.get(r.id),
      });
    }
  });
  ctx.policy.transfers.forEach((t, i) => {
    const recipient = t.recipient ? ctx.recipients.get(t.recipient) : undefined;
    const countries = t.countries ?? recipient?.countries;
    out.push({
      path: ['transfers', i],
      label: `The transfer ${q(t.id)}`,
      countries: countries ?? [],
      countriesStated: countries !== undefined && countries.length > 0,
      safeguard: t.safeguard ?? recipient?.safeguard,
      safeguardCopy: t.safeguard_copy ?? recipient?.safeguard_copy,
    });
  });
  return out;
}

const isoWhere = (countries: readonly string[]): string => list(countries.map((c) => (c === 'US' ? 'the United States (US)' : c)));

export const TRANSFER_RULES: readonly LintRule[] = [
  {
    id: 'recipient-countries-missing',
    severity: 'warning',
    description: 'A recipient does not say in which countries it holds the data.',
    fix: 'Add countries: two-letter codes, e.g. [GB] or [GB, US].',
    check: ({ policy }) =>
      policy.recipients.flatMap((r, i) =>
        // A public authority receiving data under UK law is taken to be in the UK.
        (r.countries && r.countries.length > 0) || r.kind === 'public-authority'
          ? []
          : [{ path: ['recipients', i, 'countries'], message: `The declaration does not say where ${q(r.name)} holds the data, so it cannot be checked whether this is a transfer abroad that needs a safeguard, and the notice cannot say. Add countries, e.g. [GB]; if any are outside the UK and EEA, add a safeguard too.` }],
      ),
  },
  {
    id: 'transfer-countries-missing',
    severity: 'warning',
    description: 'A transfer does not say which countries the data goes to or is accessed from.',
    fix: 'Add countries to the transfer: two-letter codes, e.g. [IN] or [US, IN].',
    check: (ctx) =>
      crossings(ctx).flatMap((x) => {
        if (x.countriesStated || x.path[0] !== 'transfers') return [];
        const safeguard =
          x.safeguard && x.safeguard !== 'none'
            ? ''
            : ' No safeguard is named either: once the countries are known, say how the data is protected there (adequacy, or a safeguard such as idta or eu-scc-with-uk-addendum).';
        return [
          {
            path: [...x.path, 'countries'],
            message: `${x.label} does not say which countries the data goes to or is accessed from, so the notice cannot tell people where their data goes, and it cannot be checked whether those countries have UK adequacy or need a safeguard.${safeguard} Add countries, e.g. [IN] or [US].`,
          },
        ];
      }),
  },
  {
    id: 'transfer-safeguard-missing',
    severity: 'error',
    description: 'Data goes to a country without UK adequacy and no safeguard is declared.',
    fix: 'Add safeguard: idta, eu-scc-with-uk-addendum, binding-corporate-rules or (US, certified recipients) uk-us-data-bridge.',
    check: (ctx) =>
      crossings(ctx).flatMap((x) => {
        const outside = outsideAdequacy(x.countries);
        if (outside.length === 0 || (x.safeguard && x.safeguard !== 'none')) return [];
        const us = outside.includes('US') ? ' For the US, uk-us-data-bridge covers only organisations certified under the UK Extension to the Data Privacy Framework.' : '';
        return [
          {
            path: [...x.path, 'safeguard'],
            message: `${x.label} sends data to ${isoWhere(outside)}, which ${outside.length > 1 ? 'do' : 'does'} not have UK adequacy, and no safeguard is declared. Add safeguard: idta (the UK International Data Transfer Agreement), eu-scc-with-uk-addendum or binding-corporate-rules.${us}`,
          },
        ];
      }),
  },
  {
    id: 'transfer-safeguard-invalid',
    severity: 'error',
    description: 'A transfer relies on the EU-US Privacy Shield, invalid since 16 July 2020.',
    fix: 'Use uk-us-data-bridge (if the US recipient is certified), idta or eu-scc-with-uk-addendum.',
    // Wrong whatever the countries, so it is reported even where none are given.
    check: (ctx) =>
      crossings(ctx).flatMap((x) =>
        x.safeguard === 'eu-us-privacy-shield'
          ? [{ path: [...x.path, 'safeguard'], message: `${x.label} relies on the EU-US Privacy Shield, which the EU Court of Justice struck down on 16 July 2020 (Schrems II); it is no longer a lawful way to send data to the US. Check whether the recipient is certified under the UK Extension to the EU-US Data Privacy Framework and write uk-us-data-bridge, or sign the IDTA (idta) or the EU SCCs with the UK Addendum.` }]
          : [],
      ),
  },
  {
    id: 'adequacy-not-available',
    severity: 'error',
    description: '"adequacy" is claimed for a country that has no UK adequacy regulations.',
    fix: 'Use another safeguard (idta, eu-scc-with-uk-addendum, or uk-us-data-bridge for certified US recipients).',
    check: (ctx) =>
      crossings(ctx).flatMap((x) => {
        const outside = outsideAdequacy(x.countries);
        if (x.safeguard !== 'adequacy' || outside.length === 0) return [];
        const us = outside.includes('US') ? ' The US has no general adequacy: use uk-us-data-bridge if the recipient is certified under the UK Extension to the Data Privacy Framework.' : '';
        return [{ path: [...x.path, 'safeguard'], message: `${x.label} claims adequacy, but ${isoWhere(outside)} ${outside.length > 1 ? 'have' : 'has'} no UK adequacy regulations.${us} Choose idta or eu-scc-with-uk-addendum otherwise.` }];
      }),
  },
  {
    id: 'data-bridge-not-us',
    severity: 'error',
    description: 'uk-us-data-bridge is claimed for a country other than the United States.',
    fix: 'Use the data bridge only for US recipients; give other countries their own safeguard.',
    check: (ctx) =>
      crossings(ctx).flatMap((x) => {
        const others = outsideAdequacy(x.countries).filter((c) => c !== 'US');
        return x.safeguard === 'uk-us-data-bridge' && others.length > 0
          ? [{ path: [...x.path, 'safeguard'], message: `${x.label} uses the UK-US data bridge, which covers only certified organisations in the United States, but also sends data to ${isoWhere(others)}. Declare those countries separately with their own safeguard (idta or eu-scc-with-uk-addendum).` }]
          : [];
      }),
  },
  {
    id: 'adequacy-partial',
    severity: 'info',
    description: 'The country\'s UK adequacy covers only some organisations (Canada, Japan).',
    fix: 'Check the recipient is covered; otherwise add idta or eu-scc-with-uk-addendum.',
    check: (ctx) =>
      crossings(ctx).flatMap((x) =>
        x.safeguard === undefined || x.safeguard === 'adequacy'
          ? x.countries
              .filter((c) => PARTIAL_ADEQUACY[c])
              .map((c) => ({ path: [...x.path, 'countries'], message: `${x.label} relies on adequacy for ${c}, whose UK adequacy ${PARTIAL_ADEQUACY[c] ?? ''}. Check that the recipient is covered; if not, add a safeguard such as idta.` }))
          : [],
      ),
  },
  {
    id: 'transfer-safeguard-copy-missing',
    severity: 'warning',
    description: 'A contractual safeguard is used but the notice cannot say how to get a copy (Art 13(1)(f)).',
    fix: 'Add safeguard_copy, e.g. "Ask our privacy team for a copy".',
    check: (ctx) =>
      crossings(ctx).flatMap((x) =>
        x.safeguard && COPY_SAFEGUARDS.has(x.safeguard) && !x.safeguardCopy && (!x.countriesStated || outsideAdequacy(x.countries).length > 0)
          ? [{ path: [...x.path, 'safeguard_copy'], message: `${x.label} relies on ${x.safeguard}; the notice must tell people how to get a copy of it. Add safeguard_copy, e.g. "Email privacy@… for a copy".` }]
          : [],
      ),
  },
];
