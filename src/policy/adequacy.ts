/**
 * Where UK law treats personal data as adequately protected without further safeguards.
 */
/** EEA states: the EU 27 (Greece is GR in ISO 3166) plus Iceland, Liechtenstein and Norway. */
export const EEA_COUNTRIES: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL',
  'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO',
]);

/**
 * The EEA and Gibraltar: covered by UK adequacy for every recipient, with no condition (DPA 2018
 * Sch 21 para 5). The notice takes a transfer there with no declared safeguard to rest on adequacy;
 * elsewhere, and where the countries are unknown, it never assumes so.
 */
export const EEA_AND_GIBRALTAR: ReadonlySet<string> = new Set([...EEA_COUNTRIES, 'GI']);

/**
 * Countries a UK organisation may send personal data to without a further safeguard: the UK
 * itself, the EEA, and the countries with UK adequacy regulations (DPA 2018 Sch 21 para 5 and
 * regulations made under s17A). The United States is not here: only organisations certified
 * under the UK Extension to the EU-US Data Privacy Framework are covered ("uk-us-data-bridge").
 */
export const UK_ADEQUATE_COUNTRIES: ReadonlySet<string> = new Set([
  'GB',
  ...EEA_COUNTRIES,
  'AD', // Andorra
  'AR', // Argentina
  'CA', // Canada (commercial organisations under PIPEDA)
  'FO', // Faroe Islands
  'GG', // Guernsey
  'GI', // Gibraltar
  'IM', // Isle of Man
  'IL', // Israel
  'JP', // Japan (private sector)
  'JE', // Jersey
  'NZ', // New Zealand
  'KR', // Republic of Korea
  'CH', // Switzerland
  'UY', // Uruguay
]);

/** The countries in a list that UK adequacy regulations do not cover (the US among them: see above). */
export const outsideAdequacy = (countries: readonly string[] | undefined): string[] => (countries ?? []).filter((c) => !UK_ADEQUATE_COUNTRIES.has(c));
