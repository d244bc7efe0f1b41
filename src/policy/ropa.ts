/**
 * The record of processing activities (UK GDPR Art 30(1)), one row per purpose, in the columns of
 * the ICO's controller documentation template, rendered as CSV (RFC 4180) or XLSX.
 *
 * The facts come from the same declaration and the same wording helpers as the notice, so the
 * record the regulator sees and the notice the public sees say the same thing.
 */
import { csvCell } from '../shared/csv.js';
import ExcelJS from 'exceljs';
import type { LoadedPolicy } from './policy.loader.js';
import { assessmentsCovering, screenPurpose, type ScreeningResult } from './dpia-screening.js';
import type { Assessment, Policy, Purpose, Recipient } from './policy.schema.js';
import { ART9_CONDITIONS, LAWFUL_BASIS_ARTICLE } from './schema.purposes.js';
import { ART28_TERMS } from './schema.recipients.js';
import { categoriesOf, controllerEntity, isProcessorPurpose } from './declaration.facts.js';
import { COUNTRIES_NOT_STATED, rightsForPurpose, transferCountriesText, transferFacts } from './notice.facts.js';
import { addressText, clean, contactText, countryName, formatDate } from './notice.text.js';
import { ART9_TEXT, LAWFUL_BASIS_TEXT, RECIPIENT_KIND_TEXT, RECOGNISED_INTEREST_TEXT, REGISTERED_IN_TEXT, retentionText, RIGHT_LABEL, SOURCE_KIND_TEXT, SPECIAL_CATEGORY_TEXT } from './notice.wording.js';

/** The ICO controller template's columns, in its order. */
export const ropaColumns = [
  { key: 'businessFunction', header: 'Business function', width: 16 },
  { key: 'purpose', header: 'Purpose of processing', width: 36 },
  { key: 'controller', header: 'Name and contact details of controller', width: 36 },
  { key: 'jointController', header: 'Name and contact details of joint controller (if applicable)', width: 30 },
  { key: 'representative', header: "Name and contact details of controller's representative (if applicable)", width: 26 },
  { key: 'dpo', header: 'Name and contact details of data protection officer (if applicable)', width: 30 },
  { key: 'subjectCategories', header: 'Categories of individuals', width: 24 },
  { key: 'dataCategories', header: 'Categories of personal data', width: 36 },
  { key: 'recipientCategories', header: 'Categories of recipients', width: 40 },
  { key: 'processorContract', header: 'Link to contract with processor', width: 40 },
  { key: 'thirdCountries', header: 'Names of third countries or international organisations that personal data are transferred to (if applicable)', width: 28 },
  { key: 'transferSafeguards', header: 'Safeguards for exceptional transfers of personal data to third countries or international organisations (if applicable)', width: 40 },
  { key: 'retention', header: 'Retention schedule (if possible)', width: 40 },
  { key: 'security', header: 'General description of technical and organisational security measures (if possible)', width: 40 },
  { key: 'article6Basis', header: 'Article 6 lawful basis for processing personal data', width: 28 },
  { key: 'article9Condition', header: 'Article 9 basis for processing special category data', width: 28 },
  { key: 'legitimateInterests', header: 'Legitimate interests for the processing (if applicable)', width: 36 },
  { key: 'liaLink', header: 'Link to record of legitimate interests assessment (if applicable)', width: 32 },
  { key: 'rights', header: 'Rights available to individuals', width: 30 },
  { key: 'automatedDecision', header: 'Existence of automated decision-making, including profiling (if applicable)', width: 36 },
  { key: 'source', header: 'The source of the personal data (if applicable)', width: 30 },
  { key: 'consentLink', header: 'Link to record of consent', width: 30 },
  { key: 'location', header: 'Location of personal data', width: 24 },
  { key: 'dpiaRequired', header: 'Data Protection Impact Assessment required?', width: 26 },
  { key: 'dpiaProgress', header: 'Data Protection Impact Assessment progress', width: 30 },
  { key: 'breachLink', header: 'Link to record of personal data breach (if applicable)', width: 26 },
  { key: 'schedule1Condition', header: 'Data Protection Act 2018 Schedule 1 condition for processing', width: 30 },
  { key: 'retentionPolicyLink', header: 'Link to retention and erasure policy document', width: 30 },
  { key: 'retainedPerPolicy', header: 'Is personal data retained and erased in accordance with the policy document?', width: 30 },
] as const satisfies ReadonlyArray<{ key: string; header: string; width: number }>;

export type RopaColumnKey = (typeof ropaColumns)[number]['key'];
export type RopaRecord = Record<RopaColumnKey, string>;

const NOT_APPLICABLE = 'Not applicable';
const LIST = '; ';

/** One record per purpose, in declaration order. */
export function ropaRows(loaded: LoadedPolicy): RopaRecord[] {
  const { policy } = loaded;
  const org = policy.organisation;
  const controller = controllerEntity(policy);
  const controllerText = [
    clean(controller.name),
    controller.company_number && `company number ${controller.company_number}`,
    addressText(controller.registered_address),
    contactText(org.contact),
    controller.ico_registration && `ICO registration ${controller.ico_registration}`,
  ]
    .filter(Boolean)
    .join(LIST);
  const jointText = (org.joint_controllers ?? [])
    .map((j) => [clean(j.name), contactText(j.contact), j.responsibilities && clean(j.responsibilities)].filter(Boolean).join(', '))
    .join(LIST);
  const representativeText = org.representative ? `${clean(org.representative.name)}, ${contactText(org.representative.contact)}` : '';
  const pc = org.privacy_contact;
  const pcText = pc ? [pc.name, pc.title, pc.email, pc.phone, addressText(pc.address)].filter(Boolean).map((s) => clean(s!)).join(', ') : '';
  const dpoText = !pc ? 'None designated' : pc.kind === 'dpo' ? pcText : `None designated; privacy lead: ${pcText}`;
  const security = policy.security_measures.map(clean).join(LIST);
  const transfers = transferFacts(policy);

  return policy.purposes.map((p): RopaRecord => {
    const processor = isProcessorPurpose(p, policy);
    const categories = categoriesOf(p, policy);
    const special = categories.filter((c) => c.special_category);
    const recipients = (p.recipients ?? []).map((id) => policy.recipients.find((r) => r.id === id)).filter((r) => r !== undefined);
    const recipientIds = new Set(recipients.map((r) => r.id));
    // A transfer that names no recipient is organisation-wide, so it appears on every row.
    const purposeTransfers = transfers.filter((t) => t.recipientId === undefined || recipientIds.has(t.recipientId));
    const sources = (p.sources ?? []).map((id) => policy.sources.find((s) => s.id === id)).filter((s) => s !== undefined);
    const rule = p.retention ? policy.retention.find((r) => r.id === p.retention) : undefined;
    const screening = screenPurpose(policy, p);
    const consentBased = p.lawful_basis === 'consent' || p.special_condition === 'explicit-consent';

    return {
      businessFunction: p.business_function ? clean(p.business_function) : '',
      purpose: p.description ? `${clean(p.name)}: ${clean(p.description)}` : clean(p.name),
      controller: processor ? `${relationshipClients(p, policy)}. Processor: ${controllerText}` : controllerText,
      jointController: jointText || NOT_APPLICABLE,
      representative: representativeText || NOT_APPLICABLE,
      dpo: dpoText,
      subjectCategories: p.relationships
        .map((id) => policy.relationships.find((r) => r.id === id))
        .filter((r) => r !== undefined)
        .map((r) => clean(r.name))
        .join(LIST),
      dataCategories: categories
        .map((c) => {
          const notes = [
            c.special_category && `special category: ${SPECIAL_CATEGORY_TEXT[c.special_category]}`,
            c.criminal_offence && 'criminal offence data',
            c.storage === 'never' && 'never stored',
            c.storage === 'reference-only' && 'reference only',
          ].filter(Boolean);
          return notes.length ? `${clean(c.name)} (${notes.join(', ')})` : clean(c.name);
        })
        .join(LIST),
      recipientCategories: recipients.length
        ? recipients
            .map((r) => {
              const where = r.countries?.length ? `, ${r.countries.map(countryName).join(', ')}` : '';
              return `${clean(r.name)} (${RECIPIENT_KIND_TEXT[r.kind].toLowerCase()}${where})`;
            })
            .join(LIST)
        : 'None outside the organisation',
      processorContract:
        recipients
          .filter((r) => r.kind === 'processor')
          .map((r) => `${clean(r.name)}: ${processorContractText(r)}`)
          .join(LIST) || NOT_APPLICABLE,
      thirdCountries:
        [
          ...unique(purposeTransfers.flatMap((t) => t.countries ?? [])).map(countryName),
          ...purposeTransfers.filter((t) => !t.countries).map((t) => `${COUNTRIES_NOT_STATED} (${t.what.replace(/[.;]+$/, '')})`),
        ].join(LIST) || 'None',
      transferSafeguards:
        purposeTransfers
          .map((t) => `${t.what.replace(/[.;]+$/, '')} (${t.countries ? transferCountriesText(t) : COUNTRIES_NOT_STATED.toLowerCase()}): ${t.safeguardText}${transferTestText(policy, t.recipientId)}`)
          .join(LIST) || NOT_APPLICABLE,
      retention: retentionText(rule),
      security,
      article6Basis: p.lawful_basis
        ? `${LAWFUL_BASIS_ARTICLE[p.lawful_basis]} ${LAWFUL_BASIS_TEXT[p.lawful_basis].title.toLowerCase()}`
        : processor
          ? 'Determined by the controller (we act as processor)'
          : 'Not stated',
      article9Condition: p.special_condition
        ? `${ART9_CONDITIONS[p.special_condition]}: ${ART9_TEXT[p.special_condition]}`
        : special.length
          ? 'Not stated (special category data is processed)'
          : NOT_APPLICABLE,
      legitimateInterests:
        p.lawful_basis === 'legitimate-interests'
          ? p.legitimate_interest
            ? clean(p.legitimate_interest)
            : 'Not stated'
          : p.lawful_basis === 'recognised-legitimate-interest'
            ? p.recognised_interest
              ? `Recognised legitimate interest (Annex 1): ${RECOGNISED_INTEREST_TEXT[p.recognised_interest]}`
              : 'Recognised legitimate interest not stated'
            : NOT_APPLICABLE,
      liaLink: p.lia_reference ?? assessmentText(assessmentsCovering(policy, 'lia', { purpose: p.id })) ?? (p.lawful_basis === 'legitimate-interests' ? 'Not recorded' : NOT_APPLICABLE),
      rights: rightsForPurpose(p, policy)
        .map((r) => RIGHT_LABEL[r])
        .join(LIST),
      automatedDecision: p.automated_decision
        ? `Yes. Logic: ${clean(p.automated_decision.logic)} Consequences: ${clean(p.automated_decision.consequences)}${
            p.automated_decision.safeguards ? ` Safeguards: ${clean(p.automated_decision.safeguards)}` : ''
          }`
        : 'No',
      source: sources.length
        ? sources
            .map((s) => (s.kind === 'data-subject' ? 'The individual' : `${clean(s.name)} (${SOURCE_KIND_TEXT[s.kind]}; ${s.publicly_accessible ? 'publicly accessible' : 'not public'})`))
            .join(LIST)
        : 'The individual',
      consentLink: consentBased
        ? (p.consent_record ?? 'Steward consent records')
        : p.soft_opt_in
          ? 'Not applicable: email and text marketing under the PECR soft opt-in (reg 22(3))'
          : NOT_APPLICABLE,
      location: p.data_location ? clean(p.data_location) : '',
      dpiaRequired: dpiaRequiredText(screening),
      dpiaProgress: screening.recorded
        ? `Recorded: ${[p.dpia, assessmentText(assessmentsCovering(policy, 'dpia', { purpose: p.id }))].filter(Boolean).join('; ')}`
        : screening.verdict === 'not-indicated'
          ? NOT_APPLICABLE
          : 'No DPIA recorded',
      breachLink: 'Steward breach register',
      schedule1Condition: p.schedule1_condition ? clean(p.schedule1_condition) : NOT_APPLICABLE,
      retentionPolicyLink: p.retention ? `Declaration retention rule "${p.retention}" (${loaded.file}, version ${loaded.hash.slice(0, 12)})` : 'No retention rule declared',
      retainedPerPolicy: p.retention ? 'Yes: Steward applies the retention rule automatically' : 'No retention rule declared',
    };
  });
}

/** The contract with a processor: where it is, when signed and reviewed, and which Art 28(3) terms it covers. */
function processorContractText(r: Recipient): string {
  const link = r.agreement?.link ?? r.contract;
  const review = r.agreement?.review ?? r.review_date;
  if (!link && !r.agreement) return 'no contract recorded';
  const terms = r.agreement?.terms.length ?? 0;
  return [
    link ?? 'contract recorded without a link',
    r.agreement?.signed && `signed ${formatDate(r.agreement.signed)}`,
    review && `next review ${formatDate(review)}`,
    r.agreement && `Art 28(3) terms: ${terms} of ${ART28_TERMS.length}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** The data protection test recorded for a recipient's transfer (Art 46(1A)), if any. */
function transferTestText(policy: Policy, recipientId: string | undefined): string {
  const r = recipientId ? policy.recipients.find((x) => x.id === recipientId) : undefined;
  const t = r?.transfer_assessment;
  if (t) return `; data protection test ${t.outcome} on ${formatDate(t.date)} (${clean(t.reference)})`;
  const a = r ? assessmentsCovering(policy, 'transfer', { recipient: r.id }) : [];
  return a.length ? `; transfer assessment: ${assessmentText(a)}` : '';
}

function assessmentText(list: readonly Assessment[]): string | undefined {
  if (list.length === 0) return undefined;
  return list.map((a) => `${clean(a.title)} (${formatDate(a.date)}${a.link ? `, ${a.link}` : ''})`).join(LIST);
}

function dpiaRequiredText(s: ScreeningResult): string {
  const why = s.hits.map((h) => h.reason).join(', ');
  if (s.verdict === 'required') return `Yes: ${why}`;
  if (s.verdict === 'advisable') return `Advisable: ${why}`;
  return s.recorded ? 'Done although not indicated by the screening' : 'Not indicated by the screening';
}

function relationshipClients(p: Purpose, policy: Policy): string {
  const clients = p.relationships
    .map((id) => policy.relationships.find((r) => r.id === id)?.on_behalf_of)
    .filter((x): x is string => Boolean(x))
    .map(clean);
  return clients.length ? `Controller: ${unique(clients).join(LIST)}` : 'Controller: our client';
}

/** The header row and one row per purpose, as the CSV and the XLSX sheet hold them. */
export function ropaTable(loaded: LoadedPolicy): string[][] {
  return [ropaColumns.map((c) => c.header), ...ropaRows(loaded).map((r) => ropaColumns.map((c) => r[c.key]))];
}

export { neutraliseFormula } from '../shared/csv.js';
/** An RFC 4180 field, formula-neutralised (see src/shared/csv.ts). */
export const csvField = (value: string): string => csvCell(value);

export interface RopaCsvOptions {
  /** Start with a UTF-8 byte order mark, which Excel needs to read non-ASCII text correctly. */
  bom?: boolean;
}

export function renderRopaCsv(loaded: LoadedPolicy, options: RopaCsvOptions = {}): string {
  const { bom = false } = options;
  const body = ropaTable(loaded)
    .map((row) => row.map(csvField).join(','))
    .join('\r\n');
  return `${bom ? '\uFEFF' : ''}${body}\r\n`;
}

export const ROPA_SHEET = 'Record of processing';
export const CONTROLLER_SHEET = 'Controller';

/** The organisation's details, for the second sheet. */
export function controllerDetails(loaded: LoadedPolicy): Array<[string, string]> {
  const { policy } = loaded;
  const org = policy.organisation;
  const controller = controllerEntity(policy);
  const pc = org.privacy_contact;
  const rows: Array<[string, string]> = [
    ['Organisation', clean(org.name)],
    ['Controller', clean(controller.name)],
  ];
  for (const e of org.entities) {
    rows.push([
      e === controller ? 'Controller entity' : 'Other entity',
      [
        clean(e.name),
        e.company_number && `company number ${e.company_number}`,
        e.registered_in && `registered in ${REGISTERED_IN_TEXT[e.registered_in]}`,
        e.trading_names.length ? `trading as ${e.trading_names.map(clean).join(', ')}` : undefined,
        e.registered_address && `registered address: ${addressText(e.registered_address)}`,
        e.trading_address && `trading address: ${addressText(e.trading_address)}`,
        e.ico_registration && `ICO registration ${e.ico_registration}`,
      ]
        .filter(Boolean)
        .join('; '),
    ]);
  }
  rows.push(['Contact', contactText(org.contact)]);
  rows.push([
    pc?.kind === 'dpo' ? 'Data protection officer' : 'Privacy lead',
    pc ? [pc.name, pc.title, pc.email, pc.phone, addressText(pc.address)].filter(Boolean).map((s) => clean(s!)).join(', ') : 'None designated',
  ]);
  rows.push(['Representative', org.representative ? `${clean(org.representative.name)}, ${contactText(org.representative.contact)}` : NOT_APPLICABLE]);
  rows.push([
    'Joint controllers',
    (org.joint_controllers ?? []).map((j) => `${clean(j.name)}, ${contactText(j.contact)}`).join(LIST) || NOT_APPLICABLE,
  ]);
  rows.push(['Supervisory authority', [org.supervisory_authority.name, org.supervisory_authority.website, org.supervisory_authority.phone].filter(Boolean).join(', ')]);
  rows.push(['Public authority', org.public_authority ? 'Yes' : 'No']);
  rows.push(['Security measures', policy.security_measures.map(clean).join(LIST)]);
  rows.push(['Declaration', loaded.file]);
  rows.push(['Declaration version', loaded.hash]);
  rows.push(['Notice effective from', formatDate(policy.notice.effective_date)]);
  return rows;
}

/**
 * The record as an XLSX workbook: the record sheet (bold, frozen header; wrapped cells) and a
 * Controller sheet. Values are written as strings, which Excel never evaluates as formulas.
 */
export async function renderRopaXlsx(loaded: LoadedPolicy): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Steward';

  const sheet = workbook.addWorksheet(ROPA_SHEET, { views: [{ state: 'frozen', xSplit: 2, ySplit: 1 }] });
  sheet.columns = ropaColumns.map((c) => ({ header: c.header, key: c.key, width: c.width }));
  for (const record of ropaRows(loaded)) sheet.addRow(record);
  sheet.eachRow((row, n) => {
    row.alignment = { wrapText: true, vertical: 'top' };
    if (n === 1) row.font = { bold: true };
  });
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: ropaColumns.length } };

  const details = workbook.addWorksheet(CONTROLLER_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  details.columns = [
    { header: 'Item', key: 'item', width: 28 },
    { header: 'Details', key: 'details', width: 100 },
  ];
  for (const [item, value] of controllerDetails(loaded)) details.addRow({ item, details: value });
  details.eachRow((row, n) => {
    row.alignment = { wrapText: true, vertical: 'top' };
    if (n === 1) row.font = { bold: true };
  });
  details.getColumn(1).font = { bold: true };

  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
