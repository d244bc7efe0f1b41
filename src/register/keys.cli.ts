import type { Command } from 'commander';
import { appendAudit } from '../audit/audit.service.js';
import { type CliIo, withRuntime } from '../cli/io.js';
import { cliActor } from '../runtime/runtime.js';
import { writeTx } from './register.service.js';

export function registerKeyCommands(program: Command, io: CliIo): void {
  program
    .command('keys')
    .description('encryption keys')
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
