/**
 * Reminders to the privacy officer as the 72 hours run out: 48 hours before the deadline, 12
 * hours before, and when it passes, for every open breach not yet reported to the ICO and not
 * decided unreportable.
 *
 * `sendBreachReminders` is safe to run as often as one likes, from several servers at once: each
 * (breach, stage) is claimed in a write transaction before its email is sent, and marked sent
 * after, so a reminder goes once. A claim whose sending never finished (a crash) is retried after
 * a while; a failed send is retried on the next run. When a run finds several stages due at once
 * (a breach recorded late), only the most urgent is sent and the earlier ones are marked as
 * superseded.
 */
import { appendAudit } from '../audit/audit.service.js';
import { privacyOfficerEmail } from '../policy/contacts.js';
import { isStewardError } from '../shared/errors.js';
import { breachClock } from './breaches.clock.js';
import { REMINDER_STAGES, renderReminder, type ReminderStage } from './breaches.templates.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { systemActor } from '../kernel/actors.js';

export interface ReminderOutcome {
  breachId: string;
  reference: string;
  stage: ReminderStage;
  status: 'sent' | 'failed';
  error?: string;
}

export interface ReminderRun {
  checked: number;
  outcomes: ReminderOutcome[];
  /** Why nothing could be sent, if so (no address to send to). */
  warning: string | null;
}

const HOUR = 3_600_000;
/** A claim older than this whose email was never marked sent is taken again. */
const STALE_CLAIM_MS = 15 * 60_000;

export async function sendBreachReminders(ctx: AppContext, now: Date = ctx.clock.now()): Promise<ReminderRun> {
  const actor = systemActor('breach-reminders');
  const to = privacyOfficerEmail(ctx.policy.policy);
  const horizon = new Date(now.getTime() + REMINDER_STAGES[0].hoursBefore * HOUR).toISOString();
  const nowIso = now.toISOString();

  // Claim what is due, under the write lock, so no other run claims the same reminder.
  const claims = await writeTx(ctx, async (trx) => {
    const due = await trx
      .selectFrom('breaches')
      .select(['id', 'reference', 'aware_at', 'deadline_at'])
      .where('status', '=', 'open')
      .where('ico_state', '=', 'pending')
      .where('deadline_at', '<=', horizon)
      .orderBy('deadline_at')
      .execute();
    const out: Array<{ id: string; reference: string; awareAt: string; stage: ReminderStage }> = [];
    if (!to) return { due: due.length, claimed: out };
    for (const b of due) {
      const stages = REMINDER_STAGES.map((s) => ({ ...s, dueAt: new Date(Date.parse(b.deadline_at) - s.hoursBefore * HOUR).toISOString() })).filter((s) => s.dueAt <= nowIso);
      if (stages.length === 0) continue;
      const have = new Map((await trx.selectFrom('breach_reminders').selectAll().where('breach_id', '=', b.id).execute()).map((r) => [r.stage, r]));
      const latest = stages[stages.length - 1]!;
      for (const s of stages.slice(0, -1)) {
        if (!have.has(s.stage)) await trx.insertInto('breach_reminders').values({ breach_id: b.id, stage: s.stage, due_at: s.dueAt, status: 'superseded', claimed_at: nowIso, sent_at: null, message_id: null }).execute();
      }
      const existing = have.get(latest.stage);
      if (!existing) {
        await trx.insertInto('breach_reminders').values({ breach_id: b.id, stage: latest.stage, due_at: latest.dueAt, status: 'pending', claimed_at: nowIso, sent_at: null, message_id: null }).execute();
      } else if (existing.status === 'failed' || (existing.status === 'pending' && Date.parse(existing.claimed_at) < now.getTime() - STALE_CLAIM_MS)) {
        await trx.updateTable('breach_reminders').set({ status: 'pending', claimed_at: nowIso }).where('id', '=', existing.id).execute();
      } else {
        continue;
      }
      out.push({ id: b.id, reference: b.reference, awareAt: b.aware_at, stage: latest.stage });
    }
    return { due: due.length, claimed: out };
  });

  const outcomes: ReminderOutcome[] = [];
  const org = ctx.policy.policy.organisation.name;
  for (const c of claims.claimed) {
    const clock = breachClock({ awareAt: c.awareAt, reportedAt: null, notRequired: false, delayReasonGiven: false }, now);
    const mail = renderReminder(org, c.reference, c.id, c.stage, clock, ctx.config?.baseUrl);
    let sent: { messageId: string } | undefined;
    let error: string | undefined;
    try {
      sent = await ctx.mailer.send({ to: to!, subject: mail.subject, text: mail.text, headers: { 'X-Steward-Breach': c.reference } });
    } catch (e) {
      error = isStewardError(e) ? e.message.slice(0, 300) : 'send failed';
    }
    await writeTx(ctx, async (trx) => {
      await trx
        .updateTable('breach_reminders')
        .set(sent ? { status: 'sent', sent_at: ctx.clock.now().toISOString(), message_id: sent.messageId } : { status: 'failed' })
        .where('breach_id', '=', c.id)
        .where('stage', '=', c.stage)
        .execute();
      await appendAudit(trx, ctx, actor, [{ action: 'breach.remind', details: { breach: c.id, reference: c.reference, stage: c.stage, status: sent ? 'sent' : 'failed' } }]);
    });
    outcomes.push({ breachId: c.id, reference: c.reference, stage: c.stage, status: sent ? 'sent' : 'failed', ...(error ? { error } : {}) });
  }
  return {
    checked: claims.due,
    outcomes,
    warning: to ? null : 'the declaration gives no email address for the privacy contact or the organisation: add organisation.privacy_contact.email to receive reminders',
  };
}
