/**
 * The CLI names a person (issue 15): `--as <username>` or STEWARD_USER makes a command act as that
 * Steward user, with their role, recorded in the audit trail with the operating-system account
 * beside it; without one the operating-system account is recorded ("os:<account>", never a
 * generic "cli:root"); an unknown or disabled user is refused before anything is written.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';
import { osAccount } from '../kernel/actors.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/breaches/policy.yaml');

interface Entry {
  seq: number;
  actor: string;
  actorRole: string;
  ip: string | null;
  action: string;
}

describe.each(dialects)('the CLI acting as a named user on %s', (kind) => {
  const ws = useCliWorkspace(kind, { prefix: 'cas', policy: POLICY });
  const os = `os:${osAccount()}`;
  const cli = (args: string[], env: Record<string, string> = {}) => ws.run(args, env);
  const log = async (): Promise<Entry[]> => JSON.parse((await cli(['audit', 'log', '--limit', '1000', '--json'])).stdout) as Entry[];
  const open = (title: string, args: string[] = [], env: Record<string, string> = {}) =>
    cli([...args, 'breaches', 'open', '--title', title, '--aware', new Date(Date.now() - 3_600_000).toISOString(), '--json'], env);

  it('records the operating-system account without a name, and the named user with it beside them', async () => {
    const made = await cli(['users', 'create', '--username', 'priya', '--role', 'dpo', '--json']);
    expect(made.code).toBe(0);
    const priya = JSON.parse(made.stdout).user.id as string;
    expect((await cli(['users', 'create', '--username', 'sam', '--role', 'staff'])).code).toBe(0);
    const created = (await log()).find((e) => e.action === 'user.create')!;
    expect(created).toMatchObject({ actor: os, ip: os, actorRole: 'owner' });
    expect(created.actor).not.toBe('cli:root');

    const byOption = await open('Laptop stolen', ['--as', 'priya']);
    expect([byOption.code, byOption.stderr]).toEqual([0, '']);
    expect(JSON.parse(byOption.stdout).openedBy).toBe(priya);
    const byEnv = await open('USB stick lost', [], { STEWARD_USER: 'priya' });
    expect(byEnv.code).toBe(0);
    const opened = (await log()).filter((e) => e.action === 'breach.open');
    expect(opened).toHaveLength(2);
    for (const e of opened) expect(e).toMatchObject({ actor: priya, actorRole: 'dpo', ip: os });

    // The option wins over the environment; the named user's role applies (staff may not read the register).
    const asStaff = await cli(['--as', 'sam', 'breaches', 'list'], { STEWARD_USER: 'priya' });
    expect([asStaff.code, asStaff.stderr]).toEqual([1, expect.stringContaining('error [FORBIDDEN]: the staff role may not breaches read')]);
  });

  it('refuses an unknown or disabled user before anything is written', async () => {
    const before = (await log()).length;
    const unknown = await open('Should not be recorded', ['--as', 'nobody']);
    expect([unknown.code, unknown.stdout]).toEqual([1, '']);
    expect(unknown.stderr).toContain('error [UNAUTHENTICATED]: there is no Steward user named "nobody"');
    expect((await cli(['users', 'disable', 'sam'])).code).toBe(0);
    const disabled = await open('Nor this', [], { STEWARD_USER: 'sam' });
    expect([disabled.code, disabled.stderr]).toEqual([1, expect.stringContaining('error [FORBIDDEN]: the Steward user "sam" is disabled')]);
    const after = await log();
    // Only the disable itself (and the audit reads of this test, which are not entries) were added.
    expect(after.length).toBe(before + 1);
    expect(after.filter((e) => e.action === 'breach.open')).toHaveLength(2);
    const listed = await cli(['breaches', 'list']);
    expect(listed.stdout).not.toContain('Should not be recorded');
    expect(listed.stdout).not.toContain('Nor this');
  });
});
