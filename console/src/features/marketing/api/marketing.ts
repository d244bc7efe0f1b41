import { api, call, type paths } from '../../../lib/api-client';

type Body<P extends keyof paths> = paths[P]['post'] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;

export type AudienceBody = Body<'/api/v1/marketing/audience-check'>;
export type Audience = Awaited<ReturnType<typeof audienceCheck>>;
export type ConsentBody = Body<'/api/v1/subjects/{id}/consent'>;
export type ConsentOverview = Awaited<ReturnType<typeof consentOf>>;
export type SuppressBody = Body<'/api/v1/marketing/suppressions'>;

export const audienceCheck = (body: AudienceBody) => call(api.POST('/api/v1/marketing/audience-check', { body }));
export const checkSuppression = (identifier: string) => call(api.POST('/api/v1/marketing/suppressions/check', { body: { identifier } }));
export const suppress = (body: SuppressBody) => call(api.POST('/api/v1/marketing/suppressions', { body }));
export const tpsStatus = () => call(api.GET('/api/v1/marketing/tps'));
export const importTps = (register: 'tps' | 'ctps', lines: string[]) => call(api.POST('/api/v1/marketing/tps/{register}', { params: { path: { register } }, body: { lines } }));
export const consentOf = (id: string) => call(api.GET('/api/v1/subjects/{id}/consent', { params: { path: { id } } }));
export const recordConsent = (id: string, body: ConsentBody) => call(api.POST('/api/v1/subjects/{id}/consent', { params: { path: { id } }, body }));
export const objectToMarketing = (id: string, method: Body<'/api/v1/subjects/{id}/marketing-objection'>['method']) =>
  call(api.POST('/api/v1/subjects/{id}/marketing-objection', { params: { path: { id } }, body: { method } }));

export interface MarketingPurpose {
  id: string;
  name: string;
  basis: string | null;
  channels: string[];
}

const CHANNELS = ['email', 'phone', 'sms', 'post', 'social'];

/** The declaration's direct-marketing purposes, their basis and channels (names only; the API decides). */
export async function marketingPurposes(): Promise<MarketingPurpose[]> {
  const p = await call(api.GET('/api/v1/policy'));
  const purposes = (p.declaration as { purposes?: unknown }).purposes;
  if (!Array.isArray(purposes)) return [];
  return purposes
    .filter((x): x is Record<string, unknown> => Boolean(x) && typeof x === 'object' && (x as Record<string, unknown>).direct_marketing === true)
    .map((x) => ({
      id: String(x.id),
      name: typeof x.name === 'string' ? x.name : String(x.id),
      basis: typeof x.lawful_basis === 'string' ? x.lawful_basis : null,
      channels: Array.isArray(x.channels) ? x.channels.filter((c): c is string => typeof c === 'string') : CHANNELS,
    }));
}

/** Recipients from an uploaded campaign list: one per line, or the first cell holding an address or number; a header row is skipped. */
export function recipientsFrom(text: string): string[] {
  const out: string[] = [];
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const cells = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
    const hit = cells.find((c) => c.includes('@') || /^\+?[\d\s().-]{6,}$/.test(c));
    if (hit) out.push(hit);
    else if (out.length > 0 || !/^[a-z _-]+$/i.test(cells.join(''))) out.push(cells[0] ?? '');
  }
  return out;
}
