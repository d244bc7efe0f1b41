/**
 * Renewal: consent lapses after the declared validity (rights.consent.validity); before that
 * (rights.consent.renewal_notice, a month if not said) the person is emailed a one-click link to
 * renew it. Idempotent and safe to run from several `steward serve` instances at once: each
 * consent period is claimed by inserting its key (subject|purpose|channel|expiry) into
 * renewal_requests, which only one claimant can do; mail goes out after the claim commits, and a
 * claim whose sending died is taken again after 15 minutes.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { Config } from '../config/config.js';
import type { Tables } from '../db/tables.js';
import type { Mailer } from '../mail/mailer.js';
import type { Job } from '../kernel/scheduler.js';
import { StewardError } from '../shared/errors.js';
import { consentRules, statusOf } from './consent.rules.js';
import { recordConsent } from './consent.service.js';
import { subjectStatus } from '../register/subject-lookups.js';
import { marketingHeaders, readRenewToken, renewToken, renewUrl } from './links.js';
import { shiftByPeriod } from './period.js';
import { isSuppressed } from './suppression.service.js';
import { subjectIdentifiers } from '../register/register.identifiers.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { publicActor, systemActor } from '../kernel/actors.js';

const RECLAIM_AFTER_MS = 15 * 60_000;
const MAX_ATTEMPTS = 5;

export interface RenewalRun {
  due: number;
  sent: number;
  skipped: number;
  failed: number;
}

const renewalActor: Actor = systemActor('consent-renewals');

const channelWords: Record<string, string> = { email: 'email', phone: 'phone calls', sms: 'text messages', post: 'post', social: 'social media' };

function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** Sends the renewal requests now due. Run it as often as you like: each consent period is asked about once. */
export async function sendRenewalRequests(rt: AppContext, now: Date = rt.clock.now(), actor: Actor = renewalActor): Promise<RenewalRun> {
  authorise(actor, 'subjects:write');
  const rules = consentRules(rt);
  if (!rules.validity) return { due: 0, sent: 0, skipped: 0, failed: 0 };
  const nowIso = now.toISOString();
  const windowEnd = shiftByPeriod(now, rules.renewalNotice).toISOString();
  const claim = randomUUID();
  const reclaimBefore = new Date(now.getTime() - RECLAIM_AFTER_MS).toISOString();

  // Claim: every active consent lapsing within the notice window and not yet asked about.
  const claimed = await writeTx(rt, async (trx) => {
    const due = await trx
      .selectFrom('consent_state')
      .select(['subject_id', 'purpose', 'channel', 'status', 'expires_at', 'child', 'parental'])
      .where('status', '=', 'active')
      .where('expires_at', '>', nowIso)
      .where('expires_at', '<=', windowEnd)
      .execute();
    const keys = due.filter((d) => statusOf(d, nowIso) === 'active').map((d) => ({ key: `${d.subject_id}|${d.purpose}|${d.channel}|${d.expires_at}`, d }));
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      await trx
        .insertInto('renewal_requests')
        .values(chunk.map(({ key, d }) => ({ period_key: key, subject_id: d.subject_id, purpose: d.purpose, channel: d.channel, status: 'sending' as const, claim, claimed_at: nowIso, sent_at: null, attempts: 0 })))
        .onConflict((oc) => oc.column('period_key').doNothing())
        .execute();
    }
    // Take back claims whose sender died, and failures still worth retrying.
    await trx
      .updateTable('renewal_requests')
      .set({ claim, claimed_at: nowIso })
      .where((eb) => eb.or([eb.and([eb('status', '=', 'sending'), eb('claimed_at', '<', reclaimBefore)]), eb.and([eb('status', '=', 'failed'), eb('attempts', '<', MAX_ATTEMPTS)])]))
      .execute();
    return trx.selectFrom('renewal_requests').selectAll().where('claim', '=', claim).execute();
  });
  const run: RenewalRun = { due: claimed.length, sent: 0, skipped: 0, failed: 0 };
  if (claimed.length === 0) return run;

  // One message per person and purpose, covering every channel lapsing.
  const groups = new Map<string, typeof claimed>();
  for (const c of claimed) {
    const k = `${c.subject_id}|${c.purpose}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const idx = policyIndex(rt.policy);
  const org = rt.policy.policy.organisation.name;
  for (const rows of groups.values()) {
    const { subject_id: subjectId, purpose } = rows[0]!;
    const keys = rows.map((r) => r.period_key);
    const mark = (db: Kysely<Tables>, status: 'sent' | 'skipped' | 'failed') =>
      db
        .updateTable('renewal_requests')
        .set(status === 'failed' ? { status, attempts: (rows[0]!.attempts ?? 0) + 1 } : { status, sent_at: status === 'sent' ? nowIso : null })
        .where('period_key', 'in', keys)
        .where('claim', '=', claim)
        .execute();
    try {
      const subject = await subjectStatus(rt.database.db, subjectId);
      const identifiers = subject && !subject.erased && !subject.restricted ? await subjectIdentifiers(rt.database.db, rt, subjectId) : [];
      const emails = identifiers.filter((i) => i.kind === 'email');
      // Never contact a suppressed person to ask them to opt back in (PECR; ICO guidance).
      const to: string[] = [];
      for (const e of emails) if (!(await isSuppressed(rt.database.db, rt, e, 'email', purpose))) to.push(e.value);
      if (to.length === 0) {
        await mark(rt.database.db, 'skipped');
        run.skipped += rows.length;
        continue;
      }
      const p = idx.purposes.get(purpose);
      const state = await rt.database.db.selectFrom('consent_state').select(['expires_at']).where('subject_id', '=', subjectId).where('purpose', '=', purpose).where('channel', '=', rows[0]!.channel).executeTakeFirst();
      const expiresAt = state?.expires_at ?? nowIso;
      const channels = rows.map((r) => r.channel);
      const link = renewUrl(rt.config.baseUrl, renewToken(rt.keyring, { subjectId, purpose, channels, expiresAt }));
      const what = p?.name ?? purpose;
      const how = channels.map((c) => channelWords[c] ?? c).join(', ');
      await rt.mailer.send({
        to: to[0]!,
        subject: `Please renew your consent: ${what}`,
        text: [
          `You agreed to hear from ${org} about "${what}" by ${how}.`,
          `That consent lapses on ${formatDate(expiresAt)}${rules.validityText ? ` (we ask again every ${rules.validityText})` : ''}.`,
          '',
          'To keep hearing from us, renew it with one click:',
          link,
          '',
          'If you do nothing, we will stop contacting you for this when it lapses.',
        ].join('\n'),
        headers: marketingHeaders(rt, subjectId, purpose, 'email'),
      });
      await mark(rt.database.db, 'sent');
      run.sent += rows.length;
    } catch {
      // The error may quote an address: keep only the count.
      await mark(rt.database.db, 'failed').catch(() => undefined);
      run.failed += rows.length;
    }
  }
  await writeTx(rt, (trx) => appendAudit(trx, rt, actor, [{ action: 'consent.renewal-requests', details: { ...run } }]));
  return run;
}

export type LinkOutcome = { ok: true; purpose: string; channels: string[]; expiresAt?: string } | { ok: false; reason: 'invalid' | 'expired' | 'gone' };

/** The renew link: records "renewed" for the channels still active, by the person's own click. */
export async function renewByLink(rt: AppContext, token: string, ip?: string): Promise<LinkOutcome> {
  const claim = readRenewToken(rt.keyring, token);
  if (!claim) return { ok: false, reason: 'invalid' };
  const now = rt.clock.now();
  if (Date.parse(claim.expiresAt) <= now.getTime()) return { ok: false, reason: 'expired' };
  const actor: Actor = publicActor('renewal-link', ip);
  const states = await rt.database.db.selectFrom('consent_state').selectAll().where('subject_id', '=', claim.subjectId).where('purpose', '=', claim.purpose).where('channel', 'in', claim.channels).execute();
  const nowIso = now.toISOString();
  const channels = states.filter((s) => statusOf(s, nowIso) === 'active').map((s) => s.channel);
  if (channels.length === 0) return { ok: false, reason: 'gone' };
  const p = policyIndex(rt.policy).purposes.get(claim.purpose);
  try {
    const r = await recordConsent(rt, actor, {
      subjectId: claim.subjectId,
      purpose: claim.purpose,
      channels,
      action: 'renewed',
      method: 'renewal-link',
      wording: `Renewed by the person through the renewal link: "Yes, keep sending me ${p?.name ?? claim.purpose}".`,
    });
    const expiresAt = r.states[0]?.expiresAt ?? undefined;
    return { ok: true, purpose: claim.purpose, channels, expiresAt: expiresAt || undefined };
  } catch (e) {
    if (e instanceof StewardError && (e.code === 'CONFLICT' || e.code === 'NOT_FOUND' || e.code === 'VALIDATION_FAILED')) return { ok: false, reason: 'gone' };
    throw e;
  }
}

/**
 * The renewal job for `steward serve`'s scheduler: hourly, so a request goes out within the hour
 * a consent enters its notice window. Add it to the scheduler's jobs: consentRenewalJob(runtime).
 */
export function consentRenewalJob(rt: AppContext, everyMs = 60 * 60_000): Job {
  return {
    name: 'consent-renewals',
    everyMs,
    leaseMs: 30 * 60_000,
    run: async (now) => {
      const r = await sendRenewalRequests(rt, now);
      return `${r.due} due: ${r.sent} sent, ${r.skipped} skipped, ${r.failed} failed`;
    },
  };
}
