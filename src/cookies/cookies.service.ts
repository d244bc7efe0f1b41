/**
 * The website cookie banner's consent log (PECR reg 6; UK GDPR Art 7(1): the organisation must be
 * able to show consent was given). Each choice a visitor makes is appended, never changed: the
 * anonymous consent id from the visitor's own cookie, the choice per category, the notice version
 * and banner text version they saw, whether Global Privacy Control was signalled, the time, and a
 * hash of the user agent. No IP address, name or other identifier is kept.
 *
 * The records identify nobody by themselves, so they are not register data: writing one needs no
 * audit entry (the log is itself the evidence), while staff reading one is audited.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../auth/roles.js';
import { authorise } from '../auth/roles.js';
import { appendAudit } from '../audit/audit.service.js';
import type { DB } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { BannerConfig } from './cookies.banner.js';
import type { CookieConsentChoicesTable, CookieConsentMethod, CookieConsentOutcome, CookieConsentsTable } from './cookies.tables.js';
import './cookies.tables.js';
import type { AppContext } from '../kernel/context.js';
import { isPublishedVersion } from '../policy/policy.service.js';

/** Every key a choice may carry: the consent categories and the 2025 Act's exemptions. */
export const CHOICE_KEYS = ['functional', 'analytics', 'marketing', 'statistics', 'appearance'] as const;
export type ChoiceKey = (typeof CHOICE_KEYS)[number];
export const CONSENT_METHODS = ['banner', 'settings', 'gpc'] as const satisfies readonly CookieConsentMethod[];

/** 128 random bits, base64url: made by the banner in the visitor's browser, or here. */
export const CONSENT_ID = /^[A-Za-z0-9_-]{22}$/;
export const VERSION_HASH = /^[0-9a-f]{16,64}$/;

export const newConsentId = (): string => randomBytes(16).toString('base64url');

export interface CookieChoiceInput {
  consentId?: string;
  choices: Partial<Record<ChoiceKey, boolean>>;
  method: CookieConsentMethod;
  noticeVersion: string;
  bannerVersion: string;
  /** The page said navigator.globalPrivacyControl was true, or the request carried Sec-GPC: 1. */
  gpc: boolean;
  userAgent?: string;
  origin?: string;
}

export interface CookieConsentRecord {
  id: string;
  consentId: string;
  recordedAt: string;
  method: CookieConsentMethod;
  outcome: CookieConsentOutcome;
  choices: Record<string, boolean>;
  gpc: boolean;
  noticeVersion: string;
  bannerVersion: string;
  userAgentHash: string | null;
  origin: string | null;
}

const toRecord = (r: CookieConsentsTable): CookieConsentRecord => ({
  id: r.id,
  consentId: r.consent_id,
  recordedAt: r.recorded_at,
  method: r.method,
  outcome: r.outcome,
  choices: JSON.parse(r.choices) as Record<string, boolean>,
  gpc: r.gpc === 1,
  noticeVersion: r.notice_version,
  bannerVersion: r.banner_version,
  userAgentHash: r.ua_hash,
  origin: r.origin,
});

/** Every category allowed: accept-all; none: reject-all; otherwise custom. */
export function outcomeOf(choices: Record<string, boolean>): CookieConsentOutcome {
  const values = Object.values(choices);
  if (values.every(Boolean)) return 'accept-all';
  if (values.every((v) => !v)) return 'reject-all';
  return 'custom';
}

/**
 * Which notice versions a record may cite: the one served now, and any the server has published.
 * Cached per process (published versions never change).
 */
export class NoticeVersions {
  readonly #known = new Set<string>();
  constructor(current: string) {
    this.#known.add(current);
  }
  async isKnown(db: DB, hash: string): Promise<boolean> {
    if (this.#known.has(hash)) return true;
    const known = await isPublishedVersion(db, hash);
    if (known) this.#known.add(hash);
    return known;
  }
}

function invalid(path: string, message: string): StewardError {
  return new StewardError('VALIDATION_FAILED', `the consent record is not valid: ${message}`, [{ path, message }]);
}

/**
 * Checks a choice against the banner now served: every key one the banner offers, and every
 * offered key answered (a partial answer would leave a category undecided).
 */
export function checkChoices(banner: BannerConfig, choices: Partial<Record<ChoiceKey, boolean>>): Record<string, boolean> {
  const offered = banner.groups.filter((g) => g.kind !== 'necessary').map((g) => g.key);
  const given = Object.keys(choices);
  for (const k of given) if (!offered.includes(k)) throw invalid(`body.choices.${k}`, `"${k}" is not a category this website's banner offers (${offered.join(', ') || 'none'})`);
  for (const k of offered) if (typeof (choices as Record<string, unknown>)[k] !== 'boolean') throw invalid(`body.choices.${k}`, `the choice for "${k}" is missing`);
  if (offered.length === 0) throw invalid('body.choices', 'this website declares no cookie that needs a choice');
  // In the banner's order, so equal choices serialise equally.
  return Object.fromEntries(offered.map((k) => [k, (choices as Record<string, boolean>)[k]!]));
}

export const userAgentHash = (ua: string | undefined): string | null => (ua ? createHash('sha256').update(ua, 'utf8').digest('hex') : null);

/** Appends one choice to the log. */
export async function recordCookieChoice(
  db: DB,
  clock: Clock,
  banner: BannerConfig,
  versions: NoticeVersions,
  input: CookieChoiceInput,
): Promise<CookieConsentRecord> {
  if (input.consentId !== undefined && !CONSENT_ID.test(input.consentId)) throw invalid('body.consentId', 'the consent id must be 22 characters of A-Z, a-z, 0-9, - and _');
  if (!VERSION_HASH.test(input.noticeVersion) || !(await versions.isKnown(db, input.noticeVersion))) {
    throw invalid('body.noticeVersion', 'the notice version is not one this server has published');
  }
  if (!VERSION_HASH.test(input.bannerVersion)) throw invalid('body.bannerVersion', 'the banner version must be a hexadecimal hash');
  const choices = checkChoices(banner, input.choices);
  const now = clock.now();
  const at = now.toISOString();
  const day = at.slice(0, 10);
  const row: CookieConsentsTable = {
    id: newId(now.getTime()),
    consent_id: input.consentId ?? newConsentId(),
    recorded_at: at,
    day,
    method: input.method,
    outcome: outcomeOf(choices),
    choices: JSON.stringify(choices),
    gpc: input.gpc ? 1 : 0,
    notice_version: input.noticeVersion,
    banner_version: input.bannerVersion,
    ua_hash: userAgentHash(input.userAgent),
    origin: input.origin ?? null,
  };
  await writerFor(db).write(row, Object.entries(choices).map(([category, granted]) => ({ record_id: row.id, day, category, granted: granted ? 1 : 0 })));
  return toRecord(row);
}

/**
 * Group commit: choices arriving together are written in one transaction (the server answers
 * each only once its row is committed). A busy website sends many choices at once, and one commit
 * for many rows is what lets SQLite keep up.
 */
class ConsentLogWriter {
  #queue: Array<{ row: CookieConsentsTable; choices: CookieConsentChoicesTable[]; done: (e?: unknown) => void }> = [];
  #scheduled = false;

  constructor(readonly db: DB) {}

  write(row: CookieConsentsTable, choices: CookieConsentChoicesTable[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, choices, done: (e) => (e === undefined ? resolve() : reject(e)) });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    // 400 rows of 12 columns stay well under both databases' bound-parameter limits.
    const batch = this.#queue.splice(0, 400);
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('cookie_consents').values(batch.map((b) => b.row)).execute();
        await trx.insertInto('cookie_consent_choices').values(batch.flatMap((b) => b.choices)).execute();
      });
      for (const b of batch) b.done();
    } catch (e) {
      for (const b of batch) b.done(e ?? new Error('the consent log could not be written'));
    } finally {
      if (this.#queue.length > 0) setImmediate(() => void this.#flush());
      else this.#scheduled = false;
    }
  }
}

const writers = new WeakMap<DB, ConsentLogWriter>();
const writerFor = (db: DB): ConsentLogWriter => writers.get(db) ?? writers.set(db, new ConsentLogWriter(db)).get(db)!;

/** Every choice made under one consent id, oldest first (the visitor's own view: no audit). */
export async function consentHistory(db: DB, consentId: string): Promise<CookieConsentRecord[]> {
  if (!CONSENT_ID.test(consentId)) throw invalid('consentId', 'the consent id must be 22 characters of A-Z, a-z, 0-9, - and _');
  const rows = await db.selectFrom('cookie_consents').selectAll().where('consent_id', '=', consentId).orderBy('id').limit(1000).execute();
  if (rows.length === 0) throw new StewardError('NOT_FOUND', 'no consent record has this id');
  return rows.map(toRecord);
}

/** A staff look-up of one visitor's record, audited. */
export async function lookUpConsent(ctx: AppContext, actor: Actor, consentId: string): Promise<CookieConsentRecord[]> {
  authorise(actor, 'subjects:read');
  const history = await consentHistory(ctx.database.db, consentId);
  await ctx.database.db.transaction().execute(async (trx) => {
    await ctx.database.adapter.lockForWrite(trx);
    await appendAudit(trx, ctx, actor, [{ action: 'cookies.consent.read', details: { consentId, records: history.length } }]);
  });
  return history;
}

export interface CookieCountsDay {
  day: string;
  choices: number;
  outcomes: Record<CookieConsentOutcome, number>;
  gpc: number;
  categories: Record<string, { granted: number; refused: number }>;
}

export interface CookieCounts {
  from: string;
  to: string;
  days: CookieCountsDay[];
  totals: Omit<CookieCountsDay, 'day'>;
}

const isoDay = /^\d{4}-\d{2}-\d{2}$/;

/** Choices per day in [from, to] (dates, inclusive): outcomes, GPC, and each category's answers. */
export async function cookieCounts(db: DB, actor: Actor, range: { from: string; to: string }): Promise<CookieCounts> {
  authorise(actor, 'subjects:read');
  if (!isoDay.test(range.from) || !isoDay.test(range.to)) throw invalid('from', 'dates must be YYYY-MM-DD');
  if (range.from > range.to) throw invalid('from', '"from" must not be after "to"');
  const outcomes = await db
    .selectFrom('cookie_consents')
    .select(['day', 'outcome', sql<number>`count(*)`.as('n'), sql<number>`sum(gpc)`.as('g')])
    .where('day', '>=', range.from)
    .where('day', '<=', range.to)
    .groupBy(['day', 'outcome'])
    .execute();
  const categories = await db
    .selectFrom('cookie_consent_choices')
    .select(['day', 'category', 'granted', sql<number>`count(*)`.as('n')])
    .where('day', '>=', range.from)
    .where('day', '<=', range.to)
    .groupBy(['day', 'category', 'granted'])
    .execute();
  const blank = (): Omit<CookieCountsDay, 'day'> => ({ choices: 0, outcomes: { 'accept-all': 0, 'reject-all': 0, custom: 0 }, gpc: 0, categories: {} });
  const days = new Map<string, CookieCountsDay>();
  const totals = blank();
  const dayOf = (d: string) => days.get(d) ?? days.set(d, { day: d, ...blank() }).get(d)!;
  for (const r of outcomes) {
    const n = Number(r.n);
    const g = Number(r.g ?? 0);
    for (const t of [dayOf(r.day), totals]) {
      t.choices += n;
      t.outcomes[r.outcome] += n;
      t.gpc += g;
    }
  }
  for (const r of categories) {
    const n = Number(r.n);
    for (const t of [dayOf(r.day), totals]) {
      const c = (t.categories[r.category] ??= { granted: 0, refused: 0 });
      if (Number(r.granted) === 1) c.granted += n;
      else c.refused += n;
    }
  }
  return { from: range.from, to: range.to, days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)), totals };
}
