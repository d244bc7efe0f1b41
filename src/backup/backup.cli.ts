import path from 'node:path';
import type { Command } from 'commander';
import { commandConfig, type CliIo, withRuntime } from '../cli/io.js';
import { openDatabase } from '../db/database.js';
import { loadPolicy } from '../policy/policy.loader.js';
import { kekProviderFor, ledgerFileFor, mailerFor } from '../kernel/runtime.js';
import { systemClock } from '../shared/clock.js';
import { createBackup, restoreBackup } from './backup.service.js';
import { cliActor } from '../kernel/actors.js';

const stamp = (iso: string): string => iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export function registerBackupCommands(program: Command, io: CliIo): void {
  program
    .command('backup')
    .description('a consistent, encrypted backup of the whole database, taken while Steward runs (restores into SQLite or PostgreSQL)')
    .option('--out <file>', 'where to write it (default <data-dir>/backups/steward-<time>.backup)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { out?: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const out = opts.out ? path.resolve(io.cwd, opts.out) : path.join(rt.config.dataDir, 'backups', `steward-${stamp(rt.clock.now().toISOString())}.backup`);
        const progress = opts.json ? undefined : (m: string) => io.stdout(`  ${m}\n`);
        const r = await createBackup(rt, cliActor(), out, progress ? { onProgress: progress } : {});
        if (opts.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
        else io.stdout(`backup written to ${r.file}: ${r.rows} rows in ${r.tables.length} tables, sealed under key epoch ${r.epoch} (${r.createdAt})\n`);
      });
    });

  program
    .command('restore')
    .description('restore a backup into an empty database, then re-apply every erasure recorded in the erasure ledger since it was taken')
    .argument('<file>', 'the backup file')
    .option('--force', 'replace everything in a database that already holds data')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      const config = commandConfig(cmd, io);
      const policy = await loadPolicy(config.policyFile);
      const database = await openDatabase(config.databaseUrl, { migrate: false });
      const mailer = mailerFor(config, policy);
      try {
        const progress = opts.json ? undefined : (m: string) => io.stdout(`  ${m}\n`);
        const r = await restoreBackup({
          file: path.resolve(io.cwd, file),
          database,
          provider: kekProviderFor(config),
          config,
          mailer,
          policy,
          clock: systemClock,
          actor: cliActor(),
          erasureLedgerFile: ledgerFileFor(config),
          witnessDir: config.dataDir,
          force: opts.force ?? false,
          ...(progress ? { onProgress: progress } : {}),
        });
        if (opts.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
        else {
          io.stdout(
            `restored ${r.rows} rows from the backup of ${r.createdAt} into ${database.description}; ` +
              `re-applied ${r.reapplied.subjects} erasures of people and ${r.reapplied.records} of records made since\n`,
          );
        }
      } finally {
        mailer.close();
        await database.close();
      }
    });
}
