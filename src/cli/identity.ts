/**
 * Who a CLI command acts as. `steward --as <username>` or STEWARD_USER names a Steward user: the
 * command runs with their role and job roles, and the audit trail records them with the
 * operating-system account beside it (in the entry's origin column, where HTTP entries keep the
 * address). An unknown or disabled user is refused before the command does anything. Without a
 * name, the operating-system account is recorded (cliActor).
 */
import type { Actor } from '../auth/roles.js';
import { type Runtime } from '../kernel/runtime.js';
import { StewardError } from '../shared/errors.js';
import { cliActor, osAccount, runAsCliActor, userActor } from '../kernel/actors.js';
import { userByUsername } from '../auth/auth.service.js';

export async function resolveCliActor(rt: Pick<Runtime, 'database'>, username: string | undefined): Promise<Actor | undefined> {
  const name = username?.trim();
  if (!name) return undefined;
  const row = await userByUsername(rt.database.db, name);
  if (!row) {
    throw new StewardError('UNAUTHENTICATED', `there is no Steward user named "${name.slice(0, 64)}" (--as or STEWARD_USER): see steward users list, or leave both out to act as the operating-system account`);
  }
  if (row.disabled) throw new StewardError('FORBIDDEN', `the Steward user "${row.username}" is disabled: no command may act as them`);
  return userActor(row, { kind: 'cli', osAccount: osAccount() });
}

/** Runs `fn` as the named user, if any; otherwise as the operating-system account. */
export async function asCliUser<T>(rt: Pick<Runtime, 'database'>, username: string | undefined, fn: () => Promise<T>): Promise<T> {
  const actor = await resolveCliActor(rt, username);
  return actor ? runAsCliActor(actor, fn) : fn();
}

export { cliActor };
