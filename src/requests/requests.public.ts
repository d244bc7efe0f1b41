/**
 * The public privacy centre: anyone may make a request after proving control of their email
 * address with a six-digit code mailed to it. The code is mailed whether or not the address is in
 * the register, so the answer never tells a caller who is known; only a MAC of each code is kept
 * (keyring.linkMac), codes live 15 minutes, five wrong tries spend one.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { appendAudit } from '../audit/audit.service.js';
import type { Actor } from '../auth/roles.js';
import { hit, type LimitRule } from '../server/rate-limit.js';
import { StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { openRequest } from './requests.service.js';
import type { RequestType } from './requests.store.js';
import { writeTx } from '../db/transactions.js';
import { publicActor } from '../kernel/actors.js';
import type { AppContext } from '../kernel/context.js';

export const CODE_TTL_MS = 15 * 60_000;
/**
 * Limits by requester (address) as well as by email address, in the database (shared by instances),
 * so that one abuser cannot use up or burn a person's codes: a requester may ask 3 codes an hour for
 * one address and 10 in all, and make 5 wrong tries per address in 15 minutes; an address receives
 * at most 20 codes an hour whoever asks; a code is spent after 20 wrong tries from anyone.
 */
export const CODE_LIMITS = {
  perRequesterAndAddress: { name: 'code-send-pair', limit: 3, windowMs: 3_600_000 },
  perRequester: { name: 'code-send-requester', limit: 10, windowMs: 3_600_000 },
  perAddress: { name: 'code-send-address', limit: 20, windowMs: 3_600_000 },
  wrongTries: { name: 'code-try-pair', limit: 5, windowMs: CODE_TTL_MS },
} satisfies Record<string, LimitRule>;
const MAX_ATTEMPTS = 20;
const EMAIL = /^[^\s@<>()",;]{1,64}@[^\s@<>()",;]{1,255}\.[^\s@<>()",;]{2,63}$/;

const normalise = (email: string): string => email.trim().toLowerCase();
/**
 * What a code proves control of an address for. Each scope keys its address hashes apart, so a
 * code mailed for a complaint cannot be spent on a rights request, nor the other way round.
 */
export type CodeScope = 'request' | 'complaint';
const SCOPE_WORDS: Record<CodeScope, string> = { request: 'a privacy request', complaint: 'a complaint' };
const emailHash = (ctx: AppContext, email: string, scope: CodeScope = 'request'): string =>
  ctx.keyring.linkMac(scope === 'request' ? 'request-email' : `${scope}-email`, normalise(email));
const codeMac = (ctx: AppContext, id: string, code: string): string => ctx.keyring.linkMac('request-code', `${id}:${code}`);

export function checkEmail(email: unknown): string {
  if (typeof email !== 'string' || email.length > 320 || !EMAIL.test(email.trim())) {
    throw new StewardError('VALIDATION_FAILED', 'email: that is not an email address', [{ path: 'email', message: 'not an email address' }]);
  }
  return email.trim();
}

/** Step 1: mails a code (limited per requester and per address: CODE_LIMITS). `delivery` settles when the mail is handed over. */
export async function requestCode(ctx: AppContext, email: string, ip?: string, scope: CodeScope = 'request'): Promise<{ delivery: Promise<void> }> {
  const to = checkEmail(email);
  const hash = emailHash(ctx, to, scope);
  const requester = ip ?? 'unknown';
  const now = ctx.clock.now();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const id = newId();
  // Same answer either way: a caller learns nothing from being limited (no mail is sent).
  for (const [rule, key] of [
    [CODE_LIMITS.perRequesterAndAddress, `${requester}\n${hash}`],
    [CODE_LIMITS.perRequester, requester],
    [CODE_LIMITS.perAddress, hash],
  ] as const) {
    if (!(await hit(ctx, rule, key)).allowed) return { delivery: Promise.resolve() };
  }
  await writeTx(ctx, async (trx) => {
    await trx
      .insertInto('request_codes')
      .values({ id, email_hash: hash, code_mac: codeMac(ctx, id, code), created_at: now.toISOString(), expires_at: new Date(now.getTime() + CODE_TTL_MS).toISOString(), attempts: 0, used_at: null })
      .execute();
    await appendAudit(trx, ctx, publicActor('privacy-centre', ip), [{ action: `${scope}.code-sent`, details: {} }]);
  });
  const org = ctx.policy.policy.organisation.name;
  const delivery = ctx.mailer
    .send({ to, subject: `Your code for ${SCOPE_WORDS[scope]} to ${org}`, text: `Your code is ${code}\n\nEnter it within 15 minutes to send your ${scope} to ${org}.\nIf you did not ask for it, ignore this message.` })
    .then(() => undefined);
  return { delivery };
}

/**
 * Spends a code: any live code for the address matches (so codes asked for by someone else do not
 * replace the person's own). A wrong try counts against the requester for that address first; past
 * their limit nothing is checked, so one requester cannot burn the person's code.
 */
export async function spendCode(ctx: AppContext, email: string, code: string, ip?: string, scope: CodeScope = 'request'): Promise<boolean> {
  if (!/^\d{6}$/.test(code.trim())) return false;
  const hash = emailHash(ctx, email, scope);
  const nowIso = ctx.clock.now().toISOString();
  const tries = await hit(ctx, CODE_LIMITS.wrongTries, `${ip ?? 'unknown'}\n${hash}`);
  if (!tries.allowed) return false;
  const ok = await writeTx(ctx, async (trx) => {
    const live = await trx
      .selectFrom('request_codes')
      .selectAll()
      .where('email_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', nowIso)
      .where('attempts', '<', MAX_ATTEMPTS)
      .orderBy('created_at', 'desc')
      .limit(CODE_LIMITS.perAddress.limit)
      .execute();
    const given = code.trim();
    const match = live.find((row) => {
      const a = Buffer.from(codeMac(ctx, row.id, given));
      const b = Buffer.from(row.code_mac);
      return a.length === b.length && timingSafeEqual(a, b);
    });
    if (!match) {
      for (const row of live) await trx.updateTable('request_codes').set({ attempts: row.attempts + 1 }).where('id', '=', row.id).execute();
      return false;
    }
    await trx.updateTable('request_codes').set({ used_at: nowIso }).where('id', '=', match.id).execute();
    return true;
  });
  return ok;
}

export interface PublicRequestInput {
  email: string;
  code: string;
  type: RequestType;
  name?: string;
  details?: string;
}

/**
 * Step 2: with a good code, opens the request (channel web) with "email-control" recorded as
 * identity evidence where the declaration accepts it, and mails an acknowledgement with the
 * reference. Undefined for a wrong or expired code.
 */
export async function submitPublicRequest(ctx: AppContext, input: PublicRequestInput, ip?: string): Promise<{ reference: string; dueOn: string } | undefined> {
  const email = checkEmail(input.email);
  if (!(await spendCode(ctx, email, String(input.code ?? ''), ip))) return undefined;
  const accepted = ctx.policy.policy.rights.identity?.accepted ?? [];
  const actor: Actor = publicActor('privacy-centre', ip);
  const view = await openRequest(ctx, { ...actor, role: 'staff' }, {
    type: input.type,
    channel: 'web',
    requester: { email, ...(input.name ? { name: input.name } : {}) },
    ...(input.details ? { details: input.details } : {}),
    identity: accepted.includes('email-control') ? ['email-control'] : [],
  });
  const org = ctx.policy.policy.organisation.name;
  await ctx.mailer
    .send({
      to: email,
      subject: `We have your request ${view.reference}`,
      text: `Thank you. ${org} received your request on ${view.receivedOn}; its reference is ${view.reference}.\n${view.status === 'identity-pending' ? 'We will contact you to confirm your identity; the time to respond starts when we have it.\n' : `We will respond by ${view.dueOn}.\n`}`,
    })
    .catch(() => undefined);
  return { reference: view.reference, dueOn: view.dueOn };
}
