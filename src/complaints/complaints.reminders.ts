/**
 * Reminders to the privacy officer about complaints not yet acknowledged: a week before the
 * 30-day acknowledgement is due, on the day, and once when it is overdue. Each stage is claimed by
 * a conditional update before its email goes, so several servers send it once.
 */
import { appendAudit } from '../audit/audit.service.js';
import { privacyOfficerEmail } from '../policy/contacts.js';
import { ukToday } from '../requests/requests.clock.js';
import { addDays } from './complaints.service.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { systemActor } from '../kernel/actors.js';

const STAGES = ['week-before', 'due-day', 'overdue'] as const;
type Stage = (typeof STAGES)[number];

function stageFor(ackDue: string, today: string): Stage | undefined {
  if (today > ackDue) return 'overdue';
  if (today === ackDue) return 'due-day';
  if (today >= addDays(ackDue, -7)) return 'week-before';
  return undefined;
}

export async function sendComplaintReminders(ctx: AppContext, now: Date = ctx.clock.now()): Promise<{ checked: number; sent: number; failed: number; warning: string | null }> {
  const to = privacyOfficerEmail(ctx.policy.policy);
  const today = ukToday(now);
  const actor = systemActor('complaint-reminders');
  const due = await ctx.database.db
    .selectFrom('complaints')
    .select(['id', 'reference', 'ack_due_on', 'reminded'])
    .where('status', '=', 'received')
    .where('ack_due_on', '<=', addDays(today, 7))
    .orderBy('ack_due_on')
    .execute();
  if (!to) return { checked: due.length, sent: 0, failed: 0, warning: 'no email address for the privacy contact or the organisation: add organisation.privacy_contact.email to receive reminders' };
  let sent = 0;
  let failed = 0;
  const org = ctx.policy.policy.organisation.name;
  for (const c of due) {
    const stage = stageFor(c.ack_due_on, today);
    if (!stage || (c.reminded !== null && STAGES.indexOf(c.reminded as Stage) >= STAGES.indexOf(stage))) continue;
    const claimed = await writeTx(ctx, async (trx) => {
      const q = trx.updateTable('complaints').set({ reminded: stage }).where('id', '=', c.id).where('status', '=', 'received');
      const r = await (c.reminded === null ? q.where('reminded', 'is', null) : q.where('reminded', '=', c.reminded)).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await appendAudit(trx, ctx, actor, [{ action: 'complaint.remind', details: { complaint: c.id, stage, ackDueOn: c.ack_due_on } }]);
      return true;
    });
    if (!claimed) continue;
    const when = stage === 'overdue' ? `was due on ${c.ack_due_on} and is OVERDUE` : stage === 'due-day' ? 'is due TODAY' : `is due by ${c.ack_due_on}`;
    try {
      await ctx.mailer.send({
        to,
        subject: `[${org}] Complaint ${c.reference}: acknowledgement ${when}`,
        text: `The acknowledgement of complaint ${c.reference} ${when} (DPA 2018 s.164A: within 30 days of receipt).\n\nAcknowledge it with: steward complaints acknowledge ${c.reference}\n`,
        headers: { 'X-Steward-Complaint': c.reference },
      });
      sent++;
    } catch {
      failed++;
      // Not sent: release the claim so the next run tries again.
      await ctx.database.db.updateTable('complaints').set({ reminded: c.reminded }).where('id', '=', c.id).where('reminded', '=', stage).execute();
    }
  }
  return { checked: due.length, sent, failed, warning: null };
}
