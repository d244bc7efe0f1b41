/**
 * `steward cookies log`: the website cookie banner's consent log at the console. With --id, one
 * visitor's record (audited, as over the API); otherwise the counts per day, for a report or a
 * spreadsheet (--csv).
 */
import type { Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { csvCell } from '../shared/csv.js';
import { presentCounts, presentHistory } from './cookies.presenter.js';
import { CHOICE_KEYS, cookieCounts, lookUpConsent } from './cookies.service.js';
import { cliActor } from '../kernel/actors.js';

const DAY_MS = 24 * 3600_000;

export function registerCookieCommands(program: Command, io: CliIo): void {
  const cookies = program.command('cookies').description('the website cookie banner: its consent log');
  cookies
    .command('log')
    .description('one visitor\'s choices by consent id (audited), or the counts per day: accept-all, reject-all, custom, GPC, and each category')
    .option('--id <consent-id>', 'the consent id from the visitor\'s steward_consent cookie')
    .option('--from <date>', 'first day counted (YYYY-MM-DD; default 30 days ago)')
    .option('--to <date>', 'last day counted (YYYY-MM-DD; default today)')
    .option('--json', 'print as JSON')
    .option('--csv', 'print the counts as CSV, one row per day')
    .action(async (opts: { id?: string; from?: string; to?: string; json?: boolean; csv?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        if (opts.id !== undefined) {
          const view = presentHistory(opts.id, await lookUpConsent(rt, cliActor(), opts.id));
          if (opts.json) return io.stdout(`${JSON.stringify(view, null, 2)}\n`);
          const lines = [`consent ${view.consentId}: ${view.records.length} choice${view.records.length === 1 ? '' : 's'}`];
          for (const r of view.records) {
            const choices = Object.entries(r.choices).map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`).join(', ');
            lines.push(`  ${r.recordedAt}  ${r.outcome.padEnd(10)} by ${r.method}${r.gpc ? ' (GPC)' : ''}: ${choices}; notice ${r.noticeVersion.slice(0, 12)}, banner ${r.bannerVersion}`);
          }
          return io.stdout(`${lines.join('\n')}\n`);
        }
        const today = rt.clock.now();
        const to = opts.to ?? today.toISOString().slice(0, 10);
        const from = opts.from ?? new Date(today.getTime() - 30 * DAY_MS).toISOString().slice(0, 10);
        const counts = presentCounts(await cookieCounts(rt.database.db, cliActor(), { from, to }));
        if (opts.json) return io.stdout(`${JSON.stringify(counts, null, 2)}\n`);
        const categories = CHOICE_KEYS.filter((k) => counts.totals.categories[k]);
        if (opts.csv) {
          const header = ['day', 'choices', 'accept-all', 'reject-all', 'custom', 'gpc', ...categories.flatMap((k) => [`${k} granted`, `${k} refused`])];
          const rows = counts.days.map((d) => [d.day, d.choices, d.outcomes['accept-all'], d.outcomes['reject-all'], d.outcomes.custom, d.gpc, ...categories.flatMap((k) => [d.categories[k]?.granted ?? 0, d.categories[k]?.refused ?? 0])].map(String));
          return io.stdout([header, ...rows].map((r) => `${r.map(csvCell).join(',')}\r\n`).join(''));
        }
        const pct = (n: number, of: number) => (of ? `${Math.round((n / of) * 100)}%` : '-');
        const t = counts.totals;
        const lines = [
          `${from} to ${to}: ${t.choices} choice${t.choices === 1 ? '' : 's'}; accept all ${pct(t.outcomes['accept-all'], t.choices)}, reject all ${pct(t.outcomes['reject-all'], t.choices)}, custom ${pct(t.outcomes.custom, t.choices)}; GPC ${t.gpc}`,
          ...categories.map((k) => `  ${k.padEnd(11)} granted ${pct(t.categories[k]!.granted, t.categories[k]!.granted + t.categories[k]!.refused)}`),
          '',
          ...counts.days.map((d) => `${d.day}  ${String(d.choices).padStart(6)}  accept ${d.outcomes['accept-all']}, reject ${d.outcomes['reject-all']}, custom ${d.outcomes.custom}, GPC ${d.gpc}`),
        ];
        io.stdout(`${lines.join('\n')}\n`);
      });
    });
}
