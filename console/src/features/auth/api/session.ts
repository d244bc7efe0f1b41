import { api, call, setCsrfToken } from '../../../lib/api-client';
import type { Session } from '../../../lib/session';

export async function signIn(username: string, password: string): Promise<Session> {
  const s = await call(api.POST('/api/v1/auth/session', { body: { username, password } }));
  setCsrfToken(s.csrfToken);
  return s;
}

/** The current session from the cookie, or null when signed out. */
export async function currentSession(): Promise<Session | null> {
  const out = await api.GET('/api/v1/auth/session');
  if (out.response.status === 401) return null;
  const s = await call(Promise.resolve(out));
  setCsrfToken(s.csrfToken);
  return s;
}

export async function signOut(): Promise<void> {
  await call(api.DELETE('/api/v1/auth/session'));
  setCsrfToken(undefined);
}

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await call(api.POST('/api/v1/auth/session/password', { body: { currentPassword, newPassword } }));
}
