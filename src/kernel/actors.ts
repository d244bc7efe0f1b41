/**
 * The one way to make an actor (src/auth/roles.ts): who is doing something, for the CLI, scheduled
 * jobs, the public pages and signed-in users. HTTP requests get theirs from the authentication
 * hook (src/auth/auth.http.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { userInfo } from 'node:os';
import type { Actor, Role } from '../auth/roles.js';

/** The operating-system account running a command ("unknown" where there is no passwd entry). */
export function osAccount(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    // No passwd entry (some containers).
    return 'unknown';
  }
}

/** The Steward user a CLI command acts as (steward --as, STEWARD_USER), set by withRuntime. */
const cliIdentity = new AsyncLocalStorage<Actor>();

/** Runs `fn` with `actor` as the CLI's actor (see cliActor). */
export const runAsCliActor = <T>(actor: Actor, fn: () => Promise<T>): Promise<T> => cliIdentity.run(actor, fn);

/**
 * The operator at the console. Named (--as or STEWARD_USER): that Steward user, with their role,
 * and the operating-system account beside it in the audit trail. Unnamed: the operating-system
 * account itself ("os:<account>"), who holds the key file and so acts with the owner's rights.
 */
export function cliActor(): Actor {
  const named = cliIdentity.getStore();
  if (named) return named;
  const os = `os:${osAccount()}`;
  return { kind: 'cli', id: os, role: 'owner', jobRoles: [], allCategories: true, ip: os };
}

/** A scheduled job or internal process, named by its job: the owner's rights unless given a narrower role. */
export const systemActor = (job: string, role: Role = 'owner'): Actor => ({ kind: 'system', id: `system:${job}`, role, jobRoles: [], ...(role === 'owner' ? { allCategories: true } : {}) });

/**
 * A member of the public on one of the public pages (the privacy centre, the complaint form, the
 * preference centre): a staff-level actor named by the page, with the caller's address when known.
 * What it may do is what the page's own code allows; it is never a signed-in user.
 */
export const publicActor = (page: string, ip?: string): Actor => ({ kind: 'system', id: `public:${page}`, role: 'staff', jobRoles: [], ip });


/** How a Steward user reached Steward: the console (a session), an API token, or the CLI (--as). */
export type UserChannel = { kind: 'user' } | { kind: 'token'; tokenId: string } | { kind: 'cli'; osAccount: string };

/**
 * A Steward user as an actor, from their account's role and job roles. A token acts as "token:<id>"
 * so the audit trail tells it from its owner's own sessions; the CLI records the operating-system
 * account where HTTP records the address.
 */
export function userActor(user: { id: string; role: string; job_roles: string }, channel: UserChannel, extra: { ip?: string; mustChangePassword?: boolean } = {}): Actor {
  return {
    kind: channel.kind,
    id: channel.kind === 'token' ? `token:${channel.tokenId}` : user.id,
    role: user.role as Role,
    jobRoles: JSON.parse(user.job_roles) as string[],
    ip: channel.kind === 'cli' ? `os:${channel.osAccount}` : extra.ip,
    userId: user.id,
    ...(extra.mustChangePassword ? { mustChangePassword: true } : {}),
  };
}
