/**
 * `steward policy promises [FILE] [--json]`: every relationship's path through the declaration.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { commandConfig, type CliIo } from '../cli/io.js';
import { loadPolicy } from '../policy/policy.loader.js';
import { formatPromises, presentPromises } from './promises.presenter.js';
import { simulatePromises } from './promises.simulate.js';

export function registerPromisesCommand(policy: Command, io: CliIo): void {
  policy
    .command('promises')
    .description('walk a made-up person of each relationship through its life events: when each category goes, under which purpose and rule, beside what the notice promises (exit 1: a promise is defeated)')
    .argument('[file]', 'the declaration (default --policy)')
    .option('--json', 'print the report as JSON')
    .action(async (file: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const loaded = await loadPolicy(file ? path.resolve(io.cwd, file) : commandConfig(cmd, io).policyFile);
      const report = simulatePromises(loaded.policy, loaded);
      io.stdout(opts.json ? `${JSON.stringify(presentPromises(report), null, 2)}\n` : formatPromises(report));
      io.exitCode = report.defeated > 0 ? 1 : 0;
    });
}
