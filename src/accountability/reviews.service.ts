/**
 * Reviews that come due: each recipient's contract (agreement.review, or the older review_date)
 * and each assessment's next_review. The dashboard lists them; a daily job mails the privacy
 * contact once per item and due date, REMIND_DAYS before it falls due (or at once if it is
 * already past), however many servers run the job.
 */
import { appendAudit } from '../audit/audit.service.js';
import { toDayNumber } from '../deadline/plain-date.js';
import { privacyOfficerEmail } from '../policy/contacts.js';
import type { Mailer } from '../mail/mailer.js';
import { reviewDateOf } from '../policy/lint.accountability.js';
import type { Policy } from '../policy/policy.schema.js';
import './accountability.tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { systemActor } from '../kernel/actors.js';

/** How long before a review falls due the reminder is sent. */
export const REMIND_DAYS = 30;
/** A claim whose email was never marked sent (a crash mid-send) is taken again after this. */
const STALE_CLAIM_MS = 15 * 60_000;

export interface DueReview {
  /** Stable key: "recipient:<id>" or "assessment:<id>". */
  item: string;
  kind: 'processor-contract' | 'recipient-contract' | 'assessment';
  title: string;
  dueOn: string;
  daysLeft: number;
  overdue: boolean;
}

const dayDiff = (from: string, to: string): number => toDayNumber(to) - toDayNumber(from);

/** Every declared review date, soonest first; `within` limits to those due within that many days (past ones always included). */
export function reviewsDue(policy: Policy, today: string, within?: number): DueReview[] {
  const out: DueReview[] = [];
  for (const r of policy.recipients) {
    const due = reviewDateOf(r);
    if (!due) continue;
    out.push({ item: `recipient:${r.id}`, kind: r.kind === 'processor' ? 'processor-contract' : 'recipient-contract', title: `Contract with ${r.name}`, dueOn: due, daysLeft: dayDiff(today, due), overdue: due < today });
  }
  for (const a of policy.assessments) {
    if (!a.next_review) continue;
    out.push({ item: `assessment:${a.id}`, kind: 'assessment', title: `${a.kind.toUpperCase()}: ${a.title}`, dueOn: a.next_review, daysLeft: dayDiff(today, a.next_review), overdue: a.next_review < today });
  }
  return out.filter((x) => within === undefined || x.daysLeft <= within).sort((a, b) => a.dueOn.localeCompare(b.dueOn) || a.item.localeCompare(b.item));
}

export interface ReviewReminderRun {
  due: number;
  sent: string[];
  failed: string[];
  warning: string | null;
}

/**
 * Sends the reminders that are due. Each (item, due date) is claimed by inserting its row under the
 * write lock; a second server finds the row and sends nothing. A failed send is retried next run.
 */
export async function sendReviewReminders(ctx: AppContext & { mailer: Mailer; config?: { baseUrl?: string } }, now: Date = ctx.clock.now()): Promise<ReviewReminderRun> {
  const actor = systemActor('accountability-reviews');
  const today = now.toISOString().slice(0, 10);
  const due = reviewsDue(ctx.policy.policy, today, REMIND_DAYS);
  const to = privacyOfficerEmail(ctx.policy.policy);
  if (!to) return { due: due.length, sent: [], failed: [], warning: 'the declaration gives no email address for the privacy contact or the organisation: add organisation.privacy_contact.email to receive reminders' };
  const nowIso = now.toISOString();

  const claimed = await writeTx(ctx, async (trx) => {
    const mine: DueReview[] = [];
    for (const d of due) {
      const row = await trx.selectFrom('review_reminders').selectAll().where('item', '=', d.item).where('due_on', '=', d.dueOn).executeTakeFirst();
      if (!row) {
        await trx.insertInto('review_reminders').values({ item: d.item, due_on: d.dueOn, status: 'pending', claimed_at: nowIso, sent_at: null }).execute();
      } else if (row.status === 'failed' || (row.status === 'pending' && Date.parse(row.claimed_at) < now.getTime() - STALE_CLAIM_MS)) {
        await trx.updateTable('review_reminders').set({ status: 'pending', claimed_at: nowIso }).where('item', '=', d.item).where('due_on', '=', d.dueOn).execute();
      } else {
        continue;
      }
      mine.push(d);
    }
    return mine;
  });

  const sent: string[] = [];
  const failed: string[] = [];
  const org = ctx.policy.policy.organisation.name;
  for (const d of claimed) {
    const when = d.overdue ? `was due for review on ${d.dueOn}` : `is due for review on ${d.dueOn} (in ${d.daysLeft} days)`;
    const text = [
      `${d.title} ${when}.`,
      '',
      d.kind === 'assessment'
        ? 'Check that the assessment still matches the processing as it is now, record the outcome, and set next_review in the declaration.'
        : 'Check the contract still covers the Art 28(3) terms, that the recipient\'s security assurance is current and that its transfers are still safeguarded; then set the next review date in the declaration.',
      '',
      `${org} — Steward`,
    ].join('\n');
    let ok = false;
    try {
      await ctx.mailer.send({ to, subject: `Review due: ${d.title}`, text, headers: { 'X-Steward-Review': d.item } });
      ok = true;
    } catch {
      // Marked failed below and retried on the next run.
    }
    await writeTx(ctx, async (trx) => {
      await trx
        .updateTable('review_reminders')
        .set(ok ? { status: 'sent', sent_at: ctx.clock.now().toISOString() } : { status: 'failed' })
        .where('item', '=', d.item)
        .where('due_on', '=', d.dueOn)
        .execute();
      await appendAudit(trx, ctx, actor, [{ action: 'review.remind', details: { item: d.item, dueOn: d.dueOn, status: ok ? 'sent' : 'failed' } }]);
    });
    (ok ? sent : failed).push(d.item);
  }
  return { due: due.length, sent, failed, warning: null };
}
