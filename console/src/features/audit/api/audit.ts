import { api, call, type paths } from '../../../lib/api-client';

export type AuditQuery = NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>;
export type AuditPage = paths['/api/v1/audit']['get']['responses'][200]['content']['application/json'];
export type AuditEntry = AuditPage['entries'][number];
export type Verification = paths['/api/v1/audit/verify']['get']['responses'][200]['content']['application/json'];

export const listAudit = (query: AuditQuery) => call(api.GET('/api/v1/audit', { params: { query } }));
/** Verifies against the witness file, and against the checkpoints given (their JSON, as mailed) when there are any. */
export const verifyAudit = (checkpoints: string[] = []) =>
  checkpoints.length > 0 ? call(api.POST('/api/v1/audit/verify', { body: { checkpoints } })) : call(api.GET('/api/v1/audit/verify'));
