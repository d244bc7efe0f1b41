/**
 * `steward marketing check|suppress|suppressions|tps` and `steward consent record|show|renewals`:
 * consent and marketing at the console, over the same services as the HTTP API, acting as the
 * operator who holds the key file.
 */
import { readFile, stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';
import { type CliIo, withRuntime } from '../cli/io.js';
import { assertCleanText } from '../shared/text.js';
import { StewardError } from '../shared/errors.js';
import { explain } from './audience.reasons.js';
import { isAllowed, reasonOf, type Reason } from './audience.rules.js';
import { checkAudience } from './audience.service.js';
import { presentAudience, presentConsentResult, presentOverview } from './consent.presenter.js';
import { CONSENT_ACTIONS, METHODS } from './consent.rules.js';
import { getConsent, objectToDirectMarketing, recordConsent, type ConsentInput } from './consent.service.js';
import { sendRenewalRequests } from './renewal.service.js';
import { exportSuppressions, MARKETING_CHANNELS, SUPPRESSION_REASONS, type SuppressionReason } from './suppression.service.js';
import { importSuppressions, suppress } from './suppression.add.js';
import { importTpsRegister, tpsStatus } from './tps.service.js';
import { cliActor } from '../kernel/actors.js';

/** Largest list file read: far above a million addresses, and bounds memory. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;
const collect = (value: string, previous: string[]): string[] => [...previous, value];


async function readText(file: string, cwd: string): Promise<string> {
  const full = file.startsWith('/') ? file : `${cwd}/${file}`;
  let size: number;
  try {
    size = (await stat(full)).size;
  } catch (e) {
    throw new StewardError('VALIDATION_FAILED', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (size > MAX_FILE_BYTES) throw new StewardError('PAYLOAD_TOO_LARGE', `${file} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
  const text = await readFile(full, 'utf8');
  assertCleanText(text, file);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const IDENTIFIER_COLUMNS = ['email', 'email-address', 'email address', 'e-mail', 'phone', 'phone-number', 'phone number', 'mobile', 'telephone', 'identifier'];

/**
 * The recipients in a list file: one identifier per line, or a CSV with a header row whose
 * identifier column is named (--column) or found by name (email, phone …). Returns each
 * recipient with its line number, so answers point back into the file.
 */
export function recipientsFromText(text: string, column?: string): { recipients: string[]; lines: number[] } {
  const firstBreak = text.search(/\r?\n/);
  const header = (firstBreak < 0 ? text : text.slice(0, firstBreak)).trim();
  const looksCsv = column !== undefined || (header.includes(',') && !header.includes('@') && !/^\+?[\d\s()-]+,/.test(header));
  const recipients: string[] = [];
  const lines: number[] = [];
  if (!looksCsv) {
    const all = text.split(/\r?\n/);
    for (let i = 0; i < all.length; i++) {
      const v = all[i]!.trim();
      if (v === '' || v.startsWith('#')) continue;
      recipients.push(v);
      lines.push(i + 1);
    }
    return { recipients, lines };
  }
  const rows = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  if (rows.length === 0) return { recipients, lines };
  const names = rows[0]!.record.map((h) => String(h).trim().toLowerCase());
  const wanted = column?.trim().toLowerCase();
  const at = wanted !== undefined ? names.indexOf(wanted) : names.findIndex((n) => IDENTIFIER_COLUMNS.includes(n));
  if (at < 0) {
    throw new StewardError('VALIDATION_FAILED', wanted !== undefined ? `the file has no column named "${column}"` : 'the CSV has no email or phone column: name it with --column');
  }
  for (let i = 1; i < rows.length; i++) {
    const v = String(rows[i]!.record[at] ?? '').trim();
    if (v === '') continue;
    recipients.push(v);
    lines.push(rows[i]!.info.lines);
  }
  return { recipients, lines };
}

export function registerConsentCommands(program: Command, io: CliIo): void {
  const marketing = program.command('marketing').description('marketing: audience checks, the suppression list, TPS/CTPS registers');

  marketing
    .command('check')
    .description('check a campaign list: every recipient allowed or blocked, with the reason')
    .argument('<file>', 'one email address or phone number per line, or a CSV with a header row')
    .requiredOption('--purpose <id>', 'the declared marketing purpose of the campaign')
    .addOption(new Option('--channel <channel>', 'how the campaign goes out').choices([...MARKETING_CHANNELS]).makeOptionMandatory())
    .option('--column <name>', 'in a CSV, the column holding the email address or phone number')
    .addOption(new Option('--only <which>', 'list only these recipients').choices(['all', 'allowed', 'blocked']).default('all'))
    .option('--json', 'print the result as JSON (the API’s shape)')
    .action(async (file: string, opts: { purpose: string; channel: string; column?: string; only: 'all' | 'allowed' | 'blocked'; json?: boolean }, cmd: Command) => {
      const text = await readText(file, io.cwd);
      const { recipients, lines } = recipientsFromText(text, opts.column);
      if (recipients.length === 0) throw new StewardError('VALIDATION_FAILED', `${file} holds no recipients`);
      await withRuntime(cmd, io, async (rt) => {
        const r = await checkAudience(rt, cliActor(), { purpose: opts.purpose, channel: opts.channel, recipients });
        if (opts.json) {
          const out = presentAudience(r, recipients, opts.only);
          io.stdout(`${JSON.stringify({ ...out, results: out.results.map((x) => ({ line: lines[x.index]!, ...x })) })}\n`);
          return;
        }
        const chunks: string[] = [];
        for (let i = 0; i < r.codes.length; i++) {
          const allowed = isAllowed(r.codes[i]!);
          if ((opts.only === 'allowed' && !allowed) || (opts.only === 'blocked' && allowed)) continue;
          chunks.push(`${lines[i]}\t${allowed ? 'allowed' : 'blocked'}\t${reasonOf(r.codes[i]!)}\t${recipients[i]}\n`);
          if (chunks.length >= 10_000) io.stdout(chunks.splice(0).join(''));
        }
        io.stdout(chunks.join(''));
        const reasons = Object.entries(r.byReason)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        io.stderr(`${r.recipients} recipients for ${r.purpose} by ${r.channel}: ${r.allowed} allowed, ${r.blocked} blocked (${reasons})\n`);
        // The codes in the list above, in plain words (the same words as the API and the docs).
        for (const k of Object.keys(r.byReason) as Reason[]) io.stderr(`  ${k}: ${explain(k)}\n`);
        for (const t of r.tps ?? []) if (t.stale) io.stderr(`warning: the ${t.register.toUpperCase()} register ${t.importedAt ? `was last imported ${t.importedAt.slice(0, 10)}` : 'has never been imported'}: calls relying on it are blocked until it is refreshed (steward marketing tps import)\n`);
      });
    });

  marketing
    .command('suppress')
    .description('add email addresses or phone numbers to the suppression list ("told us not to call": --channel phone)')
    .argument('<identifier...>', 'email addresses or phone numbers')
    .addOption(new Option('--channel <channel>', 'the channel, or * for all').choices([...MARKETING_CHANNELS, '*']).default('*'))
    .option('--scope <purpose>', 'one marketing purpose, or * for all', '*')
    .addOption(new Option('--reason <reason>', 'why').choices([...SUPPRESSION_REASONS]).default('opt-out'))
    .option('--json', 'print the result as JSON')
    .action(async (identifiers: string[], opts: { channel: string; scope: string; reason: SuppressionReason; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await suppress(rt, cliActor(), { identifiers, channel: opts.channel, scope: opts.scope, reason: opts.reason });
        io.stdout(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.added} added, ${r.alreadySuppressed} already on the list${r.rejected.length ? `, ${r.rejected.length} rejected: ${r.rejected.map((x) => `#${x.index + 1} ${x.problem}`).join('; ')}` : ''}\n`);
        io.exitCode = r.rejected.length ? 1 : 0;
      });
    });

  const suppressions = marketing.command('suppressions').description('import and export the suppression list');
  suppressions
    .command('export')
    .description('print the list as CSV: keyed hashes, channel, scope, reason, date (no identifiers)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const entries = await exportSuppressions(rt, cliActor());
        if (opts.json) io.stdout(`${JSON.stringify({ entries })}\n`);
        else io.stdout(`hash,channel,scope,reason,created_at\n${entries.map((e) => `${e.hash},${e.channel},${e.scope},${e.reason},${e.createdAt}`).join('\n')}${entries.length ? '\n' : ''}`);
      });
    });
  suppressions
    .command('import')
    .description('add a file to the list: one email address, phone number or exported hash per line (a CSV export: the hash column is used)')
    .argument('<file>')
    .addOption(new Option('--channel <channel>', 'the channel, or * for all').choices([...MARKETING_CHANNELS, '*']).default('*'))
    .option('--scope <purpose>', 'one marketing purpose, or * for all', '*')
    .addOption(new Option('--reason <reason>', 'why').choices([...SUPPRESSION_REASONS]).default('import'))
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { channel: string; scope: string; reason: SuppressionReason; json?: boolean }, cmd: Command) => {
      const text = await readText(file, io.cwd);
      let lines = text.split(/\r?\n/);
      // An export from `suppressions export`: keep each row's own channel and scope.
      if (lines[0]?.startsWith('hash,channel,scope')) {
        await withRuntime(cmd, io, async (rt) => {
          let added = 0;
          const groups = new Map<string, string[]>();
          for (const l of lines.slice(1)) {
            const [hash, channel, scope] = l.split(',');
            if (!hash || !channel || !scope) continue;
            groups.set(`${channel},${scope}`, [...(groups.get(`${channel},${scope}`) ?? []), hash]);
          }
          for (const [k, hashes] of groups) {
            const [channel, scope] = k.split(',') as [string, string];
            added += (await importSuppressions(rt, cliActor(), hashes, { channel, scope, reason: opts.reason })).added;
          }
          io.stdout(opts.json ? `${JSON.stringify({ added })}\n` : `${added} added\n`);
        });
        return;
      }
      lines = lines.map((l) => l.split(',')[0]!);
      await withRuntime(cmd, io, async (rt) => {
        const r = await importSuppressions(rt, cliActor(), lines, { channel: opts.channel, scope: opts.scope, reason: opts.reason });
        io.stdout(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.added} added, ${r.alreadySuppressed} already on the list, ${r.rejected.length} rejected${r.rejected.length ? ` (lines ${r.rejected.slice(0, 20).map((x) => x.index).join(', ')}${r.rejected.length > 20 ? ' …' : ''})` : ''}\n`);
        io.exitCode = r.rejected.length ? 1 : 0;
      });
    });

  const tps = marketing.command('tps').description('Telephone Preference Service registers (TPS for individuals, CTPS for companies)');
  tps
    .command('import')
    .description('replace a register with a file from the TPS: one number per line (stored as keyed hashes only)')
    .argument('<file>')
    .addOption(new Option('--register <register>', 'which register').choices(['tps', 'ctps']).makeOptionMandatory())
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { register: string; json?: boolean }, cmd: Command) => {
      const text = await readText(file, io.cwd);
      await withRuntime(cmd, io, async (rt) => {
        const r = await importTpsRegister(rt, cliActor(), opts.register, text.split(/\r?\n/));
        io.stdout(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${opts.register.toUpperCase()}: ${r.numbers} numbers imported (${r.duplicates} duplicates, ${r.rejected.length} lines rejected); fresh until ${new Date(Date.parse(r.importedAt) + 28 * 86_400_000).toISOString().slice(0, 10)}\n`);
      });
    });
  tps
    .command('status')
    .description('when each register was last imported, and whether it is stale (older than 28 days)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await tpsStatus(rt, cliActor());
        io.stdout(opts.json ? `${JSON.stringify({ registers: r }, null, 2)}\n` : r.map((t) => `${t.register.toUpperCase()}: ${t.importedAt ? `imported ${t.importedAt.slice(0, 10)}, ${t.numbers} numbers` : 'never imported'}${t.stale ? ' — STALE: calls are blocked' : ''}\n`).join(''));
        io.exitCode = r.some((t) => t.stale) ? 1 : 0;
      });
    });

  const consent = program.command('consent').description('consent records: record, show, and send renewal requests');
  consent
    .command('record')
    .description('record consent given, renewed or withdrawn, a parent\'s consent, or a soft opt-in (append-only)')
    .argument('<subject-id>')
    .requiredOption('--purpose <id>', 'the declared purpose')
    .requiredOption('--channel <channel>', 'a channel (repeatable)', collect, [])
    .addOption(new Option('--action <action>', 'what happened').choices([...CONSENT_ACTIONS]).makeOptionMandatory())
    .addOption(new Option('--method <method>', 'how').choices([...METHODS]).makeOptionMandatory())
    .option('--wording <text>', 'the words the person saw or heard (required for given and renewed)')
    .option('--at <date>', 'when it happened (default now)')
    .option('--source <id>', 'a declared source')
    .option('--evidence <ref>', 'where the evidence is (encrypted)')
    .option('--birth-date <YYYY-MM-DD>', 'the person\'s date of birth, to apply the age of digital consent')
    .option('--opt-out-offered', 'soft opt-in: a way to refuse was offered when the details were collected')
    .option('--json', 'print the result as JSON')
    .action(async (subjectId: string, opts: { purpose: string; channel: string[]; action: ConsentInput['action']; method: string; wording?: string; at?: string; source?: string; evidence?: string; birthDate?: string; optOutOffered?: boolean; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await recordConsent(rt, cliActor(), {
          subjectId,
          purpose: opts.purpose,
          channels: opts.channel,
          action: opts.action,
          method: opts.method,
          wording: opts.wording,
          ...(opts.at ? { occurredAt: opts.at } : {}),
          ...(opts.source ? { source: opts.source } : {}),
          ...(opts.evidence ? { evidenceRef: opts.evidence } : {}),
          ...(opts.birthDate ? { birthDate: opts.birthDate } : {}),
          ...(opts.optOutOffered ? { optOutOffered: true } : {}),
        });
        io.stdout(opts.json ? `${JSON.stringify(presentConsentResult(r), null, 2)}\n` : r.states.map((s) => `${s.purpose} by ${s.channel}: ${s.status}${s.expiresAt ? ` until ${s.expiresAt.slice(0, 10)}` : ''}${s.softOptIn ? ' (soft opt-in)' : ''}\n`).join('') + (r.stillSuppressed.length ? `warning: still on the suppression list for all marketing on ${r.stillSuppressed.join(', ')}: a privacy officer must lift it\n` : ''));
      });
    });
  consent
    .command('object')
    .description('record an objection to direct marketing (Art 21(3), absolute): withdraws every marketing consent and suppresses every address and number of the person for all marketing')
    .argument('<subject-id>')
    .addOption(new Option('--method <method>', 'how they objected').choices([...METHODS]).makeOptionMandatory())
    .option('--json', 'print the counts as JSON')
    .action(async (subjectId: string, opts: { method: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await objectToDirectMarketing(rt, cliActor(), subjectId, opts.method);
        io.stdout(opts.json ? `${JSON.stringify(r)}\n` : `objection recorded: ${r.withdrawn} consent(s) withdrawn, ${r.suppressed} suppression entr${r.suppressed === 1 ? 'y' : 'ies'} added; no marketing by any channel from now on\n`);
      });
    });
  consent
    .command('show')
    .description('a person\'s consent states and history (audited)')
    .argument('<subject-id>')
    .option('--json', 'print as JSON')
    .action(async (subjectId: string, opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const o = await getConsent(rt, cliActor(), subjectId);
        if (opts.json) {
          io.stdout(`${JSON.stringify(presentOverview(o), null, 2)}\n`);
          return;
        }
        const lines = o.states.map((s) => `${s.purpose} by ${s.channel}: ${s.status}${s.expiresAt ? ` until ${s.expiresAt.slice(0, 10)}` : ''}${s.softOptIn ? ' (soft opt-in)' : ''}`);
        lines.push('', 'history:');
        for (const e of o.history) lines.push(`  ${e.occurredAt.slice(0, 10)}  ${e.action.padEnd(16)} ${e.purpose} by ${e.channel}, ${e.method}${e.child ? ' (child)' : ''}`);
        io.stdout(`${lines.join('\n')}\n`);
      });
    });
  consent
    .command('renewals')
    .description('send the renewal requests now due (steward serve does this on a schedule); safe to repeat')
    .option('--json', 'print the counts as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await sendRenewalRequests(rt, rt.clock.now(), cliActor());
        io.stdout(opts.json ? `${JSON.stringify(r)}\n` : `${r.due} due: ${r.sent} sent, ${r.skipped} skipped (no usable address, suppressed or restricted), ${r.failed} failed\n`);
        io.exitCode = r.failed ? 1 : 0;
      });
    });
}
