/**
 * `steward breaches open|show|list|update|assess|decide|affected|notify|report|export|remind|note|close`:
 * the breach register at the console, over the same services as the HTTP API, acting as the
 * operator who holds the key file (cliActor).
 *
 * Times may be typed in UK local time ("2026-03-06 19:30") or ISO 8601 with an offset; they are
 * shown in UK time.
 */
import { Option, type Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { csvCell } from '../shared/csv.js';
import { StewardError } from '../shared/errors.js';
import { selectAffected, type AffectedInput } from './breaches.affected.js';
import { formatUk } from './breaches.clock.js';
import { addFactOptions, collect, factsFrom, parseIdentifierList, readInputFile, wholeNumber, writePrivate, type FactsOpts } from './breaches.cli.input.js';
import { EXEMPTIONS, ICO_PHASES, RISK_LEVELS, type FactsUpdateInput, type OpenInput } from './breaches.events.js';
import { exportRegisterCsv } from './breaches.export.js';
import { exportLetters, notifyPeopleByEmail, previewNotify } from './breaches.notify.js';
import { presentBreach, presentNotify, presentNotifyPreview, presentReminderRun, presentSelection, presentSummary } from './breaches.presenter.js';
import { presentIcoReport } from './breaches.report.presenter.js';
import { sendBreachReminders } from './breaches.reminders.js';
import { buildIcoReport } from './breaches.report.js';
import { getBreach, listBreaches } from './breaches.read.js';
import { addNote, assessRisk, closeBreach, openBreach, recordDecision, recordIcoReport, updateFacts } from './breaches.service.js';
import type { BreachView } from './breaches.view.js';
import { renderIcoReportHtml } from './breaches.templates.js';
import { cliActor } from '../kernel/actors.js';

// ——— presenting ———

/** Text from the record, made safe for a terminal: control characters (escape sequences) shown as "?". */
const plain = (s: string): string => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');

export function formatBreach(v: BreachView): string {
  const s = v.state;
  const f = s.facts;
  const lines = [
    `${v.reference}  ${f.title}  (${v.status}, version ${s.version}${v.asOf ? `, as known at ${formatUk(v.asOf)}` : ''})`,
    `  id              ${v.id}`,
    ...(f.occurredAt ? [`  happened        ${formatUk(f.occurredAt)}${f.occurredUntil ? ` until ${formatUk(f.occurredUntil)}` : ''}`] : []),
    `  became aware    ${v.clock.awareAtUk}`,
    `  72 hours end    ${v.clock.deadlineUk}`,
    `  clock           ${v.clock.label}`,
    `  risk            ${s.risk ? `${s.risk.level}${s.risk.exemptions.length ? ` (exemptions: ${s.risk.exemptions.join(', ')})` : ''}` : 'not yet assessed'}`,
    `  report to ICO   ${s.decisions.ico ? `${s.decisions.ico.decision}, decided by ${s.decisions.ico.decidedBy}: ${s.decisions.ico.reason}` : 'not yet decided'}`,
    ...s.icoReports.map((r) => `                  ${r.phase} report ${formatUk(r.submittedAt)}${r.icoReference ? ` (ICO ref ${r.icoReference})` : ''}${r.late ? ' — late' : ''}`),
    `  tell people     ${s.decisions.people ? `${s.decisions.people.decision}, decided by ${s.decisions.people.decidedBy}: ${s.decisions.people.reason}` : 'not yet decided'}`,
    `  affected        ${s.affected ? `${s.affected.people} people, ${s.affected.records} records in the register` : 'not yet selected'}${f.approxPeople !== undefined ? ` (estimate: ${f.approxPeople} people)` : ''}`,
    ...(s.affected?.byCategory.length ? [`                  ${s.affected.byCategory.map((c) => `${c.category}: ${c.people} people, ${c.records} records`).join('; ')}`] : []),
    `  told            ${v.notifications.email.sent} by email (${v.notifications.email.failed} failed, ${v.notifications.email.noAddress} without an address), ${v.notifications.post.exported} letters for post; ${v.notifications.notYetTold} not yet told`,
    `  contact point   ${[v.contactPoint.name, v.contactPoint.email, v.contactPoint.phone].filter(Boolean).join(', ') || 'none declared'}`,
  ];
  if (f.categories.length) lines.push(`  categories      ${f.categories.join(', ')}`);
  if (s.closed) lines.push(`  closed          ${formatUk(s.closed.at)}: ${s.closed.reason}`);
  if (v.history) {
    lines.push('history:');
    for (const h of v.history) lines.push(`  ${String(h.seq).padStart(3)}  ${h.atUk.padEnd(26)} ${h.actorName.padEnd(22)} ${h.summary}`);
  }
  return `${plain(lines.join('\n'))}\n`;
}

// ——— commands ———

export function registerBreachCommands(program: Command, io: CliIo): void {
  const breaches = program.command('breaches').description('the breach register and the 72-hour clock (UK GDPR Arts 33 and 34)');
  const actor = cliActor;

  addFactOptions(breaches.command('open').description('record a breach: the clock starts when the organisation became aware (--aware)'))
    .option('--json', 'print the breach as JSON (the API’s shape)')
    .action(async (opts: FactsOpts & { json?: boolean }, cmd: Command) => {
      const input = await factsFrom(io, opts);
      await withRuntime(cmd, io, async (rt) => {
        const v = await openBreach(rt, actor(), input as OpenInput);
        io.stdout(opts.json ? `${JSON.stringify(presentBreach(v), null, 2)}\n` : `recorded ${v.reference}\n${formatBreach(v)}`);
      });
    });

  addFactOptions(breaches.command('update').description('add to or correct the facts (appended: the history keeps what was known before)').argument('<breach>', 'the breach id or reference'))
    .option('--reason <text>', 'why (required when correcting --aware)')
    .option('--clear <field>', 'clear an optional fact, by its API name (repeatable)', collect, [])
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: FactsOpts & { reason?: string; clear: string[]; json?: boolean }, cmd: Command) => {
      const input: Record<string, unknown> = await factsFrom(io, opts);
      for (const c of opts.clear) input[c] = null;
      if (opts.reason) input.reason = opts.reason;
      await withRuntime(cmd, io, async (rt) => {
        const v = await updateFacts(rt, actor(), id, input as FactsUpdateInput);
        io.stdout(opts.json ? `${JSON.stringify(presentBreach(v), null, 2)}\n` : formatBreach(v));
      });
    });

  breaches
    .command('list')
    .description('the breach register, newest first, with each clock')
    .addOption(new Option('--status <status>', 'only open or closed breaches').choices(['open', 'closed']))
    .addOption(new Option('--limit <n>', 'how many').default(100).argParser(wholeNumber('--limit')))
    .option('--json', 'print as JSON')
    .action(async (opts: { status?: 'open' | 'closed'; limit: number; json?: boolean }, cmd: Command) => {
      if (opts.limit < 1 || opts.limit > 500) throw new StewardError('VALIDATION_FAILED', '--limit: a number from 1 to 500');
      await withRuntime(cmd, io, async (rt) => {
        const page = await listBreaches(rt, actor(), { limit: opts.limit, status: opts.status });
        if (opts.json) {
          io.stdout(`${JSON.stringify({ breaches: page.breaches.map(presentSummary), next: page.next }, null, 2)}\n`);
          return;
        }
        if (page.breaches.length === 0) io.stdout('no breaches recorded\n');
        for (const b of page.breaches) io.stdout(`${b.reference}  ${b.status.padEnd(6)}  ${b.clock.state.padEnd(13)}  aware ${b.clock.awareAtUk.padEnd(26)} ${plain(b.title)}\n                 ${b.clock.label}\n`);
      });
    });

  breaches
    .command('show')
    .description('a breach with its clock, risk, decisions and reports (audited)')
    .argument('<breach>', 'the breach id or reference (BR-2026-001)')
    .option('--history', 'with every event: who recorded what, and when')
    .option('--as-of <time>', 'as it was known at that time')
    .option('--json', 'print as JSON (the API’s shape)')
    .action(async (id: string, opts: { history?: boolean; asOf?: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const v = await getBreach(rt, actor(), id, { history: Boolean(opts.history), asOf: opts.asOf });
        io.stdout(opts.json ? `${JSON.stringify(presentBreach(v), null, 2)}\n` : formatBreach(v));
      });
    });

  breaches
    .command('assess')
    .description('record the risk to people, with reasons and any exemption from telling them (Art 34(3))')
    .argument('<breach>', 'the breach id or reference')
    .addOption(new Option('--risk <level>', 'unlikely, risk or high').choices([...RISK_LEVELS]).makeOptionMandatory())
    .requiredOption('--reasons <text>', 'why')
    .option('--exemption <kind>', `an exemption from telling people: ${EXEMPTIONS.join(', ')} (repeatable)`, collect, [])
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { risk: 'unlikely' | 'risk' | 'high'; reasons: string; exemption: Array<(typeof EXEMPTIONS)[number]>; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const v = await assessRisk(rt, actor(), id, { level: opts.risk, reasons: opts.reasons, exemptions: opts.exemption });
        io.stdout(opts.json ? `${JSON.stringify(presentBreach(v), null, 2)}\n` : formatBreach(v));
      });
    });

  breaches
    .command('decide')
    .description('record a decision with its reason: report to the ICO or not (--ico), tell people or not (--people)')
    .argument('<breach>', 'the breach id or reference')
    .addOption(new Option('--ico <decision>', 'notify or not-notify').choices(['notify', 'not-notify']))
    .addOption(new Option('--people <decision>', 'notify, not-notify or public-notice').choices(['notify', 'not-notify', 'public-notice']))
    .requiredOption('--reason <text>', 'why')
    .option('--by <name>', 'who made the decision, if not you')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { ico?: 'notify' | 'not-notify'; people?: 'notify' | 'not-notify' | 'public-notice'; reason: string; by?: string; json?: boolean }, cmd: Command) => {
      if ((opts.ico === undefined) === (opts.people === undefined)) cmd.error('error: give one of --ico or --people', { exitCode: 2 });
      await withRuntime(cmd, io, async (rt) => {
        const v = await recordDecision(rt, actor(), id, {
          about: opts.ico ? 'ico' : 'people',
          decision: (opts.ico ?? opts.people)!,
          reason: opts.reason,
          // An empty option is no option (the schema refuses empty text).
          decidedBy: opts.by || undefined,
        });
        io.stdout(opts.json ? `${JSON.stringify(presentBreach(v), null, 2)}\n` : formatBreach(v));
      });
    });

  breaches
    .command('affected')
    .description('select the people affected from the register; prints counts of people and records by category')
    .argument('<breach>', 'the breach id or reference')
    .option('--category <id>', 'people with records of this category (repeatable)', collect, [])
    .option('--relationship <id>', 'people with this relationship (repeatable)', collect, [])
    .option('--source <id>', 'records from this source (repeatable)', collect, [])
    .option('--collected-from <time>', 'records collected on or after this time')
    .option('--collected-to <time>', 'records collected before this time (a date alone: to the end of that day)')
    .option('--identifiers <file>', 'a file of email addresses and phone numbers (one per line, or CSV cells), matched exactly')
    .option('--all', 'everyone in the register')
    .option('--replace', 'replace the people selected before, rather than adding to them')
    .option('--json', 'print as JSON')
    .action(
      async (
        id: string,
        opts: { category: string[]; relationship: string[]; source: string[]; collectedFrom?: string; collectedTo?: string; identifiers?: string; all?: boolean; replace?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        let ignored = 0;
        const input: AffectedInput = {
          mode: opts.replace ? 'replace' : 'add',
          ...(opts.all ? { all: true } : {}),
          ...(opts.category.length ? { categories: opts.category } : {}),
          ...(opts.relationship.length ? { relationships: opts.relationship } : {}),
          ...(opts.source.length ? { sources: opts.source } : {}),
          ...(opts.collectedFrom ? { collectedFrom: opts.collectedFrom } : {}),
          ...(opts.collectedTo ? { collectedTo: opts.collectedTo } : {}),
        };
        if (opts.identifiers) {
          const list = parseIdentifierList(await readInputFile(io, opts.identifiers, 'identifier file'));
          ignored = list.ignored;
          if (list.emails.length + list.phones.length === 0) throw new StewardError('VALIDATION_FAILED', `${opts.identifiers}: no email addresses or phone numbers found`);
          input.identifiers = { emails: list.emails, phones: list.phones };
        }
        await withRuntime(cmd, io, async (rt) => {
          const r = await selectAffected(rt, actor(), id, input);
          if (opts.json) {
            io.stdout(`${JSON.stringify({ ...presentSelection(r), ignoredCells: ignored }, null, 2)}\n`);
            return;
          }
          const out = [
            `matched ${r.matched} ${r.matched === 1 ? 'person' : 'people'}: ${r.added} added, ${r.removed} removed`,
            `now affected: ${r.totals.people} people, ${r.totals.records} records`,
            ...r.totals.byCategory.map((c) => `  ${c.category.padEnd(24)} ${String(c.people).padStart(7)} people  ${String(c.records).padStart(8)} records`),
            ...r.totals.byRelationship.map((x) => `  as ${x.relationship.padEnd(21)} ${String(x.people).padStart(7)} people`),
          ];
          if (r.criteria.identifiers) {
            out.push(`identifiers: ${r.criteria.identifiers.given} given, ${r.criteria.identifiers.unmatched} not in the register, ${r.criteria.identifiers.invalid} not valid${ignored ? `, ${ignored} cells ignored` : ''}`);
          }
          io.stdout(`${out.join('\n')}\n`);
        });
      },
    );

  breaches
    .command('notify')
    .description('tell the people affected (--people: by email, or --post for letters) or record a report made to the ICO (--ico)')
    .argument('<breach>', 'the breach id or reference')
    .option('--people', 'email the letter to every person affected not yet told; delivery is recorded per person')
    .option('--dry-run', 'with --people: show how many would be emailed and the letter; send nothing')
    .option('--expect <n>', 'with --people: send only if this many would be emailed (the number a --dry-run showed)', wholeNumber('--expect'))
    .option('--post', 'with --people: write letters for post to --out instead of emailing')
    .option('--out <file>', 'with --post: the letters file (CSV, readable by you only)')
    .option('--address-category <id>', 'with --post: a category holding name or address lines, in order (repeatable)', collect, [])
    .option('--everyone', 'with --post: letters for everyone affected, even those already told')
    .option('--ico', 'record a report made to the ICO')
    .addOption(new Option('--phase <phase>', 'with --ico: initial, update or final').choices([...ICO_PHASES]))
    .option('--submitted-at <time>', 'with --ico: when the report was made (default now)')
    .option('--ico-reference <ref>', 'with --ico: the ICO’s case reference')
    .option('--delay-reason <text>', 'with --ico: the reasons for the delay, if after the 72 hours')
    .option('--note <text>', 'with --ico: a note about the report')
    .option('--json', 'print as JSON')
    .action(
      async (
        id: string,
        opts: {
          people?: boolean;
          dryRun?: boolean;
          expect?: number;
          post?: boolean;
          out?: string;
          addressCategory: string[];
          everyone?: boolean;
          ico?: boolean;
          phase?: (typeof ICO_PHASES)[number];
          submittedAt?: string;
          icoReference?: string;
          delayReason?: string;
          note?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (Boolean(opts.people) === Boolean(opts.ico)) cmd.error('error: give one of --people or --ico', { exitCode: 2 });
        if (opts.post && !opts.people) cmd.error('error: --post goes with --people', { exitCode: 2 });
        if ((opts.dryRun || opts.expect !== undefined) && (!opts.people || opts.post)) cmd.error('error: --dry-run and --expect go with --people (email)', { exitCode: 2 });
        if (opts.post && !opts.out) cmd.error('error: --post needs --out FILE for the letters', { exitCode: 2 });
        if (opts.ico && !opts.phase) cmd.error('error: --ico needs --phase initial|update|final', { exitCode: 2 });
        await withRuntime(cmd, io, async (rt) => {
          if (opts.ico) {
            const v = await recordIcoReport(rt, actor(), id, {
              phase: opts.phase!,
              submittedAt: opts.submittedAt || undefined,
              icoReference: opts.icoReference || undefined,
              delayReason: opts.delayReason || undefined,
              note: opts.note || undefined,
            });
            io.stdout(opts.json ? `${JSON.stringify(presentBreach(v), null, 2)}\n` : formatBreach(v));
            return;
          }
          if (opts.post) {
            const r = await exportLetters(rt, actor(), id, { ...(opts.addressCategory.length ? { addressCategories: opts.addressCategory } : {}), all: Boolean(opts.everyone) });
            const rows = ['subject_id,reference,address,subject,letter\r\n', ...r.letters.map((l) => `${[l.subjectId, r.reference, l.address.join('\n'), l.subject, l.text].map(csvCell).join(',')}\r\n`)];
            const target = await writePrivate(io, opts.out!, rows.join(''));
            io.stderr(
              `wrote ${r.letters.length} letter${r.letters.length === 1 ? '' : 's'} to ${target}${r.withoutAddress ? ` (${r.withoutAddress} without any address lines in the register)` : ''}\n` +
                'warning: this file holds names and addresses; it is readable by you only (mode 0600). Delete it once the letters are posted.\n',
            );
            if (opts.json) io.stdout(`${JSON.stringify({ reference: r.reference, letters: r.letters.length, withoutAddress: r.withoutAddress, file: target }, null, 2)}\n`);
            return;
          }
          if (opts.dryRun) {
            const p = await previewNotify(rt, actor(), id);
            if (opts.json) io.stdout(`${JSON.stringify(presentNotifyPreview(p), null, 2)}\n`);
            else {
              io.stdout(
                `${p.reference}: dry run, nothing sent. Would email ${p.recipients} ${p.recipients === 1 ? 'person' : 'people'}; ${p.withoutEmail} affected have no email address (use --post); ${p.alreadyTold} told before.\n` +
                  `To send: steward breaches notify ${id} --people --expect ${p.recipients}\n\n` +
                  `Subject: ${p.letter.subject}\n\n${plain(p.letter.text)}\n`,
              );
            }
            return;
          }
          const r = await notifyPeopleByEmail(rt, actor(), id, opts.expect !== undefined ? { expectedRecipients: opts.expect } : {});
          if (opts.json) io.stdout(`${JSON.stringify(presentNotify(r), null, 2)}\n`);
          else io.stdout(`${r.reference}: emailed ${r.sent} of ${r.attempted} (${r.failed} failed, ${r.noAddress} without an email address); ${r.alreadyTold} told before\n`);
          io.exitCode = r.failed > 0 ? 1 : 0;
        });
      },
    );

  breaches
    .command('report')
    .description('the report for the ICO, with every Art 33(3) item (HTML or JSON)')
    .argument('<breach>', 'the breach id or reference')
    .addOption(new Option('--format <format>', 'html or json').choices(['html', 'json']).default('html'))
    .option('--as-of <time>', 'as known at that time')
    .option('--out <file>', 'write to a file (readable by you only) instead of standard output')
    .action(async (id: string, opts: { format: 'html' | 'json'; asOf?: string; out?: string }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const report = await buildIcoReport(rt, actor(), id, opts.asOf ? { asOf: opts.asOf } : {});
        const content = opts.format === 'html' ? renderIcoReportHtml(report) : `${JSON.stringify(presentIcoReport(report), null, 2)}\n`;
        if (opts.out) io.stderr(`wrote ${await writePrivate(io, opts.out, content)}\n`);
        else io.stdout(content);
        if (report.missing.length) io.stderr(`note: not yet known (to follow): ${report.missing.join('; ')}\n`);
      });
    });

  breaches
    .command('export')
    .description('the whole breach register as CSV, reported or not, with every decision and its reason')
    .option('--out <file>', 'write to a file (readable by you only) instead of standard output')
    .action(async (opts: { out?: string }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const { csv, breaches: n } = await exportRegisterCsv(rt, actor());
        if (opts.out) io.stderr(`wrote ${n} breach${n === 1 ? '' : 'es'} to ${await writePrivate(io, opts.out, csv)}\n`);
        else io.stdout(csv);
      });
    });

  breaches
    .command('remind')
    .description('email the privacy officer about breaches nearing or past the 72 hours (each reminder once; safe to run often)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const run = await sendBreachReminders(rt);
        if (opts.json) io.stdout(`${JSON.stringify(presentReminderRun(run), null, 2)}\n`);
        else {
          io.stdout(`${run.checked} breach${run.checked === 1 ? '' : 'es'} near or past the deadline; ${run.outcomes.filter((o) => o.status === 'sent').length} reminder(s) sent\n`);
          for (const o of run.outcomes) io.stdout(`  ${o.reference}  ${o.stage.padEnd(8)}  ${o.status}${o.error ? `: ${o.error}` : ''}\n`);
        }
        if (run.warning) io.stderr(`warning: ${run.warning}\n`);
        io.exitCode = run.outcomes.some((o) => o.status === 'failed') ? 1 : 0;
      });
    });

  breaches
    .command('note')
    .description('add a note to the record')
    .argument('<breach>', 'the breach id or reference')
    .requiredOption('--text <text>', 'the note')
    .option('--json', 'print the breach as JSON')
    .action(async (id: string, opts: { text: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const v = await addNote(rt, actor(), id, { text: opts.text });
        io.stdout(opts.json ? `${JSON.stringify(presentBreach(v), null, 2)}\n` : `${v.reference}: note added (version ${v.state.version})\n`);
      });
    });

  breaches
    .command('close')
    .description('close a breach (or --reopen it), with the reason')
    .argument('<breach>', 'the breach id or reference')
    .requiredOption('--reason <text>', 'why')
    .option('--reopen', 'reopen a closed breach instead')
    .option('--json', 'print the breach as JSON')
    .action(async (id: string, opts: { reason: string; reopen?: boolean; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const v = await closeBreach(rt, actor(), id, { reason: opts.reason }, Boolean(opts.reopen));
        io.stdout(opts.json ? `${JSON.stringify(presentBreach(v), null, 2)}\n` : `${v.reference}: ${v.status} (version ${v.state.version})\n`);
      });
    });
}
