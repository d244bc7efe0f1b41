/**
 * Roles, permissions and the actor: who is doing something, built the same way for HTTP, the CLI
 * and scheduled jobs, and passed explicitly to every domain function.
 */
import type { DataCategory } from '../policy/policy.schema.js';
import { StewardError } from '../shared/errors.js';

export const ROLES = ['owner', 'dpo', 'staff', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'everything, including users and tokens',
  dpo: 'the privacy officer: all personal data, the audit trail, exports and deletion',
  staff: 'record and look up people and their records; no deletion, no audit trail',
  auditor: 'read-only: people, records and the audit trail; changes nothing',
};

export type Permission =
  | 'subjects:read'
  | 'subjects:write'
  | 'subjects:delete'
  | 'subjects:export'
  | 'audit:read'
  | 'users:manage'
  | 'tokens:create'
  // Consent and marketing: check an audience; manage the suppression list and TPS registers.
  | 'marketing:check'
  | 'marketing:manage'
  | 'breaches:report'
  | 'breaches:read'
  | 'breaches:manage'
  // Retention: read the plan and holds; place and release holds, decide reviews, run deletions.
  | 'retention:read'
  | 'retention:manage'
  // Rights requests: open (staff intake), read, and manage (verify, decide, fulfil, refuse).
  | 'requests:open'
  | 'requests:read'
  | 'requests:manage';

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set<Permission>(['subjects:read', 'subjects:write', 'subjects:delete', 'subjects:export', 'audit:read', 'users:manage', 'tokens:create', 'breaches:report', 'breaches:read', 'breaches:manage', 'retention:read', 'retention:manage', 'marketing:check', 'marketing:manage', 'requests:open', 'requests:read', 'requests:manage']),
  dpo: new Set<Permission>(['subjects:read', 'subjects:write', 'subjects:delete', 'subjects:export', 'audit:read', 'tokens:create', 'breaches:report', 'breaches:read', 'breaches:manage', 'retention:read', 'retention:manage', 'marketing:check', 'marketing:manage', 'requests:open', 'requests:read', 'requests:manage']),
  staff: new Set<Permission>(['subjects:read', 'subjects:write', 'tokens:create', 'breaches:report', 'marketing:check', 'requests:open', 'requests:read']),
  auditor: new Set<Permission>(['subjects:read', 'audit:read', 'tokens:create', 'breaches:read', 'retention:read', 'requests:read']),
};

/** A role may hand out tokens for itself or any role below it. */
const RANK: Record<Role, number> = { owner: 3, dpo: 2, staff: 1, auditor: 1 };

export interface Actor {
  kind: 'user' | 'token' | 'cli' | 'system';
  /** A user id (also for a CLI command run --as a user), or "os:<os account>", or "system:<job>". Never personal data of data subjects. */
  id: string;
  role: Role;
  /** Job roles (e.g. "it-manager") that the declaration's restricted_to_roles may name. */
  jobRoles: readonly string[];
  /** The operator at the console holds the key file: every category is open to them. */
  allCategories?: boolean;
  ip?: string;
  /** The user behind a session or an API token (set by authenticate). */
  userId?: string;
  /** A session whose password was reset by an owner: only a password change is allowed. */
  mustChangePassword?: boolean;
}

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);

export function can(actor: Actor, permission: Permission): boolean {
  return GRANTS[actor.role].has(permission);
}

export function authorise(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) {
    throw new StewardError('FORBIDDEN', `the ${actor.role} role may not ${permission.replace(':', ' ')}`);
  }
}

export function mayGrant(actor: Actor, role: Role): boolean {
  return actor.role === role || RANK[actor.role] > RANK[role];
}

/**
 * The declaration may keep a category for named roles only (call recordings for the DPO). A name
 * in restricted_to_roles that is a system role (owner, dpo, staff, auditor) matches the user's
 * system role only; any other name matches a job role. Job roles are labels an owner hands out,
 * so a job role spelled "dpo" must not stand in for the privacy officer's system role.
 */
export function canSeeCategory(actor: Actor, category: Pick<DataCategory, 'restricted_to_roles'>): boolean {
  const allowed = category.restricted_to_roles;
  if (!allowed || allowed.length === 0 || actor.allCategories) return true;
  return allowed.includes(actor.role) || actor.jobRoles.some((r) => !isRole(r) && allowed.includes(r));
}
