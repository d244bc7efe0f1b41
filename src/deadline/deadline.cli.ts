/**
 * `steward deadline`: the statutory clock at the console. Needs no database, no policy file and no
 * data folder, so it works in an empty directory. The due date is always the last line of plain
 * output (preceded, when extended, by the date the extension notice is due), so scripts can take
 * `tail -n 1`; `--json` prints the whole computation.
 * Exit codes: 0 computed; 2 the input cannot be used (bad date, FROM after TO, unknown region …).
 */
import { Option, type Command } from 'commander';
import type { CliIo } from '../cli/io.js';
import { DEFAULT_REGION, REGIONS, type Region } from './bank-holidays.js';
import { computeDeadline, deadlineInputProblems, DEFAULT_PAUSE_COUNTING, describeSteps, MAX_FIXED_DAYS, PAUSE_COUNTINGS, type DeadlineInput, type PauseCounting } from './deadline.service.js';

interface DeadlineOptions {
  received: string;
  region: string;
  idReceived?: string;
  authorityReceived?: string;
  feeReceived?: string;
  extended?: boolean;
  pause?: string[];
  fixedDays?: string;
  pauseCounting: string;
  json?: boolean;
}

const shown = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/**
 * The domain's messages name input fields (`received`, `pauses[0].from`); on the command line
 * they name options, and a pause by what was typed.
 */
function asOption(message: string, pauseTexts: readonly string[]): string {
  const pause = /^pauses\[(\d+)\](?:\.(from|to))?/.exec(message);
  if (pause) {
    const typed = pauseTexts[Number(pause[1])] ?? '';
    return `--pause ${shown(typed)}${pause[2] ? ` (${pause[2].toUpperCase()})` : ''}${message.slice(pause[0].length)}`;
  }
  const names: Array<[string, string]> = [
    ['received', '--received'],
    ['region', '--region'],
    ['idReceived', '--id-received'],
    ['authorityReceived', '--authority-received'],
    ['feeReceived', '--fee-received'],
    ['fixedDays', '--fixed-days'],
    ['pauses', '--pause'],
  ];
  for (const [field, option] of names) if (message.startsWith(`${field}:`)) return option + message.slice(field.length);
  return message;
}

/**
 * Options to the domain's input. The option syntax (--pause FROM:TO, --fixed-days n) is checked
 * here; dates, the region and how they fit together are checked by the domain, and all problems
 * are reported at once.
 */
function toInput(o: DeadlineOptions): { input: DeadlineInput; problems: string[] } {
  const problems: string[] = [];
  if (!(PAUSE_COUNTINGS as readonly string[]).includes(o.pauseCounting)) problems.push(`--pause-counting: ${shown(o.pauseCounting)} is not one of ${PAUSE_COUNTINGS.join(', ')}`);
  let fixedDays: number | null = null;
  if (o.fixedDays !== undefined) {
    const n = /^\d{1,3}$/.test(o.fixedDays) ? Number(o.fixedDays) : Number.NaN;
    if (Number.isInteger(n) && n >= 1 && n <= MAX_FIXED_DAYS) fixedDays = n;
    else problems.push(`--fixed-days: ${shown(o.fixedDays)} is not a whole number of days from 1 to ${MAX_FIXED_DAYS}`);
  }
  const pauses: Array<{ from: string; to: string }> = [];
  const pauseTexts: string[] = [];
  for (const p of o.pause ?? []) {
    const parts = p.split(':');
    if (parts.length === 2 && parts[0] && parts[1]) {
      pauses.push({ from: parts[0], to: parts[1] });
      pauseTexts.push(p);
    }
    else problems.push(`--pause: ${shown(p)} should be FROM:TO, two dates like 2025-12-05:2025-12-10`);
  }
  const input: DeadlineInput = {
    received: o.received,
    region: o.region as Region,
    idReceived: o.idReceived,
    authorityReceived: o.authorityReceived,
    feeReceived: o.feeReceived,
    extended: o.extended === true,
    pauses,
    fixedDays,
    pauseCounting: (PAUSE_COUNTINGS as readonly string[]).includes(o.pauseCounting) ? (o.pauseCounting as PauseCounting) : DEFAULT_PAUSE_COUNTING,
  };
  problems.push(...deadlineInputProblems(input).map((d) => asOption(d.message, pauseTexts)));
  return { input, problems };
}

export function registerDeadlineCommand(program: Command, io: CliIo): void {
  program
    .command('deadline')
    .description('when a rights request must be answered: calendar month or fixed days, bank holidays, pauses, extension')
    .requiredOption('--received <date>', 'the day the request was received (YYYY-MM-DD)')
    .addOption(new Option('--region <region>', `whose bank holidays count: ${REGIONS.join(' | ')}`).default(DEFAULT_REGION))
    .option('--id-received <date>', 'the day requested ID arrived (moves the start)')
    .option('--authority-received <date>', "the day proof of a representative's authority arrived (moves the start)")
    .option('--fee-received <date>', 'the day an allowed fee arrived (moves the start)')
    .option('--extended', 'the period is extended by two further months (complex or numerous requests)')
    .option('--pause <from:to...>', 'a clarification pause: asked on FROM, answered on TO (repeatable)')
    .option('--fixed-days <n>', `a fixed period of n days (up to ${MAX_FIXED_DAYS}) instead of the calendar month; day one is the start day`)
    .addOption(new Option('--pause-counting <how>', `which days of a pause do not count: ${PAUSE_COUNTINGS.join(' | ')}`).default(DEFAULT_PAUSE_COUNTING))
    .option('--json', 'print the computation step by step as JSON')
    .action((opts: DeadlineOptions) => {
      const { input, problems } = toInput(opts);
      if (problems.length > 0) {
        for (const p of problems) io.stderr(`error [VALIDATION_FAILED]: ${p}\n`);
        io.exitCode = 2;
        return;
      }
      const result = computeDeadline(input);
      if (opts.json) {
        io.stdout(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
      for (const line of describeSteps(result)) io.stdout(`${line}\n`);
      if (result.extended) io.stdout(`extension notice due ${result.extension.noticeDue}\n`);
      io.stdout(`${result.due}\n`);
    });
}
