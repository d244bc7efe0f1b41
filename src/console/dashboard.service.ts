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
import { breachesAtAGlance } from '../breaches/breaches.glance.js';
import { consentExpiries } from '../consent/consent.glance.js';
import { lastJobRun } from '../kernel/scheduler.js';
import { requestsAtAGlance } from '../requests/requests.glance.js';
import { holdsDueForReview } from '../retention/holds.glance.js';
import { can, type Actor } from '../auth/roles.js';
import { lintPolicy } from '../policy/policy.lint.js';
import { cardRefusalsSince } from '../promises/card-refusals.js';
import type { AppContext } from '../kernel/context.js';

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
  const promises: Promise_[] = [];

  let requests: Dashboard['requests'] = null;
  if (can(actor, 'requests:read')) {
    const r = await requestsAtAGlance(db, today);
    requests = {
      open: r.open,
      overdue: r.overdue,
      list: r.list.map((x) => ({ ...x, daysLeft: Math.round((Date.parse(x.dueOn) - Date.parse(today)) / DAY_MS) })),
    };
    promises.push({
      id: 'requests-on-time',
      promise: 'We answer rights requests within one month (or the extended time we tell you about).',
      evidence: [`${r.answeredLateThisYear} of ${r.answeredThisYear} requests answered this year were answered late`, `${r.overdue} open requests are past their due date`],
      kept: r.answeredLateThisYear === 0 && r.overdue === 0,
    });
  }

  let breaches: Dashboard['breaches'] = null;
  if (can(actor, 'breaches:read')) {
    const b = await breachesAtAGlance(db, now);
    breaches = {
      open: b.open.length,
      list: b.open.map((x) => ({ ...x, hoursLeft: Math.floor((Date.parse(x.deadlineAt) - now.getTime()) / 3_600_000) })),
    };
    promises.push({
      id: 'breaches-72h',
      promise: 'We report a personal data breach to the ICO within 72 hours of becoming aware of it, where it must be reported.',
      evidence: [
        `${b.reportedInTime} of ${b.reported} breaches reported to the ICO were reported within 72 hours`,
        `${b.pastDeadlineUndecided} open breaches are past 72 hours without a report or a decision not to report`,
      ],
      kept: b.reportedInTime === b.reported && b.pastDeadlineUndecided === 0,
    });
  }

  let holdsToReview: Dashboard['holdsToReview'] = null;
  if (can(actor, 'retention:read')) {
    const holds = await holdsDueForReview(db, today, ahead);
    holdsToReview = { within30Days: holds.within, overdue: holds.overdue };
    const run = await lastJobRun(db, 'retention');
    const recent = run ? now.getTime() - Date.parse(run.at) <= 25 * 3_600_000 : false;
    const ok = run?.status ? !run.status.startsWith('failed') : false;
    promises.push({
      id: 'retention',
      promise: 'We keep personal data only as long as the notice says, then delete or anonymise it.',
      evidence: [
        run ? `the last retention run was at ${run.at.slice(0, 16).replace('T', ' ')} UTC: ${run.status ?? 'no outcome recorded'}` : 'retention has not run yet',
        recent && ok ? 'records past their end date: none left after the last run' : 'records past their end date are not known to be gone: retention has not succeeded in the last day',
      ],
      kept: recent && ok,
    });
  }

  let consentRenewals: Dashboard['consentRenewals'] = null;
  if (can(actor, 'marketing:check')) {
    const c = await consentExpiries(db, now, ahead);
    consentRenewals = { within30Days: c.expiringSoon };
    promises.push({
      id: 'marketing-consent',
      promise: 'We send marketing only to people who have agreed to it, and stop when they say so.',
      evidence: [`${c.lapsedButActive} consents are past their expiry but still marked active (the audience check refuses them)`, 'every send is checked against consent, the suppression list and the TPS registers (audience check)'],
      kept: c.lapsedButActive === 0,
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
