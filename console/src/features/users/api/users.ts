import { api, call, type paths } from '../../../lib/api-client';

export type User = paths['/api/v1/users']['get']['responses'][200]['content']['application/json']['users'][number];
export type NewUser = NonNullable<paths['/api/v1/users']['post']['requestBody']>['content']['application/json'];
export type Token = paths['/api/v1/tokens']['get']['responses'][200]['content']['application/json']['tokens'][number];
export type NewToken = NonNullable<paths['/api/v1/tokens']['post']['requestBody']>['content']['application/json'];
export type Role = User['role'];

export const listUsers = () => call(api.GET('/api/v1/users'));
export const createUser = (body: NewUser) => call(api.POST('/api/v1/users', { body }));
export const disableUser = (id: string) => call(api.POST('/api/v1/users/{id}/disable', { params: { path: { id } } }));
export const enableUser = (id: string) => call(api.POST('/api/v1/users/{id}/enable', { params: { path: { id } } }));
export const resetPassword = (id: string) => call(api.POST('/api/v1/users/{id}/password-reset', { params: { path: { id } } }));
export const listTokens = () => call(api.GET('/api/v1/tokens', { params: { query: { everyone: 'true' } } }));
export const createToken = (body: NewToken) => call(api.POST('/api/v1/tokens', { body }));
export const revokeToken = (id: string) => call(api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } }));
