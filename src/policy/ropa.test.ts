import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { parsePolicy, type LoadedPolicy } from './policy.loader.js';
import type { Policy } from './policy.schema.js';
import { SAFEGUARD_LABEL } from './schema.recipients.js';
import {
  CONTROLLER_SHEET,
  ROPA_SHEET,
  csvField,
  neutraliseFormula,
  renderRopaCsv,
  renderRopaXlsx,
  ropaColumns,
  ropaRows,
  ropaTable,
  type RopaRecord,
} from './ropa.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtureFile = join(root, 'test/fixtures/policy/render-full.yaml');
const loaded = parsePolicy(readFileSync(fixtureFile, 'utf8'), fixtureFile);
const rows = ropaRows(loaded);

function row(purposeId: string): RopaRecord {
  const i = loaded.policy.purposes.findIndex((p) => p.id === purposeId);
  const r = rows[i];
  if (!r) throw new Error(`no row for ${purposeId}`);
  return r;
}

function withPolicy(base: LoadedPolicy, change: (p: Policy) => void): LoadedPolicy {
  const policy = structuredClone(base.policy);
  change(policy);
  return { ...base, policy };
}

/** A strict RFC 4180 reader: CRLF between records, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && field === '') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < text.length && text[i] !== ',' && text[i] !== '\r') throw new Error(`text after a closing quote at ${i}`);
    } else if (c === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (c === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`bare CR at ${i}`);
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (c === '\n') {
      throw new Error(`bare LF at ${i}`);
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('the last record has no CRLF');
  return records;
}

describe('record of processing: columns and rows', () => {
  it('has the ICO controller template columns, in order, with unique keys', () => {
    expect(ropaColumns.map((c) => c.header)).toEqual([
      'Business function',
      'Purpose of processing',
      'Name and contact details of controller',
      'Name and contact details of joint controller (if applicable)',
      "Name and contact details of controller's representative (if applicable)",
      'Name and contact details of data protection officer (if applicable)',
      'Categories of individuals',
      'Categories of personal data',
      'Categories of recipients',
      'Link to contract with processor',
      'Names of third countries or international organisations that personal data are transferred to (if applicable)',
      'Safeguards for exceptional transfers of personal data to third countries or international organisations (if applicable)',
      'Retention schedule (if possible)',
      'General description of technical and organisational security measures (if possible)',
      'Article 6 lawful basis for processing personal data',
      'Article 9 basis for processing special category data',
      'Legitimate interests for the processing (if applicable)',
      'Link to record of legitimate interests assessment (if applicable)',
      'Rights available to individuals',
      'Existence of automated decision-making, including profiling (if applicable)',
      'The source of the personal data (if applicable)',
      'Link to record of consent',
      'Location of personal data',
      'Data Protection Impact Assessment required?',
      'Data Protection Impact Assessment progress',
      'Link to record of personal data breach (if applicable)',
      'Data Protection Act 2018 Schedule 1 condition for processing',
      'Link to retention and erasure policy document',
      'Is personal data retained and erased in accordance with the policy document?',
    ]);
    expect(new Set(ropaColumns.map((c) => c.key)).size).toBe(ropaColumns.length);
  });

  it('has one row per purpose, in declaration order, with every column', () => {
    expect(rows).toHaveLength(loaded.policy.purposes.length);
    rows.forEach((r, i) => {
      expect(Object.keys(r).sort()).toEqual(ropaColumns.map((c) => c.key).sort());
      expect(r.purpose.startsWith(loaded.policy.purposes[i]!.name)).toBe(true);
    });
    const table = ropaTable(loaded);
    expect(table[0]).toEqual(ropaColumns.map((c) => c.header));
    expect(table).toHaveLength(rows.length + 1);
  });

  it('names the controller, joint controller and DPO on every row', () => {
    for (const r of rows.filter((_, i) => loaded.policy.purposes[i]!.id !== 'print-services')) {
      expect(r.controller).toContain('Harbourline Office Supplies Ltd');
      expect(r.controller).toContain('02337714');
      expect(r.controller).toContain('hello@harbourline.example');
    }
    expect(row('orders').jointController).toContain('Trade Expo Partners LLP');
    expect(row('orders').representative).toBe('Not applicable');
    expect(row('orders').dpo).toBe('Priya Shah, Data Protection Officer, dpo@harbourline.example, 0117 496 0123');
    expect(row('print-services').controller).toMatch(/^Controller: the business clients whose print and mailing jobs we run\. Processor: Harbourline/);
  });

  it('states the basis, Art 9 condition, interests and Schedule 1 condition', () => {
    expect(row('orders').article6Basis).toBe('Art 6(1)(b) contract');
    expect(row('enquiries').article6Basis).toBe('Art 6(1)(f) legitimate interests');
    expect(row('enquiries').legitimateInterests).toBe('Answering questions from people who may want to buy from us.');
    expect(row('enquiries').liaLink).toBe('https://docs.harbourline.example/lia/enquiries');
    expect(row('credit-checks').article6Basis).toBe('Art 6(1)(ea) recognised legitimate interest');
    expect(row('credit-checks').legitimateInterests).toContain('detecting, investigating or preventing crime');
    expect(row('delivery-needs').article9Condition).toBe('Art 9(2)(a): you have given your explicit consent');
    expect(row('orders').article9Condition).toBe('Not applicable');
    expect(row('recruitment').schedule1Condition).toBe('Part 1, paragraph 1 (employment, social security and social protection)');
    expect(row('print-services').article6Basis).toBe('Determined by the controller (we act as processor)');
  });

  it('gives the rights that the lawful basis allows', () => {
    const rights = (id: string): string[] => row(id).rights.split('; ');
    expect(rights('orders')).toEqual(['Access', 'Rectification', 'Erasure', 'Restriction', 'Data portability']);
    expect(rights('orders')).not.toContain('Objection');
    expect(rights('enquiries')).toContain('Objection');
    expect(rights('enquiries')).not.toContain('Data portability');
    expect(rights('accounts')).toEqual(['Access', 'Rectification', 'Restriction']);
    expect(rights('marketing')).toEqual(expect.arrayContaining(['Withdraw consent', 'Object to direct marketing', 'Data portability']));
    expect(rights('prospecting')).toContain('Object to direct marketing');
    expect(rights('credit-checks')).toContain('Human review of automated decisions');
  });

  it('records recipients, processor contracts, transfers and safeguards', () => {
    expect(row('orders').recipientCategories).toContain('Parcelwise Couriers Ltd (service provider acting on our instructions, United Kingdom)');
    expect(row('orders').processorContract).toContain('Parcelwise Couriers Ltd: https://docs.harbourline.example/dpa/parcelwise');
    expect(row('orders').thirdCountries).toBe('Ireland');
    expect(row('marketing').thirdCountries).toBe('United States');
    expect(row('marketing').transferSafeguards).toContain(SAFEGUARD_LABEL['uk-us-data-bridge']);
    expect(row('support').thirdCountries).toBe('India');
    expect(row('support').transferSafeguards).toContain(SAFEGUARD_LABEL.idta);
    expect(row('enquiries').thirdCountries).toBe('None');
    expect(row('enquiries').recipientCategories).toBe('None outside the organisation');
  });

  it('records a transfer without countries on every row, with its safeguard', () => {
    const unnamed = withPolicy(loaded, (p) => {
      p.transfers = [{ id: 'staff-abroad', description: 'Our own staff outside the EEA may access your data.', safeguard: 'idta' }];
    });
    const all = ropaRows(unnamed);
    for (const r of all) {
      expect(r.thirdCountries).toContain('Countries not stated (Our own staff outside the EEA may access your data)');
      expect(r.transferSafeguards).toContain(`Our own staff outside the EEA may access your data (countries not stated): ${SAFEGUARD_LABEL.idta}`);
    }
    const enquiries = all[unnamed.policy.purposes.findIndex((p) => p.id === 'enquiries')]!;
    expect(enquiries.thirdCountries).toBe('Countries not stated (Our own staff outside the EEA may access your data)');
  });

  it('notes the soft opt-in where consent is not the basis for marketing', () => {
    const soft = withPolicy(loaded, (p) => {
      Object.assign(p.purposes.find((x) => x.id === 'prospecting')!, { soft_opt_in: true });
    });
    const i = soft.policy.purposes.findIndex((p) => p.id === 'prospecting');
    expect(ropaRows(soft)[i]!.consentLink).toBe('Not applicable: email and text marketing under the PECR soft opt-in (reg 22(3))');
    expect(row('prospecting').consentLink).toBe('Not applicable');
  });

  it('records retention, security, sources, automated decisions, consent and DPIA', () => {
    expect(row('enquiries').retention).toBe('3 months after your enquiry, then deleted unless you opted in to marketing.');
    expect(row('orders').security).toContain('Personal data is encrypted at rest and in transit');
    expect(row('prospecting').source).toBe(
      'Companies House register (a public register; publicly accessible); Bristol Office Show badge scans (an exhibition or event; not public)',
    );
    expect(row('orders').source).toBe('The individual');
    expect(row('credit-checks').automatedDecision).toMatch(/^Yes\. Logic: We score your application/);
    expect(row('orders').automatedDecision).toBe('No');
    expect(row('delivery-needs').consentLink).toBe('https://docs.harbourline.example/consent/delivery');
    expect(row('marketing').consentLink).toBe('Steward consent records');
    expect(row('orders').consentLink).toBe('Not applicable');
    // The DPIA columns follow the screening (src/policy/dpia-screening.ts).
    expect(row('credit-checks').dpiaRequired).toMatch(/^Yes: automated decisions with legal or similarly significant effects/);
    expect(row('credit-checks').dpiaProgress).toMatch(/^Recorded: /);
    expect(row('delivery-needs').dpiaRequired).toMatch(/^Advisable: special category or criminal offence data/);
    expect(row('orders').dpiaRequired).toBe('Not indicated by the screening');
    expect(row('orders').dpiaProgress).toBe('Not applicable');
    expect(row('orders').location).toBe('Steward register (UK data centre)');
    expect(row('orders').businessFunction).toBe('Sales');
    expect(row('orders').retentionPolicyLink).toContain('"account-6y"');
  });
});

describe('record of processing: CSV', () => {
  const csv = renderRopaCsv(loaded);

  it('is RFC 4180 with CRLF line ends and parses back to the table', () => {
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/\r(?!\n)/);
    const parsed = parseCsv(csv);
    expect(parsed[0]).toEqual(ropaColumns.map((c) => c.header));
    expect(parsed).toEqual(ropaTable(loaded).map((r) => r.map(neutraliseFormula)));
    for (const record of parsed) expect(record).toHaveLength(ropaColumns.length);
  });

  it('quotes fields holding commas, quotes and line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r\nlf')).toBe('"cr\r\nlf"');
    expect(csvField('')).toBe('');
  });

  it('neutralises spreadsheet formulas', () => {
    for (const [input, output] of [
      ['=SUM(A1:A2)', "'=SUM(A1:A2)"],
      ['+44 117 496 0000', "'+44 117 496 0000"],
      ['-2+3', "'-2+3"],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['\tx', "'\tx"],
      ['a=b', 'a=b'],
    ]) {
      expect(csvField(input!), input).toBe(output);
    }
    expect(csvField('\r=1')).toBe(`"'\r=1"`);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });

  it('neutralises formulas and keeps quoting in declaration text end to end', () => {
    const hostile = withPolicy(loaded, (p) => {
      p.purposes[0]!.name = '=HYPERLINK("https://evil.example","click")';
      p.purposes[0]!.description = undefined;
      p.purposes[0]!.business_function = '+cmd|" /C calc"!A0';
      p.purposes[1]!.business_function = 'Sales, "North"\nand South';
    });
    const parsed = parseCsv(renderRopaCsv(hostile));
    expect(parsed[1]![0]).toBe('\'+cmd|" /C calc"!A0');
    expect(parsed[1]![1]).toBe('\'=HYPERLINK("https://evil.example","click")');
    // Line breaks from YAML block scalars are folded to spaces, as in the notice.
    expect(parsed[2]![0]).toBe('Sales, "North" and South');
    expect(parsed).toHaveLength(loaded.policy.purposes.length + 1);
  });

  it('can start with a byte order mark for Excel', () => {
    expect(renderRopaCsv(loaded, { bom: true }).startsWith('\uFEFFBusiness function,')).toBe(true);
    expect(csv.startsWith('Business function,')).toBe(true);
  });
});

describe('record of processing: XLSX', () => {
  it('parses back with the same rows, a bold frozen header, widths and wrapping', async () => {
    const buffer = await renderRopaXlsx(loaded);
    expect(buffer.subarray(0, 2).toString('latin1')).toBe('PK');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet(ROPA_SHEET);
    expect(sheet).toBeDefined();
    const table = ropaTable(loaded);
    expect(sheet!.rowCount).toBe(table.length);
    table.forEach((expected, r) => {
      const actual = expected.map((_, c) => sheet!.getRow(r + 1).getCell(c + 1).text);
      expect(actual, `row ${r + 1}`).toEqual(expected);
    });
    expect(sheet!.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(sheet!.getRow(2).getCell(2).alignment?.wrapText).toBe(true);
    expect(sheet!.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    ropaColumns.forEach((c, i) => expect(sheet!.getColumn(i + 1).width).toBe(c.width));
  });

  it('writes formula-like text as text, not formulas', async () => {
    const hostile = withPolicy(loaded, (p) => {
      p.purposes[0]!.business_function = '=1+1';
    });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await renderRopaXlsx(hostile)) as unknown as ArrayBuffer);
    const cell = workbook.getWorksheet(ROPA_SHEET)!.getRow(2).getCell(1);
    expect(cell.type).toBe(ExcelJS.ValueType.String);
    expect(cell.value).toBe('=1+1');
  });

  it('has a Controller sheet with the organisation details', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await renderRopaXlsx(loaded)) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet(CONTROLLER_SHEET);
    expect(sheet).toBeDefined();
    const pairs = new Map<string, string>();
    sheet!.eachRow((r, n) => {
      if (n > 1) pairs.set(r.getCell(1).text, r.getCell(2).text);
    });
    expect(sheet!.getRow(1).getCell(1).text).toBe('Item');
    expect(pairs.get('Organisation')).toBe('Harbourline Office Supplies');
    expect(pairs.get('Controller')).toBe('Harbourline Office Supplies Ltd');
    expect(pairs.get('Controller entity')).toContain('company number 02337714');
    expect(pairs.get('Controller entity')).toContain('trading as Harbourline Print, Desk & Chair Direct');
    expect(pairs.get('Data protection officer')).toContain('dpo@harbourline.example');
    expect(pairs.get('Joint controllers')).toContain('Trade Expo Partners LLP');
    expect(pairs.get('Supervisory authority')).toContain("Information Commissioner's Office");
    expect(pairs.get('Declaration version')).toBe(loaded.hash);
  });
});
