/**
 * A complaint made on the public form: the person proves control of their email address with a
 * mailed code (src/kernel/email-codes.ts, purpose "complaint", exactly as for a rights request),
 * then the complaint is logged (channel web) and acknowledged at once by email, which meets the
 * 30-day duty the day it is received.
 */
import type { Actor } from '../auth/roles.js';
import { checkEmail, spendCode } from '../kernel/email-codes.js';
import { acknowledgeComplaint, logComplaint } from './complaints.service.js';
import type { AppContext } from '../kernel/context.js';
import { publicActor, systemActor } from '../kernel/actors.js';

/** Acknowledging is a privacy-officer act; the form does it on the organisation's behalf. */
const ackActor: Actor = systemActor('complaint-form', 'dpo');

export async function submitPublicComplaint(
  ctx: AppContext,
  input: { email: string; code: string; name?: string; summary: string },
  ip?: string,
): Promise<{ reference: string; receivedOn: string } | undefined> {
  const email = checkEmail(input.email);
  if (!(await spendCode(ctx, 'complaint', email, input.code, ip))) return undefined;
  const view = await logComplaint(ctx, publicActor('complaint-form', ip), {
    channel: 'web',
    complainant: { email, name: input.name || undefined },
    summary: input.summary,
  });
  await acknowledgeComplaint(ctx, ackActor, view.id);
  return { reference: view.reference, receivedOn: view.receivedOn };
}
