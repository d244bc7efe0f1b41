/**
 * What `steward breaches` reads and writes besides the database: the options and files that give
 * a breach's facts (JSON or YAML, the API's field names, options overriding the file), files of
 * identifiers, and private files for letters and exports.
 */
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { CliIo } from '../cli/io.js';
import { StewardError } from '../shared/errors.js';
import { assertCleanText } from '../shared/text.js';
import { NATURES } from './breaches.events.js';

export const collect = (value: string, previous: string[]): string[] => [...previous, value];
export const MAX_INPUT_FILE = 20 * 1024 * 1024;


export async function readInputFile(io: CliIo, file: string, what: string): Promise<string> {
  const target = path.resolve(io.cwd, file);
  try {
    const s = await stat(target);
    if (s.size > MAX_INPUT_FILE) throw new StewardError('PAYLOAD_TOO_LARGE', `${what} ${file} is larger than ${MAX_INPUT_FILE / 1024 / 1024} MB`);
    const text = await readFile(target, 'utf8');
    assertCleanText(text, file);
    return text;
  } catch (e) {
    if (e instanceof StewardError) throw e;
    throw new StewardError('VALIDATION_FAILED', `cannot read ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
}

/** A file only its owner can read: letters and exports name people. */
export async function writePrivate(io: CliIo, file: string, content: string): Promise<string> {
  const target = path.resolve(io.cwd, file);
  await mkdir(path.dirname(target), { recursive: true });
  const fh = await open(target, 'w', 0o600);
  try {
    await chmod(target, 0o600);
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  return target;
}

export const wholeNumber = (name: string) => (v: string) => {
  if (!/^\d{1,10}$/.test(v)) throw new StewardError('VALIDATION_FAILED', `${name}: "${v.slice(0, 20)}" is not a whole number`);
  return Number(v);
};

export interface FactsOpts {
  fromFile?: string;
  title?: string;
  aware?: string;
  occurred?: string;
  occurredUntil?: string;
  contained?: string;
  description?: string;
  forPeople?: string;
  howFound?: string;
  nature: string[];
  system: string[];
  category: string[];
  relationship: string[];
  people?: number;
  records?: number;
  consequences?: string;
  measuresTaken?: string;
  measuresProposed?: string;
  advice?: string;
  contactName?: string;
  contactEmail?: string;
  contactPhone?: string;
}

export function addFactOptions(cmd: Command): Command {
  return cmd
    .option('--from-file <file>', 'the facts as a JSON or YAML file (the API’s field names); options given here override it')
    .option('--title <text>', 'a short title (no names of people, please)')
    .option('--aware <time>', 'when the organisation became aware: the 72-hour clock starts here (UK time, e.g. "2026-03-06 19:30")')
    .option('--occurred <time>', 'when the breach happened (or began)')
    .option('--occurred-until <time>', 'when it ended, if it went on for a while')
    .option('--contained <time>', 'when it was contained')
    .option('--description <text>', 'what happened')
    .option('--for-people <text>', 'what happened, in plain words for the letters to the people affected')
    .option('--how-found <text>', 'how it was found')
    .option('--nature <kind>', `what was lost: ${NATURES.join(', ')} (repeatable)`, collect, [])
    .option('--system <name>', 'a system involved (repeatable)', collect, [])
    .option('--category <id>', 'a data category involved, from the declaration (repeatable)', collect, [])
    .option('--relationship <id>', 'a kind of person involved, from the declaration (repeatable)', collect, [])
    .option('--people <n>', 'approximate number of people, including any outside the register', wholeNumber('--people'))
    .option('--records <n>', 'approximate number of records', wholeNumber('--records'))
    .option('--consequences <text>', 'the likely consequences for people')
    .option('--measures-taken <text>', 'measures taken')
    .option('--measures-proposed <text>', 'measures proposed, including to reduce the harm')
    .option('--advice <text>', 'what people can do to protect themselves (for the letters)')
    .option('--contact-name <name>', 'the contact point, if not the declaration’s privacy contact')
    .option('--contact-email <address>', 'the contact point’s email')
    .option('--contact-phone <number>', 'the contact point’s phone');
}

export async function factsFrom(io: CliIo, o: FactsOpts): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (o.fromFile) {
    const raw = await readInputFile(io, o.fromFile, 'facts file');
    let parsed: unknown;
    try {
      parsed = o.fromFile.endsWith('.json') ? JSON.parse(raw) : parseYaml(raw);
    } catch {
      throw new StewardError('VALIDATION_FAILED', `${o.fromFile} is not valid ${o.fromFile.endsWith('.json') ? 'JSON' : 'YAML'}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new StewardError('VALIDATION_FAILED', `${o.fromFile} should hold an object of facts`);
    // JSON and YAML escapes can spell what the file's bytes cannot: check the values too.
    assertCleanText(parsed, o.fromFile);
    base = parsed as Record<string, unknown>;
  }
  const given: Record<string, unknown> = {
    title: o.title,
    awareAt: o.aware,
    occurredAt: o.occurred,
    occurredUntil: o.occurredUntil,
    containedAt: o.contained,
    description: o.description,
    descriptionForPeople: o.forPeople,
    howDiscovered: o.howFound,
    natures: o.nature.length ? o.nature : undefined,
    systems: o.system.length ? o.system : undefined,
    categories: o.category.length ? o.category : undefined,
    relationships: o.relationship.length ? o.relationship : undefined,
    approxPeople: o.people,
    approxRecords: o.records,
    consequences: o.consequences,
    measuresTaken: o.measuresTaken,
    measuresProposed: o.measuresProposed,
    adviceToPeople: o.advice,
    contactPoint:
      o.contactName || o.contactEmail || o.contactPhone
        ? { ...(o.contactName ? { name: o.contactName } : {}), ...(o.contactEmail ? { email: o.contactEmail } : {}), ...(o.contactPhone ? { phone: o.contactPhone } : {}) }
        : undefined,
  };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) base[k] = v;
  return base;
}

/** Identifiers from a file: one per line or per cell; "@" makes an email, digits a phone number. */
export function parseIdentifierList(text: string): { emails: string[]; phones: string[]; ignored: number } {
  const emails: string[] = [];
  const phones: string[] = [];
  let ignored = 0;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    for (const raw of line.split(/[,;\t]/)) {
      const cell = raw.trim().replace(/^"(.*)"$/, '$1').trim();
      if (cell === '') continue;
      if (cell.includes('@')) emails.push(cell);
      else if (/^\+?[\d\s().-]{6,}$/.test(cell)) phones.push(cell);
      else ignored++;
    }
  }
  return { emails, phones, ignored };
}
