/**
 * Reminders to the privacy officer before each due date of every running request: a week before,
 * two days before, and on the day. Idempotent and safe from several servers: each
 * (request, stage, due date) is claimed under the write lock before its email is sent, so it goes
 * once; a due date that moves (a pause, an extension) gets its own reminders. When several stages
 * are due at once only the most urgent is sent, the earlier marked superseded.
 */
import { appendAudit } from '../audit/audit.service.js';
import { privacyOfficerEmail } from '../policy/contacts.js';
import { isStewardError } from '../shared/errors.js';
import { ukToday } from './requests.clock.js';
import { writeTx } from '../db/transactions.js';
import { systemActor } from '../kernel/actors.js';
import type { AppContext } from '../kernel/context.js';

export const REMINDER_STAGES = [
  { stage: 'week-before', daysBefore: 7 },
  { stage: 'two-days-before', daysBefore: 2 },
  { stage: 'due-day', daysBefore: 0 },
] as const;

const minusDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const STALE_CLAIM_MS = 15 * 60_000;

export interface RequestReminderRun {
  checked: number;
  sent: number;
  failed: number;
  warning: string | null;
}

export async function sendRequestReminders(ctx: AppContext, now: Date = ctx.clock.now()): Promise<RequestReminderRun> {
  const actor = systemActor('request-reminders');
  const to = privacyOfficerEmail(ctx.policy.policy);
  const today = ukToday(now);
  const nowIso = now.toISOString();
  const horizon = minusDays(today, -REMINDER_STAGES[0].daysBefore);
  const claims = await writeTx(ctx, async (trx) => {
    const due = await trx.selectFrom('requests').select(['id', 'reference', 'type', 'due_on', 'status']).where('status', 'in', ['open', 'extended']).where('due_on', '<=', horizon).orderBy('due_on').execute();
    const out: Array<{ id: string; reference: string; type: string; dueOn: string; stage: string }> = [];
    if (!to) return { checked: due.length, out };
    for (const r of due) {
      const stages = REMINDER_STAGES.map((s) => ({ ...s, on: minusDays(r.due_on, s.daysBefore) })).filter((s) => s.on <= today);
      if (stages.length === 0) continue;
      const have = new Map((await trx.selectFrom('request_reminders').selectAll().where('request_id', '=', r.id).where('due_on', '=', r.due_on).execute()).map((x) => [x.stage, x]));
      const latest = stages[stages.length - 1]!;
      for (const s of stages.slice(0, -1)) {
        if (!have.has(s.stage)) await trx.insertInto('request_reminders').values({ request_id: r.id, stage: s.stage, due_on: r.due_on, status: 'superseded', claimed_at: nowIso, sent_at: null, message_id: null }).execute();
      }
      const existing = have.get(latest.stage);
      if (!existing) {
        await trx.insertInto('request_reminders').values({ request_id: r.id, stage: latest.stage, due_on: r.due_on, status: 'pending', claimed_at: nowIso, sent_at: null, message_id: null }).execute();
      } else if (existing.status === 'failed' || (existing.status === 'pending' && Date.parse(existing.claimed_at) < now.getTime() - STALE_CLAIM_MS)) {
        await trx.updateTable('request_reminders').set({ status: 'pending', claimed_at: nowIso }).where('id', '=', existing.id).execute();
      } else continue;
      out.push({ id: r.id, reference: r.reference, type: r.type, dueOn: r.due_on, stage: latest.stage });
    }
    return { checked: due.length, out };
  });
  let sent = 0;
  let failed = 0;
  const org = ctx.policy.policy.organisation.name;
  for (const c of claims.out) {
    const when = c.stage === 'due-day' ? 'is due TODAY' : `is due on ${c.dueOn}`;
    let messageId: string | undefined;
    try {
      messageId = (
        await ctx.mailer.send({
          to: to!,
          subject: `[${org}] Rights request ${c.reference} ${when}`,
          text: `The ${c.type} request ${c.reference} ${when}.\n\nSee it with: steward requests show ${c.reference}\n${ctx.config?.baseUrl ? `or ${ctx.config.baseUrl}/api/v1/requests/${c.id}\n` : ''}`,
          headers: { 'X-Steward-Request': c.reference },
        })
      ).messageId;
      sent++;
    } catch (e) {
      failed++;
      void isStewardError(e);
    }
    await writeTx(ctx, async (trx) => {
      await trx
        .updateTable('request_reminders')
        .set(messageId ? { status: 'sent', sent_at: ctx.clock.now().toISOString(), message_id: messageId } : { status: 'failed' })
        .where('request_id', '=', c.id)
        .where('stage', '=', c.stage)
        .where('due_on', '=', c.dueOn)
        .execute();
      await appendAudit(trx, ctx, actor, [{ action: 'request.remind', details: { request: c.id, stage: c.stage, dueOn: c.dueOn, status: messageId ? 'sent' : 'failed' } }]);
    });
  }
  return { checked: claims.checked, sent, failed, warning: to ? null : 'no email address for the privacy contact or the organisation: add organisation.privacy_contact.email to receive reminders' };
}
