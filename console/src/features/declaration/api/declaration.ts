import { api, call, type paths } from '../../../lib/api-client';

export type Findings = paths['/api/v1/policy/findings']['get']['responses'][200]['content']['application/json'];
export type Finding = Findings['findings'][number];
export type Version = paths['/api/v1/policy/versions']['get']['responses'][200]['content']['application/json']['versions'][number];

export const getFindings = () => call(api.GET('/api/v1/policy/findings'));
export const getVersions = () => call(api.GET('/api/v1/policy/versions'));
export const publish = () => call(api.POST('/api/v1/policy/publish', { body: { force: false } }));
export const getPolicy = () => call(api.GET('/api/v1/policy'));
/** The notice as it would be published, as HTML (marked as a draft unless it is the one published). */
export const getNoticeHtml = () => call(api.GET('/api/v1/policy/notice', { params: { query: { format: 'html' } }, parseAs: 'text' })) as Promise<string>;

/** Where the downloads are: plain links, so the browser saves them with the session cookie. */
export const ropaUrl = (format: 'csv' | 'xlsx'): string => `/api/v1/policy/ropa?format=${format}`;
export const noticeMarkdownUrl = '/api/v1/policy/notice?format=md';
