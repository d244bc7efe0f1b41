import { Option, type Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { cliActor } from '../runtime/runtime.js';
import { createToken, createUser, listUsers } from './auth.service.js';
import { ROLES, ROLE_DESCRIPTIONS, type Role } from './roles.js';

export function registerAuthCommands(program: Command, io: CliIo): void {
  const users = program.command('users').description('people who use Steward, and their roles');
  users
    .command('create')
    .description(`create a user; prints a generated password once. Roles: ${ROLES.map((r) => `${r} (${ROLE_DESCRIPTIONS[r]})`).join('; ')}`)
    .requiredOption('--username <name>', 'sign-in name')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
    .option('--name <display>', 'display name')
    .option('--job-role <id...>', 'job roles the declaration may restrict categories to (e.g. tech-manager)')
    .option('--json', 'print as JSON')
    .action(async (opts: { username: string; role: Role; name?: string; jobRole?: string[]; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const { user, password } = await createUser(rt, cliActor(), {
          username: opts.username,
          role: opts.role,
          ...(opts.name ? { displayName: opts.name } : {}),
          ...(opts.jobRole ? { jobRoles: opts.jobRole } : {}),
        });
        if (opts.json) io.stdout(`${JSON.stringify({ user, password }, null, 2)}\n`);
        else io.stdout(`created ${user.username} (${user.role})\npassword: ${password}\n(shown once: pass it on securely)\n`);
      });
    });
  users
    .command('list')
    .description('list users')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const all = await listUsers(rt, cliActor());
        if (opts.json) io.stdout(`${JSON.stringify(all, null, 2)}\n`);
        else for (const u of all) io.stdout(`${u.username.padEnd(24)} ${u.role.padEnd(8)} ${u.jobRoles.join(',')}${u.disabled ? ' (disabled)' : ''}\n`);
      });
    });

  program
    .command('tokens')
    .description('API tokens')
    .command('create')
    .description("create an API token scoped to a role, owned by the owner account; prints it once")
    .requiredOption('--name <name>', 'what the token is for, e.g. "CRM sync"')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).default('staff'))
    .option('--expires-in-days <n>', 'expiry in days')
    .action(async (opts: { name: string; role: Role; expiresInDays?: string }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const days = opts.expiresInDays ? Number.parseInt(opts.expiresInDays, 10) : undefined;
        const { token, view } = await createToken(rt, cliActor(), { name: opts.name, role: opts.role, ...(days ? { expiresInDays: days } : {}) });
        io.stdout(`${token}\n`);
        io.stderr(`token ${view.id} (${view.role}) created; shown once\n`);
      });
    });
}
