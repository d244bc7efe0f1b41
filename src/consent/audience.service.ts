/**
 * The audience check: before a campaign, every recipient allowed or blocked, with the reason.
 *
 * Set-based so that a million recipients against a million people take a second or two:
 *  - every input is normalised and hashed once, to its blind-index digest; an email list is hashed
 *    from bytes in shared memory on every core (audience-hashing.ts), a big one while this thread
 *    reads the register. The suppression list keeps the same digest beside its own hash, so no
 *    second hash is needed (the suppression hash is computed only for bare-hash entries and TPS);
 *  - the register is read in bulk, aggregated by the database into strings, because moving rows
 *    one by one costs more than the scan. For a big list (profileEntry): one scan of the blind
 *    index left-joined to the consent state for the purpose and channel, each entry carrying its
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
 * The rules, in order (PECR regs 21–22, UK GDPR Arts 6, 7, 8, 18, 21):
 *  1. not a valid identifier for the channel                      → blocked
 *  2. on the suppression list for the channel and purpose          → blocked (even when erased)
 *  3. nobody in the register has it                                → blocked: unknown person
 *  4. processing restricted (Art 18)                               → blocked
 *  5. valid consent for the purpose and channel                    → allowed (consent also
 *     overrides TPS registration for calls)
 *  6. consent withdrawn                                            → blocked
 *  7. purpose rests on consent                                     → blocked: lapsed, child
 *     without parental consent, or no consent
 *  5a. the purpose rests on neither consent nor legitimate interests → blocked: no lawful basis
 *  8. otherwise (legitimate interests): the person must be in one of the purpose's relationships;
 *     email/SMS to an individual subscriber needs the soft opt-in; to a corporate subscriber it
 *     may rest on legitimate interests; calls need a fresh TPS (individuals) or CTPS (corporates)
 *     register without the number; post and social rest on legitimate interests.
 */
import { sql, type Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { DialectAdapter } from '../db/adapter.js';
import { StewardError } from '../shared/errors.js';
import { marketingPurpose, type ConsentStatus } from './consent.service.js';
import type { Tables } from '../db/tables.js';
import { defaultHashWorkers, hashEmails, HASHED, type EmailHashing } from './audience-hashing.js';
import { DigestTable, digestWords, IdTable } from './audience-tables.js';
import { FastHmac } from './fast-hmac.js';
import { normaliseEmailFast } from './normalise.js';
import { guessKind, type IdentifierKind, type MarketingChannel } from './suppression.service.js';
import { tpsFreshness, type TpsRegister } from './tps.service.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

export const ALLOW_REASONS = ['consent', 'soft-opt-in', 'corporate-legitimate-interest', 'legitimate-interest'] as const;
export const BLOCK_REASONS = [
  'invalid-identifier',
  'wrong-identifier-kind',
  'suppressed',
  'unknown-person',
  'restricted',
  'withdrawn',
  'lapsed',
  'child-without-parental-consent',
  'no-consent',
  'relationship-not-covered',
  'tps-registered',
  'ctps-registered',
  'tps-stale',
  'no-lawful-basis',
] as const;
export type AllowReason = (typeof ALLOW_REASONS)[number];
export type BlockReason = (typeof BLOCK_REASONS)[number];
export type Reason = AllowReason | BlockReason;

/** Reasons by code: codes below ALLOW_COUNT are allowed. */
export const REASONS: readonly Reason[] = [...ALLOW_REASONS, ...BLOCK_REASONS];
const ALLOW_COUNT = ALLOW_REASONS.length;
const code = (r: Reason): number => REASONS.indexOf(r);
const C = Object.fromEntries(REASONS.map((r) => [r, code(r)])) as Record<Reason, number>;

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

export const isAllowed = (c: number): boolean => c < ALLOW_COUNT;
export const reasonOf = (c: number): Reason => REASONS[c]!;

/** Recipients from which an email list is hashed on worker threads too. */
const WORKER_AT = 100_000;

/** Register entries aggregated into one string at most (about 100 characters each). */
const SCAN_ENTRIES_PER_QUERY = 2_000_000;

/** Distinct identifiers of a kind from which the register is scanned rather than probed. */
const SCAN_AT = 20_000;

type Db = Kysely<Tables>;

/**
 * Every blind index of a kind, passed to `each` as strings of entries: "digest subject_id;", or
 * with `profiles` the digest and its holder's profile (profileEntry). One string, or for a
 * register too big for one (V8 strings stop near 512 million characters) ranges of the digest
 * space read through the index, one after another.
 */
async function scanBlindIndexes(
  db: Db,
  adapter: DialectAdapter,
  field: 'email' | 'phone',
  scanEntries: number,
  each: (s: string | null | undefined) => void,
  profiles?: ProfileQuery,
): Promise<void> {
  const entry = profiles ? profileEntry(profiles) : sql<string>`bi.digest || bi.subject_id || ';'`;
  const query = () =>
    profiles
      ? db
          .selectFrom('blind_indexes as bi')
          .leftJoin('consent_state as cs', (j) => j.onRef('cs.subject_id', '=', 'bi.subject_id').on('cs.purpose', '=', profiles.purpose).on('cs.channel', '=', profiles.channel))
          .select(sql<string | null>`string_agg(${entry}, '')`.as('s'))
      : db.selectFrom('blind_indexes as bi').select(sql<string | null>`string_agg(${entry}, '')`.as('s'));
  // The exact count of this kind's entries only when a cheap upper bound says it may not fit.
  const bound = await adapter.rowsAtMost(db, 'blind_indexes');
  const total =
    bound <= scanEntries ? bound : Number((await db.selectFrom('blind_indexes').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', field).executeTakeFirstOrThrow()).n);
  const parts = Math.ceil(total / scanEntries);
  if (parts <= 1) {
    // "kind || ''" keeps the planner off the (kind, digest) index: a table scan is faster here.
    each((await query().where(sql`bi.kind || ''`, '=', field).executeTakeFirst())?.s);
    return;
  }
  for (let p = 0; p < parts; p++) {
    const lo = Math.floor((p * 65536) / parts);
    const hi = Math.floor(((p + 1) * 65536) / parts);
    let q = query().where('bi.kind', '=', field).where('bi.digest', '>=', lo.toString(16).padStart(4, '0'));
    if (hi < 65536) q = q.where('bi.digest', '<', hi.toString(16).padStart(4, '0'));
    each((await q.executeTakeFirst())?.s);
  }
}

/** What the register scan needs to work out each holder's profile in the database. */
interface ProfileQuery {
  purpose: string;
  channel: string;
  nowIso: string;
  /** Without consent as the basis: the purpose's relationships, and those whose people are corporate unless recorded otherwise. */
  relationships?: { all: readonly string[]; corporateByDefault: readonly string[] };
}

/** Profile codes (see checkAudience): consent states, flags and subscriber types. */
const P = { active: 0, lapsed: 1, withdrawn: 2, none: 3, child: 4, soft: 8, restricted: 16, individual: 1, corporate: 2, typeShift: 32 } as const;
/** Characters per profiled entry: the 64-character digest and the profile plus 100, in 3 digits. */
const PROFILED_ENTRY = 67;

/**
 * A register entry with its holder's profile worked out by the database, exactly as the rules
 * read the consent state, restriction and subscriber type (statusOf; parseStates and
 * parseRelationships below for the probe path): the digest, then the profile plus 100.
 */
function profileEntry(q: ProfileQuery) {
  const lit = (n: number) => sql.lit(n);
  const type = q.relationships
    ? sql`(case coalesce((select max(case
          when substr(sr.subscriber_type, 1, 1) = 'i' then 2
          when substr(sr.subscriber_type, 1, 1) = 'c' then 1
          ${q.relationships.corporateByDefault.length > 0 ? sql`when sr.relationship in (${sql.join([...q.relationships.corporateByDefault])}) then 1` : sql``}
          else 2 end)
        from subject_relationships sr
        where sr.subject_id = bi.subject_id and sr.ended_at is null and sr.relationship in (${sql.join([...q.relationships.all])})), 0)
        when 2 then ${lit(P.individual)} when 1 then ${lit(P.corporate)} else 0 end)`
    : sql`0`;
  return sql<string>`bi.digest || cast(100
    + (case
        when cs.status = 'withdrawn' then ${lit(P.withdrawn)}
        when cs.status = 'active' and cs.expires_at is not null and cs.expires_at <> '' and cs.expires_at <= ${q.nowIso} then ${lit(P.lapsed)}
        when cs.status = 'active' and cs.child = 1 and cs.parental <> 1 then ${lit(P.child)}
        when cs.status = 'active' then ${lit(P.active)}
        else ${lit(P.none)} end)
    + (case when cs.soft_opt_in = 1 then ${lit(P.soft)} else 0 end)
    + (case when bi.subject_id in (select rs.id from subjects rs where rs.restricted = 1 and rs.erased_at is null) then ${lit(P.restricted)} else 0 end)
    + ${lit(P.typeShift)} * ${type} as text)`;
}

/** Consent state entries: status letter, child, parental, soft opt-in, expiry, '|', subject id, ';'. */
const stateEntries = (db: Db, purpose: string, channel: string) =>
  db
    .selectFrom('consent_state as cs')
    .select(sql<string | null>`string_agg(substr(cs.status, 1, 1) || cast(cs.child as text) || cast(cs.parental as text) || cast(cs.soft_opt_in as text) || coalesce(cs.expires_at, '') || '|' || cs.subject_id || ';', '')`.as('s'))
    .where('cs.purpose', '=', purpose)
    .where('cs.channel', '=', channel);

/** Current relationship entries: subscriber type's first letter (or '-'), subject id, ';'. */
const relationshipEntries = (db: Db, relationship: string) =>
  db
    .selectFrom('subject_relationships as sr')
    .select(sql<string | null>`string_agg(coalesce(substr(sr.subscriber_type, 1, 1), '-') || sr.subject_id || ';', '')`.as('s'))
    .where('sr.relationship', '=', relationship)
    .where('sr.ended_at', 'is', null);

const restrictedIds = async (db: Db): Promise<string[]> =>
  (await db.selectFrom('subjects').select('id').where('restricted', '=', 1).where('erased_at', 'is', null).execute()).map((r) => r.id);

/** s[a, b) <= t, as JavaScript compares strings (UTF-16 code units), without copying. */
function atMost(s: string, a: number, b: number, t: string): boolean {
  const n = Math.min(b - a, t.length);
  for (let k = 0; k < n; k++) {
    const x = s.charCodeAt(a + k);
    const y = t.charCodeAt(k);
    if (x !== y) return x < y;
  }
  return b - a <= t.length;
}

/**
 * Duplicates in the register (two subjects with one address): a do-not-contact answer from any
 * of them wins, then an allowed one, then the weaker "not yet" reasons.
 */
const RANK: Record<Reason, number> = {
  suppressed: 0,
  restricted: 0,
  withdrawn: 0,
  'child-without-parental-consent': 1,
  'tps-registered': 1,
  'ctps-registered': 1,
  'tps-stale': 1,
  'no-lawful-basis': 1,
  consent: 2,
  'soft-opt-in': 2,
  'corporate-legitimate-interest': 2,
  'legitimate-interest': 2,
  lapsed: 3,
  'no-consent': 3,
  'relationship-not-covered': 4,
  'unknown-person': 5,
  'invalid-identifier': 6,
  'wrong-identifier-kind': 6,
};

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
  // Direct marketing rests on consent or on legitimate interests (Art 6(1)(a), (f) and 6(9)). A
  // purpose declared with neither allows no one: never a default of legitimate interests.
  const noBasis = !onConsent && purpose.lawful_basis !== 'legitimate-interests';
  const STATUS_OF: ConsentStatus[] = ['active', 'lapsed', 'withdrawn', 'none', 'child-without-parental-consent'];
  // Profile codes: one encoding for this thread and the database (P, used by profileEntry).
  const { active: ACTIVE, lapsed: LAPSED, withdrawn: WITHDRAWN, none: NONE, child: CHILD, soft: SOFT, individual: INDIVIDUAL, corporate: CORPORATE } = P;

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
  // Facts about people, by subject id: the consent state for this purpose and channel (reduced as
  // it is read to what it means now, exactly as statusOf does), restriction, and (without consent
  // as the basis) the subscriber type in the purpose's relationships. One small number each.
  const facts = new IdTable();
  // Grown by doubling (starting small, so that every test grows them).
  let factState = new Uint8Array(16).fill(NONE);
  let factRestricted = new Uint8Array(16);
  let factType = new Uint8Array(16);
  const fact = (s: string, from: number, end: number): number => {
    const f = facts.add(s, from, end);
    if (f >= factState.length) {
      const grow = (a: Uint8Array, fill: number) => {
        const b = new Uint8Array(a.length * 2).fill(fill);
        b.set(a);
        return b;
      };
      factState = grow(factState, NONE);
      factRestricted = grow(factRestricted, 0);
      factType = grow(factType, 0);
    }
    return f;
  };
  // Entries: status letter, child, parental, soft opt-in, expiry, '|', subject id, ';'.
  const parseStates = (s: string | null | undefined) => {
    if (!s) return;
    for (let from = 0; from < s.length; ) {
      const bar = s.indexOf('|', from + 4);
      const end = s.indexOf(';', bar);
      if (bar < 0 || end < 0) return;
      let state: number = NONE;
      const letter = s.charCodeAt(from);
      if (letter === 119 /* w */) state = WITHDRAWN;
      else if (letter === 97 /* a */) {
        // An expiry at or before now (compared as statusOf compares the strings) has lapsed.
        state = bar > from + 4 && atMost(s, from + 4, bar, nowIso) ? LAPSED : s.charCodeAt(from + 1) === 49 && s.charCodeAt(from + 2) !== 49 ? CHILD : ACTIVE;
      }
      if (s.charCodeAt(from + 3) === 49) state |= SOFT;
      // fact() first: it may replace the arrays (growing them).
      const f = fact(s, bar + 1, end);
      factState[f] = state;
      from = end + 1;
    }
  };
  const declared = policyIndex(ctx.policy).relationships;
  // Entries: subscriber type's first letter (or '-'), subject id, ';'.
  const parseRelationships = (rel: string, s: string | null | undefined) => {
    if (!s) return;
    const types = declared.get(rel)?.subscriber_types;
    // Unknown means individual: PECR's stricter rules apply unless we know it is a company.
    const fallback = types?.length === 1 && types[0] === 'corporate' ? CORPORATE : INDIVIDUAL;
    for (let from = 0; from < s.length; ) {
      const end = s.indexOf(';', from);
      if (end < 0) return;
      const f = fact(s, from + 1, end);
      const c = s.charCodeAt(from);
      const t = c === 99 /* c */ ? CORPORATE : c === 105 /* i */ ? INDIVIDUAL : fallback;
      factType[f] = factType[f] === INDIVIDUAL || t === INDIVIDUAL ? INDIVIDUAL : CORPORATE;
      from = end + 1;
    }
  };
  const markRestricted = (ids: readonly string[]) => {
    for (const id of ids) {
      const f = fact(id, 0, id.length);
      factRestricted[f] = 1;
    }
  };
  /** A person's facts as one number below 128 (unknown ids: no consent state, nothing else). */
  const profileOf = (f: number): number => (f < 0 ? NONE : factState[f]! | (factRestricted[f]! * P.restricted) | (factType[f]! * P.typeShift));

  // A big list is matched by scanning the register, each entry with its holder's profile worked
  // out by the database (consent state, restriction, subscriber type), while the workers hash.
  let profiled: string[] | undefined;
  if (hashing && big && n >= scanAt) {
    const corporateByDefault = purpose.relationships.filter((r) => {
      const types = declared.get(r)?.subscriber_types;
      return types?.length === 1 && types[0] === 'corporate';
    });
    const query: ProfileQuery = { purpose: purpose.id, channel, nowIso, ...(onConsent ? {} : { relationships: { all: purpose.relationships, corporateByDefault } }) };
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
      for (const chunk of inChunks(digests, per)) parse((await db.selectFrom('blind_indexes as bi').select(sql<string | null>`string_agg(bi.digest || bi.subject_id || ';', '')`.as('s')).where('bi.kind', '=', field).where('bi.digest', 'in', chunk).executeTakeFirst())?.s);
    }
  }
  const holders = [...new Set(hitIds)];
  // Erased people have no blind index left; restricted ones are few.
  if (holders.length > 0) markRestricted(await restrictedIds(db));

  lap('people');
  // 4. Their consent state for this purpose and channel.
  if (holders.length > 0) {
    if (holders.length >= scanAt) parseStates((await stateEntries(db, purpose.id, channel).executeTakeFirst())?.s);
    else for (const chunk of inChunks(holders, per)) parseStates((await stateEntries(db, purpose.id, channel).where('cs.subject_id', 'in', chunk).executeTakeFirst())?.s);
  }

  lap('states');
  // 5. Without consent as the basis: who is in the purpose's relationships, and as what subscriber.
  if (!onConsent && holders.length > 0) {
    for (const rel of purpose.relationships) {
      if (holders.length >= scanAt) parseRelationships(rel, (await relationshipEntries(db, rel).executeTakeFirst())?.s);
      else for (const chunk of inChunks(holders, per)) parseRelationships(rel, (await relationshipEntries(db, rel).where('sr.subject_id', 'in', chunk).executeTakeFirst())?.s);
    }
  }
  for (let h = 0; h < hitSlots.length; h++) assign(hitSlots[h]!, profileOf(facts.find(hitIds[h]!, 0, hitIds[h]!.length)));
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

  // 7. The rules, in memory: the answer for one holder of an address.
  const softOptIn = purpose.soft_opt_in && (channel === 'email' || channel === 'sms');
  const decide = (profile: number, slot: number): Reason => {
    if (noBasis) return 'no-lawful-basis';
    if ((profile & P.restricted) !== 0) return 'restricted';
    const st = profile & 15;
    const status = STATUS_OF[st & 7]!;
    const soft = (st & SOFT) !== 0;
    if (status === 'active') return 'consent';
    if (status === 'withdrawn' && !soft) return 'withdrawn';
    if (onConsent) return status === 'lapsed' ? 'lapsed' : status === 'child-without-parental-consent' ? 'child-without-parental-consent' : status === 'withdrawn' ? 'withdrawn' : 'no-consent';
    const subscriber = Math.floor(profile / P.typeShift);
    const type = subscriber === CORPORATE ? 'corporate' : subscriber === INDIVIDUAL ? 'individual' : undefined;
    if (!type) return 'relationship-not-covered';
    if (channel === 'email' || channel === 'sms') {
      if (type === 'corporate') return 'corporate-legitimate-interest';
      if (softOptIn && soft) return 'soft-opt-in';
      if (status === 'withdrawn') return 'withdrawn';
      return status === 'lapsed' ? 'lapsed' : status === 'child-without-parental-consent' ? 'child-without-parental-consent' : 'no-consent';
    }
    if (status === 'withdrawn') return 'withdrawn';
    if (channel === 'phone') {
      const register: TpsRegister = type === 'corporate' ? 'ctps' : 'tps';
      if (tps![register].stale) return 'tps-stale';
      if (onTps.get(suppOf(slot))?.has(register)) return register === 'tps' ? 'tps-registered' : 'ctps-registered';
    }
    return type === 'corporate' ? 'corporate-legitimate-interest' : 'legitimate-interest';
  };
  // Without TPS the answer depends on the profile alone: worked out once per profile.
  const memo = new Int16Array(128).fill(-1);
  const codeOf = (profile: number, slot: number): number => {
    if (tps) return C[decide(profile, slot)];
    let c = memo[profile]!;
    if (c < 0) memo[profile] = c = C[decide(profile, slot)];
    return c;
  };
  const rankOf = REASONS.map((r) => RANK[r]);
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
      for (const p of more) {
        const c = codeOf(p, s);
        if (rankOf[c]! < rankOf[best]!) best = c;
      }
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
    if (i < ALLOW_COUNT) allowed += c;
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
    ...(tps ? { tps: Object.values(tps).map((t) => ({ register: t.register, importedAt: t.importedAt, stale: t.stale })) } : {}),
  };
}
