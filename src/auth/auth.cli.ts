import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { StewardError } from '../shared/errors.js';
import { changePassword, createToken, createUser, listTokens, listUsers, MAX_TOKEN_LIFETIME_DAYS, resetPassword, revokeToken, setUserDisabled, type TokenView, type UserView } from './auth.service.js';
import { ROLES, ROLE_DESCRIPTIONS, type Role } from './roles.js';
import { cliActor } from '../kernel/actors.js';
import { userActor } from '../kernel/actors.js';

/** A bad --expires is bad usage (exit 2), found before anything is opened. */
function parseDays(raw: string): string {
  const days = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(days >= 1 && days <= MAX_TOKEN_LIFETIME_DAYS)) throw new InvalidArgumentError(`a whole number of days from 1 to ${MAX_TOKEN_LIFETIME_DAYS}`);
  return raw;
}

const formatToken = (t: TokenView): string =>
  `${t.id}  ${t.name.padEnd(20)} ${t.kind.padEnd(8)} ${t.role.padEnd(8)} created ${t.createdAt.slice(0, 16)}  last used ${t.lastUsedAt?.slice(0, 16) ?? 'never'}  expires ${t.expiresAt?.slice(0, 10) ?? 'never'}${t.revokedAt ? '  (revoked)' : ''}\n`;

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
          displayName: opts.name,
          jobRoles: opts.jobRole,
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

  const userState = (name: 'disable' | 'enable', disabled: boolean, what: string) =>
    users
      .command(`${name} <user>`)
      .description(what)
      .action(async (user: string, _opts: unknown, cmd: Command) => {
        await withRuntime(cmd, io, async (rt) => {
          const u: UserView = await setUserDisabled(rt, cliActor(), user, disabled);
          io.stdout(`${u.username} ${u.disabled ? 'disabled' : 'enabled'}\n`);
        });
      });
  userState('disable', true, 'disable a user: no sign-in; their sessions and API tokens stop working at once');
  userState('enable', false, 'enable a disabled user again (their unexpired API tokens work again; sessions do not)');
  users
    .command('password-reset <user>')
    .description('give a user a new one-time password, printed once; they must change it at their next sign-in, and their sessions end')
    .option('--json', 'print as JSON')
    .action(async (user: string, opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await resetPassword(rt, cliActor(), user);
        if (opts.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
        else io.stdout(`new one-time password for ${r.user.username}: ${r.password}\n(shown once: pass it on securely; it must be changed at the next sign-in)\n`);
      });
    });
  users
    .command('change-password')
    .description('change your own password: FILE holds the current password on its first line and the new one on its second (never on the command line)')
    .requiredOption('--username <name>', 'your sign-in name')
    .requiredOption('--password-file <file>', 'two lines: current password, new password')
    .action(async (opts: { username: string; passwordFile: string }, cmd: Command) => {
      const [current = '', next = ''] = (await readFile(path.resolve(io.cwd, opts.passwordFile), 'utf8')).split(/\r?\n/);
      await withRuntime(cmd, io, async (rt) => {
        const user = await rt.database.db.selectFrom('users').select(['id', 'role', 'job_roles', 'disabled']).where('username', '=', opts.username).executeTakeFirst();
        if (!user || user.disabled) throw new StewardError('UNAUTHENTICATED', 'wrong username or password');
        // Proven by the current password, checked (and rate-limited) by changePassword itself.
        const u = await changePassword(rt, userActor(user, { kind: 'user' }, { ip: 'cli' }), current, next);
        io.stdout(`password changed for ${u.username}; other sessions ended\n`);
      });
    });

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('list')
    .description('every usable token and session: name, kind, role, created, last used, expiry (never the secret)')
    .option('--all', 'include revoked and expired ones')
    .option('--json', 'print as JSON')
    .action(async (opts: { all?: boolean; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const list = await listTokens(rt, cliActor(), { everyone: true, all: opts.all === true });
        if (opts.json) io.stdout(`${JSON.stringify(list, null, 2)}\n`);
        else if (list.length === 0) io.stdout('no tokens\n');
        else for (const t of list) io.stdout(formatToken(t));
      });
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token or session by its id (from "tokens list")')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        await revokeToken(rt, cliActor(), id);
        io.stdout(`token ${id} revoked\n`);
      });
    });
  tokens
    .command('create')
    .description("create an API token scoped to a role, owned by the owner account; prints it once")
    .requiredOption('--name <name>', 'what the token is for, e.g. "CRM sync"')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).default('staff'))
    .addOption(new Option('--expires <days>', `days until it expires (default: the configured token lifetime, 90 days unless set; at most ${MAX_TOKEN_LIFETIME_DAYS})`).argParser(parseDays))
    .addOption(new Option('--expires-in-days <n>', 'the same as --expires').argParser(parseDays).hideHelp())
    .action(async (opts: { name: string; role: Role; expires?: string; expiresInDays?: string }, cmd: Command) => {
      const raw = opts.expires ?? opts.expiresInDays;
      const days = raw === undefined ? undefined : Number(raw);
      await withRuntime(cmd, io, async (rt) => {
        const { token, view } = await createToken(rt, cliActor(), { name: opts.name, role: opts.role, expiresInDays: days });
        io.stdout(`${token}\n`);
        io.stderr(`token ${view.id} (${view.role}) created, expires ${view.expiresAt?.slice(0, 10)}; shown once\n`);
      });
    });
}
