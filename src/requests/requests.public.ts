/**
 * The public privacy centre: anyone may make a request after proving control of their email
 * address with a six-digit code mailed to it. The code is mailed whether or not the address is in
 * the register, so the answer never tells a caller who is known; only a MAC of each code is kept
 * (keyring.linkMac), codes live 15 minutes, five wrong tries spend one.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { appendAudit } from '../audit/audit.service.js';
import type { Actor } from '../auth/roles.js';
import { writeTx } from '../register/register.service.js';
import { StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { openRequest, type RequestsContext } from './requests.service.js';
import type { RequestType } from './requests.store.js';

export const CODE_TTL_MS = 15 * 60_000;
const MAX_ATTEMPTS = 5;
const MAX_CODES_PER_HOUR = 5;
const EMAIL = /^[^\s@<>()",;]{1,64}@[^\s@<>()",;]{1,255}\.[^\s@<>()",;]{2,63}$/;

const publicActor = (ip?: string): Actor => ({ kind: 'system', id: 'public:privacy-centre', role: 'staff', jobRoles: [], ...(ip ? { ip } : {}) });
const normalise = (email: string): string => email.trim().toLowerCase();
/**
 * What a code proves control of an address for. Each scope keys its address hashes apart, so a
 * code mailed for a complaint cannot be spent on a rights request, nor the other way round.
 */
export type CodeScope = 'request' | 'complaint';
const SCOPE_WORDS: Record<CodeScope, string> = { request: 'a privacy request', complaint: 'a complaint' };
const emailHash = (ctx: RequestsContext, email: string, scope: CodeScope = 'request'): string =>
  ctx.keyring.linkMac(scope === 'request' ? 'request-email' : `${scope}-email`, normalise(email));
const codeMac = (ctx: RequestsContext, id: string, code: string): string => ctx.keyring.linkMac('request-code', `${id}:${code}`);

export function checkEmail(email: unknown): string {
  if (typeof email !== 'string' || email.length > 320 || !EMAIL.test(email.trim())) {
    throw new StewardError('VALIDATION_FAILED', 'email: that is not an email address', [{ path: 'email', message: 'not an email address' }]);
  }
  return email.trim();
}

/** Step 1: mails a code (at most five an hour per address). `delivery` settles when the mail is handed over. */
export async function requestCode(ctx: RequestsContext, email: string, ip?: string, scope: CodeScope = 'request'): Promise<{ delivery: Promise<void> }> {
  const to = checkEmail(email);
  const hash = emailHash(ctx, to, scope);
  const now = ctx.clock.now();
  const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const id = newId();
  const sent = await writeTx(ctx, async (trx) => {
    const recent = await trx.selectFrom('request_codes').select('id').where('email_hash', '=', hash).where('created_at', '>', hourAgo).execute();
    if (recent.length >= MAX_CODES_PER_HOUR) return false;
    await trx
      .insertInto('request_codes')
      .values({ id, email_hash: hash, code_mac: codeMac(ctx, id, code), created_at: now.toISOString(), expires_at: new Date(now.getTime() + CODE_TTL_MS).toISOString(), attempts: 0, used_at: null })
      .execute();
    await appendAudit(trx, ctx, publicActor(ip), [{ action: `${scope}.code-sent`, details: {} }]);
    return true;
  });
  if (!sent) return { delivery: Promise.resolve() };
  const org = ctx.policy.policy.organisation.name;
  const delivery = ctx.mailer
    .send({ to, subject: `Your code for ${SCOPE_WORDS[scope]} to ${org}`, text: `Your code is ${code}\n\nEnter it within 15 minutes to send your ${scope} to ${org}.\nIf you did not ask for it, ignore this message.` })
    .then(() => undefined);
  return { delivery };
}

/** True, once, for the latest live code mailed to this address for this scope. */
export async function spendCode(ctx: RequestsContext, email: string, code: string, scope: CodeScope = 'request'): Promise<boolean> {
  if (!/^\d{6}$/.test(code.trim())) return false;
  const hash = emailHash(ctx, email, scope);
  const nowIso = ctx.clock.now().toISOString();
  return writeTx(ctx, async (trx) => {
    const row = await trx.selectFrom('request_codes').selectAll().where('email_hash', '=', hash).where('used_at', 'is', null).where('expires_at', '>', nowIso).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    if (!row || row.attempts >= MAX_ATTEMPTS) return false;
    const given = Buffer.from(codeMac(ctx, row.id, code.trim()));
    const stored = Buffer.from(row.code_mac);
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) {
      await trx.updateTable('request_codes').set({ attempts: row.attempts + 1 }).where('id', '=', row.id).execute();
      return false;
    }
    await trx.updateTable('request_codes').set({ used_at: nowIso }).where('id', '=', row.id).execute();
    return true;
  });
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
export async function submitPublicRequest(ctx: RequestsContext, input: PublicRequestInput, ip?: string): Promise<{ reference: string; dueOn: string } | undefined> {
  const email = checkEmail(input.email);
  if (!(await spendCode(ctx, email, String(input.code ?? '')))) return undefined;
  const accepted = ctx.policy.policy.rights.identity?.accepted ?? [];
  const actor: Actor = { ...publicActor(ip), id: 'public:privacy-centre' };
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
