/**
 * The suppression list: keyed hashes of identifiers (email, phone) that must receive no more
 * marketing on a channel, for one purpose or all of them. An opt-out, an objection to direct
 * marketing (Art 21(3), absolute) and an erasure each add to it. It holds no plaintext, outlives
 * erasure (the hash is under the unversioned suppression key, not the subject's key), and is
 * checked by every audience check and by consent imports, so a suppressed person is never
 * quietly re-imported into marketing (PECR; ICO direct marketing guidance).
 */
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { StewardError } from '../shared/errors.js';
import './consent.tables.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

export const MARKETING_CHANNELS = ['email', 'phone', 'sms', 'post', 'social'] as const;
export type MarketingChannel = (typeof MARKETING_CHANNELS)[number];
export const isMarketingChannel = (s: string): s is MarketingChannel => (MARKETING_CHANNELS as readonly string[]).includes(s);

/** Every channel, or every purpose. */
export const ALL = '*';

export const SUPPRESSION_REASONS = ['opt-out', 'objection', 'erasure', 'do-not-call', 'import', 'complaint', 'bounce'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export type IdentifierKind = 'email' | 'phone';

export interface Identifier {
  kind: IdentifierKind;
  value: string;
}

export interface SuppressionEntry {
  hash: string;
  /** The identifier's blind-index digest under key version 1, when known (see the migration). */
  lookup: string | null;
  channel: MarketingChannel | typeof ALL;
  scope: string;
}

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/** Which kind of identifier a channel reaches people by ('post' and 'social' are reached by neither, so both count). */
export const kindsForChannel = (channel: string): IdentifierKind[] =>
  channel === 'email' ? ['email'] : channel === 'phone' || channel === 'sms' ? ['phone'] : ['email', 'phone'];

/** A plain identifier's kind, guessed from its shape: an '@' means an email address. */
export const guessKind = (value: string): IdentifierKind => (value.includes('@') ? 'email' : 'phone');

export const HASH = /^[0-9a-f]{64}$/;

/** The blind-index digest under key version 1: what an audience check computes for each recipient anyway. */
export const lookupOf = (ctx: AppContext, kind: IdentifierKind, value: string): string | null => ctx.keyring.indexer.indexAt(kind, kind, value, 1)?.digest ?? null;

/** Suppression entries for identifiers on a channel and scope; identifiers that do not normalise are skipped. */
export function entriesFor(ctx: AppContext, identifiers: readonly Identifier[], channel: MarketingChannel | typeof ALL, scope: string): SuppressionEntry[] {
  const kinds = channel === ALL ? ['email', 'phone'] : kindsForChannel(channel);
  const out = new Map<string, SuppressionEntry>();
  for (const id of identifiers) {
    if (!kinds.includes(id.kind)) continue;
    const hash = ctx.keyring.indexer.suppressionHash(id.kind, id.value);
    if (hash) out.set(`${hash}|${channel}|${scope}`, { hash, lookup: lookupOf(ctx, id.kind, id.value), channel, scope });
  }
  return [...out.values()];
}

/** Inserts entries not already on the list, inside the caller's write transaction. Returns how many were new. */
export async function insertSuppressions(trx: Kysely<Tables>, ctx: AppContext, actor: Actor, entries: readonly SuppressionEntry[], reason: SuppressionReason): Promise<number> {
  if (entries.length === 0) return 0;
  const now = ctx.clock.now().toISOString();
  let added = 0;
  const per = Math.max(1, Math.floor(ctx.database.adapter.maxParameters / 7));
  for (let i = 0; i < entries.length; i += per) {
    const chunk = entries.slice(i, i + per);
    // Count what is already there, so the answer is exact on both databases without RETURNING.
    const existing = await existingKeys(trx, chunk);
    const fresh = chunk.filter((e) => !existing.has(`${e.hash}|${e.channel}|${e.scope}`));
    if (fresh.length === 0) continue;
    await trx
      .insertInto('suppressions')
      .values(fresh.map((e) => ({ hash: e.hash, lookup: e.lookup, channel: e.channel, scope: e.scope, reason, created_at: now, created_by: actor.id })))
      .onConflict((oc) => oc.columns(['hash', 'channel', 'scope']).doNothing())
      .execute();
    added += fresh.length;
  }
  return added;
}

async function existingKeys(trx: Kysely<Tables>, entries: readonly SuppressionEntry[]): Promise<Set<string>> {
  const hashes = [...new Set(entries.map((e) => e.hash))];
  const rows = await trx.selectFrom('suppressions').select(['hash', 'channel', 'scope']).where('hash', 'in', hashes).execute();
  return new Set(rows.map((r) => `${r.hash}|${r.channel}|${r.scope}`));
}

/**
 * Puts a subject's identifiers (read by the register: register.identifiers.ts) on the suppression
 * list for every channel and purpose, inside the caller's transaction (an erasure's, before the
 * records are deleted). Audited in the same transaction (counts only).
 */
export async function suppressIdentifiers(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  subjectId: string,
  identifiers: readonly Identifier[],
  reason: SuppressionReason,
): Promise<{ added: number; identifiers: number }> {
  const added = await insertSuppressions(trx, ctx, actor, entriesFor(ctx, identifiers, ALL, ALL), reason);
  await appendAudit(trx, ctx, actor, [{ action: 'suppression.add', subjectId, details: { reason, channel: ALL, scope: ALL, identifiers: identifiers.length, added } }]);
  return { added, identifiers: identifiers.length };
}

export function checkScope(ctx: AppContext, scope: string): void {
  if (scope === ALL) return;
  const p = policyIndex(ctx.policy).purposes.get(scope);
  if (!p) throw invalid('scope', `"${scope}" is not a purpose in the declaration (or use "*" for all marketing)`);
}

export function checkChannel(channel: string): asserts channel is MarketingChannel | typeof ALL {
  if (channel !== ALL && !isMarketingChannel(channel)) throw invalid('channel', `must be one of ${MARKETING_CHANNELS.join(', ')} or "*"`);
}

export interface SuppressionView {
  hash: string;
  channel: string;
  scope: string;
  reason: string;
  createdAt: string;
}

/** The whole list, as keyed hashes (never identifiers): to move it to another Steward with the same keys, or to archive. */
export async function exportSuppressions(ctx: AppContext, actor: Actor): Promise<SuppressionView[]> {
  authorise(actor, 'marketing:manage');
  const rows = await ctx.database.db.selectFrom('suppressions').select(['hash', 'channel', 'scope', 'reason', 'created_at']).orderBy('id').execute();
  await writeTx(ctx, (trx) => appendAudit(trx, ctx, actor, [{ action: 'suppression.export', details: { entries: rows.length } }]));
  return rows.map((r) => ({ hash: r.hash, channel: r.channel, scope: r.scope, reason: r.reason, createdAt: r.created_at }));
}

/** Lifts entries for an identifier (privacy roles only): e.g. the person asked to be contacted again. */
export async function liftSuppression(ctx: AppContext, actor: Actor, input: { identifier: string; channel?: string; scope?: string; reason: string }): Promise<{ lifted: number }> {
  authorise(actor, 'marketing:manage');
  if (input.channel !== undefined) checkChannel(input.channel);
  if (input.scope !== undefined) checkScope(ctx, input.scope);
  const s = input.identifier.trim();
  const hash = HASH.test(s.toLowerCase()) ? s.toLowerCase() : ctx.keyring.indexer.suppressionHash(guessKind(s), s);
  if (!hash) throw invalid('identifier', 'is not a valid email address, phone number or suppression hash');
  return writeTx(ctx, async (trx) => {
    let q = trx.deleteFrom('suppressions').where('hash', '=', hash);
    if (input.channel !== undefined) q = q.where('channel', '=', input.channel);
    if (input.scope !== undefined) q = q.where('scope', '=', input.scope);
    const res = await q.executeTakeFirst();
    const lifted = Number(res.numDeletedRows);
    await appendAudit(trx, ctx, actor, [{ action: 'suppression.lift', details: { channel: input.channel ?? ALL, scope: input.scope ?? ALL, lifted, reason: input.reason.slice(0, 200) } }]);
    return { lifted };
  });
}

/** Whether an identifier is suppressed for a channel and purpose (for other features: imports, mailings). */
export async function isSuppressed(db: Kysely<Tables>, ctx: AppContext, identifier: Identifier, channel: MarketingChannel, purpose: string): Promise<boolean> {
  const hash = ctx.keyring.indexer.suppressionHash(identifier.kind, identifier.value);
  if (!hash) return false;
  const row = await db
    .selectFrom('suppressions')
    .select('id')
    .where('hash', '=', hash)
    .where('channel', 'in', [channel, ALL])
    .where('scope', 'in', [purpose, ALL])
    .executeTakeFirst();
  return row !== undefined;
}

/** Which of the given keyed hashes are on the list, on any channel (an import skips such people). */
export async function suppressedAmong(db: Kysely<Tables>, maxParameters: number, hashes: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  const unique = [...new Set(hashes)];
  const per = Math.max(1, maxParameters - 10);
  for (let i = 0; i < unique.length; i += per) {
    for (const r of await db.selectFrom('suppressions').select('hash').distinct().where('hash', 'in', unique.slice(i, i + per)).execute()) out.add(r.hash);
  }
  return out;
}

/**
 * Whether an address or number is on the list, and for what: each entry's channel, purpose scope,
 * reason and date (marketing:check, so staff can look one up before a call). Audited with the
 * answer only, never the identifier.
 */
export async function checkSuppression(ctx: AppContext, actor: Actor, identifier: string): Promise<{ suppressed: boolean; entries: Omit<SuppressionView, 'hash'>[] }> {
  authorise(actor, 'marketing:check');
  const s = identifier.trim();
  const hash = ctx.keyring.indexer.suppressionHash(guessKind(s), s);
  if (!hash) throw invalid('identifier', 'is not a valid email address or phone number');
  const rows = await ctx.database.db.selectFrom('suppressions').select(['channel', 'scope', 'reason', 'created_at']).where('hash', '=', hash).orderBy('id').execute();
  await writeTx(ctx, (trx) => appendAudit(trx, ctx, actor, [{ action: 'suppression.check', details: { entries: rows.length } }]));
  return { suppressed: rows.length > 0, entries: rows.map((r) => ({ channel: r.channel, scope: r.scope, reason: r.reason, createdAt: r.created_at })) };
}
