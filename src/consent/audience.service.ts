/**
 * The audience check: before a campaign, every recipient allowed or blocked, with the reason.
 *
 * Set-based so that a million recipients against a million people take a second or two:
 *  - every input is normalised and hashed once, to its blind-index digest; an email list is hashed
 *    from bytes in shared memory on every core (audience-hashing.ts), a big one while this thread
 *    reads the register. The suppression list keeps the same digest beside its own hash, so no
 *    second hash is needed (the suppression hash is computed only for bare-hash entries and TPS);
 *  - the register is read in bulk (src/register/identifier-scans.ts), aggregated by the database
 *    into strings, because moving rows one by one costs more than the scan. For a big list: one
 *    scan of the blind index left-joined to the consent state for the purpose and channel, each entry carrying its
 *    holder's whole profile (consent state, restriction, subscriber type) worked out in SQL, so
 *    this thread only matches digests. SQLite probes the consent state's primary key per entry;
 *    PostgreSQL hash-joins, and did so even with statistics from when the tables were nearly
 *    empty (a million rows estimated at fourteen).
 *    For a small list: probes by chunked IN lists, then the holders' consent states and
 *    relationships, joined here by subject id;
 *  - digests and subject ids are matched in typed-array tables that read the aggregated strings in
 *    place (audience-tables.ts): a string per row is what used to make a million slow;
 *  - the rules run in memory, and one audit entry records the check, with counts only.
 *
 * The rules (audience.rules.ts), for each holder of an address, after the identifier is checked
 * (invalid → blocked), the suppression list (→ blocked, even when erased) and the register (nobody
 * has it → blocked: unknown person); several holders of one address: the strongest answer wins.
 */
import { sql, type Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { StewardError } from '../shared/errors.js';
import { marketingPurpose } from './consent.rules.js';
import type { Tables } from '../db/tables.js';
import { defaultHashWorkers, hashEmails, HASHED, type EmailHashing } from './audience-hashing.js';
import { DigestTable, digestWords } from './audience-tables.js';
import { HolderFacts } from './audience.facts.js';
import { C, campaignFor, decide, P, REASONS, isAllowed, stronger, type Reason } from './audience.rules.js';
import { FastHmac } from './fast-hmac.js';
import { normaliseEmailFast } from './normalise.js';
import { guessKind, type IdentifierKind, type MarketingChannel } from './suppression.service.js';
import { tpsFreshness, type TpsRegister } from './tps.service.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { PROFILED_ENTRY, scanBlindIndexes, type ProfileQuery } from '../register/identifier-scans.js';
import { packedDigestHolders, packedRelationshipHolders, restrictedSubjectIds } from '../register/register.queries.js';

export const AUDIENCE_LIMITS = { recipients: 2_000_000, identifierChars: 320 };

export interface AudienceResult {
  purpose: string;
  channel: MarketingChannel;
  checkedAt: string;
  recipients: number;
  allowed: number;
  blocked: number;
  byReason: Partial<Record<Reason, number>>;
  /** Per input position, an index into REASONS (allowed when below ALLOW_REASONS.length). */
  codes: Uint8Array;
  /** Milliseconds per stage (for benchmarks; never presented). */
  timings: Record<'hash' | 'people' | 'states' | 'relationships' | 'rules' | 'audit', number>;
  tps?: { register: TpsRegister; importedAt: string | null; stale: boolean }[];
}

/** Recipients from which an email list is hashed on worker threads too. */
const WORKER_AT = 100_000;

/** Register entries aggregated into one string at most (about 100 characters each). */
const SCAN_ENTRIES_PER_QUERY = 2_000_000;

/** Distinct identifiers of a kind from which the register is scanned rather than probed. */
const SCAN_AT = 20_000;

type Db = Kysely<Tables>;

/** Consent state entries: status letter, child, parental, soft opt-in, expiry, '|', subject id, ';'. */
const stateEntries = (db: Db, purpose: string, channel: string) =>
  db
    .selectFrom('consent_state as cs')
    .select(sql<string | null>`string_agg(substr(cs.status, 1, 1) || cast(cs.child as text) || cast(cs.parental as text) || cast(cs.soft_opt_in as text) || coalesce(cs.expires_at, '') || '|' || cs.subject_id || ';', '')`.as('s'))
    .where('cs.purpose', '=', purpose)
    .where('cs.channel', '=', channel);

function inChunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The identifier kind a channel is addressed by; post and social accept either. */
function kindFor(channel: MarketingChannel, raw: string): IdentifierKind | 'wrong' {
  const guessed = guessKind(raw);
  if (channel === 'email') return guessed === 'email' ? 'email' : 'wrong';
  if (channel === 'phone' || channel === 'sms') return guessed === 'phone' ? 'phone' : 'wrong';
  return guessed;
}

/** Thresholds, for tests that exercise every path on small lists. */
export interface AudienceTuning {
  /** Recipients from which an email list is hashed on worker threads too (default 100,000). */
  workerAt?: number;
  /** Worker threads for such a list (default one per core beside this one, at most three). */
  workers?: number;
  /** Distinct identifiers from which tables are scanned rather than probed (default 20,000). */
  scanAt?: number;
  /** Register entries read into one string at most (default 2,000,000); beyond, in ranges. */
  scanEntries?: number;
}

const KIND_EMAIL = 0;
const KIND_PHONE = 1;
const FIELDS = ['email', 'phone'] as const;

export async function checkAudience(
  ctx: AppContext,
  actor: Actor,
  input: { purpose: string; channel: string; recipients: readonly string[] },
  tuning: AudienceTuning = {},
): Promise<AudienceResult> {
  const { workerAt = WORKER_AT, scanAt = SCAN_AT, scanEntries = SCAN_ENTRIES_PER_QUERY } = tuning;
  authorise(actor, 'marketing:check');
  const purpose = marketingPurpose(ctx, input.purpose, [input.channel], 'purpose');
  const channel = input.channel as MarketingChannel;
  if (!purpose.direct_marketing) throw new StewardError('VALIDATION_FAILED', `purpose: "${purpose.id}" is not declared as direct marketing`, [{ path: 'purpose', message: 'not direct marketing' }]);
  const n = input.recipients.length;
  if (n === 0) throw new StewardError('VALIDATION_FAILED', 'recipients: give at least one', [{ path: 'recipients', message: 'empty' }]);
  if (n > AUDIENCE_LIMITS.recipients) throw new StewardError('PAYLOAD_TOO_LARGE', `recipients: at most ${AUDIENCE_LIMITS.recipients.toLocaleString('en-GB')} in one check`);
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const db = ctx.database.db;
  const indexer = ctx.keyring.indexer;
  const codes = new Uint8Array(n);
  const per = Math.max(100, ctx.database.adapter.maxParameters - 10);
  const onConsent = purpose.lawful_basis === 'consent';

  const timings: AudienceResult['timings'] = { hash: 0, people: 0, states: 0, relationships: 0, rules: 0, audit: 0 };
  let mark = performance.now();
  const lap = (stage: keyof AudienceResult['timings']) => {
    const t = performance.now();
    timings[stage] += t - mark;
    mark = t;
  };
  // 1. Normalise, hash, de-duplicate by digest (one digest per distinct normalised value): the
  // blind-index digest finds the person and (as the suppression list's lookup column) the opt-outs.
  const emailBi = new FastHmac(indexer.keyFor('email'));
  const phoneBi = new FastHmac(indexer.keyFor('phone'));
  const big = n >= workerAt;
  const hashing: EmailHashing | undefined =
    channel === 'email' ? hashEmails(input.recipients, indexer.keyFor('email'), { workers: big ? (tuning.workers ?? defaultHashWorkers()) : 0, maxChars: AUDIENCE_LIMITS.identifierChars }) : undefined;
  // Facts about people, by subject id (small lists: big ones have them worked out by the database).
  const facts = new HolderFacts(nowIso);
  const declared = policyIndex(ctx.policy).relationships;
  const corporateByDefault = (rel: string): boolean => {
    const types = declared.get(rel)?.subscriber_types;
    return types?.length === 1 && types[0] === 'corporate';
  };

  // A big list is matched by scanning the register, each entry with its holder's profile worked
  // out by the database (consent state, restriction, subscriber type), while the workers hash.
  let profiled: string[] | undefined;
  if (hashing && big && n >= scanAt) {
    // Profile codes: one encoding for this thread and the database (P).
    const query: ProfileQuery = {
      purpose: purpose.id,
      channel,
      nowIso,
      codes: P,
      relationships: onConsent ? undefined : { all: purpose.relationships, corporateByDefault: purpose.relationships.filter(corporateByDefault) },
    };
    const reading = (async () => {
      const parts: string[] = [];
      await scanBlindIndexes(db, ctx.database.adapter, 'email', scanEntries, (part) => void (part && parts.push(part)), query);
      profiled = parts;
    })();
    // Awaited below, after this thread has hashed its share; a failure must not go unhandled meanwhile.
    reading.catch(() => undefined);
    await hashing.help();
    await reading;
  }
  await hashing?.done();

  const table = new DigestTable(n);
  const slotForInput = new Int32Array(n).fill(-1);
  /** Per slot: the first input that gave it (to normalise again where the value itself is needed), and its kind. */
  const slotFirst = new Int32Array(n);
  const slotKind = new Uint8Array(n);
  const scratch = new Int32Array(8);
  for (let i = 0; i < n; i++) {
    const before = table.size;
    let slot: number;
    let kind = KIND_EMAIL;
    if (hashing && hashing.status[i] === HASHED) slot = table.add(hashing.digests, i * 8);
    else {
      const raw = input.recipients[i]!;
      if (typeof raw !== 'string' || raw.length > AUDIENCE_LIMITS.identifierChars) {
        codes[i] = C['invalid-identifier'];
        continue;
      }
      const guessed = kindFor(channel, raw);
      if (guessed === 'wrong') {
        // A phone number in an email campaign (or the reverse) is a different mistake from rubbish.
        codes[i] = indexer.normalise(guessKind(raw), raw) === undefined ? C['invalid-identifier'] : C['wrong-identifier-kind'];
        continue;
      }
      const norm = guessed === 'email' ? normaliseEmailFast(raw) : indexer.normalise(guessed, raw);
      if (norm === undefined) {
        codes[i] = C['invalid-identifier'];
        continue;
      }
      kind = guessed === 'email' ? KIND_EMAIL : KIND_PHONE;
      (kind === KIND_EMAIL ? emailBi : phoneBi).digestInto(norm, scratch, 0);
      slot = table.add(scratch, 0);
    }
    if (table.size > before) {
      slotFirst[slot] = i;
      slotKind[slot] = kind;
    }
    slotForInput[i] = slot;
  }
  const slots = table.size;
  const slotCode = new Uint8Array(slots);
  /** The normalised value of a slot, again (only where a second hash of it is needed). */
  const normOf = (s: number): string => {
    const raw = input.recipients[slotFirst[s]!]!;
    return (slotKind[s] === KIND_EMAIL ? normaliseEmailFast(raw) : indexer.normalise('phone', raw))!;
  };
  // The suppression list's own hash, computed only where needed (bare-hash entries; TPS).
  const suppHmac = new FastHmac(ctx.keyring.suppressionHmacKey());
  const slotSupp: Array<string | undefined> = new Array(slots);
  const suppOf = (s: number): string => (slotSupp[s] ??= suppHmac.hex(normOf(s)));

  lap('hash');
  // 2. The suppression list for this channel and purpose (small: loaded whole). Its lookup column
  // is the blind-index digest under key version 1: under that version, each entry is found among
  // the recipients' digests; under another, each recipient's version-1 digest is computed.
  const suppressedLookup = new Set<string>();
  const suppressedHash = new Set<string>();
  const sRows = await db.selectFrom('suppressions').select(['hash', 'lookup']).where('channel', 'in', [channel, '*']).where('scope', 'in', [purpose.id, '*']).execute();
  for (const r of sRows) {
    if (r.lookup) suppressedLookup.add(r.lookup);
    else suppressedHash.add(r.hash);
  }
  const SUPPRESSED = C.suppressed;
  if (indexer.version === 1) {
    for (const lookup of suppressedLookup) {
      const words = digestWords(lookup);
      const s = words ? table.find(words, 0) : -1;
      if (s >= 0) slotCode[s] = SUPPRESSED;
    }
  } else if (suppressedLookup.size > 0) {
    const v1Email = new FastHmac(indexer.keyFor('email', 1));
    const v1Phone = new FastHmac(indexer.keyFor('phone', 1));
    for (let s = 0; s < slots; s++) if (suppressedLookup.has((slotKind[s] === KIND_EMAIL ? v1Email : v1Phone).hex(normOf(s)))) slotCode[s] = SUPPRESSED;
  }
  if (suppressedHash.size > 0) for (let s = 0; s < slots; s++) if (slotCode[s] !== SUPPRESSED && suppressedHash.has(suppOf(s))) slotCode[s] = SUPPRESSED;

  // 3. People, by blind index: each recipient's slot to the facts of whoever holds it. Many
  // recipients, a whole scan; few, probes by chunked IN lists.
  /** Per slot: the first holder's profile (-1: nobody), then any others (duplicates in the register) in the order found. */
  const slotProfile = new Int16Array(slots).fill(-1);
  const extraProfiles = new Map<number, number[]>();
  const assign = (slot: number, profile: number) => {
    if (slotProfile[slot]! < 0) slotProfile[slot] = profile;
    else {
      const more = extraProfiles.get(slot);
      if (more) more.push(profile);
      else extraProfiles.set(slot, [profile]);
    }
  };
  // Without the facts yet (not a big list), the holders are kept by id until they are read.
  const hitSlots: number[] = [];
  const hitIds: string[] = [];
  for (let kind = KIND_EMAIL; kind <= KIND_PHONE; kind++) {
    const field = FIELDS[kind]!;
    let wanted = 0;
    for (let s = 0; s < slots; s++) if (slotKind[s] === kind && slotCode[s] !== SUPPRESSED) wanted++;
    if (wanted === 0) continue;
    // Entries: the 64-character digest, the subject id, ';'.
    const parse = (s: string | null | undefined) => {
      if (!s) return;
      for (let from = 0; from < s.length; ) {
        const end = s.indexOf(';', from + 64);
        if (end < 0) return;
        const slot = table.findHex(s, from);
        if (slot >= 0 && slotKind[slot] === kind && slotCode[slot] !== SUPPRESSED) {
          hitSlots.push(slot);
          hitIds.push(s.slice(from + 64, end));
        }
        from = end + 1;
      }
    };
    if (kind === KIND_EMAIL && profiled) {
      for (const s of profiled) {
        for (let from = 0; from + PROFILED_ENTRY <= s.length; from += PROFILED_ENTRY) {
          const slot = table.findHex(s, from);
          if (slot < 0 || slotKind[slot] !== kind || slotCode[slot] === SUPPRESSED) continue;
          assign(slot, (s.charCodeAt(from + 64) - 48) * 100 + (s.charCodeAt(from + 65) - 48) * 10 + (s.charCodeAt(from + 66) - 48) - 100);
        }
      }
    } else if (wanted >= scanAt) {
      await scanBlindIndexes(db, ctx.database.adapter, field, scanEntries, parse);
    } else {
      const digests: string[] = [];
      for (let s = 0; s < slots; s++) if (slotKind[s] === kind && slotCode[s] !== SUPPRESSED) digests.push(table.hexOf(s));
      for (const chunk of inChunks(digests, per)) parse(await packedDigestHolders(db, field, chunk));
    }
  }
  const holders = [...new Set(hitIds)];
  // Erased people have no blind index left; restricted ones are few.
  if (holders.length > 0) facts.markRestricted(await restrictedSubjectIds(db));

  lap('people');
  // 4. Their consent state for this purpose and channel.
  if (holders.length > 0) {
    if (holders.length >= scanAt) facts.addStates((await stateEntries(db, purpose.id, channel).executeTakeFirst())?.s);
    else for (const chunk of inChunks(holders, per)) facts.addStates((await stateEntries(db, purpose.id, channel).where('cs.subject_id', 'in', chunk).executeTakeFirst())?.s);
  }

  lap('states');
  // 5. Without consent as the basis: who is in the purpose's relationships, and as what subscriber.
  if (!onConsent && holders.length > 0) {
    for (const rel of purpose.relationships) {
      if (holders.length >= scanAt) facts.addRelationships(await packedRelationshipHolders(db, rel), corporateByDefault(rel));
      else for (const chunk of inChunks(holders, per)) facts.addRelationships(await packedRelationshipHolders(db, rel, chunk), corporateByDefault(rel));
    }
  }
  for (let h = 0; h < hitSlots.length; h++) assign(hitSlots[h]!, facts.profileOf(hitIds[h]!));
  lap('relationships');
  // 6. TPS/CTPS for calls on legitimate interests (keyed by the suppression hash of the number).
  const tps = channel === 'phone' && !onConsent ? await tpsFreshness(db, now) : undefined;
  const onTps = new Map<string, Set<TpsRegister>>();
  if (tps) {
    const hashes = new Set<string>();
    for (let s = 0; s < slots; s++) if (slotProfile[s]! >= 0) hashes.add(suppOf(s));
    for (const chunk of inChunks([...hashes], per)) {
      const rows = await db.selectFrom('tps_numbers').select(['register', 'hash']).where('hash', 'in', chunk).execute();
      for (const r of rows) {
        const set = onTps.get(r.hash) ?? new Set<TpsRegister>();
        set.add(r.register);
        onTps.set(r.hash, set);
      }
    }
  }

  // 7. The rules (audience.rules.ts), in memory: the answer for each holder of an address.
  const campaign = campaignFor(purpose, channel, tps);
  const decideFor = (profile: number, slot: number): Reason => decide(campaign, profile, (register) => onTps.get(suppOf(slot))?.has(register) ?? false);
  // Without TPS the answer depends on the profile alone: worked out once per profile.
  const memo = new Int16Array(128).fill(-1);
  const codeOf = (profile: number, slot: number): number => {
    if (tps) return C[decideFor(profile, slot)];
    let c = memo[profile]!;
    if (c < 0) memo[profile] = c = C[decideFor(profile, slot)];
    return c;
  };
  for (let s = 0; s < slots; s++) {
    if (slotCode[s] === SUPPRESSED) continue;
    const first = slotProfile[s]!;
    if (first < 0) {
      slotCode[s] = C['unknown-person'];
      continue;
    }
    let best = codeOf(first, s);
    const more = extraProfiles.get(s);
    if (more) {
      for (const p of more) best = stronger(best, codeOf(p, s));
    }
    slotCode[s] = best;
  }
  const counts = new Uint32Array(REASONS.length);
  for (let i = 0; i < n; i++) {
    const s = slotForInput[i]!;
    if (s >= 0) codes[i] = slotCode[s]!;
    counts[codes[i]!]!++;
  }
  const byReason: AudienceResult['byReason'] = {};
  let allowed = 0;
  counts.forEach((c, i) => {
    if (c === 0) return;
    byReason[REASONS[i]!] = c;
    if (isAllowed(i)) allowed += c;
  });
  lap('rules');
  await writeTx(ctx, (trx) =>
    appendAudit(trx, ctx, actor, [
      { action: 'marketing.audience-check', purpose: purpose.id, details: { channel, recipients: n, distinct: slots, allowed, blocked: n - allowed, byReason } },
    ]),
  );
  lap('audit');
  for (const k of Object.keys(timings) as Array<keyof typeof timings>) timings[k] = Math.round(timings[k]);
  return {
    purpose: purpose.id,
    channel,
    checkedAt: nowIso,
    timings,
    recipients: n,
    allowed,
    blocked: n - allowed,
    byReason,
    codes,
    tps: tps && Object.values(tps).map((t) => ({ register: t.register, importedAt: t.importedAt, stale: t.stale })),
  };
}
