/**
 * The console's dashboard: what is due (rights requests by days left, breaches on their 72-hour
 * clock, holds and consents coming up for review or renewal, the declaration's findings) and the
 * promises board — each promise the published notice makes beside live evidence that it is kept.
 *
 * Every figure is an indexed lookup or count (requests by status and due date, breaches by state,
 * consent by status and expiry, holds by release): nothing reads people or records, so the
 * dashboard costs the same with a million people in the register as with ten. No personal data:
 * references, types, dates and counts only.
 */
import { sql } from 'kysely';
import '../breaches/breaches.tables.js';
import '../consent/consent.tables.js';
import '../requests/requests.tables.js';
import '../retention/retention.tables.js';
import '../kernel/scheduler.js';
import { can, type Actor } from '../auth/roles.js';
import { lintPolicy } from '../policy/policy.lint.js';
import { cardRefusalsSince } from '../promises/card-refusals.js';
import type { AppContext } from '../kernel/context.js';

const CLOSED_REQUEST = ['completed', 'refused', 'withdrawn'];
const DAY_MS = 86_400_000;
const AHEAD_DAYS = 30;

export interface DueRequest { id: string; reference: string; type: string; status: string; dueOn: string; daysLeft: number }
export interface DueBreach { id: string; reference: string; risk: string | null; icoState: string; deadlineAt: string; hoursLeft: number }
export interface Promise_ { id: string; promise: string; evidence: string[]; kept: boolean | null }

export interface Dashboard {
  asOf: string;
  requests: { open: number; overdue: number; list: DueRequest[] } | null;
  breaches: { open: number; list: DueBreach[] } | null;
  holdsToReview: { within30Days: number; overdue: number } | null;
  consentRenewals: { within30Days: number } | null;
  findings: { errors: number; warnings: number; infos: number; top: { rule: string; severity: string; message: string }[] };
  promises: Promise_[];
}

/** The declaration does not change while the server runs: lint it once. */
const lintCache = new WeakMap<AppContext['policy'], ReturnType<typeof lintPolicy>>();
function findingsOf(policy: AppContext['policy']): ReturnType<typeof lintPolicy> {
  let f = lintCache.get(policy);
  if (!f) lintCache.set(policy, (f = lintPolicy(policy)));
  return f;
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

/** What the actor's role may see of the dashboard: sections it may not read are null, not empty. */
export async function dashboard(ctx: AppContext, actor: Actor): Promise<Dashboard> {
  const db = ctx.database.db;
  const now = ctx.clock.now();
  const today = day(now);
  const ahead = day(new Date(now.getTime() + AHEAD_DAYS * DAY_MS));
  const yearStart = `${today.slice(0, 4)}-01-01`;
  const count = sql<number>`count(*)`;
  const promises: Promise_[] = [];

  let requests: Dashboard['requests'] = null;
  if (can(actor, 'requests:read')) {
    const rows = await db
      .selectFrom('requests')
      .select(['id', 'reference', 'type', 'status', 'due_on'])
      .where('status', 'not in', CLOSED_REQUEST)
      .orderBy('due_on')
      .orderBy('reference')
      .limit(50)
      .execute();
    const [open] = await db.selectFrom('requests').select(count.as('n')).where('status', 'not in', CLOSED_REQUEST).execute();
    const [overdue] = await db.selectFrom('requests').select(count.as('n')).where('status', 'not in', CLOSED_REQUEST).where('due_on', '<', today).execute();
    requests = {
      open: Number(open?.n ?? 0),
      overdue: Number(overdue?.n ?? 0),
      list: rows.map((r) => ({ id: r.id, reference: r.reference, type: r.type, status: r.status, dueOn: r.due_on, daysLeft: Math.round((Date.parse(r.due_on) - Date.parse(today)) / DAY_MS) })),
    };
    // Answered late this year: closed after the due date in force (dates compare as text, YYYY-MM-DD).
    const [answered] = await db.selectFrom('requests').select(count.as('n')).where('status', '=', 'completed').where('closed_at', '>=', yearStart).execute();
    const [late] = await db
      .selectFrom('requests')
      .select(count.as('n'))
      .where('status', '=', 'completed')
      .where('closed_at', '>=', yearStart)
      .where(sql<boolean>`substr(closed_at, 1, 10) > due_on`)
      .execute();
    const lateN = Number(late?.n ?? 0);
    promises.push({
      id: 'requests-on-time',
      promise: 'We answer rights requests within one month (or the extended time we tell you about).',
      evidence: [`${lateN} of ${Number(answered?.n ?? 0)} requests answered this year were answered late`, `${requests.overdue} open requests are past their due date`],
      kept: lateN === 0 && requests.overdue === 0,
    });
  }

  let breaches: Dashboard['breaches'] = null;
  if (can(actor, 'breaches:read')) {
    const rows = await db
      .selectFrom('breaches')
      .select(['id', 'reference', 'risk', 'ico_state', 'deadline_at'])
      .where('status', '=', 'open')
      .orderBy('deadline_at')
      .limit(50)
      .execute();
    breaches = {
      open: rows.length,
      list: rows.map((b) => ({ id: b.id, reference: b.reference, risk: b.risk, icoState: b.ico_state, deadlineAt: b.deadline_at, hoursLeft: Math.floor((Date.parse(b.deadline_at) - now.getTime()) / 3_600_000) })),
    };
    // Reported in time: the first report to the ICO recorded before the breach's 72-hour deadline.
    const reported = await db
      .selectFrom('breaches')
      .innerJoin('breach_events', 'breach_events.breach_id', 'breaches.id')
      .select(['breaches.id', 'breaches.deadline_at', sql<string>`min(breach_events.at)`.as('first_report')])
      .where('breaches.ico_state', '=', 'reported')
      .where('breach_events.type', '=', 'ico-reported')
      .groupBy(['breaches.id', 'breaches.deadline_at'])
      .execute();
    const inTime = reported.filter((r) => r.first_report <= r.deadline_at).length;
    const [missed] = await db.selectFrom('breaches').select(count.as('n')).where('status', '=', 'open').where('ico_state', '=', 'pending').where('deadline_at', '<', now.toISOString()).execute();
    const missedN = Number(missed?.n ?? 0);
    promises.push({
      id: 'breaches-72h',
      promise: 'We report a personal data breach to the ICO within 72 hours of becoming aware of it, where it must be reported.',
      evidence: [`${inTime} of ${reported.length} breaches reported to the ICO were reported within 72 hours`, `${missedN} open breaches are past 72 hours without a report or a decision not to report`],
      kept: inTime === reported.length && missedN === 0,
    });
  }

  let holdsToReview: Dashboard['holdsToReview'] = null;
  if (can(actor, 'retention:read')) {
    const [soon] = await db.selectFrom('legal_holds').select(count.as('n')).where('released_at', 'is', null).where('review_on', '<=', ahead).execute();
    const [late] = await db.selectFrom('legal_holds').select(count.as('n')).where('released_at', 'is', null).where('review_on', '<', today).execute();
    holdsToReview = { within30Days: Number(soon?.n ?? 0), overdue: Number(late?.n ?? 0) };
    const run = await db.selectFrom('job_runs').select(['last_run_at', 'last_status']).where('name', '=', 'retention').executeTakeFirst();
    const recent = run?.last_run_at ? now.getTime() - Date.parse(run.last_run_at) <= 25 * 3_600_000 : false;
    const ok = run?.last_status ? !run.last_status.startsWith('failed') : false;
    promises.push({
      id: 'retention',
      promise: 'We keep personal data only as long as the notice says, then delete or anonymise it.',
      evidence: [
        run?.last_run_at ? `the last retention run was at ${run.last_run_at.slice(0, 16).replace('T', ' ')} UTC: ${run.last_status ?? 'no outcome recorded'}` : 'retention has not run yet',
        recent && ok ? 'records past their end date: none left after the last run' : 'records past their end date are not known to be gone: retention has not succeeded in the last day',
      ],
      kept: recent && ok,
    });
  }

  let consentRenewals: Dashboard['consentRenewals'] = null;
  if (can(actor, 'marketing:check')) {
    const [due] = await db
      .selectFrom('consent_state')
      .select(count.as('n'))
      .where('status', '=', 'active')
      .where('expires_at', '>=', now.toISOString())
      .where('expires_at', '<=', `${ahead}T23:59:59.999Z`)
      .execute();
    consentRenewals = { within30Days: Number(due?.n ?? 0) };
    const [lapsed] = await db.selectFrom('consent_state').select(count.as('n')).where('status', '=', 'active').where('expires_at', '<', now.toISOString()).execute();
    const lapsedN = Number(lapsed?.n ?? 0);
    promises.push({
      id: 'marketing-consent',
      promise: 'We send marketing only to people who have agreed to it, and stop when they say so.',
      evidence: [`${lapsedN} consents are past their expiry but still marked active (the audience check refuses them)`, 'every send is checked against consent, the suppression list and the TPS registers (audience check)'],
      kept: lapsedN === 0,
    });
  }

  // Refusals are counts without any detail, so every role that sees the dashboard may see them.
  const refused = await cardRefusalsSince(db, yearStart);
  const ways: Record<string, string> = { api: 'the API and console', 'public-form': 'the public request form', cli: 'the command line', import: 'imports' };
  const bySource = Object.entries(refused.bySource).map(([k, n]) => `${n} through ${ways[k] ?? k}`);
  promises.push({
    id: 'no-card-numbers',
    promise: 'We never store payment card numbers.',
    evidence: [
      `card numbers refused this year: ${refused.total}${bySource.length ? ` (${bySource.join(', ')})` : ''}`,
      'every field and text written to the register, to requests, breaches and complaints is checked: a card number, security code or PIN is refused before anything is stored',
    ],
    kept: true,
  });

  const all = findingsOf(ctx.policy);
  const severityRank: Record<string, number> = { error: 0, warning: 1, info: 2 };
  const top = [...all].sort((a, b) => (severityRank[a.severity] ?? 3) - (severityRank[b.severity] ?? 3)).slice(0, 8);
  return {
    asOf: now.toISOString(),
    requests,
    breaches,
    holdsToReview,
    consentRenewals,
    findings: {
      errors: all.filter((f) => f.severity === 'error').length,
      warnings: all.filter((f) => f.severity === 'warning').length,
      infos: all.filter((f) => f.severity === 'info').length,
      top: top.map((f) => ({ rule: f.rule, severity: f.severity, message: f.message })),
    },
    promises,
  };
}
