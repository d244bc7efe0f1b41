import type { Command } from 'commander';
import { appendAudit } from '../audit/audit.service.js';
import { type CliIo, withRuntime } from '../cli/io.js';
import { writeTx } from '../db/transactions.js';
import { cliActor } from '../kernel/actors.js';

export function registerKeyCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('encryption keys');
  keys
    .command('retire')
    .description('delete key-encryption-key versions superseded longer ago than backup_retention_days and no longer wrapping any key, so backups sealed under them cannot be opened')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await rt.keyring.retireEpochs(rt.database.db, rt.clock.now(), rt.config.backupRetentionDays);
        if (r.retired.length > 0) {
          await writeTx(rt, (trx) => appendAudit(trx, rt, cliActor(), [{ action: 'keys.retire', details: { retired: r.retired, current: r.current } }]));
        }
        if (opts.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
        else {
          io.stdout(`current key epoch: ${r.current}; retired: ${r.retired.length ? r.retired.join(', ') : 'none'}\n`);
          if (r.due.length) io.stdout(`due for retirement, remove from ${rt.keyring.provider.id}: ${r.due.map((v) => `v${v}`).join(', ')}\n`);
          for (const k of r.kept) io.stdout(`kept v${k.version}: ${k.why}\n`);
        }
      });
    });
  keys
    .command('rotate')
    .description('add a new key-encryption key and re-wrap every subject key under it (records are not re-encrypted); safe to re-run')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const result = await rt.keyring.rotate(rt.database.db, (done, total) => {
          if (io.interactive) io.stderr(`\rre-wrapped ${done}/${total} subject keys`);
        });
        if (io.interactive) io.stderr('\n');
        await writeTx(rt, (trx) => appendAudit(trx, rt, cliActor(), [{ action: 'keys.rotate', details: { kekVersion: result.version, rewrapped: result.rewrapped } }]));
        if (opts.json) io.stdout(`${JSON.stringify(result)}\n`);
        else io.stdout(`key-encryption key is now version ${result.version}; re-wrapped ${result.rewrapped} subject keys (${rt.keyring.provider.id})\n`);
      });
    });
}
