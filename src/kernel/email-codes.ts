/**
 * Proving control of an email address by a code mailed to it: the one mechanism behind the
 * privacy centre's request form (and its API), the complaint form and the preference page.
 *
 * - A six-digit code lives 15 minutes; only a MAC of it is kept (keyring.linkMac), beside a keyed
 *   hash of the address, never the address.
 * - Each purpose keys its address hashes apart, so a code mailed for a complaint cannot be spent
 *   on a rights request or on the preference page, nor the other way round.
 * - Asking gets the same answer whatever the address, and takes as long: the mail is never
 *   awaited (sendCode returns before it is handed over), and whatever decides whether a mail goes
 *   at all (the preference page mails only addresses in the register) is decided after the
 *   answer, with the mail. Being over a limit changes nothing the caller can see either.
 * - Limits by requester (client address) as well as by email address, counted by the one rate
 *   limiter in the database (shared by instances), so that one abuser cannot use up or burn a
 *   person's codes (CODE_LIMITS).
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { appendAudit } from '../audit/audit.service.js';
import { writeTx } from '../db/transactions.js';
import { hit, type LimitRule } from './rate-limit.js';
import { StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { publicActor } from './actors.js';
import type { AppContext } from './context.js';

export interface EmailCodesTable {
  id: string;
  /** Keyed hash of the address, in the purpose's own domain (see PURPOSES). */
  email_hash: string;
  code_mac: string;
  created_at: string;
  expires_at: string;
  /** Wrong tries while this code was live. */
  attempts: number;
  used_at: string | null;
}

declare module '../db/tables.js' {
  interface Tables {
    email_codes: EmailCodesTable;
  }
}

export const CODE_TTL_MS = 15 * 60_000;

/**
 * A requester may ask 3 codes an hour for one address and 10 in all, and make 5 wrong tries per
 * address in 15 minutes; an address receives at most 20 codes an hour whoever asks; a code is
 * spent after 20 wrong tries from anyone.
 */
export const CODE_LIMITS = {
  perRequesterAndAddress: { name: 'code-send-pair', limit: 3, windowMs: 3_600_000 },
  perRequester: { name: 'code-send-requester', limit: 10, windowMs: 3_600_000 },
  perAddress: { name: 'code-send-address', limit: 20, windowMs: 3_600_000 },
  wrongTries: { name: 'code-try-pair', limit: 5, windowMs: CODE_TTL_MS },
} satisfies Record<string, LimitRule>;
const MAX_ATTEMPTS = 20;

const EMAIL = /^[^\s@<>()",;]{1,64}@[^\s@<>()",;]{1,255}\.[^\s@<>()",;]{2,63}$/;

/** What a code proves control of an address for. */
export type CodePurpose = 'request' | 'complaint' | 'preferences';

type Ctx = Pick<AppContext, 'database' | 'keyring' | 'clock' | 'mailer' | 'policy'>;

interface PurposeRules {
  /** The keyed hash the codes are kept by. */
  addressHash(ctx: Ctx, email: string): string | undefined;
  /** The MAC domain of the codes. */
  codeDomain: string;
  /** The public page that asks, for the audit trail. */
  page: string;
  mail(org: string, code: string): { subject: string; text: string };
}

const normalise = (email: string): string => email.trim().toLowerCase();

// The domains are those of the code tables these replaced (request_codes, preference_codes), so
// the codes copied from them by the migration still match.
const PURPOSES: Record<CodePurpose, PurposeRules> = {
  request: {
    addressHash: (ctx, email) => ctx.keyring.linkMac('request-email', normalise(email)),
    codeDomain: 'request-code',
    page: 'privacy-centre',
    mail: (org, code) => ({
      subject: `Your code for a privacy request to ${org}`,
      text: `Your code is ${code}\n\nEnter it within 15 minutes to send your request to ${org}.\nIf you did not ask for it, ignore this message.`,
    }),
  },
  complaint: {
    addressHash: (ctx, email) => ctx.keyring.linkMac('complaint-email', normalise(email)),
    codeDomain: 'request-code',
    page: 'complaint-form',
    mail: (org, code) => ({
      subject: `Your code for a complaint to ${org}`,
      text: `Your code is ${code}\n\nEnter it within 15 minutes to send your complaint to ${org}.\nIf you did not ask for it, ignore this message.`,
    }),
  },
  preferences: {
    // The suppression-list hash: the preference session carries it anyway.
    addressHash: (ctx, email) => ctx.keyring.indexer.suppressionHash('email', email),
    codeDomain: 'preference-code',
    page: 'preference-page',
    mail: (org, code) => ({
      subject: `Your code for ${org}'s marketing preferences`,
      text: `Your code is ${code}\n\nEnter it on the preference page within 15 minutes to see and change how ${org} may contact you.\nIf you did not ask for it, ignore this message.`,
    }),
  },
};

const codeMac = (ctx: Ctx, purpose: CodePurpose, id: string, code: string): string => ctx.keyring.linkMac(PURPOSES[purpose].codeDomain, `${id}:${code}`);

const notAnAddress = (): StewardError => new StewardError('VALIDATION_FAILED', 'email: that is not an email address', [{ path: 'email', message: 'not an email address' }]);

/** The address, trimmed; VALIDATION_FAILED when it is not one. */
export function checkEmail(email: unknown): string {
  if (typeof email !== 'string' || email.length > 320 || !EMAIL.test(email.trim())) throw notAnAddress();
  return email.trim();
}

/** Where a failed mail is reported (a request's logger); it never reaches the caller. */
export interface MailFailureLog {
  warn(obj: object, msg: string): void;
}

export interface SendCodeOptions {
  /** The requester's address (limits and audit). */
  ip?: string | undefined;
  /** Decides, after the answer and with the mail, whether to mail at all (true when absent). */
  mailIf?: () => Promise<boolean>;
  log?: MailFailureLog | undefined;
}

/**
 * Step 1: stores a code for the address and mails it, limited per requester and per address
 * (CODE_LIMITS). Returns before the mail is handed over, whatever the address and whether or not
 * it is mailed, so that neither the answer nor its timing tells anything; `delivery` settles when
 * the mail has gone (or was not sent), for tests and shutdown, and never rejects.
 */
export async function sendCode(ctx: Ctx, purpose: CodePurpose, email: string, opts: SendCodeOptions = {}): Promise<{ delivery: Promise<void> }> {
  const to = checkEmail(email);
  const rules = PURPOSES[purpose];
  const hash = rules.addressHash(ctx, to);
  if (!hash) throw notAnAddress();
  const requester = opts.ip ?? 'unknown';
  for (const [rule, key] of [
    [CODE_LIMITS.perRequesterAndAddress, `${requester}\n${hash}`],
    [CODE_LIMITS.perRequester, requester],
    [CODE_LIMITS.perAddress, hash],
  ] as const) {
    if (!(await hit(ctx, rule, key)).allowed) return { delivery: Promise.resolve() };
  }
  const now = ctx.clock.now();
  const id = newId();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  await writeTx(ctx, async (trx) => {
    await trx
      .insertInto('email_codes')
      .values({ id, email_hash: hash, code_mac: codeMac(ctx, purpose, id, code), created_at: now.toISOString(), expires_at: new Date(now.getTime() + CODE_TTL_MS).toISOString(), attempts: 0, used_at: null })
      .execute();
    await appendAudit(trx, ctx, publicActor(rules.page, opts.ip), [{ action: `${purpose}.code-sent`, details: {} }]);
  });
  const mail = rules.mail(ctx.policy.policy.organisation.name, code);
  // Not awaited by anyone answering the caller: the answer must take as long whatever the address.
  const delivery = (async () => {
    if (opts.mailIf && !(await opts.mailIf())) return;
    await ctx.mailer.send({ to, ...mail });
  })().catch((e: unknown) => opts.log?.warn({ err: { type: (e as Error)?.name } }, `${purpose} code mail failed`));
  return { delivery };
}

/**
 * Step 2: spends a code. Any live code for the address matches (so codes asked for by someone
 * else do not replace the person's own). A wrong try counts against the requester for that
 * address first; past their limit nothing is checked, so one requester cannot burn the person's
 * code. True once for a right code.
 */
export async function spendCode(ctx: Ctx, purpose: CodePurpose, email: string, code: string, ip?: string): Promise<boolean> {
  const given = String(code ?? '').trim();
  if (!/^\d{6}$/.test(given) || typeof email !== 'string') return false;
  const hash = PURPOSES[purpose].addressHash(ctx, email.trim());
  if (!hash) return false;
  const nowIso = ctx.clock.now().toISOString();
  const tries = await hit(ctx, CODE_LIMITS.wrongTries, `${ip ?? 'unknown'}\n${hash}`);
  if (!tries.allowed) return false;
  return writeTx(ctx, async (trx) => {
    const live = await trx
      .selectFrom('email_codes')
      .selectAll()
      .where('email_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', nowIso)
      .where('attempts', '<', MAX_ATTEMPTS)
      .orderBy('created_at', 'desc')
      .limit(CODE_LIMITS.perAddress.limit)
      .execute();
    const match = live.find((row) => {
      const a = Buffer.from(codeMac(ctx, purpose, row.id, given));
      const b = Buffer.from(row.code_mac);
      return a.length === b.length && timingSafeEqual(a, b);
    });
    if (!match) {
      for (const row of live) await trx.updateTable('email_codes').set({ attempts: row.attempts + 1 }).where('id', '=', row.id).execute();
      return false;
    }
    await trx.updateTable('email_codes').set({ used_at: nowIso }).where('id', '=', match.id).execute();
    return true;
  });
}
