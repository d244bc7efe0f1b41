/** What leaves the server about the cookie consent log: every field listed here. */
import { z } from 'zod';
import type { CookieConsentRecord, CookieCounts } from './cookies.service.js';

export const consentRecordResponse = z.object({
  id: z.string(),
  consentId: z.string(),
  recordedAt: z.string(),
  method: z.enum(['banner', 'settings', 'gpc']),
  outcome: z.enum(['accept-all', 'reject-all', 'custom']),
  choices: z.record(z.string(), z.boolean()),
  gpc: z.boolean(),
  noticeVersion: z.string(),
  bannerVersion: z.string(),
  userAgentHash: z.string().nullable(),
  origin: z.string().nullable(),
});

export const consentHistoryResponse = z.object({ consentId: z.string(), records: z.array(consentRecordResponse) });

export const presentRecord = (r: CookieConsentRecord): z.infer<typeof consentRecordResponse> => ({
  id: r.id,
  consentId: r.consentId,
  recordedAt: r.recordedAt,
  method: r.method,
  outcome: r.outcome,
  choices: r.choices,
  gpc: r.gpc,
  noticeVersion: r.noticeVersion,
  bannerVersion: r.bannerVersion,
  userAgentHash: r.userAgentHash,
  origin: r.origin,
});

export const presentHistory = (consentId: string, records: CookieConsentRecord[]): z.infer<typeof consentHistoryResponse> => ({ consentId, records: records.map(presentRecord) });

const countsFields = {
  choices: z.number(),
  outcomes: z.object({ 'accept-all': z.number(), 'reject-all': z.number(), custom: z.number() }),
  gpc: z.number(),
  categories: z.record(z.string(), z.object({ granted: z.number(), refused: z.number() })),
};

export const countsResponse = z.object({
  from: z.string(),
  to: z.string(),
  days: z.array(z.object({ day: z.string(), ...countsFields })),
  totals: z.object(countsFields),
});

export const presentCounts = (c: CookieCounts): z.infer<typeof countsResponse> => ({
  from: c.from,
  to: c.to,
  days: c.days.map((d) => ({ day: d.day, choices: d.choices, outcomes: { ...d.outcomes }, gpc: d.gpc, categories: { ...d.categories } })),
  totals: { choices: c.totals.choices, outcomes: { ...c.totals.outcomes }, gpc: c.totals.gpc, categories: { ...c.totals.categories } },
});
