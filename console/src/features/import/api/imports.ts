import { api, call, type paths } from '../../../lib/api-client';

export type ImportView = paths['/api/v1/imports/{id}']['get']['responses'][200]['content']['application/json'];
export type ImportSummary = ImportView['check'];

/** Uploads the file's text: the answer is the suggested mapping and a dry run; nothing is written. */
export const checkImport = (body: { relationship: string; csv: string; map?: Record<string, string> }) => call(api.POST('/api/v1/imports', { body }));
export const runImport = (id: string, addLines: number[] = []) => call(api.POST('/api/v1/imports/{id}/run', { params: { path: { id } }, body: addLines.length ? { addLines } : {} }));
export const getImport = (id: string) => call(api.GET('/api/v1/imports/{id}', { params: { path: { id } } }));
