/**
 * Bulk import: people from rows of named columns (a contact spreadsheet saved as CSV), each
 * column mapped to a declared data category.
 *
 * Every row goes through the same checks as the API (prepareRecord: the declaration, card-data
 * refusal, identifier validity) and the same write path (buildSubjectRows, insertSubjectRows,
 * appendAudit). Rows are committed in batches, one transaction each, so an interrupted import
 * keeps every batch already committed; and a row whose e-mail address (or, without one, phone
 * number) is already in the register — through its blind index — is counted as matched and
 * skipped, so running the same import again creates no one twice.
 *
 * Rejected rows are reported by line number and a reason that names the column, never its value:
 * the report is printed, logged and pasted into tickets, and must hold no personal data.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, canSeeCategory, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { isStewardError, StewardError, type ErrorCode } from '../shared/errors.js';
import {
  buildSubjectRows,
  insertSubjectRows,
  policyIndex,
  prepareRecord,
  validateRelationships,
  writeTx,
  type RegisterContext,
  type SubjectRows,
} from './register.service.js';
import { defaultPurposes } from '../promises/promises.purposes.js';

/** One row of the source: its line in the file (for the report) and its cells by column name. */
export interface ImportRow {
  line: number;
  row: Record<string, string>;
  /**
   * Set by a reader that could not parse the row (a stray quote, a wrong number of fields): the
   * row is rejected with this reason. It must not contain the row's content.
   */
  problem?: string;
}

export interface ImportOptions {
  /** The relationship every imported person has with the organisation (a declared id). */
  relationship: string;
  /** Column name → category id, for columns not named after their category. */
  map?: Record<string, string>;
  /** Where the data came from (a declared source id); default: the first source of the purposes. */
  source?: string;
  /** The purposes the records are held for; default: the relationship's default purposes (promises.purposes.ts). */
  purposes?: string[];
  /** Rows per transaction (default 1000). */
  batchSize?: number;
  /** Rejections kept for the report; beyond this they are only counted (default 100 000). */
  maxRejections?: number;
}

export interface ImportProgress {
  /** Rows read from the source (every row, accepted or not). */
  rows: number;
  created: number;
  /** Rows that matched someone already in the register (or earlier in the same file): skipped. */
  matched: number;
  rejected: number;
}

export interface ImportRejection {
  line: number;
  code: ErrorCode;
  /** Names the column and the rule broken; never the value. */
  reason: string;
}

export interface ImportSummary extends ImportProgress {
  /** Also in each created subject's audit entry, to find everything one import did. */
  importId: string;
  relationship: string;
  columns: Array<{ column: string; category: string }>;
  /** Columns that are not declared categories and were not mapped: their values were not imported. */
  ignoredColumns: string[];
  /**
   * Created people with neither an e-mail address nor a phone number: nothing to match them on,
   * so importing the same rows again would create them again.
   */
  unmatchable: number;
  rejections: ImportRejection[];
  /** Rejections counted but not listed (beyond maxRejections). */
  rejectionsOmitted: number;
}

export const IMPORT_DEFAULTS = { batchSize: 1000, maxBatchSize: 20_000, maxRejections: 100_000 };

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/**
 * A column name as it may appear in reports. Headers are normally labels ("E-mail"), but a file
 * saved without its header row turns the first person's details into column names: anything that
 * looks like an address, a phone number or a card number is shown by position instead.
 */
export function safeColumnLabel(header: string, position: number): string {
  const digits = header.replace(/\D/g, '').length;
  if (header.includes('@') || digits >= 7 || header.length > 80) return `column ${position}`;
  return header;
}

interface ColumnPlan {
  column: string;
  label: string;
  category: DataCategory;
  purposes: string[];
  source: string;
}

type Resolve = (category: DataCategory) => { purposes: string[]; source: string };

interface CategoryPlan {
  rels: ReturnType<typeof validateRelationships>;
  relIds: string[];
  /** The purposes and source a category's records get (checked once, here, not per row). */
  resolve: Resolve;
}

/**
 * Checks the options against the declaration before any row is read: a mistake here would
 * otherwise reject every row with the same message.
 */
function planCategories(ctx: RegisterContext, actor: Actor, opts: ImportOptions): CategoryPlan {
  const idx = policyIndex(ctx.policy);
  const rels = validateRelationships(ctx.policy, [{ relationship: opts.relationship }], 'relationship');
  const relIds = rels.map((r) => r.relationship);
  for (const [column, category] of Object.entries(opts.map ?? {})) {
    const cat = idx.categories.get(category);
    if (!cat) throw invalid(`map.${column}`, `"${category}" is not a data category in the declaration (declared: ${[...idx.categories.keys()].join(', ')})`);
    if (cat.storage === 'never') throw new StewardError('FORBIDDEN_DATA', `map.${column}: the declaration says "${cat.name}" is never stored`, [{ path: `map.${column}`, message: 'this category must never be stored' }]);
    if (!canSeeCategory(actor, cat)) throw new StewardError('FORBIDDEN', `map.${column}: records of the category "${category}" are restricted to ${cat.restricted_to_roles?.join(', ')}`);
  }
  if (opts.source !== undefined && !idx.sources.has(opts.source)) {
    throw invalid('source', `"${opts.source}" is not a source in the declaration (declared: ${[...idx.sources].join(', ')})`);
  }
  for (const pid of opts.purposes ?? []) {
    const p = idx.purposes.get(pid);
    if (!p) throw invalid('purposes', `"${pid}" is not a purpose in the declaration`);
    if (!p.relationships.some((r) => relIds.includes(r))) throw invalid('purposes', `the purpose "${pid}" is not for ${opts.relationship}s`);
  }
  const resolve: Resolve = (category) => {
    const usable = [...idx.purposes.values()].filter((p) => p.categories.includes(category.id) && p.relationships.some((r) => relIds.includes(r)));
    const purposes = opts.purposes ? opts.purposes.filter((pid) => usable.some((p) => p.id === pid)) : defaultPurposes(ctx.policy, category.id, relIds, 'purposes', 'name the purposes it was collected for (--purpose)');
    if (purposes.length === 0) {
      throw invalid(
        `purposes`,
        opts.purposes
          ? `none of the purposes ${opts.purposes.join(', ')} uses "${category.id}": name a purpose that does, or leave the column out`
          : `no declared purpose uses "${category.id}" for a ${opts.relationship}; declare one, or leave the column out`,
      );
    }
    const source = opts.source ?? purposes.map((pid) => idx.purposes.get(pid)?.sources?.[0]).find((s) => s !== undefined);
    if (!source) throw invalid('source', `say where the "${category.id}" data came from (--source, a source id from the declaration)`);
    return { purposes, source };
  };
  return { rels, relIds, resolve };
}

/** Maps the file's columns to categories: a mapped column, or one named after a category. */
function planColumns(ctx: RegisterContext, opts: ImportOptions, headers: string[], resolve: Resolve): { columns: ColumnPlan[]; ignored: string[] } {
  const idx = policyIndex(ctx.policy);
  const map = opts.map ?? {};
  for (const column of Object.keys(map)) {
    if (!headers.includes(column)) throw invalid(`map.${column}`, `the file has no column "${column}" (its columns: ${headers.map((h, i) => `"${safeColumnLabel(h, i + 1)}"`).join(', ')})`);
  }
  const columns: ColumnPlan[] = [];
  const ignored: string[] = [];
  headers.forEach((column, i) => {
    const label = safeColumnLabel(column, i + 1);
    const category = idx.categories.get(map[column] ?? column);
    if (!category) {
      ignored.push(label);
      return;
    }
    if (category.storage === 'never') {
      throw new StewardError('FORBIDDEN_DATA', `column "${label}": the declaration says "${category.name}" is never stored; remove the column`, [
        { path: label, message: 'this category must never be stored' },
      ]);
    }
    columns.push({ column, label, category, ...resolve(category) });
  });
  if (columns.length === 0) {
    throw invalid(
      'columns',
      `no column is a declared data category: name columns after categories (${[...idx.categories.keys()].join(', ')}) or map them with --map "column=category"`,
    );
  }
  return { columns, ignored };
}

interface PreparedRow {
  line: number;
  records: Array<ReturnType<typeof prepareRecord>>;
  /** Keys ("field:digest") to match this row on: its e-mail addresses, or else its phone numbers. */
  matchOn: string[];
  /** Every identifier key of the row, to catch later rows of the same batch. */
  identifiers: string[];
}

/**
 * The reason a row was refused, from the typed error. Messages name fields, not values; as a
 * second line of defence a reason containing any of the row's values is replaced by one that
 * names only the column and the error code.
 */
function reasonFor(e: StewardError, label: string, row: Record<string, string>): string {
  const detail = e.details[0]?.message;
  const reason = detail ? `column "${label}": ${detail}` : e.message;
  const lower = reason.toLowerCase();
  for (const v of Object.values(row)) {
    const t = v.trim().toLowerCase();
    if (t.length >= 4 && lower.includes(t)) return `column "${label}": refused (${e.code})`;
  }
  return reason;
}

/**
 * Imports rows as new data subjects with one relationship. Returns counts and the rejected rows;
 * throws (having committed every earlier batch) if the source or the database fails.
 */
export async function importSubjects(
  ctx: RegisterContext,
  actor: Actor,
  source: AsyncIterable<ImportRow> | Iterable<ImportRow>,
  opts: ImportOptions,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportSummary> {
  authorise(actor, 'subjects:write');
  const batchSize = Math.floor(opts.batchSize ?? IMPORT_DEFAULTS.batchSize);
  if (!(batchSize >= 1 && batchSize <= IMPORT_DEFAULTS.maxBatchSize)) throw invalid('batchSize', `must be from 1 to ${IMPORT_DEFAULTS.maxBatchSize}`);
  const maxRejections = opts.maxRejections ?? IMPORT_DEFAULTS.maxRejections;
  const { rels, relIds, resolve } = planCategories(ctx, actor, opts);
  const indexer = ctx.keyring.indexer;
  const importId = randomUUID();

  const summary: ImportSummary = {
    importId,
    relationship: opts.relationship,
    rows: 0,
    created: 0,
    matched: 0,
    rejected: 0,
    columns: [],
    ignoredColumns: [],
    unmatchable: 0,
    rejections: [],
    rejectionsOmitted: 0,
  };
  const reject = (line: number, code: ErrorCode, reason: string): void => {
    summary.rejected++;
    if (summary.rejections.length < maxRejections) summary.rejections.push({ line, code, reason });
    else summary.rejectionsOmitted++;
  };

  let columns: ColumnPlan[] | undefined;
  const prepareRow = (item: ImportRow, now: string): PreparedRow | undefined => {
    columns ??= (() => {
      const plan = planColumns(ctx, opts, Object.keys(item.row), resolve);
      summary.columns = plan.columns.map((c) => ({ column: c.label, category: c.category.id }));
      summary.ignoredColumns = plan.ignored;
      return plan.columns;
    })();
    const records: PreparedRow['records'] = [];
    for (const c of columns) {
      // An empty cell means "nothing held in this category", not an empty value.
      const value = item.row[c.column]?.trim();
      if (!value) continue;
      try {
        records.push(prepareRecord(ctx.policy, { category: c.category.id, value, purposes: c.purposes, source: c.source }, relIds, now, c.label));
      } catch (e) {
        if (!isStewardError(e)) throw e;
        reject(item.line, e.code, reasonFor(e, c.label, item.row));
        return undefined;
      }
    }
    if (records.length === 0) {
      reject(item.line, 'VALIDATION_FAILED', 'the row has no value in any imported column');
      return undefined;
    }
    const emails: string[] = [];
    const phones: string[] = [];
    for (const r of records) {
      if (!r.identifier || r.identifier.kind === 'other') continue;
      const entry = indexer.index(r.identifier.field, r.identifier.kind, r.identifier.value);
      if (!entry) continue;
      (r.identifier.kind === 'email' ? emails : phones).push(`${r.identifier.field}:${entry.digest}`);
    }
    return { line: item.line, records, matchOn: emails.length > 0 ? emails : phones, identifiers: [...emails, ...phones] };
  };

  /**
   * A batch goes in two steps. Outside any transaction: drop rows that repeat an identifier of an
   * earlier row of the batch or of someone already stored, and build the rest (the encryption, the
   * bulk of the work). Then one transaction checks again — a batch still being committed, or
   * another writer, may have added someone since — and inserts what is still new, with its audit
   * entries. While one batch commits, the next is read and built: on PostgreSQL the CPU work
   * overlaps the round trips; on SQLite, whose driver is synchronous, it simply runs in turn.
   */
  interface Built {
    rows: Array<{ row: PreparedRow; subject: SubjectRows }>;
    matched: number;
  }
  const build = async (rows: PreparedRow[]): Promise<Built> => {
    const stored = await existingIdentifiers(ctx.database.db, ctx.database.adapter.maxParameters, rows.flatMap((r) => r.matchOn));
    const now = ctx.clock.now().toISOString();
    const out: Built = { rows: [], matched: 0 };
    for (const r of rows) {
      if (r.matchOn.some((k) => stored.has(k))) {
        out.matched++;
        continue;
      }
      // Later rows of this batch match this one; later batches find it in the database.
      for (const k of r.identifiers) stored.add(k);
      const subject = buildSubjectRows(ctx, actor, rels, r.records, now, 'subject.import');
      subject.audit.details = { ...subject.audit.details, import: importId, line: r.line };
      out.rows.push({ row: r, subject });
    }
    return out;
  };
  const commit = async (built: Built): Promise<void> => {
    const result = await writeTx(ctx, async (trx) => {
      const keys = built.rows.flatMap((b) => b.row.matchOn);
      const stored = keys.length > 0 ? await existingIdentifiers(trx, ctx.database.adapter.maxParameters, keys) : new Set<string>();
      const fresh = stored.size === 0 ? built.rows : built.rows.filter((b) => !b.row.matchOn.some((k) => stored.has(k)));
      const subjects = fresh.map((b) => b.subject);
      await insertSubjectRows(trx, ctx.database.adapter.maxParameters, subjects);
      await appendAudit(trx, ctx, actor, subjects.map((x) => x.audit));
      return { created: fresh.length, matched: built.matched + built.rows.length - fresh.length, unmatchable: fresh.filter((b) => b.row.matchOn.length === 0).length };
    });
    summary.created += result.created;
    summary.matched += result.matched;
    summary.unmatchable += result.unmatchable;
  };

  const progress = (): ImportProgress => ({ rows: summary.rows, created: summary.created, matched: summary.matched, rejected: summary.rejected });
  let committing: Promise<void> | undefined;
  const settle = async (): Promise<void> => {
    const p = committing;
    committing = undefined;
    if (p) {
      await p;
      onProgress?.(progress());
    }
  };
  // onProgress: after each batch is committed (rows counts every row read so far), and at the end.
  const flush = async (rows: PreparedRow[]): Promise<void> => {
    const built = await build(rows);
    await settle();
    committing = commit(built);
    // Awaited by the next settle(); until then a failure must not count as unhandled.
    committing.catch(() => undefined);
  };

  let batch: PreparedRow[] = [];
  let now = ctx.clock.now().toISOString();
  try {
    for await (const item of source) {
      summary.rows++;
      if (item.problem !== undefined) {
        reject(item.line, 'VALIDATION_FAILED', item.problem);
        continue;
      }
      const prepared = prepareRow(item, now);
      if (prepared) batch.push(prepared);
      if (batch.length >= batchSize) {
        const rows = batch;
        batch = [];
        await flush(rows);
        now = ctx.clock.now().toISOString();
      }
    }
    if (batch.length > 0) await flush(batch);
    await settle();
  } finally {
    // Interrupted (the source or a commit failed): let a commit under way finish, so the caller
    // knows that everything before it is stored; the first error is the one reported.
    await committing?.catch(() => undefined);
  }
  onProgress?.(progress());
  return summary;
}

/** Which of the given identifier keys ("field:digest") some subject already has. */
async function existingIdentifiers(trx: Kysely<Tables>, maxParameters: number, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const byField = new Map<string, string[]>();
  for (const k of new Set(keys)) {
    const at = k.lastIndexOf(':');
    const field = k.slice(0, at);
    let list = byField.get(field);
    if (!list) byField.set(field, (list = []));
    list.push(k.slice(at + 1));
  }
  const per = Math.max(1, maxParameters - 10);
  for (const [field, digests] of byField) {
    for (let i = 0; i < digests.length; i += per) {
      const rows = await trx
        .selectFrom('blind_indexes')
        .select('digest')
        .where('kind', '=', field)
        .where('digest', 'in', digests.slice(i, i + per))
        .execute();
      for (const r of rows) found.add(`${field}:${r.digest}`);
    }
  }
  return found;
}
