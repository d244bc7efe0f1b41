/** The signed-in session: who, what their role may do, and the CSRF token for writes. */
import { createContext, useContext } from 'react';
import type { paths } from './api-types';

export type Session = paths['/api/v1/auth/session']['get']['responses'][200]['content']['application/json'];

export interface SessionState {
  session: Session;
  setSession(s: Session | null): void;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Whether the role may do this; the console offers only what it may, the API checks anyway. */
export const useCan = (permission: string): boolean => useSession().session.permissions.includes(permission);
