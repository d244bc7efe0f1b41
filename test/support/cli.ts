/** Runs the `steward` CLI in-process and captures what it prints. */
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Raw stdout bytes, for binary output (XLSX). */
  bytes: Buffer;
}

export async function runCli(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; stopSignal?: Promise<void> }): Promise<CliResult> {
  const out: Buffer[] = [];
  let stderr = '';
  const code = await main(['node', 'steward', ...args], {
    stdout: (s) => void out.push(Buffer.from(s)),
    stderr: (s) => {
      stderr += s;
    },
    env: opts.env ?? {},
    cwd: opts.cwd,
    interactive: false,
    ...(opts.stopSignal ? { stopSignal: opts.stopSignal } : {}),
  });
  const bytes = Buffer.concat(out);
  return { code, stdout: bytes.toString('utf8'), stderr, bytes };
}
