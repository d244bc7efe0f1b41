/**
 * `steward subjects import|find|show|export`: the register at the console, over the same
 * services as the HTTP API, acting as the operator who holds the key file (cliActor).
 */
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { CsvError, parse, type InfoRecord } from 'csv-parse';
import { type CliIo, withRuntime } from '../cli/io.js';
import { isStewardError, StewardError } from '../shared/errors.js';
import { isCleanText } from '../shared/text.js';
import { IMPORT_DEFAULTS, importSubjects, type ImportProgress, type ImportRow, type ImportSummary } from './import.service.js';
import { safeColumnLabel } from './import.columns.js';
import { presentSubject, presentSummary } from './register.presenter.js';
import { exportSubjects, findSubjects, getSubject, recordRepeats, subjectNames, type SubjectView } from './register.read.js';
import { type RecordView } from './record.codec.js';
import { categoryFields, qualifiedName } from './fields.js';
import { canSeeCategory, type Actor } from '../auth/roles.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];


// ——— reading CSV ———

/**
 * Why csv-parse refused a row, in words that never quote the row: its own messages do
 * (`a quote is found on field "email" at line 7, value is "…"`).
 */
function csvProblem(code: string): string {
  switch (code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return 'the row has a different number of fields from the header row';
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'a quote character out of place: quote the whole field, and double any quote inside it';
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed, so the rest of the file could not be read';
    case 'CSV_MAX_RECORD_SIZE':
      return 'the row is too long';
    default:
      return `the row could not be read as CSV (${code})`;
  }
}

/**
 * Largest row the parser reads, in characters: it bounds memory. A longer row stops the parser
 * (csv-parse cannot skip it), so it is set above any cell worth reporting line by line: a 10 MB
 * cell is read and then refused by the import with the column's limit, and the rows after it go on.
 */
const MAX_ROW_CHARS = 16 * 1024 * 1024;

/** Line breaks in a field (CRLF, LF or CR each one), and how many of them are CRLF. */
function lineBreaks(s: string): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13) {
      breaks++;
      if (s.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      }
    } else if (c === 10) breaks++;
  }
  return { breaks, crlf };
}

interface ParsedRow {
  line: number;
  end: number;
  bytes: number;
  row: Record<string, string>;
}

/**
 * Streams a CSV file with a header row as ImportRows, so memory stays flat whatever the file's
 * size. Rows that cannot be parsed come through as problems, in line order, rather than stopping
 * the import. `onBytes` reports how far into the file the parser is.
 */
export function readCsvRows(file: string, onBytes?: (bytes: number) => void): AsyncGenerator<ImportRow> {
  return readCsvStream(createReadStream(file), file, onBytes);
}

/** readCsvRows over any byte stream (an upload held in memory, a file). */
export async function* readCsvStream(input: NodeJS.ReadableStream, name: string, onBytes?: (bytes: number) => void): AsyncGenerator<ImportRow> {
  const file = name;
  const problems: ImportRow[] = [];
  const problemLines = new Set<number>();
  const addProblem = (line: number, code: string): void => {
    // One bad row can raise several errors (a stray quote, then a field count): report it once.
    if (problemLines.has(line)) return;
    problemLines.add(line);
    problems.push({ line, row: {}, problem: csvProblem(code) });
  };
  // csv-parse's info.lines is the line a row ends on, but it counts a CRLF inside a quoted field
  // as two lines (csv-parse 7.0): subtract those, from this row and every row before it.
  let overcount = 0;
  const lineOf = (parserLine: number): number => parserLine - overcount;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_ROW_CHARS,
    columns: (header: string[]) => {
      const names = header.map((h, i) => (String(h).trim() === '' ? `(column ${i + 1})` : String(h).trim()));
      const seen = new Set<string>();
      names.forEach((n, i) => {
        if (seen.has(n)) throw new StewardError('VALIDATION_FAILED', `the header row names the column "${safeColumnLabel(n, i + 1)}" twice`);
        seen.add(n);
      });
      return names;
    },
    on_skip: (err) => {
      if (err) addProblem(typeof err.lines === 'number' ? lineOf(err.lines) : 0, err.code);
      return undefined;
    },
    // Runs in the parser, in file order with on_skip, so the line correction is exact; and the
    // context gives what `info: true` would, without a snapshot object per row.
    on_record: (record: Record<string, string>, context: InfoRecord): ParsedRow => {
      let inner = 0;
      for (const k in record) {
        const v = record[k]!;
        if (v.length === 0 || (v.indexOf('\n') === -1 && v.indexOf('\r') === -1)) continue;
        const b = lineBreaks(v);
        inner += b.breaks;
        overcount += b.crlf;
      }
      // A quoted field may span lines: report the line the row starts on.
      const end = lineOf(context.lines);
      return { line: end - inner, end, bytes: context.bytes, row: record };
    },
  });
  pipeline(input, parser, () => undefined);
  let lastLine = 1;
  try {
    for await (const parsed of parser as AsyncIterable<ParsedRow>) {
      while (problems.length > 0 && problems[0]!.line < parsed.line) yield problems.shift()!;
      lastLine = parsed.end;
      onBytes?.(parsed.bytes);
      const cells = Object.values(parsed.row);
      // Bytes that are not UTF-8 (a file saved as "CSV" in a legacy code page) decode to U+FFFD.
      yield cells.some((c) => c.includes('\ufffd'))
        ? { line: parsed.line, row: {}, problem: 'the row is not UTF-8 text: save the file as "CSV UTF-8" and import it again' }
        : cells.every(isCleanText)
          ? { line: parsed.line, row: parsed.row }
          : { line: parsed.line, row: {}, problem: 'a cell holds a NUL character or an unpaired UTF-16 surrogate' };
    }
  } catch (e) {
    if (isStewardError(e)) throw e;
    if (e instanceof CsvError) {
      // Fatal to the parser (an unclosed quote at the end): report it as the last rejected row.
      addProblem(typeof e.lines === 'number' ? lineOf(e.lines) : lastLine + 1, e.code);
    } else {
      const code = (e as NodeJS.ErrnoException).code;
      throw new StewardError('VALIDATION_FAILED', `cannot read ${file}${code ? ` (${code})` : ''}`);
    }
  }
  problems.sort((a, b) => a.line - b.line);
  yield* problems;
}

// ——— presenting ———

export function formatImportSummary(file: string, s: ImportSummary): string {
  const out = [
    `${s.dryRun ? 'dry run, nothing written: would import' : 'imported'} ${file} as ${s.relationship}`,
    `  rows read          ${s.rows}`,
    `  created            ${s.created}`,
    `  matched existing   ${s.matched}`,
    `  rejected           ${s.rejected}`,
    `  updated            ${s.updated}${s.dryRun ? ' (not compared in a dry run)' : ''}`,
    `  skipped: erased or suppressed  ${s.skipped}`,
  ];
  if (s.columns.length > 0) {
    out.push(`columns: ${s.columns.map((c) => (c.column === c.category && c.field === 'value' ? c.column : `${c.column} → ${c.category}.${c.field}`)).join(', ')}`);
  }
  if (s.unmapped.length > 0) {
    out.push('columns not imported (map them with --map "column=category.field"):');
    for (const u of s.unmapped) {
      out.push(`  ${u.column}${u.ambiguous ? `: could be ${u.ambiguous.join(' or ')}` : u.nearest ? `: nearest field ${u.nearest}` : ': no similar field (declare one, or map it)'}`);
    }
  }
  if (s.unmatchable > 0) {
    out.push(`note: ${s.unmatchable} new ${s.unmatchable === 1 ? 'person has' : 'people have'} no identifier to match on: importing the same rows again would create them again`);
  }
  if (s.skippedLines.length > 0) {
    out.push(`skipped lines (erased, or on the suppression list; add one deliberately with --add-line N): ${s.skippedLines.join(', ')}`);
  }
  if (s.rejections.length > 0) {
    out.push('rejected rows:');
    for (const r of s.rejections) out.push(`  line ${r.line}: ${r.reason}`);
    if (s.rejectionsOmitted > 0) out.push(`  … and ${s.rejectionsOmitted} more`);
  }
  return `${out.join('\n')}\n`;
}

function formatSubject(s: SubjectView): string {
  const out = [`subject ${s.id}${s.restricted ? '  (restricted, Art 18)' : ''}`, `  created ${s.createdAt}, updated ${s.updatedAt}`];
  for (const r of s.relationships) {
    out.push(`  ${r.relationship} (${r.role}${r.onBehalfOf ? ` for ${r.onBehalfOf}` : ''}) since ${r.startedAt}${r.endedAt ? `, ended ${r.endedAt}` : ''}`);
  }
  if (s.records.length === 0) out.push('records: none');
  else out.push('records:');
  for (const r of s.records) {
    out.push(`  ${r.category}  (record ${r.id})`);
    if (r.kind === 'file') out.push(`    [file ${r.file?.name ?? ''}, ${r.contentType ?? 'unknown type'}, ${r.size} bytes]`);
    else if (r.kind === 'communication') out.push(`    [${r.channel ?? 'note'}] ${(r.text ?? '').replace(/\s+/g, ' ').slice(0, 200)}`);
    else {
      const width = Math.max(0, ...(r.fields ?? []).map((f) => f.label.length));
      for (const f of r.fields ?? []) out.push(`    ${f.label.padEnd(width)}  ${f.value.replace(/\s+/g, ' ')}`);
    }
    out.push(`    for ${r.purposes.map((p) => p.purpose).join(', ')} · from ${r.source} · collected ${r.collectedAt}`);
  }
  for (const w of s.withheld) out.push(`  (${w.count} record${w.count === 1 ? '' : 's'} of "${w.category}" withheld: restricted to other roles)`);
  return `${out.join('\n')}\n`;
}

// ——— export ———

import { csvCell } from '../shared/csv.js';
import { cliActor } from '../kernel/actors.js';
export { csvCell };

/** The export's first columns; then one column per category.field (see exportColumns). */
export const EXPORT_CSV_COLUMNS = ['subject_id', 'relationships'] as const;

/**
 * The export's columns: one per field of every category held that the actor may see,
 * named category.field (a category without fields: its id). A category of which someone holds
 * several records gets numbered columns for the second and later ones ("category.field 2").
 */
export function exportColumns(policy: LoadedPolicy, actor: Actor, repeats: ReadonlyMap<string, number>): Array<{ name: string; category: string; field: string; n: number }> {
  const out: Array<{ name: string; category: string; field: string; n: number }> = [];
  for (const cat of policy.policy.data_categories) {
    // Only categories someone holds: an empty column could name one the people's relationships never use.
    if (cat.storage === 'never' || !canSeeCategory(actor, cat) || !repeats.has(cat.id)) continue;
    const times = Math.max(1, repeats.get(cat.id) ?? 1);
    for (let n = 1; n <= times; n++) {
      for (const f of categoryFields(cat)) out.push({ name: `${qualifiedName(cat, f)}${n > 1 ? ` ${n}` : ''}`, category: cat.id, field: f.id, n });
    }
  }
  return out;
}

/** One row per person: cells neutralised so a spreadsheet never runs them as formulas. */
export function exportRow(s: SubjectView, columns: ReturnType<typeof exportColumns>): string {
  const byCategory = new Map<string, RecordView[]>();
  for (const r of s.records) if (r.kind === 'value') byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r]);
  const cells = [s.id, [...new Set(s.relationships.map((r) => r.relationship))].join(';')];
  for (const c of columns) cells.push(byCategory.get(c.category)?.[c.n - 1]?.fields?.find((f) => f.id === c.field)?.value ?? '');
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** A file only its owner can read, written with back-pressure. */
async function privateFile(target: string): Promise<{ write(s: string): Promise<void>; close(): Promise<void> }> {
  await mkdir(path.dirname(target), { recursive: true });
  const fh: FileHandle = await open(target, 'w', 0o600);
  // The mode applies only when the file is created: tighten an existing file too.
  await chmod(target, 0o600);
  return {
    write: async (s) => {
      await fh.write(s);
    },
    close: () => fh.close(),
  };
}

// ——— commands ———

export function registerSubjectCommands(program: Command, io: CliIo): void {
  const subjects = program.command('subjects').description('the register: import, find, show and export people');

  subjects
    .command('import')
    .description('import people from a CSV file with a header row (exit 0: every row imported or matched, 1: some rows rejected)')
    .argument('<file>', 'the CSV file')
    .requiredOption('--relationship <id>', 'the relationship every person in the file has with the organisation')
    .option('--map <column=category.field>', 'import a column into a declared field (repeatable); columns named after a field (its id, label or aliases, any case or punctuation) map themselves; "column=-" leaves a column out on purpose', collect, [])
    .option('--dry-run', 'print the mapping and the rows that would be refused, writing nothing')
    .option('--add-line <n>', 'add the person on this line even though they were erased or are on the suppression list (repeatable; a deliberate decision, one person at a time)', collect, [])
    .option('--source <id>', 'where the data came from (a declared source; default the purposes’ first source)')
    .option('--purpose <id>', 'a purpose the records are held for (repeatable; default the relationship’s default_purposes, or every purpose using the category when they keep it equally long)', collect, [])
    .addOption(new Option('--batch-size <n>', 'rows per transaction').default(IMPORT_DEFAULTS.batchSize).argParser((v) => Number.parseInt(v, 10)))
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { relationship: string; map: string[]; source?: string; purpose: string[]; batchSize: number; json?: boolean; dryRun?: boolean; addLine: string[] }, cmd: Command) => {
      const addLines = opts.addLine.map((v) => Number.parseInt(v, 10));
      if (addLines.some((n) => !Number.isInteger(n) || n < 2)) cmd.error('error: --add-line takes a line number of the file (2 or more)', { exitCode: 2 });
      const map: Record<string, string> = {};
      for (const m of opts.map) {
        const at = m.lastIndexOf('=');
        if (at <= 0 || at === m.length - 1) cmd.error(`error: --map "${m}" should be column=category.field`, { exitCode: 2 });
        map[m.slice(0, at).trim()] = m.slice(at + 1).trim();
      }
      if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1 || opts.batchSize > IMPORT_DEFAULTS.maxBatchSize) {
        cmd.error(`error: --batch-size must be a whole number from 1 to ${IMPORT_DEFAULTS.maxBatchSize}`, { exitCode: 2 });
      }
      const target = path.resolve(io.cwd, file);
      let size: number;
      try {
        size = (await stat(target)).size;
      } catch (e) {
        io.stderr(`error: cannot read ${target} (${(e as NodeJS.ErrnoException).code ?? 'unknown error'})\n`);
        io.exitCode = 2;
        return;
      }
      await withRuntime(cmd, io, async (rt) => {
        const bar = io.interactive
          ? new SingleBar({
              stream: process.stderr,
              format: 'importing |{bar}| {percentage}% | {rows} rows: {created} created, {updated} updated, {skipped} skipped, {rejected} rejected | ETA {eta_formatted}',
              hideCursor: true,
              clearOnComplete: true,
              // Rows are read quickly and committed in batches: average the ETA over many updates.
              etaBuffer: 200,
            })
          : undefined;
        let committed: ImportProgress = { rows: 0, created: 0, updated: 0, matched: 0, skipped: 0, rejected: 0 };
        bar?.start(size, 0, committed);
        let summary: ImportSummary;
        try {
          summary = await importSubjects(
            rt,
            cliActor(),
            readCsvRows(target, bar ? (bytes) => bar.update(bytes) : undefined),
            {
              relationship: opts.relationship,
              map,
              ...(opts.source ? { source: opts.source } : {}),
              ...(opts.purpose.length > 0 ? { purposes: opts.purpose } : {}),
              batchSize: opts.batchSize,
              ...(opts.dryRun ? { dryRun: true } : {}),
              ...(addLines.length ? { addLines } : {}),
            },
            (p) => {
              committed = p;
              bar?.update(p);
            },
          );
        } catch (e) {
          bar?.stop();
          if (committed.created > 0) {
            io.stderr(`${committed.created} people were imported before this stopped; run the same import again to finish: rows already imported are matched, not duplicated.\n`);
          }
          // Refused rows never throw: these codes mean the options, the header row or the file do
          // not fit (a usage error, exit 2).
          if (isStewardError(e) && (e.code === 'VALIDATION_FAILED' || e.code === 'FORBIDDEN_DATA')) {
            io.stderr(`error [${e.code}]: ${e.message}\n`);
            io.exitCode = 2;
            return;
          }
          throw e;
        }
        bar?.update(size);
        bar?.stop();
        const relative = path.relative(io.cwd, target);
        const shown = relative && !relative.startsWith('..') ? relative : target;
        io.stdout(opts.json ? `${JSON.stringify({ file: shown, ...summary }, null, 2)}\n` : formatImportSummary(shown, summary));
        io.exitCode = summary.rejected > 0 ? 1 : 0;
      });
    });

  subjects
    .command('find')
    .description('find people by exact email address or phone number (through blind indexes; audited)')
    .option('--email <address>', 'an email address, any case')
    .option('--phone <number>', 'a phone number, national or international format')
    .option('--purpose <id>', 'why you are looking (recorded in the audit trail)')
    .option('--json', 'print the matches as JSON')
    .action(async (opts: { email?: string; phone?: string; purpose?: string; json?: boolean }, cmd: Command) => {
      if (opts.email === undefined && opts.phone === undefined) cmd.error('error: give --email or --phone', { exitCode: 2 });
      await withRuntime(cmd, io, async (rt) => {
        const found = await findSubjects(
          rt,
          cliActor(),
          { ...(opts.email !== undefined ? { email: opts.email } : {}), ...(opts.phone !== undefined ? { phone: opts.phone } : {}) },
          opts.purpose,
        );
        if (opts.json) io.stdout(`${JSON.stringify({ subjects: found.map(presentSummary) }, null, 2)}\n`);
        else if (found.length === 0) io.stdout('no one found\n');
        else {
          const names = await subjectNames(rt, cliActor(), found, opts.purpose);
          for (const s of found) io.stdout(`${s.id}  ${names.get(s.id) ?? '(no name held)'}  ${s.relationships.join(', ')}${s.restricted ? '  (restricted)' : ''}\n`);
        }
      });
    });

  subjects
    .command('show')
    .description('show a person with every record, decrypted (audited)')
    .argument('<id>', 'the subject id')
    .option('--purpose <id>', 'why you are looking (recorded in the audit trail; "rights-request" for a restricted person)')
    .option('--json', 'print as JSON (the API’s shape)')
    .action(async (id: string, opts: { purpose?: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const subject = await getSubject(rt, cliActor(), id, opts.purpose);
        io.stdout(opts.json ? `${JSON.stringify(presentSubject(subject), null, 2)}\n` : formatSubject(subject));
      });
    });

  subjects
    .command('export')
    .description('export people with their records, decrypted (audited); the output holds plaintext personal data')
    .option('--relationship <id>', 'only people with this relationship')
    .addOption(new Option('--format <format>', 'jsonl: one person per line, every record; csv: one person per row, a column per category.field (imports back as it is)').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write to a file (created readable by you only) instead of standard output')
    .option('--purpose <id>', 'why you are exporting (recorded in the audit trail)')
    .action(async (opts: { relationship?: string; format: 'jsonl' | 'csv'; out?: string; purpose?: string }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const target = opts.out ? path.resolve(io.cwd, opts.out) : undefined;
        const sink = target ? await privateFile(target) : { write: async (s: string) => io.stdout(s), close: async () => undefined };
        let count = 0;
        let others = 0;
        try {
          const columns = opts.format === 'csv' ? exportColumns(rt.policy, cliActor(), await recordRepeats(rt)) : [];
          if (opts.format === 'csv') await sink.write(`${[...EXPORT_CSV_COLUMNS, ...columns.map((c) => c.name)].map(csvCell).join(',')}\r\n`);
          const subjects = exportSubjects(rt, cliActor(), { ...(opts.relationship ? { relationship: opts.relationship } : {}), ...(opts.purpose ? { purpose: opts.purpose } : {}) });
          for await (const s of subjects) {
            count++;
            if (opts.format === 'csv') {
              others += s.records.filter((r) => r.kind !== 'value').length;
              await sink.write(exportRow(s, columns));
            } else await sink.write(`${JSON.stringify(presentSubject(s))}\n`);
          }
        } finally {
          await sink.close();
        }
        io.stderr(
          target
            ? `wrote ${count} ${count === 1 ? 'person' : 'people'} to ${target}\nwarning: this file holds plaintext personal data; it is readable by you only (mode 0600). Keep it safe and delete it when done.\n`
            : `warning: the output holds plaintext personal data of ${count} ${count === 1 ? 'person' : 'people'}; keep it safe and delete it when done.\n`,
        );
        if (others > 0) io.stderr(`note: ${others} communications and files are not in the CSV (it holds field values); export with --format jsonl for everything.\n`);
      });
    });
}
