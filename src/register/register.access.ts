/**
 * Who may see what in the register: categories restricted to roles (restricted_to_roles), and
 * Art 18 restriction, under which a person's data is stored but not otherwise processed.
 */
import { canSeeCategory, type Actor } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import { StewardError } from '../shared/errors.js';

/** The purpose a caller gives for reading a restricted subject's data (Art 18). */
export const RIGHTS_REQUEST_PURPOSE = 'rights-request';

/** Whether the actor may see a category's records; a category removed from the declaration since: only the privacy roles. */
export function maySeeCategory(ctx: Pick<AppContext, 'policy'>, actor: Actor, category: string): boolean {
  const cat = policyIndex(ctx.policy).categories.get(category);
  return cat ? canSeeCategory(actor, cat) : actor.role === 'dpo' || actor.role === 'owner';
}

/** Reading and writing alike: nobody writes into a category they may not read back. */
export function assertCanSee(ctx: Pick<AppContext, 'policy'>, actor: Actor, category: string): void {
  if (maySeeCategory(ctx, actor, category)) return;
  const cat = policyIndex(ctx.policy).categories.get(category);
  throw new StewardError('FORBIDDEN', `records of the category "${category}" are restricted to ${cat?.restricted_to_roles?.join(', ') ?? 'the privacy officer'}`);
}

/** Art 18: a restricted subject's data may be stored but read only for the rights request itself. */
export function assertNotRestricted(row: { id: string; restricted: number }, purpose: string | undefined): void {
  if (row.restricted && purpose !== RIGHTS_REQUEST_PURPOSE) {
    throw new StewardError('RESTRICTED', `subject ${row.id} is restricted (Art 18): its data may only be used for the rights request (purpose "${RIGHTS_REQUEST_PURPOSE}")`);
  }
}
