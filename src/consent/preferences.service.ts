/**
 * What the public can do without an account: unsubscribe by a signed link (RFC 8058), and see and
 * change their marketing choices on the preference page after proving they control their email
 * address with a code sent to it. Answers never reveal whether an address is in the register:
 * asking for a code gets the same reply either way, and a code is only ever mailed to an address
 * we hold.
 */
import { appendAudit } from '../audit/audit.service.js';
import type { Actor } from '../auth/roles.js';
import { StewardError } from '../shared/errors.js';
import { spendCode } from '../kernel/email-codes.js';
import { holdersOf, relationshipRowsOf, subjectStatus } from '../register/subject-lookups.js';
import { consentStates, objectToDirectMarketing, recordConsent } from './consent.service.js';
import { readUnsubscribeToken, signToken, verifyToken } from './links.js';
import type { LinkOutcome } from './renewal.service.js';
import { entriesFor, insertSuppressions, isMarketingChannel, MARKETING_CHANNELS, type MarketingChannel } from './suppression.service.js';
import { subjectIdentifiers } from '../register/register.identifiers.js';
import type { Purpose } from '../policy/policy.schema.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { publicActor } from '../kernel/actors.js';

export const SESSION_TTL_MS = 30 * 60_000;

/**
 * One-click unsubscribe: withdraws the consent for the purpose and channel in the link, and puts
 * the person's identifiers for that channel on the suppression list. Safe to repeat.
 */
export async function unsubscribeByLink(rt: AppContext, token: string, ip?: string): Promise<LinkOutcome> {
  const claim = readUnsubscribeToken(rt.keyring, token);
  if (!claim || !isMarketingChannel(claim.channel)) return { ok: false, reason: 'invalid' };
  const actor = publicActor('unsubscribe-link', ip);
  const subject = await subjectStatus(rt.database.db, claim.subjectId);
  // Erased: the erasure already suppressed every identifier; nothing is left to change.
  if (!subject || subject.erased) return { ok: true, purpose: claim.purpose, channels: [claim.channel] };
  try {
    await recordConsent(rt, actor, { subjectId: claim.subjectId, purpose: claim.purpose, channels: [claim.channel], action: 'withdrawn', method: 'unsubscribe-link' });
  } catch (e) {
    // The declaration changed since the mail was sent (purpose or channel gone): still honour the
    // opt-out on the suppression list for every marketing purpose on the channel.
    if (!(e instanceof StewardError) || e.code !== 'VALIDATION_FAILED') throw e;
    await writeTx(rt, async (trx) => {
      const added = await insertSuppressions(trx, rt, actor, entriesFor(rt, await subjectIdentifiers(trx, rt, claim.subjectId), claim.channel as MarketingChannel, '*'), 'opt-out');
      await appendAudit(trx, rt, actor, [{ action: 'suppression.add', subjectId: claim.subjectId, details: { reason: 'opt-out', channel: claim.channel, scope: '*', added } }]);
    });
  }
  return { ok: true, purpose: claim.purpose, channels: [claim.channel] };
}

// ——— preference page ———

interface Session {
  /** Blind index digest of the address (to find the people). */
  b: string;
  /** Suppression hash of the address (codes are kept by it). */
  h: string;
  /** Expiry, epoch ms. */
  x: number;
}

function addressKeys(rt: AppContext, email: string): { bi: string; hash: string } | undefined {
  const bi = rt.keyring.indexer.index('email', 'email', email);
  const hash = rt.keyring.indexer.suppressionHash('email', email);
  return bi && hash ? { bi: bi.digest, hash } : undefined;
}

const peopleByDigest = (rt: AppContext, digest: string): Promise<string[]> => holdersOf(rt.database.db, 'email', digest);

/** Whether to mail a preference code: only to an address that belongs to someone in the register. */
export async function knownAddress(rt: AppContext, email: string): Promise<boolean> {
  const keys = addressKeys(rt, email);
  return !!keys && (await peopleByDigest(rt, keys.bi)).length > 0;
}

/**
 * Step 2: a right code (src/kernel/email-codes.ts, purpose "preferences"; mailed only when
 * knownAddress) gives a short-lived signed session; anything else the same refusal.
 */
export async function verifyPreferenceCode(rt: AppContext, email: string, code: string, ip?: string): Promise<string | undefined> {
  const keys = addressKeys(rt, email);
  if (!keys || !(await spendCode(rt, 'preferences', email, code, ip))) return undefined;
  const session: Session = { b: keys.bi, h: keys.hash, x: rt.clock.now().getTime() + SESSION_TTL_MS };
  return signToken(rt.keyring, 'preferences', session);
}

function readSession(rt: AppContext, token: string): Session | undefined {
  const p = verifyToken(rt.keyring, 'preferences', token);
  if (!p || typeof p.b !== 'string' || typeof p.h !== 'string' || typeof p.x !== 'number') return undefined;
  if (p.x <= rt.clock.now().getTime()) return undefined;
  return { b: p.b, h: p.h, x: p.x };
}

export interface PreferenceChoice {
  purpose: string;
  name: string;
  description: string | undefined;
  channel: MarketingChannel;
  /** Whether we may currently contact the person this way for this. */
  on: boolean;
  basis: 'consent' | 'legitimate-interests';
}

function marketingPurposesFor(rt: AppContext, relationships: Set<string>): Purpose[] {
  return [...policyIndex(rt.policy).purposes.values()].filter((p) => p.direct_marketing && p.relationships.some((r) => relationships.has(r)));
}

const channelsOf = (p: Purpose): MarketingChannel[] => (p.channels ?? ['email']).filter((c): c is MarketingChannel => isMarketingChannel(c));

/** Step 3: the person's choices, one per marketing purpose and channel that applies to them. */
export async function preferenceChoices(rt: AppContext, sessionToken: string): Promise<PreferenceChoice[] | undefined> {
  const session = readSession(rt, sessionToken);
  if (!session) return undefined;
  const people = await peopleByDigest(rt, session.b);
  if (people.length === 0) return [];
  const relRows = await relationshipRowsOf(rt.database.db, people, { current: true });
  const rels = new Set(relRows.map((r) => r.relationship));
  const declared = policyIndex(rt.policy).relationships;
  const nowIso = rt.clock.now().toISOString();
  const states = await consentStates(rt.database.db, people, nowIso);
  const supp = await rt.database.db.selectFrom('suppressions').select(['channel', 'scope']).where('hash', '=', session.h).execute();
  const suppressed = (purpose: string, channel: string) => channel === 'email' && supp.some((s) => (s.channel === channel || s.channel === '*') && (s.scope === purpose || s.scope === '*'));
  const out: PreferenceChoice[] = [];
  for (const p of marketingPurposesFor(rt, rels)) {
    const basis = p.lawful_basis === 'consent' ? 'consent' : 'legitimate-interests';
    // PECR: an individual subscriber (the default when unknown) needs consent or the soft opt-in for email and SMS.
    const corporate = relRows
      .filter((r) => p.relationships.includes(r.relationship))
      .every((r) => (r.subscriberType ?? (declared.get(r.relationship)?.subscriber_types?.length === 1 ? declared.get(r.relationship)!.subscriber_types![0] : 'individual')) === 'corporate');
    for (const channel of channelsOf(p)) {
      const mine = states.filter((s) => s.purpose === p.id && s.channel === channel);
      const consented = mine.some((s) => s.status === 'active');
      const withdrawn = mine.some((s) => s.status === 'withdrawn') && !mine.some((s) => s.softOptIn);
      const needsConsent = basis === 'consent' || ((channel === 'email' || channel === 'sms') && !corporate);
      const on = !suppressed(p.id, channel) && (consented || (!needsConsent && !withdrawn) || (basis !== 'consent' && !!p.soft_opt_in && mine.some((s) => s.softOptIn)));
      out.push({ purpose: p.id, name: p.name, description: p.description, channel, on, basis });
    }
  }
  return out;
}

/**
 * Step 4: applies the person's choices. A box newly ticked is a consent given on the preference
 * page (the wording shown is recorded); a box newly cleared is a withdrawal (and an opt-out on
 * the suppression list); "stop all" is an objection to all direct marketing (Art 21(3)).
 */
export async function savePreferences(rt: AppContext, sessionToken: string, wanted: ReadonlySet<string>, stopAll: boolean, ip?: string): Promise<{ changed: number } | undefined> {
  const session = readSession(rt, sessionToken);
  if (!session) return undefined;
  const current = await preferenceChoices(rt, sessionToken);
  if (!current) return undefined;
  const people = await peopleByDigest(rt, session.b);
  const actor = publicActor('preference-page', ip);
  if (stopAll) {
    for (const id of people) await objectToDirectMarketing(rt, actor, id, 'preference-page');
    // The address itself too, in case the person is recorded under another one as well.
    await writeTx(rt, async (trx) => {
      await insertSuppressions(trx, rt, actor, [{ hash: session.h, lookup: rt.keyring.indexer.version === 1 ? session.b : null, channel: '*', scope: '*' }], 'objection');
    });
    return { changed: people.length };
  }
  let changed = 0;
  const rels = new Map<string, Set<string>>();
  for (const r of await relationshipRowsOf(rt.database.db, people)) {
    rels.set(r.subjectId, (rels.get(r.subjectId) ?? new Set()).add(r.relationship));
  }
  for (const c of current) {
    const want = wanted.has(`${c.purpose}:${c.channel}`);
    if (want === c.on) continue;
    for (const id of people) {
      const p = policyIndex(rt.policy).purposes.get(c.purpose)!;
      if (!p.relationships.some((r) => rels.get(id)?.has(r))) continue;
      await recordConsent(rt, actor, {
        subjectId: id,
        purpose: c.purpose,
        channels: [c.channel],
        action: want ? 'given' : 'withdrawn',
        method: 'preference-page',
        wording: want ? `Ticked on the preference page: "Yes, I would like ${c.name} by ${c.channel}".` : undefined,
      });
      changed++;
    }
  }
  return { changed };
}

export { MARKETING_CHANNELS };
