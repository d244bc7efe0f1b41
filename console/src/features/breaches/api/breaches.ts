import { api, call, type paths } from '../../../lib/api-client';

type Body<P extends keyof paths> = paths[P]['post'] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;

export type Breach = paths['/api/v1/breaches/{id}']['get']['responses'][200]['content']['application/json'];
export type BreachSummary = paths['/api/v1/breaches']['get']['responses'][200]['content']['application/json']['breaches'][number];
export type OpenBody = Body<'/api/v1/breaches'>;
export type FactsBody = Body<'/api/v1/breaches/{id}/facts'>;
export type AffectedBody = Body<'/api/v1/breaches/{id}/affected'>;
export type Selection = Awaited<ReturnType<typeof selectAffected>>;
export type NotifyPreview = Awaited<ReturnType<typeof previewNotify>>;

const path = (id: string) => ({ params: { path: { id } } });

export const listBreaches = () => call(api.GET('/api/v1/breaches', { params: { query: { limit: 200 } } }));
export const openBreach = (body: OpenBody) => call(api.POST('/api/v1/breaches', { body }));
export const getBreach = (id: string) => call(api.GET('/api/v1/breaches/{id}', { params: { path: { id }, query: { history: 'true' } } }));
export const updateFacts = (id: string, body: FactsBody) => call(api.POST('/api/v1/breaches/{id}/facts', { ...path(id), body }));
export const assess = (id: string, body: Body<'/api/v1/breaches/{id}/assessment'>) => call(api.POST('/api/v1/breaches/{id}/assessment', { ...path(id), body }));
export const decide = (id: string, body: Body<'/api/v1/breaches/{id}/decisions'>) => call(api.POST('/api/v1/breaches/{id}/decisions', { ...path(id), body }));
export const recordIcoReport = (id: string, body: Body<'/api/v1/breaches/{id}/ico-reports'>) => call(api.POST('/api/v1/breaches/{id}/ico-reports', { ...path(id), body }));
export const selectAffected = (id: string, body: AffectedBody) => call(api.POST('/api/v1/breaches/{id}/affected', { ...path(id), body }));
export const previewNotify = (id: string) => call(api.POST('/api/v1/breaches/{id}/notify/preview', path(id)));
export const notify = (id: string, expectedRecipients: number) => call(api.POST('/api/v1/breaches/{id}/notify', { ...path(id), body: { expectedRecipients } }));
export const addNote = (id: string, text: string) => call(api.POST('/api/v1/breaches/{id}/notes', { ...path(id), body: { text } }));
export const closeBreach = (id: string, reason: string) => call(api.POST('/api/v1/breaches/{id}/close', { ...path(id), body: { reason } }));

/** The ICO report as a standalone page (read, print) and as a file to keep; the session cookie authorises it. */
export const reportUrl = (id: string) => `/api/v1/breaches/${encodeURIComponent(id)}/report?format=html`;

/** Identifiers from an uploaded list: one per line or per cell; "@" makes an email, digits a phone number. */
export function parseIdentifierList(text: string): { emails: string[]; phones: string[]; ignored: number } {
  const emails: string[] = [];
  const phones: string[] = [];
  let ignored = 0;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    for (const raw of line.split(/[,;\t]/)) {
      const cell = raw.trim().replace(/^"(.*)"$/, '$1').trim();
      if (cell === '') continue;
      if (cell.includes('@')) emails.push(cell);
      else if (/^\+?[\d\s().-]{6,}$/.test(cell)) phones.push(cell);
      else ignored++;
    }
  }
  return { emails, phones, ignored };
}

/** UK local time as the API accepts it, from a datetime-local input ("2026-03-06T19:30"). */
export const ukTime = (local: string): string => local.replace('T', ' ');
