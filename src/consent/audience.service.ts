/**
 * The audience check: before a campaign, every recipient allowed or blocked, with the reason.
 *
 * Set-based so that a million recipients take seconds, not hours:
 *  - every input is normalised and hashed once, to its blind-index digest (big email lists on
 *    worker threads too); the suppression list keeps the same digest beside its own hash, so no
 *    second hash is needed (the suppression hash is computed only for bare-hash entries and TPS);
 *  - the register is read in bulk: the blind index left-joined to the consent state for the
 *    purpose and channel, aggregated by the database into one string (probes by chunked IN lists
 *    for small lists, one table scan for big ones), because moving rows one by one costs more
 *    than the scan;
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
 *  8. otherwise (legitimate interests): the person must be in one of the purpose's relationships;
 *     email/SMS to an individual subscriber needs the soft opt-in; to a corporate subscriber it
 *     may rest on legitimate interests; calls need a fresh TPS (individuals) or CTPS (corporates)
 *     register without the number; post and social rest on legitimate interests.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { policyIndex, writeTx, type RegisterContext } from '../register/register.service.js';
import { StewardError } from '../shared/errors.js';
import { marketingPurpose, type ConsentStatus } from './consent.service.js';
import { emailHashWorkerSource, FastHmac } from './fast-hmac.js';
import { normaliseEmailFast, SIMPLE_EMAIL } from './normalise.js';
import { guessKind, type IdentifierKind, type MarketingChannel } from './suppression.service.js';
import { tpsFreshness, type TpsRegister } from './tps.service.js';

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

/** Recipients from which an email list is hashed on several cores. */
const WORKER_AT = 100_000;
let workerSource: string | undefined;

/**
 * Splits a big email list: this thread keeps the first share; each worker gets one of the others
 * and answers "normalised\tdigest" per line ("" where the full normaliser must run here). Lines
 * holding a line break, or too long, go to this thread as "".
 */
function startWorkers(recipients: readonly string[], key: Buffer): { mainUpTo: number; results: Promise<string[]> } {
  const parts = Math.max(1, Math.min(availableParallelism(), 4));
  const size = Math.ceil(recipients.length / parts);
  if (parts === 1) return { mainUpTo: recipients.length, results: Promise.resolve([]) };
  workerSource ??= emailHashWorkerSource(SIMPLE_EMAIL);
  const jobs: Array<Promise<string[]>> = [];
  for (let p = 1; p < parts; p++) {
    const from = p * size;
    const to = Math.min(recipients.length, from + size);
    if (from >= to) break;
    const lines = new Array<string>(to - from);
    for (let i = from; i < to; i++) {
      const r = recipients[i];
      lines[i - from] = typeof r === 'string' && r.length <= AUDIENCE_LIMITS.identifierChars && r.indexOf('\n') < 0 && r.indexOf('\r') < 0 ? r : '';
    }
    jobs.push(
      new Promise<string[]>((resolve, reject) => {
        const w = new Worker(workerSource!, { eval: true, workerData: { key: new Uint8Array(key) } });
        w.once('message', (out: string) => {
          resolve(out.split('\n'));
          void w.terminate();
        });
        w.once('error', reject);
        // Ended without answering (killed, out of memory): never leave the check waiting.
        w.once('exit', () => reject(new Error('audience worker ended early')));
        w.postMessage(lines.join('\n'));
      }),
    );
  }
  // Should a worker fail, this thread does the whole list ("" everywhere means "do it here").
  return { mainUpTo: Math.min(size, recipients.length), results: Promise.all(jobs).then((r) => r.flat(), () => []) };
}

/** Register entries aggregated into one string at most (about 130 characters each). */
const SCAN_ENTRIES_PER_QUERY = 1_500_000;

/** Distinct identifiers of a kind from which the register is scanned rather than probed. */
const SCAN_AT = 20_000;

/** Calls `fn` with each ';'-terminated entry of an aggregated string (null when no rows). */
function eachEntry(s: string | null | undefined, fn: (entry: string) => void): void {
  if (!s) return;
  let from = 0;
  for (;;) {
    const end = s.indexOf(';', from);
    if (end < 0) return;
    fn(s.slice(from, end));
    from = end + 1;
  }
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
  /** Recipients from which an email list is hashed on several cores (default 100,000). */
  workerAt?: number;
  /** Distinct identifiers from which tables are scanned rather than probed (default 20,000). */
  scanAt?: number;
  /** Register entries read into one string at most (default 1,500,000); beyond, in ranges. */
  scanEntries?: number;
}

export async function checkAudience(
  ctx: RegisterContext,
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

  const timings: AudienceResult['timings'] = { hash: 0, people: 0, states: 0, relationships: 0, rules: 0, audit: 0 };
  let mark = performance.now();
  const lap = (stage: keyof AudienceResult['timings']) => {
    const t = performance.now();
    timings[stage] += t - mark;
    mark = t;
  };
  // 1. Normalise, de-duplicate, hash once per distinct value: the blind-index digest finds the
  // person and (as the suppression list's lookup column) the opt-outs.
  const emailBi = new FastHmac(indexer.keyFor('email'));
  const phoneBi = new FastHmac(indexer.keyFor('phone'));
  /** distinct normalised value → its slot */
  const slotOf = new Map<string, number>();
  const slotForInput = new Int32Array(n).fill(-1);
  const slotKind: IdentifierKind[] = [];
  const slotNorm: string[] = [];
  const slotBi: string[] = [];
  // A big email list is normalised and hashed on the other cores too (see hashInWorkers).
  const pre = channel === 'email' && n >= workerAt ? startWorkers(input.recipients, indexer.keyFor('email')) : undefined;
  const one = (i: number, done?: string): void => {
    const raw = input.recipients[i]!;
    if (done) {
      const tab = done.indexOf('\t');
      const norm = done.slice(0, tab);
      let slot = slotOf.get(norm);
      if (slot === undefined) {
        slot = slotKind.length;
        slotOf.set(norm, slot);
        slotKind.push('email');
        slotNorm.push(norm);
        slotBi.push(done.slice(tab + 1));
      }
      slotForInput[i] = slot;
      return;
    }
    if (typeof raw !== 'string' || raw.length > AUDIENCE_LIMITS.identifierChars) {
      codes[i] = C['invalid-identifier'];
      return;
    }
    const kind = kindFor(channel, raw);
    if (kind === 'wrong') {
      // A phone number in an email campaign (or the reverse) is a different mistake from rubbish.
      codes[i] = indexer.normalise(guessKind(raw), raw) === undefined ? C['invalid-identifier'] : C['wrong-identifier-kind'];
      return;
    }
    const norm = kind === 'email' ? normaliseEmailFast(raw) : indexer.normalise(kind, raw);
    if (norm === undefined) {
      codes[i] = C['invalid-identifier'];
      return;
    }
    const key = kind === 'email' ? norm : `tel:${norm}`;
    let slot = slotOf.get(key);
    if (slot === undefined) {
      slot = slotKind.length;
      slotOf.set(key, slot);
      slotKind.push(kind);
      slotNorm.push(norm);
      slotBi.push((kind === 'email' ? emailBi : phoneBi).hex(norm));
    }
    slotForInput[i] = slot;
  };
  if (pre) {
    // This thread takes the first share while the workers do the rest, then merges in order.
    for (let i = 0; i < pre.mainUpTo; i++) one(i);
    const done = await pre.results;
    for (let i = pre.mainUpTo; i < n; i++) one(i, done[i - pre.mainUpTo] || undefined);
  } else {
    for (let i = 0; i < n; i++) one(i);
  }
  const slots = slotKind.length;
  const slotCode = new Uint8Array(slots);
  // The suppression list's own hash, computed only where needed (bare-hash entries; TPS).
  const suppHmac = new FastHmac(ctx.keyring.suppressionHmacKey());
  const slotSupp: Array<string | undefined> = new Array(slots);
  const suppOf = (s: number): string => (slotSupp[s] ??= suppHmac.hex(slotNorm[s]!));
  // Suppression lookups are under blind-index key version 1.
  const v1 = indexer.version === 1;
  const v1Email = v1 ? emailBi : new FastHmac(indexer.keyFor('email', 1));
  const v1Phone = v1 ? phoneBi : new FastHmac(indexer.keyFor('phone', 1));
  const lookupOf = (s: number): string => (v1 ? slotBi[s]! : (slotKind[s] === 'email' ? v1Email : v1Phone).hex(slotNorm[s]!));

  lap('hash');
  // 2. The suppression list for this channel and purpose (small: loaded whole).
  const suppressedLookup = new Set<string>();
  const suppressedHash = new Set<string>();
  const sRows = await db.selectFrom('suppressions').select(['hash', 'lookup']).where('channel', 'in', [channel, '*']).where('scope', 'in', [purpose.id, '*']).execute();
  for (const r of sRows) {
    if (r.lookup) suppressedLookup.add(r.lookup);
    else suppressedHash.add(r.hash);
  }
  const isSuppressed = (s: number): boolean => suppressedLookup.has(lookupOf(s)) || (suppressedHash.size > 0 && suppressedHash.has(suppOf(s)));

  // 3. People, by blind index, and then their consent for this purpose and channel. Each read is
  // aggregated by the database into one string (moving rows one by one costs more than the scan):
  // many recipients, a whole scan; few, probes by chunked IN lists. The two are joined here, not
  // in SQL: a join's plan depends on table statistics that a fresh bulk load lacks (PostgreSQL
  // then loops over the whole consent table per person). The state is reduced as it is read to
  // what it means now, exactly as statusOf does: one small number per person.
  const STATUS_OF: ConsentStatus[] = ['active', 'lapsed', 'withdrawn', 'none', 'child-without-parental-consent'];
  const ACTIVE = 0;
  const LAPSED = 1;
  const WITHDRAWN = 2;
  const NONE = 3;
  const CHILD = 4;
  const SOFT = 8;
  const slotPerson: Array<string | undefined> = new Array(slots);
  const extraPeople = new Map<number, string[]>();
  const people = new Set<string>();
  const onConsent = purpose.lawful_basis === 'consent';
  for (const field of ['email', 'phone'] as const) {
    // Keyed by the digest's first 16 hex characters (64 bits: shorter keys hash faster), each hit
    // checked against the whole digest; the rare shared prefix falls back to whole digests.
    const bySlotDigest = new Map<string, number>();
    const byWholeDigest = new Map<string, number>();
    const SHARED = -1;
    let wanted = 0;
    for (let s = 0; s < slots; s++) {
      if (slotKind[s] !== field) continue;
      if (isSuppressed(s)) {
        slotCode[s] = C.suppressed;
        continue;
      }
      wanted++;
      const d = slotBi[s]!;
      const prefix = d.slice(0, 16);
      const other = bySlotDigest.get(prefix);
      if (other === undefined) bySlotDigest.set(prefix, s);
      else {
        if (other !== SHARED) byWholeDigest.set(slotBi[other]!, other);
        byWholeDigest.set(d, s);
        bySlotDigest.set(prefix, SHARED);
      }
    }
    if (wanted === 0) continue;
    const slotAt = (s: string, from: number): number | undefined => {
      const slot = bySlotDigest.get(s.substring(from, from + 16));
      if (slot === undefined) return undefined;
      if (slot === SHARED) return byWholeDigest.get(s.substring(from, from + 64));
      return s.startsWith(slotBi[slot]!, from) ? slot : undefined;
    };
    // Entries: the 64-character digest, the subject id, ';'.
    const parse = (s: string | null | undefined) => {
      if (!s) return;
      for (let from = 0; from < s.length; ) {
        const end = s.indexOf(';', from + 64);
        if (end < 0) return;
        const slot = slotAt(s, from);
        if (slot !== undefined) {
          const id = s.substring(from + 64, end);
          const first = slotPerson[slot];
          if (first === undefined) slotPerson[slot] = id;
          else if (first !== id) {
            // The same address on two people (duplicates in the register): keep them all.
            const more = extraPeople.get(slot) ?? [];
            if (!more.includes(id)) more.push(id);
            extraPeople.set(slot, more);
          }
          people.add(id);
        }
        from = end + 1;
      }
    };
    const entry = sql<string>`bi.digest || bi.subject_id || ';'`;
    const query = () => db.selectFrom('blind_indexes as bi').select(sql<string | null>`string_agg(${entry}, '')`.as('s'));
    if (wanted >= scanAt) {
      const total = Number((await db.selectFrom('blind_indexes').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', field).executeTakeFirstOrThrow()).n);
      const parts = Math.ceil(total / scanEntries);
      if (parts <= 1) {
        // "kind || ''" keeps the planner off the (kind, digest) index: a table scan is faster here.
        parse((await query().where(sql`bi.kind || ''`, '=', field).executeTakeFirst())?.s);
      } else {
        // A register too big for one string (V8 strings stop near 512 million characters): ranges of
        // the digest space, read through the index.
        for (let p = 0; p < parts; p++) {
          const lo = Math.floor((p * 65536) / parts);
          const hi = Math.floor(((p + 1) * 65536) / parts);
          let q = query().where('bi.kind', '=', field).where('bi.digest', '>=', lo.toString(16).padStart(4, '0'));
          if (hi < 65536) q = q.where('bi.digest', '<', hi.toString(16).padStart(4, '0'));
          parse((await q.executeTakeFirst())?.s);
        }
      }
    } else {
      const digests: string[] = [];
      for (let s = 0; s < slots; s++) if (slotKind[s] === field && slotCode[s] !== C.suppressed) digests.push(slotBi[s]!);
      for (const chunk of inChunks(digests, per)) parse((await query().where('bi.kind', '=', field).where('bi.digest', 'in', chunk).executeTakeFirst())?.s);
    }
  }
  // Erased people have no blind index left; restricted ones are few.
  const restricted = new Set<string>();
  for (const r of await db.selectFrom('subjects').select('id').where('restricted', '=', 1).where('erased_at', 'is', null).execute()) restricted.add(r.id);

  lap('people');
  // Consent state per person: status letter, child, parental, soft opt-in, expiry, '|', id, ';'.
  const states = new Map<string, number>();
  if (people.size > 0) {
    const parse = (s: string | null | undefined) => {
      if (!s) return;
      for (let from = 0; from < s.length; ) {
        const bar = s.indexOf('|', from + 4);
        const end = s.indexOf(';', bar);
        if (bar < 0 || end < 0) return;
        const id = s.substring(bar + 1, end);
        if (people.has(id)) {
          let state = NONE;
          const letter = s.charCodeAt(from);
          if (letter === 119 /* w */) state = WITHDRAWN;
          else if (letter === 97 /* a */) {
            const expires = bar > from + 4 ? s.substring(from + 4, bar) : undefined;
            state = expires !== undefined && expires <= nowIso ? LAPSED : s.charCodeAt(from + 1) === 49 && s.charCodeAt(from + 2) !== 49 ? CHILD : ACTIVE;
          }
          if (s.charCodeAt(from + 3) === 49) state |= SOFT;
          states.set(id, state);
        }
        from = end + 1;
      }
    };
    const entry = sql<string>`substr(cs.status, 1, 1) || cast(cs.child as text) || cast(cs.parental as text) || cast(cs.soft_opt_in as text) || coalesce(cs.expires_at, '') || '|' || cs.subject_id || ';'`;
    const query = () => db.selectFrom('consent_state as cs').select(sql<string | null>`string_agg(${entry}, '')`.as('s')).where('cs.purpose', '=', purpose.id).where('cs.channel', '=', channel);
    if (people.size >= scanAt) parse((await query().executeTakeFirst())?.s);
    else for (const chunk of inChunks([...people], per)) parse((await query().where('cs.subject_id', 'in', chunk).executeTakeFirst())?.s);
  }

  lap('states');
  // 4. Without consent as the basis: who is in the purpose's relationships, and as what subscriber.
  const subscriber = new Map<string, 'individual' | 'corporate'>();
  if (!onConsent && people.size > 0) {
    const declared = policyIndex(ctx.policy).relationships;
    for (const rel of purpose.relationships) {
      const types = declared.get(rel)?.subscriber_types;
      // Unknown means individual: PECR's stricter rules apply unless we know it is a company.
      const fallback = types?.length === 1 ? types[0]! : 'individual';
      const take = (e: string) => {
        const id = e.slice(1);
        if (!people.has(id)) return;
        const t = e[0] === 'c' ? 'corporate' : e[0] === 'i' ? 'individual' : fallback;
        const prev = subscriber.get(id);
        subscriber.set(id, prev === 'individual' || t === 'individual' ? 'individual' : 'corporate');
      };
      const entry = sql<string>`coalesce(substr(sr.subscriber_type, 1, 1), '-') || sr.subject_id || ';'`;
      const base = () => db.selectFrom('subject_relationships as sr').select(sql<string | null>`string_agg(${entry}, '')`.as('s')).where('sr.relationship', '=', rel).where('sr.ended_at', 'is', null);
      if (people.size >= scanAt) eachEntry((await base().executeTakeFirst())?.s, take);
      else for (const chunk of inChunks([...people], per)) eachEntry((await base().where('sr.subject_id', 'in', chunk).executeTakeFirst())?.s, take);
    }
  }

  lap('relationships');
  // 5. TPS/CTPS for calls on legitimate interests (keyed by the suppression hash of the number).
  const tps = channel === 'phone' && !onConsent ? await tpsFreshness(db, now) : undefined;
  const onTps = new Map<string, Set<TpsRegister>>();
  if (tps) {
    const found: number[] = [];
    for (let s = 0; s < slots; s++) if (slotPerson[s] !== undefined) found.push(s);
    const hashes = [...new Set(found.map(suppOf))];
    for (const chunk of inChunks(hashes, per)) {
      const rows = await db.selectFrom('tps_numbers').select(['register', 'hash']).where('hash', 'in', chunk).execute();
      for (const r of rows) {
        const set = onTps.get(r.hash) ?? new Set<TpsRegister>();
        set.add(r.register);
        onTps.set(r.hash, set);
      }
    }
  }

  // 6. The rules, in memory.
  const softOptIn = purpose.soft_opt_in && (channel === 'email' || channel === 'sms');
  const decide = (subjectId: string, st: number, slot: number): Reason => {
    if (restricted.size > 0 && restricted.has(subjectId)) return 'restricted';
    const status = STATUS_OF[st & 7]!;
    const soft = (st & SOFT) !== 0;
    if (status === 'active') return 'consent';
    if (status === 'withdrawn' && !soft) return 'withdrawn';
    if (onConsent) return status === 'lapsed' ? 'lapsed' : status === 'child-without-parental-consent' ? 'child-without-parental-consent' : status === 'withdrawn' ? 'withdrawn' : 'no-consent';
    const type = subscriber.get(subjectId);
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
  for (let s = 0; s < slots; s++) {
    if (slotCode[s] === C.suppressed) continue;
    const first = slotPerson[s];
    if (first === undefined) {
      slotCode[s] = C['unknown-person'];
      continue;
    }
    let best = decide(first, states.get(first) ?? NONE, s);
    for (const id of extraPeople.get(s) ?? []) {
      const r = decide(id, states.get(id) ?? NONE, s);
      if (RANK[r] < RANK[best]) best = r;
    }
    slotCode[s] = C[best];
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
