import type { Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { StewardError } from '../shared/errors.js';
import { checkpointAnchor } from './audit.checkpoint.js';
import { listAudit, verifyAudit } from './audit.service.js';
import { witnessAnchors } from './audit.witness.js';

export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');

  audit
    .command('verify')
    .description('walk the hash chain; exit 0 if intact, 1 listing every altered, inserted or removed entry, a rollback or a wipe')
    .option('--json', 'print the result as JSON')
    .option('--checkpoint <json>', 'also require the entries up to this checkpoint (its JSON, as mailed to the privacy contact)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (opts: { json?: boolean; checkpoint: string[] }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const { anchors, anchorProblems } = await witnessAnchors(rt.witness);
        for (const text of opts.checkpoint) {
          const c = checkpointAnchor(text, rt.keyring);
          if (c.anchor) anchors.push(c.anchor);
          if (c.problem) anchorProblems.push(c.problem);
        }
        const result = await verifyAudit(rt.database.db, rt.keyring, {
          onProgress: (n) => {
            if (io.interactive) io.stderr(`\rchecked ${n} entries`);
          },
          anchors,
          anchorProblems,
        });
        if (io.interactive) io.stderr('\n');
        if (opts.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
        else if (result.ok) io.stdout(`OK: ${result.entries} entries, chain intact\n`);
        else {
          const problems = result.problems ?? [];
          io.stdout(`TAMPERED: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${result.entries} entries\n`);
          for (const p of problems) io.stdout(`  [${p.kind}] ${p.message}\n`);
        }
        if (!opts.json) for (const note of result.superseded ?? []) io.stdout(`  [superseded] ${note}\n`);
        io.exitCode = result.ok ? 0 : 1;
      });
    });

  audit
    .command('log')
    .description('show audit entries, newest first')
    .option('--subject <id>', 'only entries about this subject')
    .option('--action <action>', 'only this action, e.g. subject.read')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print as JSON')
    .action(async (opts: { subject?: string; action?: string; limit: string; json?: boolean }, cmd: Command) => {
      const limit = Number.parseInt(opts.limit, 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new StewardError('VALIDATION_FAILED', '--limit: a number from 1 to 10000');
      await withRuntime(cmd, io, async (rt) => {
        const { entries } = await listAudit(rt.database.db, { limit, subjectId: opts.subject, action: opts.action });
        if (opts.json) {
          io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
          return;
        }
        for (const e of entries) {
          // The origin beside the actor: an IP address, or for the CLI the operating-system account.
          io.stdout(`${String(e.seq).padStart(6)}  ${e.at}  ${`${e.actor}${e.ip ? ` (${e.ip})` : ''}`.padEnd(24)} ${e.action.padEnd(18)} ${e.subjectId ?? '-'}  ${e.purpose ?? ''} ${JSON.stringify(e.details)}\n`);
        }
      });
    });
}
