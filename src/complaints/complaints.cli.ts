/**
 * `steward complaints log|list|show|acknowledge|step|close|link|remind`: the complaints register
 * from the console, over the same services as the API. The operator holds the key file (cliActor).
 */
import { Option, type Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { presentComplaint } from './complaints.routes.js';
import { sendComplaintReminders } from './complaints.reminders.js';
import {
  acknowledgeComplaint,
  addStep,
  closeComplaint,
  COMPLAINT_CHANNELS,
  COMPLAINT_STATUSES,
  getComplaint,
  linkSubject,
  listComplaints,
  logComplaint,
  type ComplaintChannel,
  type ComplaintView,
} from './complaints.service.js';
import { OUTCOMES, type Outcome } from './complaints.doc.js';
import { cliActor } from '../kernel/actors.js';

function line(v: ComplaintView): string {
  const ack = v.acknowledgedOn ? `acknowledged ${v.acknowledgedOn}` : `acknowledge by ${v.ackDueOn}${v.ackOverdue ? ' (OVERDUE)' : ''}`;
  return `${v.reference}  ${v.status}  received ${v.receivedOn} by ${v.channel}, ${ack}${v.outcome ? `, outcome ${v.outcome}` : ''}\n`;
}

export function registerComplaintCommands(program: Command, io: CliIo): void {
  const cmd = program.command('complaints').description('complaints to the organisation (DPA 2018 s.164A): log, acknowledge within 30 days, steps, outcome');
  const show = (v: ComplaintView, json?: boolean): void => io.stdout(json ? `${JSON.stringify(presentComplaint(v), null, 2)}\n` : line(v));

  cmd
    .command('log')
    .description('log a complaint received by phone, letter, email or in person (the 30-day acknowledgement clock starts on --received)')
    .addOption(new Option('--channel <channel>', 'how it came in').choices([...COMPLAINT_CHANNELS]).makeOptionMandatory())
    .requiredOption('--summary <text>', 'what the complaint is about')
    .option('--received <date>', 'the day it was received (YYYY-MM-DD; default today)')
    .option('--name <name>', "the complainant's name")
    .option('--email <email>', 'their email address (letters are emailed)')
    .option('--phone <phone>', 'their phone number')
    .option('--address <address>', 'their postal address')
    .option('--subject <id>', 'the person in the register it concerns')
    .option('--json', 'print as JSON')
    .action(async (o: { channel: ComplaintChannel; summary: string; received?: string; name?: string; email?: string; phone?: string; address?: string; subject?: string; json?: boolean }, c: Command) =>
      withRuntime(c, io, async (rt) => {
        const v = await logComplaint(rt, cliActor(), {
          channel: o.channel,
          summary: o.summary,
          ...(o.received ? { receivedOn: o.received } : {}),
          ...(o.subject ? { subjectId: o.subject } : {}),
          complainant: { ...(o.name ? { name: o.name } : {}), ...(o.email ? { email: o.email } : {}), ...(o.phone ? { phone: o.phone } : {}), ...(o.address ? { address: o.address } : {}) },
        });
        show(v, o.json);
      }),
    );

  cmd
    .command('list')
    .description('the register, newest first (no personal data)')
    .addOption(new Option('--status <status>', 'only this status').choices([...COMPLAINT_STATUSES]))
    .option('--json', 'print as JSON')
    .action(async (o: { status?: string; json?: boolean }, c: Command) =>
      withRuntime(c, io, async (rt) => {
        const list = await listComplaints(rt, cliActor(), o.status ? { status: o.status } : {});
        if (o.json) io.stdout(`${JSON.stringify({ complaints: list }, null, 2)}\n`);
        else io.stdout(list.length ? list.map((v) => `${v.reference}  ${v.status}  received ${v.receivedOn}  ${v.acknowledgedOn ? `acknowledged ${v.acknowledgedOn}` : `acknowledge by ${v.ackDueOn}${v.ackOverdue ? ' (OVERDUE)' : ''}`}${v.outcome ? `  ${v.outcome}` : ''}\n`).join('') : 'no complaints\n');
      }),
    );

  cmd
    .command('show')
    .description('a complaint with who made it, steps and letters (audited)')
    .argument('<ref>', 'reference (CP-2026-001) or id')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { json?: boolean }, c: Command) =>
      withRuntime(c, io, async (rt) => {
        const v = await getComplaint(rt, cliActor(), ref);
        if (o.json) return show(v, true);
        io.stdout(`${line(v)}\n${v.doc.summary}\n${v.doc.steps.map((s) => `\n${s.at}  ${s.by}${s.informed ? ' (told the person)' : ''}\n  ${s.text}`).join('')}\n${v.doc.letters.map((l) => `\nletter ${l.kind} ${l.at} by ${l.sentTo}: ${l.subject}`).join('')}\n`);
      }),
    );

  cmd
    .command('acknowledge')
    .description('acknowledge receipt (s.164A(3)) and send the acknowledgement letter')
    .argument('<ref>', 'reference or id')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { json?: boolean }, c: Command) => withRuntime(c, io, async (rt) => show((await acknowledgeComplaint(rt, cliActor(), ref)).view, o.json)));

  cmd
    .command('step')
    .description('record a step taken (an enquiry made, a fix applied)')
    .argument('<ref>', 'reference or id')
    .requiredOption('--text <text>', 'what was done')
    .option('--inform', 'also write to the person about progress')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { text: string; inform?: boolean; json?: boolean }, c: Command) =>
      withRuntime(c, io, async (rt) => show((await addStep(rt, cliActor(), ref, { text: o.text, inform: Boolean(o.inform) })).view, o.json)),
    );

  cmd
    .command('close')
    .description('close with the outcome (s.164A(4)(b)) and send the outcome letter')
    .argument('<ref>', 'reference or id')
    .addOption(new Option('--outcome <outcome>', 'the result').choices([...OUTCOMES]).makeOptionMandatory())
    .requiredOption('--explanation <text>', 'the outcome in words, for the letter')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { outcome: Outcome; explanation: string; json?: boolean }, c: Command) =>
      withRuntime(c, io, async (rt) => show((await closeComplaint(rt, cliActor(), ref, { outcome: o.outcome, explanation: o.explanation })).view, o.json)),
    );

  cmd
    .command('link')
    .description('tie the complaint to a person in the register (it then appears in their access pack)')
    .argument('<ref>', 'reference or id')
    .requiredOption('--subject <id>', 'the person')
    .action(async (ref: string, o: { subject: string }, c: Command) => withRuntime(c, io, async (rt) => show((await linkSubject(rt, cliActor(), ref, o.subject)).view)));

  cmd
    .command('remind')
    .description('send due acknowledgement reminders now (steward serve does it hourly)')
    .action(async (_o: unknown, c: Command) =>
      withRuntime(c, io, async (rt) => {
        const r = await sendComplaintReminders(rt);
        io.stdout(`checked ${r.checked}, sent ${r.sent}, failed ${r.failed}${r.warning ? `\nwarning: ${r.warning}` : ''}\n`);
      }),
    );
}
