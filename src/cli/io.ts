import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/config.js';
import { countIfCardRefusal } from '../promises/card-refusals.js';
import { openRuntime, type Runtime } from '../kernel/runtime.js';
import { asCliUser } from './identity.js';

/** What a command may touch of its process: injected so commands run in-process in tests. */
export interface CliIo {
  stdout(s: string | Uint8Array): void;
  stderr(s: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether stderr is a terminal (progress bars only then). */
  interactive: boolean;
  /** Set by a command that wants a non-zero exit without throwing. */
  exitCode?: number;
  /** Resolves when a long-running command (serve) should stop. */
  stopSignal?: Promise<void>;
}

export function processIo(): CliIo {
  // A reader that stops early (`steward subjects export | head`) closes the pipe: stop quietly,
  // as Unix tools do, instead of crashing on EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    env: process.env,
    cwd: process.cwd(),
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
  };
}

/** The configuration for a command: global flags, then the command's own. */
export function commandConfig(cmd: Command, io: CliIo, extra: Record<string, unknown> = {}): Config {
  const o = cmd.optsWithGlobals<Record<string, string | undefined>>();
  return loadConfig(
    {
      policy: o.policy,
      dataDir: o.dataDir,
      db: o.db,
      config: o.config,
      host: o.host,
      port: o.port,
      logLevel: o.logLevel,
      baseUrl: o.baseUrl,
      trustProxy: o.trustProxy,
      ...extra,
    },
    io.env,
    io.cwd,
  );
}

/** The Steward user a command acts as: --as, else STEWARD_USER, else none (the operating-system account). */
export const cliUsername = (cmd: Command, io: CliIo): string | undefined => cmd.optsWithGlobals<{ as?: string }>().as ?? io.env.STEWARD_USER;

/** Opens the runtime for a command from its options, runs `fn`, and always closes it. */
export async function withRuntime<T>(cmd: Command, io: CliIo, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await openRuntime(commandConfig(cmd, io));
  try {
    return await asCliUser(rt, cliUsername(cmd, io), () => fn(rt));
  } catch (e) {
    await countIfCardRefusal(rt.database.db, 'cli', rt.clock.now(), e);
    throw e;
  } finally {
    await rt.close();
  }
}
