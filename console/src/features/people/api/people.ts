import { api, call, type paths } from '../../../lib/api-client';

type Json<P extends keyof paths, M extends 'get' | 'post' | 'patch' | 'put' | 'delete', S extends number = 200> = paths[P][M] extends { responses: Record<S, { content: { 'application/json': infer T } }> } ? T : never;

export type Subject = Json<'/api/v1/subjects/{id}', 'get'>;
export type SubjectRecord = Subject['records'][number];
export type Summary = Json<'/api/v1/subjects/search', 'post'>['subjects'][number];
export type SearchBody = NonNullable<paths['/api/v1/subjects/search']['post']['requestBody']>['content']['application/json'];
export type NewSubject = NonNullable<paths['/api/v1/subjects']['post']['requestBody']>['content']['application/json'];
export type EventType = NonNullable<paths['/api/v1/events']['post']['requestBody']>['content']['application/json']['type'];

export const searchPeople = (body: SearchBody) => call(api.POST('/api/v1/subjects/search', { body }));
export const getPerson = (id: string) => call(api.GET('/api/v1/subjects/{id}', { params: { path: { id } } }));
export const addPerson = (body: NewSubject) => call(api.POST('/api/v1/subjects', { body }));
export const correctRecord = (id: string, body: { value?: string; text?: string; fields?: Record<string, string | null> }) => call(api.PATCH('/api/v1/records/{id}', { params: { path: { id } }, body }));
export const setRestriction = (id: string, restricted: boolean, reason: string) => call(api.PUT('/api/v1/subjects/{id}/restriction', { params: { path: { id } }, body: { restricted, reason } }));
export const erasePerson = (id: string, reason: string) => call(api.DELETE('/api/v1/subjects/{id}', { params: { path: { id }, query: { reason } } }));
export const recordEvent = (subjectId: string, type: EventType, date: string) => call(api.POST('/api/v1/events', { body: { subjectId, type, date } }));
export const listEvents = (subject: string) => call(api.GET('/api/v1/events', { params: { query: { subject } } }));
export const retentionOf = (id: string) => call(api.GET('/api/v1/retention/subjects/{id}', { params: { path: { id } } }));
export const consentOf = (id: string) => call(api.GET('/api/v1/subjects/{id}/consent', { params: { path: { id } } }));
export const auditOf = (subject: string) => call(api.GET('/api/v1/audit', { params: { query: { subject, limit: 100 } } }));
export const listHolds = () => call(api.GET('/api/v1/holds'));
export const listRequests = () => call(api.GET('/api/v1/requests', { params: { query: { limit: 500 } } }));

/** A record's labelled fields as an editable draft: field id → value. */
export const fieldDraftOf = (record: SubjectRecord): Record<string, string> => Object.fromEntries((record.fields ?? []).map((f) => [f.id, f.value]));

/** Only the fields a draft changed (a cleared field is sent empty, which removes it). */
export const changedFields = (record: SubjectRecord, draft: Record<string, string>): Record<string, string> =>
  Object.fromEntries((record.fields ?? []).filter((f) => (draft[f.id] ?? '') !== f.value).map((f) => [f.id, draft[f.id] ?? '']));
