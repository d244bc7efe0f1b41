/**
 * `steward disclosures record|list|summary` (the disclosure log) and `steward accountability
 * reviews|screening|remind` (contracts and assessments coming due, the DPIA screening): the same
 * services as the HTTP API, acting as the operator (cliActor).
 */
import type { Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { screenPolicy } from '../policy/dpia-screening.js';
import { StewardError } from '../shared/errors.js';
import { DISCLOSURE_REASONS, disclosureSummary, recordDisclosure, subjectDisclosures, type DisclosureReason } from './disclosures.service.js';
import { REMIND_DAYS, reviewsDue, sendReviewReminders } from './reviews.service.js';
import { cliActor } from '../kernel/actors.js';

const json = (io: CliIo, value: unknown): void => io.stdout(`${JSON.stringify(value, null, 2)}\n`);
const csvList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

export function registerAccountabilityCommands(program: Command, io: CliIo): void {
  const disclosures = program.command('disclosures').description('the disclosure log: what was actually disclosed about a person, to whom, when and why');
  disclosures
    .command('record')
    .description('record a disclosure of a person\'s data to a declared recipient (drives Art 19 notices)')
    .requiredOption('--subject <id>', 'the subject id')
    .requiredOption('--recipient <id>', 'a declared recipient id (or data-subject, ico)')
    .requiredOption('--categories <ids>', 'the data categories disclosed, comma-separated')
    .requiredOption('--reason <code>', `why: ${DISCLOSURE_REASONS.join(', ')}`)
    .option('--date <YYYY-MM-DD>', 'when it was disclosed (default: now)')
    .option('--note <text>', 'anything worth keeping (encrypted under the person\'s key)')
    .option('--json', 'print the disclosure as JSON')
    .action(async (o: { subject: string; recipient: string; categories: string; reason: string; date?: string; note?: string; json?: boolean }, cmd: Command) => {
      if (!(DISCLOSURE_REASONS as readonly string[]).includes(o.reason)) throw new StewardError('VALIDATION_FAILED', `--reason: use one of ${DISCLOSURE_REASONS.join(', ')}`);
      await withRuntime(cmd, io, async (rt) => {
        const d = await recordDisclosure(rt, cliActor(), {
          subjectId: o.subject,
          recipient: o.recipient,
          categories: csvList(o.categories),
          reason: o.reason as DisclosureReason,
          disclosedAt: o.date,
          note: o.note,
        });
        if (o.json) json(io, d);
        else io.stdout(`recorded disclosure ${d.id}: ${d.categories.join(', ')} to ${d.recipientName} on ${d.disclosedAt.slice(0, 10)}${d.undeclared ? ' (the declaration does not list this recipient for these categories: update it if this is routine)' : ''}\n`);
      });
    });
  disclosures
    .command('list')
    .description('who a person\'s data was disclosed to, newest first (audited)')
    .requiredOption('--subject <id>', 'the subject id')
    .option('--json', 'print as JSON')
    .action(async (o: { subject: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const list = await subjectDisclosures(rt, cliActor(), o.subject);
        if (o.json) return json(io, { disclosures: list });
        if (list.length === 0) return io.stdout('no disclosures recorded for this person\n');
        for (const d of list) io.stdout(`${d.disclosedAt.slice(0, 10)}  ${d.recipientName}  ${d.categories.join(', ')}  ${d.reason}${d.origin === 'automatic' ? ' (by Steward)' : ''}${d.note ? `  — ${d.note}` : ''}\n`);
      });
    });
  disclosures
    .command('summary')
    .description('disclosures counted per recipient (no person named)')
    .option('--from <YYYY-MM-DD>', 'from this day')
    .option('--to <YYYY-MM-DD>', 'before this day')
    .option('--json', 'print as JSON')
    .action(async (o: { from?: string; to?: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const rows = await disclosureSummary(rt, cliActor(), { from: o.from, to: o.to });
        if (o.json) return json(io, { recipients: rows });
        if (rows.length === 0) return io.stdout('no disclosures recorded\n');
        for (const r of rows) io.stdout(`${r.recipientName}: ${r.disclosures} disclosures about ${r.people} people, ${r.first.slice(0, 10)} to ${r.last.slice(0, 10)}\n`);
      });
    });

  const acc = program.command('accountability').description('processor contracts and assessments: reviews coming due, the DPIA screening');
  acc
    .command('reviews')
    .description('contracts and assessments with a review date, soonest first')
    .option('--within <days>', 'only those due within this many days (past ones always shown)')
    .option('--json', 'print as JSON')
    .action(async (o: { within?: string; json?: boolean }, cmd: Command) => {
      if (o.within !== undefined && !/^\d{1,4}$/.test(o.within)) throw new StewardError('VALIDATION_FAILED', '--within: a whole number of days');
      await withRuntime(cmd, io, async (rt) => {
        const list = reviewsDue(rt.policy.policy, rt.clock.now().toISOString().slice(0, 10), o.within === undefined ? undefined : Number(o.within));
        if (o.json) return json(io, { reviews: list });
        if (list.length === 0) return io.stdout('no review dates declared\n');
        for (const r of list) io.stdout(`${r.dueOn}  ${r.overdue ? `OVERDUE by ${-r.daysLeft} days` : `in ${r.daysLeft} days`}  ${r.title}\n`);
      });
    });
  acc
    .command('remind')
    .description(`mail the privacy contact about reviews due within ${REMIND_DAYS} days (once per review; steward serve does this daily)`)
    .action(async (_o: unknown, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await sendReviewReminders(rt);
        if (r.warning) io.stderr(`${r.warning}\n`);
        io.stdout(`${r.due} due within ${REMIND_DAYS} days; sent ${r.sent.length}${r.failed.length ? `, failed ${r.failed.length}` : ''}\n`);
      });
    });
  acc
    .command('screening')
    .description('the ICO DPIA screening of each purpose, from what the declaration says')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const policy = rt.policy.policy;
        const results = screenPolicy(policy);
        if (o.json) return json(io, { screening: results });
        for (const s of results) {
          const name = policy.purposes.find((p) => p.id === s.purpose)?.name ?? s.purpose;
          const on = s.recorded ? ` — DPIA on record (${s.recorded.assessment ?? s.recorded.link})` : s.verdict === 'required' ? ' — NO DPIA RECORDED' : '';
          io.stdout(`${s.purpose}: DPIA ${s.verdict}${on}\n  ${name}\n`);
          for (const h of s.hits) io.stdout(`  - ${h.reason} [${h.weight}, ${h.from}]\n`);
        }
      });
    });
}
