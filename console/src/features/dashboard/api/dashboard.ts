import { api, call, type paths } from '../../../lib/api-client';

export type DashboardData = paths['/api/v1/dashboard']['get']['responses'][200]['content']['application/json'];

export const getDashboard = (): Promise<DashboardData> => call(api.GET('/api/v1/dashboard'));
