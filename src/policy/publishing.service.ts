/**
 * Publishing the privacy notice: an act with a record, not a side effect of starting a server.
 *
 * A publication names one declaration by its content hash (stored once in policy_versions), who
 * published it and when, its lint counts, and a summary of what changed since the publication
 * before. A declaration with lint errors is refused unless the publisher forces it and says why;
 * the reason is kept. `/privacy` serves the latest publication; before the first one it serves
 * the loaded declaration marked "Draft — not published". Consent records, request letters and
 * access packs cite the version in force (versionInForce).
 */
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import type { Actor } from '../auth/roles.js';
import { assertNoCardData } from '../crypto/card-detect.js';
import type { Tables } from '../db/tables.js';
import { StewardError } from '../shared/errors.js';
import type { Finding } from './lint.types.js';
import { lintPolicy } from './policy.lint.js';
import type { LoadedPolicy } from './policy.loader.js';
import type { Policy } from './policy.schema.js';
import './publishing.tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

export const REASON_MAX = 1000;

export interface Publication {
  id: number;
  versionId: number;
  hash: string;
  effectiveDate: string;
  publishedAt: string;
  publishedBy: string;
  /** Why a declaration with lint errors was published anyway; null when it had none. */
  forcedReason: string | null;
  errors: number;
  warnings: number;
  /** What changed since the previous publication, one line each. */
  changes: string[];
}

/** The notice version people were shown at a moment: the latest publication, or the unpublished draft. */
export interface VersionInForce {
  /** The publication id; null when nothing has been published yet (people saw the draft). */
  publicationId: number | null;
  hash: string;
  effectiveDate: string;
  published: boolean;
}

type PublicationRow = Tables['policy_publications'];

const toPublication = (r: PublicationRow & { id: number }): Publication => ({
  id: Number(r.id),
  versionId: Number(r.version_id),
  hash: r.hash,
  effectiveDate: r.effective_date,
  publishedAt: r.published_at,
  publishedBy: r.published_by,
  forcedReason: r.forced_reason,
  errors: Number(r.errors),
  warnings: Number(r.warnings),
  changes: JSON.parse(r.changes) as string[],
});

/** Only the people answerable for the notice publish it: the owner and the privacy officer. */
export function assertMayPublish(actor: Actor): void {
  if (actor.role !== 'owner' && actor.role !== 'dpo') {
    throw new StewardError('FORBIDDEN', `the ${actor.role} role may not publish the privacy notice (owner or dpo only)`);
  }
}

export async function currentPublication(db: Kysely<Tables>): Promise<Publication | undefined> {
  const row = await db.selectFrom('policy_publications').selectAll().orderBy('published_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? toPublication(row as PublicationRow & { id: number }) : undefined;
}

/** Newest first. */
export async function listPublications(db: Kysely<Tables>): Promise<Publication[]> {
  const rows = await db.selectFrom('policy_publications').selectAll().orderBy('published_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map((r) => toPublication(r as PublicationRow & { id: number }));
}

export async function findPublication(db: Kysely<Tables>, id: number): Promise<Publication | undefined> {
  if (!Number.isSafeInteger(id) || id < 1) return undefined;
  const row = await db.selectFrom('policy_publications').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toPublication(row as PublicationRow & { id: number }) : undefined;
}

/**
 * The declaration a publication published, as a LoadedPolicy the notice renderer takes. It is
 * the validated declaration stored at the time, so later schema defaults do not rewrite history;
 * positions in a file no longer exist, so nothing can be located.
 */
export async function publishedDeclaration(db: Kysely<Tables>, p: Publication): Promise<LoadedPolicy> {
  const row = await db.selectFrom('policy_versions').select(['content', 'file_name']).where('id', '=', p.versionId).executeTakeFirstOrThrow();
  return { policy: JSON.parse(row.content) as Policy, file: row.file_name, hash: p.hash, locate: () => undefined };
}

export async function versionInForce(db: Kysely<Tables>, loaded: LoadedPolicy): Promise<VersionInForce> {
  const p = await currentPublication(db);
  return p
    ? { publicationId: p.id, hash: p.hash, effectiveDate: p.effectiveDate, published: true }
    : { publicationId: null, hash: loaded.hash, effectiveDate: loaded.policy.notice.effective_date, published: false };
}

export interface PublishOptions {
  force?: boolean;
  reason?: string;
}

export interface PublishResult {
  publication: Publication;
  /** True when this declaration already was the one in force: nothing new was recorded. */
  alreadyInForce: boolean;
  findings: Finding[];
}

const count = (findings: readonly Finding[], s: Finding['severity']): number => findings.filter((f) => f.severity === s).length;

/**
 * Publishes the loaded declaration. Refuses (CONFLICT) a declaration with lint errors unless
 * `force` is given with a reason, which is recorded with the publication and in the audit trail.
 */
export async function publishNotice(ctx: AppContext, actor: Actor, opts: PublishOptions = {}): Promise<PublishResult> {
  assertMayPublish(actor);
  const loaded = ctx.policy;
  const findings = lintPolicy(loaded);
  const errors = count(findings, 'error');
  const warnings = count(findings, 'warning');
  const reason = opts.reason === undefined ? undefined : String(opts.reason).trim();
  if (reason !== undefined) {
    if (reason.length > REASON_MAX) throw new StewardError('VALIDATION_FAILED', `reason: is longer than ${REASON_MAX} characters`, [{ path: 'reason', message: 'too long' }]);
    assertNoCardData({ reason });
  }
  if (errors > 0 && !opts.force) {
    throw new StewardError(
      'CONFLICT',
      `the declaration has ${errors} lint error(s), so its notice would promise what it does not declare or break the law: fix them (steward policy check), or publish with --force and a --reason`,
      findings.filter((f) => f.severity === 'error').slice(0, 20).map((f) => ({ path: f.path, message: `${f.rule}: ${f.message}` })),
    );
  }
  if (opts.force && errors > 0 && !reason) {
    throw new StewardError('VALIDATION_FAILED', 'reason: publishing a declaration with errors needs a reason, which is recorded', [{ path: 'reason', message: 'required with force' }]);
  }
  const now = ctx.clock.now().toISOString();
  return writeTx(ctx, async (trx) => {
    const current = await currentPublication(trx);
    if (current?.hash === loaded.hash) return { publication: current, alreadyInForce: true, findings };
    const versionId = await storeVersion(trx, loaded, now);
    const previous = current ? (await publishedDeclaration(trx, current)).policy : undefined;
    const changes = describeChanges(previous, loaded.policy);
    await trx
      .insertInto('policy_publications')
      .values({
        version_id: versionId,
        hash: loaded.hash,
        effective_date: loaded.policy.notice.effective_date,
        published_at: now,
        published_by: actor.id,
        forced_reason: errors > 0 ? reason! : null,
        errors,
        warnings,
        changes: JSON.stringify(changes),
      })
      .execute();
    // The newest row under the write lock is ours (no RETURNING: kept to what both dialects share).
    const inserted = await trx.selectFrom('policy_publications').select('id').where('hash', '=', loaded.hash).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    await appendAudit(trx, ctx, actor, [
      { action: 'policy.publish', details: { publication: Number(inserted.id), version: versionId, hash: loaded.hash, errors, warnings, forced: errors > 0 } },
    ]);
    const publication = await findPublication(trx, Number(inserted.id));
    return { publication: publication!, alreadyInForce: false, findings };
  });
}

/** The declaration's content, stored once per hash; its id. */
async function storeVersion(trx: Kysely<Tables>, loaded: LoadedPolicy, now: string): Promise<number> {
  const existing = await trx.selectFrom('policy_versions').select('id').where('hash', '=', loaded.hash).executeTakeFirst();
  if (existing) return Number(existing.id);
  await trx
    .insertInto('policy_versions')
    .values({
      hash: loaded.hash,
      effective_date: loaded.policy.notice.effective_date,
      file_name: loaded.file.split(/[\\/]/).pop() ?? loaded.file,
      organisation: loaded.policy.organisation.name,
      content: JSON.stringify(loaded.policy),
      first_loaded_at: now,
    })
    .execute();
  const row = await trx.selectFrom('policy_versions').select('id').where('hash', '=', loaded.hash).executeTakeFirstOrThrow();
  return Number(row.id);
}

const SECTION_WORDS: Record<string, string> = {
  organisation: 'who we are and how to reach us',
  notice: 'the notice itself',
  relationships: 'the groups of people',
  data_categories: 'the kinds of personal data',
  sources: 'where data comes from',
  recipients: 'who receives data',
  transfers: 'transfers outside the UK',
  retention: 'how long data is kept',
  purposes: 'uses of data and lawful bases',
  cookies: 'cookies',
  rights: 'how to use your rights',
  security_measures: 'security measures',
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const named = (x: Record<string, unknown>): string => String(x.name ?? x.description ?? x.id);

/**
 * What changed between two declarations, in words, per part of the declaration: lists of entries
 * with ids are compared entry by entry, anything else as a whole. Generic over the keys present,
 * so parts added to the format later are described too.
 */
export function describeChanges(before: Policy | undefined, after: Policy): string[] {
  if (!before) return ['First published version.'];
  const out: string[] = [];
  if (before.notice.effective_date !== after.notice.effective_date) out.push(`Effective date changed from ${before.notice.effective_date} to ${after.notice.effective_date}.`);
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => k !== 'version');
  for (const key of keys) {
    const x = b[key];
    const y = a[key];
    if (same(x, y)) continue;
    const label = SECTION_WORDS[key] ?? key.replace(/_/g, ' ');
    const entries = (v: unknown): Map<string, Record<string, unknown>> | undefined =>
      Array.isArray(v) && v.every((e) => e && typeof e === 'object' && typeof (e as { id?: unknown }).id === 'string')
        ? new Map((v as Array<Record<string, unknown>>).map((e) => [e.id as string, e]))
        : undefined;
    const xs = entries(x ?? []);
    const ys = entries(y ?? []);
    if (xs && ys) {
      const added = [...ys.keys()].filter((id) => !xs.has(id)).map((id) => named(ys.get(id)!));
      const removed = [...xs.keys()].filter((id) => !ys.has(id)).map((id) => named(xs.get(id)!));
      const changed = [...ys.keys()].filter((id) => xs.has(id) && !same(xs.get(id), ys.get(id))).map((id) => named(ys.get(id)!));
      const parts = [
        added.length ? `added ${added.map((n) => `"${n}"`).join(', ')}` : '',
        removed.length ? `removed ${removed.map((n) => `"${n}"`).join(', ')}` : '',
        changed.length ? `changed ${changed.map((n) => `"${n}"`).join(', ')}` : '',
        !added.length && !removed.length && !changed.length ? 'reordered' : '',
      ].filter(Boolean);
      out.push(`${capitalise(label)}: ${parts.join('; ')}.`);
    } else if (key === 'notice') {
      const nb = (x ?? {}) as Record<string, unknown>;
      const na = (y ?? {}) as Record<string, unknown>;
      const fields = [...new Set([...Object.keys(nb), ...Object.keys(na)])].filter((f) => f !== 'effective_date' && !same(nb[f], na[f]));
      if (fields.length) out.push(`The notice itself: changed ${fields.map((f) => f.replace(/_/g, ' ')).join(', ')}.`);
    } else {
      out.push(`${capitalise(label)}: changed.`);
    }
  }
  return out.length ? out : ['No change to the content.'];
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
