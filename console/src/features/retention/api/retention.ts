import { api, call, type paths } from '../../../lib/api-client';

type Ok<P extends keyof paths, M extends 'get' | 'post' | 'delete', S extends number = 200> = paths[P][M] extends { responses: Record<S, { content: { 'application/json': infer T } }> } ? T : never;

export type Plan = Ok<'/api/v1/retention/plan', 'get'>;
export type Hold = Ok<'/api/v1/holds', 'get'>['holds'][number];
export type NewHold = NonNullable<paths['/api/v1/holds']['post']['requestBody']>['content']['application/json'];
export type ReviewDue = Ok<'/api/v1/retention/reviews', 'get'>['reviews'][number];
export type ReviewBody = NonNullable<paths['/api/v1/retention/reviews']['post']['requestBody']>['content']['application/json'];
export type LifeEvent = Ok<'/api/v1/events/pending', 'get'>['events'][number];
export type RunOutcome = Ok<'/api/v1/retention/run', 'post'>;

export const getPlan = () => call(api.GET('/api/v1/retention/plan', { params: { query: { detail: 0 } } }));
export const listHolds = () => call(api.GET('/api/v1/holds'));
export const placeHold = (body: NewHold) => call(api.POST('/api/v1/holds', { body }));
export const releaseHold = (id: string, reason: string) => call(api.DELETE('/api/v1/holds/{id}', { params: { path: { id }, query: reason ? { reason } : {} } }));
export const listReviews = () => call(api.GET('/api/v1/retention/reviews'));
export const decideReview = (body: ReviewBody) => call(api.POST('/api/v1/retention/reviews', { body }));
export const listPending = () => call(api.GET('/api/v1/events/pending'));
export const decideEvent = (id: string, decision: 'approve' | 'reject') =>
  decision === 'approve' ? call(api.POST('/api/v1/events/{id}/approve', { params: { path: { id } } })) : call(api.POST('/api/v1/events/{id}/reject', { params: { path: { id } } }));
export const runNow = () => call(api.POST('/api/v1/retention/run'));
