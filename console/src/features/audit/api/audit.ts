import { api, call, type paths } from '../../../lib/api-client';

export type AuditQuery = NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>;
export type AuditPage = paths['/api/v1/audit']['get']['responses'][200]['content']['application/json'];
export type AuditEntry = AuditPage['entries'][number];
export type Verification = paths['/api/v1/audit/verify']['get']['responses'][200]['content']['application/json'];

export const listAudit = (query: AuditQuery) => call(api.GET('/api/v1/audit', { params: { query } }));
export const verifyAudit = () => call(api.GET('/api/v1/audit/verify'));
