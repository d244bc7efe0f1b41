/**
 * The `steward` command: a second transport over the same services as the HTTP API.
 * Exit codes: 0 success, 1 the command ran and found problems (or failed on the data), 2 the
 * command could not run (bad usage, unreadable file, bad configuration).
 */
import { Command, CommanderError, Option } from 'commander';
import { isStewardError, type ErrorCode } from '../shared/errors.js';
import { registerPolicyCommands } from '../policy/policy.cli.js';
import { registerSubjectCommands } from '../register/register.cli.js';
import { registerConsentCommands } from '../consent/consent.cli.js';
import { registerServeCommand } from '../server/serve.cli.js';
import { registerAuditCommands } from '../audit/audit.cli.js';
import { registerAuthCommands } from '../auth/auth.cli.js';
import { registerKeyCommands } from '../register/keys.cli.js';
import { registerRetentionCommands } from '../retention/retention.cli.js';
import { registerBreachCommands } from '../breaches/breaches.cli.js';
import { registerDeadlineCommand } from '../deadline/deadline.cli.js';
import { registerRequestCommands } from '../requests/requests.cli.js';
import { registerAccountabilityCommands } from '../accountability/accountability.cli.js';
import { registerBackupCommands } from '../backup/backup.cli.js';
import { registerCookieCommands } from '../cookies/cookies.cli.js';
import { assertCleanText } from '../shared/text.js';
import { registerComplaintCommands } from '../complaints/complaints.cli.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';
import { consentConditions } from '../consent/consent.conditions.js';

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['CONFIG_INVALID', 'POLICY_UNREADABLE', 'POLICY_PARSE_ERROR']);

export function buildProgram(io: CliIo): Command {
  const program = new Command('steward')
    .description("Steward: the personal-data register that keeps a privacy policy's promises.")
    .version('0.1.0')
    .addOption(new Option('--policy <file>', 'the declaration (default ./steward.yaml; env STEWARD_POLICY)'))
    .addOption(new Option('--data-dir <dir>', 'data folder: SQLite file, key file, outbox, exports (default ./data; env STEWARD_DATA_DIR)'))
    .addOption(new Option('--db <url>', 'database: sqlite:FILE or postgres://… (default the SQLite file in the data folder; env STEWARD_DATABASE_URL)'))
    .addOption(new Option('--config <file>', 'optional settings file (YAML; env STEWARD_CONFIG)'))
    .addOption(new Option('--as <username>', 'act as this Steward user, recorded in the audit trail with your operating-system account (env STEWARD_USER); refused if unknown or disabled'))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
    })
    .exitOverride();
  // Text the CLI is given refuses NUL characters and unpaired surrogates, as the HTTP edge does.
  program.hook('preAction', (_program, action) => {
    assertCleanText(action.args, 'arguments');
    assertCleanText(action.optsWithGlobals(), 'options');
  });
  registerServeCommand(program, io);
  registerPolicyCommands(program, io);
  registerSubjectCommands(program, io);
  registerConsentCommands(program, io);
  registerAuditCommands(program, io);
  registerAuthCommands(program, io);
  registerKeyCommands(program, io);
  registerRetentionCommands(program, io, { conditions: consentConditions });
  registerBreachCommands(program, io);
  registerDeadlineCommand(program, io);
  registerRequestCommands(program, io);
  registerAccountabilityCommands(program, io);
  registerBackupCommands(program, io);
  registerCookieCommands(program, io);
  registerComplaintCommands(program, io);
  return program;
}

export function reportError(io: CliIo, e: unknown): number {
  if (isStewardError(e)) {
    io.stderr(`error [${e.code}]: ${e.message}\n`);
    for (const d of e.details) io.stderr(`  ${d.message}\n`);
    return USAGE_CODES.has(e.code) ? 2 : 1;
  }
  io.stderr(`error [INTERNAL]: ${(e as Error)?.message ?? String(e)}\n`);
  return 1;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return io.exitCode ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors with 1, which we make 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(io, e);
  }
}
