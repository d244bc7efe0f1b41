/**
 * Adding to the suppression list by hand or by file: identifiers typed in ("told us not to
 * call", an opt-out received by letter), a person's own identifiers (read through the register),
 * or a list imported from a previous system, one identifier or exported hash per line.
 */
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { subjectIdentifiers } from '../register/register.identifiers.js';
import { subjectExists } from '../register/register.repository.js';
import { StewardError } from '../shared/errors.js';
import { ALL, checkChannel, checkScope, entriesFor, guessKind, HASH, insertSuppressions, kindsForChannel, lookupOf, SUPPRESSION_REASONS, type MarketingChannel, type SuppressionEntry, type SuppressionReason } from './suppression.service.js';

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

export interface SuppressInput {
  /** Plain identifiers (an '@' means email, otherwise a phone number) or keyed hashes from an export. */
  identifiers?: string[];
  /** Or a subject: every identifier they have. */
  subjectId?: string;
  channel: string;
  scope?: string;
  reason: SuppressionReason;
}

export interface SuppressResult {
  added: number;
  alreadySuppressed: number;
  rejected: Array<{ index: number; problem: string }>;
}

/** One identifier or hash as suppression entries, or why not. */
function parseLine(ctx: AppContext, raw: string, channel: MarketingChannel | typeof ALL, scope: string): SuppressionEntry[] | string {
  const s = raw.trim();
  if (s === '') return 'empty';
  if (HASH.test(s.toLowerCase())) return [{ hash: s.toLowerCase(), lookup: null, channel, scope }];
  const kind = guessKind(s);
  const hash = ctx.keyring.indexer.suppressionHash(kind, s);
  if (!hash) return `not a valid ${kind === 'email' ? 'email address' : 'phone number'} or suppression hash`;
  // An email address cannot be on a phone-only channel and vice versa: say so rather than store a dead entry.
  if (channel !== ALL && !kindsForChannel(channel).includes(kind)) return `an ${kind === 'email' ? 'email address' : 'phone number'} cannot be suppressed on the ${channel} channel`;
  return [{ hash, lookup: lookupOf(ctx, kind, s), channel, scope }];
}

/**
 * Adds identifiers (or a subject's identifiers) to the list: "told us not to call", an opt-out
 * received by letter, a list imported from a previous system. Anyone who records people may add;
 * only the privacy roles may lift.
 */
export async function suppress(ctx: AppContext, actor: Actor, input: SuppressInput): Promise<SuppressResult> {
  authorise(actor, 'subjects:write');
  checkChannel(input.channel);
  const channel = input.channel;
  const scope = input.scope ?? ALL;
  checkScope(ctx, scope);
  if (!(SUPPRESSION_REASONS as readonly string[]).includes(input.reason)) throw invalid('reason', `must be one of ${SUPPRESSION_REASONS.join(', ')}`);
  if (!input.identifiers?.length && !input.subjectId) throw invalid('identifiers', 'give identifiers or a subject');
  const rejected: SuppressResult['rejected'] = [];
  const entries: SuppressionEntry[] = [];
  (input.identifiers ?? []).forEach((raw, index) => {
    const r = parseLine(ctx, raw, channel, scope);
    if (typeof r === 'string') rejected.push({ index, problem: r });
    else entries.push(...r);
  });
  return writeTx(ctx, async (trx) => {
    if (input.subjectId) {
      if (!(await subjectExists(trx, input.subjectId))) throw new StewardError('NOT_FOUND', `subject ${input.subjectId} was not found`);
      entries.push(...entriesFor(ctx, await subjectIdentifiers(trx, ctx, input.subjectId), channel, scope));
    }
    const unique = [...new Map(entries.map((e) => [`${e.hash}|${e.channel}|${e.scope}`, e])).values()];
    const added = await insertSuppressions(trx, ctx, actor, unique, input.reason);
    await appendAudit(trx, ctx, actor, [
      { action: 'suppression.add', subjectId: input.subjectId, details: { reason: input.reason, channel, scope, entries: unique.length, added, rejected: rejected.length } },
    ]);
    return { added, alreadySuppressed: unique.length - added, rejected };
  });
}

/** Imports a list: one plain identifier or exported hash per line. */
export async function importSuppressions(
  ctx: AppContext,
  actor: Actor,
  lines: readonly string[],
  opts: { channel: string; scope?: string; reason?: SuppressionReason },
): Promise<SuppressResult & { lines: number }> {
  authorise(actor, 'marketing:manage');
  const nonEmpty = lines.map((l, i) => ({ l, i })).filter((x) => x.l.trim() !== '' && !x.l.trim().startsWith('#'));
  const r = await suppress(ctx, actor, { identifiers: nonEmpty.map((x) => x.l), channel: opts.channel, scope: opts.scope || undefined, reason: opts.reason ?? 'import' });
  // Report file lines (1-based), not positions among the non-empty ones.
  return { ...r, rejected: r.rejected.map((x) => ({ index: nonEmpty[x.index]!.i + 1, problem: x.problem })), lines: lines.length };
}
