/**
 * What leaves the server about consent and audience checks: every field listed here.
 * An audience check answers with the caller's own list (position and identifier as sent) and
 * a reason; never anything else about the person.
 */
import { z } from 'zod';
import { explain } from './audience.reasons.js';
import { ALLOW_REASONS, isAllowed, reasonOf, type Reason } from './audience.rules.js';
import type { AudienceResult } from './audience.service.js';
import type { ConsentEntryView, ConsentOverview, ConsentResult, ConsentStateView } from './consent.service.js';

export const stateResponse = z.object({
  purpose: z.string(),
  channel: z.string(),
  status: z.enum(['active', 'lapsed', 'withdrawn', 'none', 'child-without-parental-consent']),
  givenAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  softOptIn: z.boolean(),
  child: z.boolean(),
  parentalConsent: z.boolean(),
});

export const entryResponse = z.object({
  id: z.string(),
  purpose: z.string(),
  channel: z.string(),
  action: z.string(),
  occurredAt: z.string(),
  method: z.string(),
  wording: z.string().nullable(),
  noticeVersion: z.string(),
  source: z.string().nullable(),
  evidenceRef: z.string().nullable(),
  recordedBy: z.string(),
  recordedAt: z.string(),
  child: z.boolean(),
  expiresAt: z.string().nullable(),
});

export const consentResultResponse = z.object({
  entries: z.array(entryResponse),
  states: z.array(stateResponse),
  suppression: z.object({ added: z.number(), lifted: z.number() }),
  stillSuppressed: z.array(z.string()),
});

export const overviewResponse = z.object({ subjectId: z.string(), states: z.array(stateResponse), history: z.array(entryResponse) });

export const presentState = (s: ConsentStateView): z.infer<typeof stateResponse> => ({
  purpose: s.purpose,
  channel: s.channel,
  status: s.status,
  givenAt: s.givenAt,
  expiresAt: s.expiresAt,
  softOptIn: s.softOptIn,
  child: s.child,
  parentalConsent: s.parentalConsent,
});

export const presentEntry = (e: ConsentEntryView): z.infer<typeof entryResponse> => ({
  id: e.id,
  purpose: e.purpose,
  channel: e.channel,
  action: e.action,
  occurredAt: e.occurredAt,
  method: e.method,
  wording: e.wording,
  noticeVersion: e.noticeVersion,
  source: e.source,
  evidenceRef: e.evidenceRef,
  recordedBy: e.recordedBy,
  recordedAt: e.recordedAt,
  child: e.child,
  expiresAt: e.expiresAt,
});

export const presentConsentResult = (r: ConsentResult): z.infer<typeof consentResultResponse> => ({
  entries: r.entries.map(presentEntry),
  states: r.states.map(presentState),
  suppression: { added: r.suppression.added, lifted: r.suppression.lifted },
  stillSuppressed: r.stillSuppressed,
});

export const presentOverview = (o: ConsentOverview): z.infer<typeof overviewResponse> => ({
  subjectId: o.subjectId,
  states: o.states.map(presentState),
  history: o.history.map(presentEntry),
});

export const audienceResponse = z.object({
  purpose: z.string(),
  channel: z.string(),
  checkedAt: z.string(),
  counts: z.object({ recipients: z.number(), allowed: z.number(), blocked: z.number(), byReason: z.record(z.string(), z.number()) }),
  tps: z.array(z.object({ register: z.string(), importedAt: z.string().nullable(), stale: z.boolean() })).optional(),
  /** Each reason found, with what it means in plain words (the same words as docs/marketing-reasons.md). */
  reasons: z.array(z.object({ reason: z.string(), allowed: z.boolean(), count: z.number(), explanation: z.string() })),
  results: z.array(z.object({ index: z.number(), identifier: z.string(), allowed: z.boolean(), reason: z.string(), explanation: z.string() })),
});

export function presentAudience(r: AudienceResult, recipients: readonly string[], only: 'all' | 'allowed' | 'blocked' = 'all'): z.infer<typeof audienceResponse> {
  const results: z.infer<typeof audienceResponse>['results'] = [];
  for (let i = 0; i < r.codes.length; i++) {
    const c = r.codes[i]!;
    const allowed = isAllowed(c);
    if ((only === 'allowed' && !allowed) || (only === 'blocked' && allowed)) continue;
    const reason = reasonOf(c);
    results.push({ index: i, identifier: recipients[i]!, allowed, reason, explanation: explain(reason) });
  }
  return {
    purpose: r.purpose,
    channel: r.channel,
    checkedAt: r.checkedAt,
    counts: { recipients: r.recipients, allowed: r.allowed, blocked: r.blocked, byReason: r.byReason as Record<string, number> },
    tps: r.tps,
    reasons: (Object.entries(r.byReason) as Array<[Reason, number]>).map(([reason, count]) => ({ reason, allowed: (ALLOW_REASONS as readonly string[]).includes(reason), count, explanation: explain(reason) })),
    results,
  };
}
