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
import { isCardDataRefusal } from '../crypto/card-detect.js';
import { countCardRefusals } from '../promises/card-refusals.js';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { isStewardError, StewardError, type ErrorCode } from '../shared/errors.js';
import { categoryFields, checkFieldValue, type FieldDef } from './fields.js';
import { planCategories, planColumns, type CategoryUse, type ColumnPlan, type UnmappedColumn } from './import.columns.js';
import { suppressedAmong } from '../consent/suppression.service.js';
import { normaliseEmail, normalisePhone } from '../crypto/blind-index.js';
import { addRecordsIn, updateRecordIn } from './register.service.js';
import { buildSubjectRows, type SubjectRows } from './register.rows.js';
import { decryptRecord } from './record.codec.js';
import { LIMITS, prepareRecord } from './record.prepare.js';
import { insertSubjectRows, loadSubjectKey, recordsOfSubject, subjectState } from './register.repository.js';
import { subjectsByDigests } from './register.queries.js';
import { readTx, writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

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
  /** Column name → "category.field" (or a category id, for its single or primary field), overriding the matching by name. */
  map?: Record<string, string>;
  /** Where the data came from (a declared source id); default: the first source of the purposes. */
  source?: string;
  /** The purposes the records are held for; default: the relationship's default purposes (promises.purposes.ts). */
  purposes?: string[];
  /** Rows per transaction (default 1000). */
  batchSize?: number;
  /** Rejections kept for the report; beyond this they are only counted (default 100 000). */
  maxRejections?: number;
  /** Check every row and report what would happen, writing nothing. */
  dryRun?: boolean;
  /**
   * Lines of the file whose person was erased or is on the suppression list, to add all the same:
   * a deliberate decision, one person at a time (without it they are skipped).
   */
  addLines?: number[];
}

export interface ImportProgress {
  /** Rows read from the source (every row, accepted or not). */
  rows: number;
  created: number;
  /** Matched people whose values changed: updated, audited as rectification. */
  updated: number;
  /** Rows that matched someone already in the register (or earlier in the same file): updated or unchanged. */
  matched: number;
  /** People erased before, or whose identifier is on the suppression list: not re-created. */
  skipped: number;
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
  dryRun: boolean;
  /** Each imported column and the field it fills ("category.field"). */
  columns: Array<{ column: string; category: string; field: string; label: string }>;
  /** Columns not imported, each with the nearest field (or the fields it could mean) to map it with --map. */
  unmapped: UnmappedColumn[];
  /** The unmapped columns' names: their values were not imported. */
  ignoredColumns: string[];
  /**
   * Created people with no identifier to match on: importing the same rows again would create
   * them again.
   */
  unmatchable: number;
  /** The lines skipped as erased or suppressed (add one deliberately with addLines). */
  skippedLines: number[];
  rejections: ImportRejection[];
  /** Rejections counted but not listed (beyond maxRejections). */
  rejectionsOmitted: number;
}

export const IMPORT_DEFAULTS = { batchSize: 1000, maxBatchSize: 20_000, maxRejections: 100_000 };

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

interface PreparedRow {
  line: number;
  records: Array<ReturnType<typeof prepareRecord>>;
  /** Keys ("field:digest") to match this row on: its e-mail addresses, or else its phone numbers, or else other identifiers. */
  matchOn: string[];
  /** Every identifier key of the row, to catch later rows of the same batch. */
  identifiers: string[];
  /** Keyed hashes of its e-mail addresses and phone numbers, to check against the suppression list. */
  suppression: string[];
  /** The person may be added even if erased or suppressed (addLines). */
  deliberate: boolean;
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

/** A cell an export neutralised ('=…) reads back as written; other cells are trimmed. */
const cellValue = (raw: string | undefined): string | undefined => {
  const v = raw?.trim();
  if (!v) return undefined;
  return /^'[=+\-@]/.test(v) ? v.slice(1) : v;
};

/**
 * Imports rows as people with one relationship. A row whose identifier is already in the
 * register updates that person's changed values; a row of someone erased or suppressed is
 * skipped. Returns counts and the refused rows; throws (having committed every earlier batch) if
 * the source or the database fails.
 */
export async function importSubjects(
  ctx: AppContext,
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
  const dryRun = opts.dryRun === true;
  const deliberate = new Set(opts.addLines ?? []);

  const summary: ImportSummary = {
    importId,
    relationship: opts.relationship,
    dryRun,
    rows: 0,
    created: 0,
    updated: 0,
    matched: 0,
    skipped: 0,
    rejected: 0,
    columns: [],
    unmapped: [],
    ignoredColumns: [],
    unmatchable: 0,
    skippedLines: [],
    rejections: [],
    rejectionsOmitted: 0,
  };
  // Rows refused for holding card data, counted for the promises board once the import ends.
  let cardRefusals = 0;
  const reject = (line: number, code: ErrorCode, reason: string): void => {
    summary.rejected++;
    if (summary.rejections.length < maxRejections) summary.rejections.push({ line, code, reason });
    else summary.rejectionsOmitted++;
  };

  let columns: ColumnPlan[] | undefined;
  let byCategory: Array<{ category: DataCategory; columns: ColumnPlan[]; use: CategoryUse }> = [];
  const prepareRow = (item: ImportRow, now: string): PreparedRow | undefined => {
    if (!columns) {
      const plan = planColumns(ctx, actor, opts, Object.keys(item.row), resolve);
      columns = plan.columns;
      summary.columns = plan.columns.map((c) => ({ column: c.label, category: c.category.id, field: c.field.id, label: c.field.label }));
      summary.unmapped = plan.unmapped;
      summary.ignoredColumns = plan.unmapped.map((u) => u.column);
      const groups = new Map<string, ColumnPlan[]>();
      for (const c of columns) groups.set(c.category.id, [...(groups.get(c.category.id) ?? []), c]);
      byCategory = [...groups.values()].map((cols) => ({ category: cols[0]!.category, columns: cols, use: resolve(cols[0]!.category) }));
    }
    const records: PreparedRow['records'] = [];
    for (const g of byCategory) {
      const fields: Record<string, string> = {};
      for (const c of g.columns) {
        // An empty cell means "not held", not an empty value.
        const value = cellValue(item.row[c.column]);
        if (value === undefined) continue;
        const problem = value.length > LIMITS.valueChars ? `is longer than ${LIMITS.valueChars} characters` : checkFieldValue(c.field, value);
        if (problem) {
          reject(item.line, 'VALIDATION_FAILED', `column "${c.label}": ${problem}`);
          return undefined;
        }
        fields[c.field.id] = value;
      }
      if (Object.keys(fields).length === 0) continue;
      try {
        records.push(prepareRecord(ctx.policy, { category: g.category.id, fields, purposes: g.use.purposes, source: g.use.source }, relIds, now, g.category.id));
      } catch (e) {
        if (!isStewardError(e)) throw e;
        if (isCardDataRefusal(e)) cardRefusals++;
        const path = e.details[0]?.path ?? '';
        const col = g.columns.find((c) => path.endsWith(`.${c.field.id}`)) ?? g.columns[0]!;
        reject(item.line, e.code, reasonFor(e, col.label, item.row));
        return undefined;
      }
    }
    if (records.length === 0) {
      reject(item.line, 'VALIDATION_FAILED', 'the row has no value in any imported column');
      return undefined;
    }
    const emails: string[] = [];
    const phones: string[] = [];
    const others: string[] = [];
    const suppression: string[] = [];
    for (const r of records) {
      for (const id of r.identifiers) {
        const entry = indexer.index(id.field, id.kind, id.value);
        if (!entry) continue;
        (id.kind === 'email' ? emails : id.kind === 'phone' ? phones : others).push(`${id.field}:${entry.digest}`);
        if (id.kind !== 'other') {
          const h = indexer.suppressionHash(id.kind, id.value);
          if (h) suppression.push(h);
        }
      }
    }
    const matchOn = emails.length > 0 ? emails : phones.length > 0 ? phones : others;
    return { line: item.line, records, matchOn, identifiers: [...emails, ...phones, ...others], suppression, deliberate: deliberate.has(item.line) };
  };

  /**
   * A batch goes in two steps. Outside any transaction: sort rows into people already stored (to
   * update), people erased or suppressed (skipped), repeats of an earlier row, and new people,
   * built here (the encryption, the bulk of the work). Then one transaction checks again — a
   * batch still being committed, or another writer, may have added someone since — inserts what
   * is still new, updates what changed, with its audit entries.
   */
  interface Built {
    rows: Array<{ row: PreparedRow; subject: SubjectRows | undefined }>;
    updates: Array<{ row: PreparedRow; subjectId: string }>;
    matched: number;
  }
  const build = async (rows: PreparedRow[]): Promise<Built> => {
    const db = ctx.database.db;
    const stored = await existingIdentifiers(db, ctx.database.adapter.maxParameters, rows.flatMap((r) => r.matchOn));
    const suppressed = await suppressedAmong(db, ctx.database.adapter.maxParameters, rows.filter((r) => !r.deliberate).flatMap((r) => r.suppression));
    const now = ctx.clock.now().toISOString();
    const out: Built = { rows: [], updates: [], matched: 0 };
    const seen = new Set<string>();
    for (const r of rows) {
      const existing = r.matchOn.map((k) => stored.get(k)).find((x) => x !== undefined);
      if (existing) {
        out.updates.push({ row: r, subjectId: existing });
        continue;
      }
      if (r.matchOn.some((k) => seen.has(k))) {
        out.matched++;
        continue;
      }
      if (!r.deliberate && r.suppression.some((h) => suppressed.has(h))) {
        summary.skipped++;
        if (summary.skippedLines.length < maxRejections) summary.skippedLines.push(r.line);
        continue;
      }
      // Later rows of this batch match this one; later batches find it in the database.
      for (const k of r.identifiers) seen.add(k);
      if (dryRun) {
        out.rows.push({ row: r, subject: undefined });
        continue;
      }
      const subject = buildSubjectRows(ctx, actor, rels, r.records, now, 'subject.import');
      subject.audit.details = { ...subject.audit.details, import: importId, line: r.line, ...(r.deliberate ? { deliberate: true } : {}) };
      out.rows.push({ row: r, subject });
    }
    return out;
  };
  const commit = async (built: Built): Promise<void> => {
    if (dryRun) {
      summary.created += built.rows.length;
      // The dry run tells which matched people would be updated, comparing as the real run does.
      if (built.updates.length > 0) {
        await readTx(ctx, async (trx) => {
          for (const u of built.updates) if (await upkeep(trx, ctx, actor, u.subjectId, u.row, importId, reject, true)) summary.updated++;
        });
      }
      summary.matched += built.matched + built.updates.length;
      summary.unmatchable += built.rows.filter((b) => b.row.matchOn.length === 0).length;
      return;
    }
    const result = await writeTx(ctx, async (trx) => {
      const keys = built.rows.flatMap((b) => b.row.matchOn);
      const stored = keys.length > 0 ? await existingIdentifiers(trx, ctx.database.adapter.maxParameters, keys) : new Map<string, string>();
      const fresh = stored.size === 0 ? built.rows : built.rows.filter((b) => !b.row.matchOn.some((k) => stored.has(k)));
      const subjects = fresh.map((b) => b.subject!);
      await insertSubjectRows(trx, ctx.database.adapter.maxParameters, subjects);
      await appendAudit(trx, ctx, actor, subjects.map((x) => x.audit));
      let updated = 0;
      for (const u of built.updates) {
        if (await upkeep(trx, ctx, actor, u.subjectId, u.row, importId, reject)) updated++;
      }
      return { created: fresh.length, updated, matched: built.matched + built.updates.length + built.rows.length - fresh.length, unmatchable: fresh.filter((b) => b.row.matchOn.length === 0).length };
    });
    summary.created += result.created;
    summary.updated += result.updated;
    summary.matched += result.matched;
    summary.unmatchable += result.unmatchable;
  };

  const progress = (): ImportProgress => ({ rows: summary.rows, created: summary.created, updated: summary.updated, matched: summary.matched, skipped: summary.skipped, rejected: summary.rejected });
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
  if (!dryRun) await countCardRefusals(ctx.database.db, 'import', ctx.clock.now(), cardRefusals);
  return summary;
}

/**
 * Re-import as upkeep: the row's values for each category are compared with the person's record
 * of that category; changed fields are updated (audited as rectification with digests), a
 * category the person has no record of is added, unchanged values are left alone. Returns
 * whether anything changed. A restricted person (Art 18) is not changed: the row is refused.
 */
async function upkeep(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  subjectId: string,
  row: PreparedRow,
  importId: string,
  reject: (line: number, code: ErrorCode, reason: string) => void,
  /** Only say whether anything would change; write nothing. */
  dryRun = false,
): Promise<boolean> {
  const subject = await subjectState(trx, subjectId);
  if (subject?.restricted) {
    reject(row.line, 'RESTRICTED', 'the person is restricted (Art 18): their data may only be stored, so the import leaves it unchanged');
    return false;
  }
  const cats = row.records.map((r) => r.category.id);
  const stored = await recordsOfSubject(trx, subjectId, { categories: cats, kind: 'value', order: 'created' });
  const dek = stored.length > 0 ? await loadSubjectKey(ctx, trx, subjectId) : undefined;
  let changed = false;
  const added: typeof row.records = [];
  for (const r of row.records) {
    const current = stored.find((s) => s.category === r.category.id);
    if (!current || !dek) {
      added.push(r);
      continue;
    }
    const view = decryptRecord(dek, current, ctx.policy);
    const diff: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.values ?? {})) {
      const held = view.fields?.find((f) => f.id === k)?.value;
      if (held !== undefined && sameValue(categoryFields(r.category).find((f) => f.id === k), held, v)) continue;
      diff[k] = v;
    }
    if (Object.keys(diff).length === 0) continue;
    if (dryRun) {
      changed = true;
      continue;
    }
    const result = await updateRecordIn(trx, ctx, actor, current.id, { fields: diff }, undefined, { import: importId, line: row.line });
    changed ||= result.changed;
  }
  if (added.length > 0) {
    if (!dryRun) await addRecordsIn(trx, ctx, actor, subjectId, added, { import: importId, line: row.line });
    changed = true;
  }
  return changed;
}

/** Whether a held value and an imported one are the same: email addresses and phone numbers compared as normalised. */
function sameValue(def: FieldDef | undefined, held: string, given: string): boolean {
  if (held === given) return true;
  if (def?.type === 'email') return normaliseEmail(held) !== undefined && normaliseEmail(held) === normaliseEmail(given);
  if (def?.type === 'phone') return normalisePhone(held) !== undefined && normalisePhone(held) === normalisePhone(given);
  return false;
}

/** Which of the given identifier keys ("field:digest") some subject already has, with that subject's id. */
async function existingIdentifiers(trx: Kysely<Tables>, maxParameters: number, keys: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const byField = new Map<string, string[]>();
  for (const k of new Set(keys)) {
    const at = k.lastIndexOf(':');
    const field = k.slice(0, at);
    let list = byField.get(field);
    if (!list) byField.set(field, (list = []));
    list.push(k.slice(at + 1));
  }
  for (const [field, digests] of byField) {
    for (const [digest, subjectId] of await subjectsByDigests(trx, maxParameters, field, digests)) found.set(`${field}:${digest}`, subjectId);
  }
  return found;
}
