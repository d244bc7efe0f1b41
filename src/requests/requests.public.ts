/**
 * The public privacy centre: anyone may make a request after proving control of their email
 * address with a six-digit code mailed to it (src/kernel/email-codes.ts, purpose "request"). The
 * code is mailed whether or not the address is in the register, so the answer never tells a caller
 * who is known.
 */
import { checkEmail, spendCode } from '../kernel/email-codes.js';
import { publicActor } from '../kernel/actors.js';
import type { AppContext } from '../kernel/context.js';
import { openRequest } from './requests.service.js';
import type { RequestType } from './requests.store.js';

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
  if (!(await spendCode(ctx, 'request', email, input.code, ip))) return undefined;
  const accepted = ctx.policy.policy.rights.identity?.accepted ?? [];
  const view = await openRequest(ctx, publicActor('privacy-centre', ip), {
    type: input.type,
    channel: 'web',
    requester: { email, name: input.name || undefined },
    details: input.details || undefined,
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
