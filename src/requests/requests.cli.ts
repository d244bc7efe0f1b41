/**
 * `steward requests open|show|list|verify|match|pause|resume|extend|fee|fee-paid|fee-waive|fulfil|refuse|close|overdue|remind|task-done|lift-restriction`:
 * rights requests at the console, over the same services as the HTTP API, as the operator who
 * holds the key file (cliActor).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { IDENTITY_EVIDENCE } from '../policy/schema.rights.js';
import { assertCleanText } from '../shared/text.js';
import { StewardError } from '../shared/errors.js';
import { askFee, FEE_REASONS, formatPounds, recordFeeReceived, waiveFee, type FeeReason } from './requests.fees.js';
import type { FulfilInput } from './requests.answering.js';
import { fulfilRequest } from './requests.fulfil.js';
import { liftRestriction } from './requests.fulfil.corrections.js';
import { presentRequest, presentSummary } from './requests.presenter.js';
import { sendRequestReminders } from './requests.reminders.js';
import { fulfilBody } from './requests.routes.js';
import { AUTHORITY_EVIDENCE, REFUSAL_REASONS } from './requests.checks.js';
import {
  completeTask,
  confirmMatch,
  extendRequest,
  getRequest,
  listRequests,
  matchRequest,
  openRequest,
  overdueRequests,
  pauseRequest,
  refuseRequest,
  resumeRequest,
  verifyRequest,
  withdrawRequest,
} from './requests.service.js';
import type { RequestSummary, RequestView } from './requests.view.js';
import { REQUEST_CHANNELS, REQUEST_TYPES, STATUSES, requestRow, type RequestChannel, type RequestType } from './requests.store.js';
import { isPackType } from './requests.types.js';
import { cliActor } from '../kernel/actors.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const plain = (s: string): string => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');


export function formatRequest(v: RequestView): string {
  const d = v.doc;
  const lines = [
    `${v.reference}  ${v.type}  (${v.status}${v.outcome ? `: ${v.outcome}` : ''})`,
    `  id              ${v.id}`,
    `  received        ${v.receivedOn} by ${v.channel}`,
    `  requester       ${[d.requester.name, d.requester.email, d.requester.phone, d.requester.address].filter(Boolean).join(', ')}`,
    ...(d.representative ? [`  representative  ${d.representative.name} (${d.representative.acting}); authority ${d.authority ? `${d.authority.kind}, received ${d.authority.receivedOn}` : 'awaited'}`] : []),
    `  identity        ${d.identity.map((e) => `${e.kind} (checked by ${e.checkedBy} on ${e.checkedAt.slice(0, 10)})`).join(', ') || 'none checked'}; ${v.identityRequired.required} needed`,
    ...(d.fees ?? []).map(
      (f) =>
        `  fee             ${formatPounds(f.amountPence)} (${f.reason}) asked ${f.askedOn}; ${f.waivedAt ? `waived ${f.waivedAt.slice(0, 10)}` : f.receivedOn ? `received ${f.receivedOn}` : 'awaited'}`,
    ),
    `  clock           ${v.clockStarted ? `started ${v.start}` : v.status === 'fee-pending' ? 'not started (awaiting the fee)' : 'not started (awaiting identity or authority)'}; rules ${v.rules}`,
    `  due             ${v.dueOn}${v.extended ? ' (extended)' : ''}${v.status === 'fee-pending' ? ' at the earliest, if the fee arrived today' : v.overdue ? ' — OVERDUE' : ` (${v.daysLeft} days)`}`,
    ...(v.extended ? [] : [`  extension       notice would be due by ${v.extensionNoticeDue}`]),
    ...v.pauses.map((p) => `  paused          ${p.from} → ${p.to ?? 'awaiting answer'}`),
    `  subject         ${v.subjectId ?? 'not matched'}`,
    ...v.tasks.map((t) => `  Art 19 task     ${t.id} tell ${t.recipientName} (${t.categories.join(', ')}) of ${t.action}: ${t.status}`),
    ...d.letters.map((l) => `  letter          ${l.at.slice(0, 10)} ${l.kind} by ${l.sentTo}`),
  ];
  if (v.history) {
    lines.push('history:');
    for (const h of v.history) lines.push(`  ${String(h.seq).padStart(3)}  ${h.at}  ${h.actor.padEnd(22)} ${h.type}`);
  }
  return `${plain(lines.join('\n'))}\n`;
}

const formatSummaries = (list: RequestSummary[]): string =>
  list.length === 0 ? 'no requests\n' : `${list.map((s) => `${s.reference}  ${s.type.padEnd(20)} ${s.status.padEnd(16)} due ${s.dueOn}${s.overdue ? ' OVERDUE' : ''}`).join('\n')}\n`;

export function registerRequestCommands(program: Command, io: CliIo): void {
  const requests = program.command('requests').description('data subject rights requests on the statutory clock (UK GDPR Arts 12–21)');
  const out = (cmd: Command, json: unknown, text: string) => io.stdout(cmd.opts<{ json?: boolean }>().json ? `${JSON.stringify(json, null, 2)}\n` : text);
  // The operator at the console holds the key file and may read every category (mayHoldPackLinks).
  const show = async (cmd: Command, v: RequestView) => out(cmd, presentRequest(v, { packLinks: true }), formatRequest(v));

  requests
    .command('open')
    .description('record a request received by staff')
    .addOption(new Option('--type <type>', 'the right asked for').choices([...REQUEST_TYPES]).makeOptionMandatory())
    .addOption(new Option('--channel <channel>', 'how it arrived').choices([...REQUEST_CHANNELS]).default('email'))
    .option('--received <date>', 'the day it was received (YYYY-MM-DD; default today)')
    .option('--email <address>', "the requester's email")
    .option('--phone <number>', "the requester's phone")
    .option('--name <name>', "the requester's name")
    .option('--address <text>', "the requester's postal address")
    .option('--representative <name>', 'someone acting for the person (their authority must then be checked)')
    .option('--acting <capacity>', 'in what capacity the representative acts', 'representative')
    .option('--details <text>', 'what the person asked, in their words')
    .option('--json', 'JSON output')
    .action(async function (this: Command, o: Record<string, string | undefined>) {
      await withRuntime(this, io, async (rt) => {
        const v = await openRequest(rt, cliActor(), {
          type: o.type as RequestType,
          channel: o.channel as RequestChannel,
          // An empty option is no option: no date means today, no address none.
          receivedOn: o.received || undefined,
          requester: { email: o.email || undefined, phone: o.phone, name: o.name, address: o.address },
          representative: o.representative ? { name: o.representative, acting: o.acting ?? 'representative' } : undefined,
          details: o.details,
        });
        await show(this, v);
      });
    });

  requests
    .command('show <request>')
    .description('a request by reference or id, with its clock, evidence, letters and tasks')
    .option('--history', 'with its history')
    .option('--letter', 'print the text of the last letter')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { history?: boolean; letter?: boolean }) {
      await withRuntime(this, io, async (rt) => {
        const v = await getRequest(rt, cliActor(), ref, { history: Boolean(o.history) });
        if (o.letter) {
          const l = v.doc.letters.at(-1);
          if (!l) throw new StewardError('NOT_FOUND', `request ${v.reference} has no letter yet`);
          io.stdout(`${plain(l.text)}\n`);
          return;
        }
        await show(this, v);
      });
    });

  requests
    .command('list')
    .description('requests by due date')
    .addOption(new Option('--status <status>').choices([...STATUSES]))
    .option('--open', 'only requests still running')
    .option('--json', 'JSON output')
    .action(async function (this: Command, o: { status?: string; open?: boolean }) {
      await withRuntime(this, io, async (rt) => {
        const list = await listRequests(rt, cliActor(), { status: o.status, open: Boolean(o.open) });
        out(this, list.map(presentSummary), formatSummaries(list));
      });
    });

  requests
    .command('overdue')
    .description('running requests past their deadline (exit 1 when there are any)')
    .option('--json', 'JSON output')
    .action(async function (this: Command) {
      await withRuntime(this, io, async (rt) => {
        const list = await overdueRequests(rt, cliActor());
        out(this, list.map(presentSummary), formatSummaries(list));
        if (list.length) io.exitCode = 1;
      });
    });

  requests
    .command('verify <request>')
    .description('record identity evidence checked (kinds only, never numbers or copies) and a representative\'s authority')
    .addOption(new Option('--evidence <kind>', 'a kind of evidence checked (repeatable)').choices([...IDENTITY_EVIDENCE]).argParser(collect).default([]))
    .addOption(new Option('--authority <kind>', 'the representative\'s authority checked').choices([...AUTHORITY_EVIDENCE]))
    .option('--received <date>', 'the day the evidence arrived (YYYY-MM-DD; default today)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { evidence: string[]; authority?: string; received?: string }) {
      await withRuntime(this, io, async (rt) => {
        await show(this, await verifyRequest(rt, cliActor(), ref, { evidence: o.evidence, authority: o.authority, receivedOn: o.received || undefined }));
      });
    });

  requests
    .command('match <request>')
    .description('possible matches in the register by the requester\'s email and phone; --confirm ID (or "none") to settle it')
    .option('--confirm <subject>', 'the subject id this request is about, or "none"')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { confirm?: string }) {
      await withRuntime(this, io, async (rt) => {
        if (o.confirm) {
          await show(this, await confirmMatch(rt, cliActor(), ref, o.confirm === 'none' ? null : o.confirm));
          return;
        }
        const { candidates } = await matchRequest(rt, cliActor(), ref);
        out(this, candidates, candidates.length ? `${candidates.map((c) => `${c.id}  ${c.relationships.join(', ')}${c.restricted ? ' (restricted)' : ''}`).join('\n')}\n` : 'no possible matches\n');
      });
    });

  requests
    .command('pause <request>')
    .description('ask for clarification: the clock stops from the day asked')
    .option('--asked <date>', 'the day asked (default today)')
    .option('--question <text>', 'the question (sent to the requester)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { asked?: string; question?: string }) {
      await withRuntime(this, io, async (rt) => show(this, await pauseRequest(rt, cliActor(), ref, { askedOn: o.asked || undefined, question: o.question })));
    });

  requests
    .command('resume <request>')
    .description('the clarification arrived')
    .option('--answered <date>', 'the day the answer arrived (default today)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { answered?: string }) {
      await withRuntime(this, io, async (rt) => show(this, await resumeRequest(rt, cliActor(), ref, { answeredOn: o.answered || undefined })));
    });

  requests
    .command('extend <request>')
    .description('extend once, to three months; the notice with reasons goes to the person now')
    .requiredOption('--reasons <text>', 'why the request is complex or numerous')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { reasons: string }) {
      await withRuntime(this, io, async (rt) => show(this, await extendRequest(rt, cliActor(), ref, { reasons: o.reasons })));
    });

  requests
    .command('fee <request>')
    .description('ask for a reasonable fee (Art 12(5), Art 15(3)); the request waits and its clock starts when the fee arrives; the letter tells the person how much and why')
    .requiredOption('--amount <pounds>', 'the fee in pounds and pence, e.g. 10.00 (at most 1000.00)')
    .addOption(new Option('--reason <reason>', 'why a fee may be charged').choices([...FEE_REASONS]).makeOptionMandatory())
    .requiredOption('--explanation <text>', 'why this request is manifestly unfounded or excessive, or which further copies (sent to the person)')
    .option('--asked <date>', 'the day the fee was asked for (YYYY-MM-DD; default today)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { amount: string; reason: string; explanation: string; asked?: string }) {
      await withRuntime(this, io, async (rt) =>
        show(this, await askFee(rt, cliActor(), ref, { amount: o.amount, reason: o.reason as FeeReason, explanation: o.explanation, askedOn: o.asked || undefined })),
      );
    });

  requests
    .command('fee-paid <request>')
    .description('the fee arrived: the clock starts that day at the earliest and the request continues')
    .option('--received <date>', 'the day the fee arrived (YYYY-MM-DD; default today; not before it was asked for)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { received?: string }) {
      await withRuntime(this, io, async (rt) => show(this, await recordFeeReceived(rt, cliActor(), ref, { receivedOn: o.received || undefined })));
    });

  requests
    .command('fee-waive <request>')
    .description('withdraw the request for a fee: the request is free and its clock as if no fee had been asked')
    .requiredOption('--reason <text>', 'why the fee is no longer asked for')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { reason: string }) {
      await withRuntime(this, io, async (rt) => show(this, await waiveFee(rt, cliActor(), ref, { reason: o.reason })));
    });

  requests
    .command('fulfil <request>')
    .description('fulfil by type and send the response letter')
    .option('--input <file>', 'details as JSON: { redactions, legalClaims, changes, compellingGrounds, purposes }')
    .option('--redact <record=text>', 'access: replace TEXT in record RECORD with [redacted] (repeatable)', collect, [])
    .option('--change <record=value>', 'rectification: the corrected value of a record (repeatable)', collect, [])
    .option('--keep <category=reason>', 'erasure: keep a category for legal claims, with a case reference (repeatable)', collect, [])
    .option('--grounds <text>', 'objection: the compelling legitimate grounds to continue')
    .option('--purpose <id>', 'withdrawal: a purpose (repeatable; default every consent held)', collect, [])
    .option('--base-url <url>', 'access, portability: the public address people reach the server at, for the download link (or STEWARD_BASE_URL, base_url)')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { input?: string; redact: string[]; change: string[]; keep: string[]; grounds?: string; purpose: string[] }) {
      const pair = (s: string, what: string): [string, string] => {
        const i = s.indexOf('=');
        if (i <= 0) throw new StewardError('VALIDATION_FAILED', `${what}: write it as key=value`);
        return [s.slice(0, i), s.slice(i + 1)];
      };
      let input: FulfilInput = {};
      if (o.input) {
        let raw: unknown;
        try {
          raw = JSON.parse(await readFile(path.resolve(io.cwd, o.input), 'utf8'));
        } catch {
          throw new StewardError('VALIDATION_FAILED', `cannot read ${o.input} as JSON`);
        }
        assertCleanText(raw, o.input);
        const parsed = fulfilBody.safeParse(raw);
        if (!parsed.success) throw new StewardError('VALIDATION_FAILED', `${o.input}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        input = parsed.data;
      }
      if (o.redact.length) input.redactions = [...(input.redactions ?? []), ...o.redact.map((s) => pair(s, '--redact')).map(([recordId, t]) => ({ recordId, find: [t] }))];
      if (o.change.length) input.changes = [...(input.changes ?? []), ...o.change.map((s) => pair(s, '--change')).map(([recordId, value]) => ({ recordId, value }))];
      if (o.keep.length) input.legalClaims = [...(input.legalClaims ?? []), ...o.keep.map((s) => pair(s, '--keep')).map(([category, reason]) => ({ category, reason }))];
      if (o.grounds) input.compellingGrounds = o.grounds;
      if (o.purpose.length) input.purposes = o.purpose;
      await withRuntime(this, io, async (rt) => {
        // The pack's link must reach the server people use. Without a configured public address
        // the CLI would derive one from its own host and port defaults (8080), which need not be
        // where `steward serve` listens: refuse rather than mail a link that goes nowhere.
        const row = await requestRow(rt.database.db, ref);
        if (isPackType(row.type) && row.subject_id !== null && !rt.config.baseUrlConfigured) {
          throw new StewardError(
            'CONFIG_INVALID',
            `requests fulfil mails a download link for ${row.type} requests, and no public address is configured: give --base-url, or set STEWARD_BASE_URL or base_url, to the address people reach steward serve at (otherwise the link would say ${rt.config.baseUrl})`,
          );
        }
        await show(this, (await fulfilRequest(rt, cliActor(), ref, input)).view);
      });
    });

  requests
    .command('refuse <request>')
    .description('refuse with reasons; the letter names the right to complain to the ICO and go to court')
    .addOption(new Option('--reason <reason>').choices([...REFUSAL_REASONS]).makeOptionMandatory())
    .requiredOption('--explanation <text>', 'why: the organisation must be able to show it')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { reason: string; explanation: string }) {
      await withRuntime(this, io, async (rt) => show(this, (await refuseRequest(rt, cliActor(), ref, o)).view));
    });

  requests
    .command('close <request>')
    .description('close a request the person withdrew')
    .requiredOption('--withdrawn', 'the person withdrew it')
    .option('--note <text>', 'a note')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { note?: string }) {
      await withRuntime(this, io, async (rt) => show(this, await withdrawRequest(rt, cliActor(), ref, { note: o.note })));
    });

  requests
    .command('task-done <request> <task>')
    .description('Art 19: a recipient has been told')
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, task: string) {
      await withRuntime(this, io, async (rt) => show(this, await completeTask(rt, cliActor(), ref, task)));
    });

  requests
    .command('lift-restriction <request>')
    .description('lift a restriction, recording when and how the person was told first')
    .requiredOption('--told <date>', 'the day the person was told')
    .addOption(new Option('--method <how>').choices(['email', 'letter', 'phone', 'in-person']).makeOptionMandatory())
    .option('--json', 'JSON output')
    .action(async function (this: Command, ref: string, o: { told: string; method: string }) {
      await withRuntime(this, io, async (rt) => show(this, (await liftRestriction(rt, cliActor(), ref, { toldOn: o.told, method: o.method })).view));
    });

  requests
    .command('remind')
    .description('send due reminders to the privacy officer now (safe to repeat)')
    .option('--json', 'JSON output')
    .action(async function (this: Command) {
      await withRuntime(this, io, async (rt) => {
        const r = await sendRequestReminders(rt);
        out(this, r, `${r.sent} reminders sent, ${r.failed} failed, ${r.checked} requests near their deadline${r.warning ? `\nwarning: ${r.warning}` : ''}\n`);
      });
    });
}
