import { api, call, type paths } from '../../../lib/api-client';

type Body<P extends keyof paths, M extends 'post'> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;

export type RightsRequest = paths['/api/v1/requests/{id}']['get']['responses'][200]['content']['application/json'];
export type RequestSummary = paths['/api/v1/requests']['get']['responses'][200]['content']['application/json']['requests'][number];
export type OpenBody = Body<'/api/v1/requests', 'post'>;
export type FulfilBody = Body<'/api/v1/requests/{id}/fulfil', 'post'>;
export type Evidence = NonNullable<OpenBody['identity']>[number];
export type RequestType = OpenBody['type'];

/**
 * Every request type the API accepts, in the order the form offers them, and whether its answer
 * is a pack behind a download link. Keyed by type: a type added to the API does not compile until
 * it is here.
 */
const TYPE_TRAITS = {
  access: { pack: true },
  rectification: { pack: false },
  erasure: { pack: false },
  restriction: { pack: false },
  portability: { pack: true },
  objection: { pack: false },
  'marketing-objection': { pack: false },
  'withdraw-consent': { pack: false },
} as const satisfies Record<RequestType, { pack: boolean }>;

export const REQUEST_TYPES = Object.keys(TYPE_TRAITS) as RequestType[];
export const answeredWithPack = (type: string): boolean => Object.hasOwn(TYPE_TRAITS, type) && TYPE_TRAITS[type as RequestType].pack;

const path = (id: string) => ({ params: { path: { id } } });

export const listOpen = () => call(api.GET('/api/v1/requests', { params: { query: { open: 'true', limit: 500 } } }));
export const openRequest = (body: OpenBody) => call(api.POST('/api/v1/requests', { body }));
export const getRequest = (id: string) => call(api.GET('/api/v1/requests/{id}', { params: { path: { id }, query: { history: 'true' } } }));
export const verify = (id: string, evidence: string[]) => call(api.POST('/api/v1/requests/{id}/verify', { ...path(id), body: { evidence } }));
export const candidates = (id: string) => call(api.POST('/api/v1/requests/{id}/match', path(id)));
export const matchTo = (id: string, subjectId: string | null) => call(api.POST('/api/v1/requests/{id}/subject', { ...path(id), body: { subjectId } }));
export const pause = (id: string, question: string) => call(api.POST('/api/v1/requests/{id}/pause', { ...path(id), body: { question } }));
export const resume = (id: string) => call(api.POST('/api/v1/requests/{id}/resume', { ...path(id), body: {} }));
export const extend = (id: string, reasons: string) => call(api.POST('/api/v1/requests/{id}/extend', { ...path(id), body: { reasons } }));
export const fulfil = (id: string, body: FulfilBody) => call(api.POST('/api/v1/requests/{id}/fulfil', { ...path(id), body }));
export const addNote = (id: string, text: string) => call(api.POST('/api/v1/requests/{id}/notes', { ...path(id), body: { text } }));
export const withdraw = (id: string, note: string) => call(api.POST('/api/v1/requests/{id}/withdraw', { ...path(id), body: { note } }));
export const previewFulfil = (id: string, body: FulfilBody = {}) => call(api.POST('/api/v1/requests/{id}/fulfil/preview', { ...path(id), body }));
export type FulfilPreview = Awaited<ReturnType<typeof previewFulfil>>;
