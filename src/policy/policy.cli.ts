/**
 * `steward policy check|render|publish|versions|ropa|promises|schema` and `steward init`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { cliUsername, commandConfig, withRuntime, type CliIo } from '../cli/io.js';
import { asCliUser } from '../cli/identity.js';
import { openRuntime } from '../kernel/runtime.js';
import { listPublications, publishNotice } from './publishing.service.js';
import { isStewardError, StewardError } from '../shared/errors.js';
import type { Finding } from './lint.types.js';
import { lintPolicy } from './policy.lint.js';
import { loadPolicy } from './policy.loader.js';
import { policyJsonSchema } from './policy.schema.js';
import { renderNotice } from './notice.render.js';
import { renderRopaCsv, renderRopaXlsx } from './ropa.js';
import { registerPromisesCommand } from '../promises/promises.cli.js';
import { cliActor } from '../kernel/actors.js';

const policyFileOf = (cmd: Command, io: CliIo, file: string | undefined): string =>
  file ? path.resolve(io.cwd, file) : commandConfig(cmd, io).policyFile;

async function writeOutput(io: CliIo, out: string | undefined, content: string | Uint8Array): Promise<void> {
  if (!out) {
    io.stdout(content);
    return;
  }
  const target = path.resolve(io.cwd, out);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  io.stderr(`wrote ${target}\n`);
}

/** Schema errors become findings too, so `check` reports every problem in one list. */
function schemaFindings(e: StewardError): Finding[] {
  return e.details.map((d) => ({
    rule: e.code === 'POLICY_INVALID' ? 'schema' : 'yaml',
    severity: 'error' as const,
    path: d.path ?? '',
    line: d.line,
    column: d.column,
    message: d.message.replace(/^.*?:\d+:\d+: /, ''),
  }));
}

export function formatFindings(file: string, findings: Finding[]): string {
  if (findings.length === 0) return `${file}: no problems found\n`;
  const lines = findings.map((f) => {
    const where = f.line !== undefined ? `${file}:${f.line}:${f.column ?? 1}` : file;
    return `${where}  ${f.severity.padEnd(7)} ${f.rule.padEnd(34)} ${f.path ? `${f.path}: ` : ''}${f.message}`;
  });
  const n = (s: string) => findings.filter((f) => f.severity === s).length;
  lines.push('', `${n('error')} error(s), ${n('warning')} warning(s), ${n('info')} note(s)`);
  return `${lines.join('\n')}\n`;
}

export function registerPolicyCommands(program: Command, io: CliIo): void {
  program
    .command('init')
    .description('write a starter declaration (steward.yaml, with comments) and its JSON Schema, ready to edit')
    .argument('[dir]', 'folder to write it in', '.')
    .option('--force', 'overwrite an existing steward.yaml')
    .action(async (dir: string, opts: { force?: boolean }) => {
      const target = path.resolve(io.cwd, dir, 'steward.yaml');
      if (existsSync(target) && !opts.force) {
        throw new StewardError('CONFLICT', `${target} already exists; use --force to overwrite it`);
      }
      const starter = await readFile(fileURLToPath(new URL('./starter.yaml', import.meta.url)), 'utf8');
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, starter);
      // Editors that understand the yaml-language-server comment get completion from this file.
      const schemaFile = path.join(path.dirname(target), 'steward.schema.json');
      await writeFile(schemaFile, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
      io.stdout(`wrote ${target}\nwrote ${schemaFile}\nnext: edit it, then run "steward policy check ${path.relative(io.cwd, target) || 'steward.yaml'}"\n`);
    });

  const policy = program.command('policy').description('check and render the declaration');

  policy
    .command('check')
    .description('validate and lint the declaration (exit 0: no errors, 1: errors, 2: unreadable or not YAML)')
    .argument('[file]', 'the declaration (default --policy)')
    .option('--json', 'print findings as JSON')
    .action(async (file: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const target = policyFileOf(cmd, io, file);
      const shown = path.relative(io.cwd, target) || target;
      let findings: Finding[];
      try {
        findings = lintPolicy(await loadPolicy(target));
      } catch (e) {
        if (!(isStewardError(e) && e.code === 'POLICY_INVALID')) throw e;
        findings = schemaFindings(e);
      }
      const errors = findings.filter((f) => f.severity === 'error').length;
      if (opts.json) {
        const count = (s: string) => findings.filter((f) => f.severity === s).length;
        io.stdout(`${JSON.stringify({ file: shown, valid: errors === 0, errors, warnings: count('warning'), infos: count('info'), findings }, null, 2)}\n`);
      } else {
        io.stdout(formatFindings(shown, findings));
      }
      io.exitCode = errors > 0 ? 1 : 0;
    });

  policy
    .command('render')
    .description('render the privacy notice (exit 1 without output when the declaration has lint errors, unless --draft)')
    .argument('[file]', 'the declaration (default --policy)')
    .addOption(new Option('--format <format>', 'output format').choices(['html', 'md']).default('html'))
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--base-url <url>', "public address of Steward's privacy centre: links its request, preference and complaint forms")
    .option('--draft', 'render even with errors, every page marked "Draft — not published"')
    .action(async (file: string | undefined, opts: { format: 'html' | 'md'; out?: string; baseUrl?: string; draft?: boolean }, cmd: Command) => {
      const target = policyFileOf(cmd, io, file);
      const loaded = await loadPolicy(target);
      const errors = lintPolicy(loaded).filter((f) => f.severity === 'error').length;
      if (errors > 0 && !opts.draft) {
        io.stderr(`${path.relative(io.cwd, target) || target}: ${errors} lint error(s), so the notice is not ready to publish. See them with "steward policy check"; render a marked draft with --draft.\n`);
        io.exitCode = 1;
        return;
      }
      await writeOutput(io, opts.out, renderNotice(loaded, opts.format, { baseUrl: opts.baseUrl || undefined, privacyCentre: Boolean(opts.baseUrl), banner: opts.draft ? 'draft' : undefined }));
    });

  policy
    .command('publish')
    .description('publish the declaration as the notice in force at /privacy (refused when it has lint errors, unless --force with --reason)')
    .argument('[file]', 'the declaration (default --policy)')
    .option('--force', 'publish although the declaration has lint errors (needs --reason, which is recorded)')
    .option('--reason <text>', 'why it is published with errors')
    .option('--json', 'print the publication as JSON')
    .action(async (file: string | undefined, opts: { force?: boolean; reason?: string; json?: boolean }, cmd: Command) => {
      if (opts.force && !opts.reason?.trim()) throw new StewardError('CONFIG_INVALID', '--force needs --reason: say why the notice is published with errors; it is recorded');
      const config = commandConfig(cmd, io, file ? { policy: path.resolve(io.cwd, file) } : {});
      const rt = await openRuntime(config);
      try {
        const r = await asCliUser(rt, cliUsername(cmd, io), () => publishNotice(rt, cliActor(), { force: Boolean(opts.force), reason: opts.reason }));
        const p = r.publication;
        if (opts.json) io.stdout(`${JSON.stringify({ alreadyInForce: r.alreadyInForce, publication: p }, null, 2)}\n`);
        else if (r.alreadyInForce) io.stdout(`already in force: version ${p.hash.slice(0, 12)} (publication ${p.id}, published ${p.publishedAt}); nothing to do\n`);
        else {
          io.stdout(
            [
              `published: version ${p.hash.slice(0, 12)}, effective ${p.effectiveDate}, as publication ${p.id}`,
              ...(p.forcedReason ? [`  forced past ${p.errors} error(s); reason recorded: ${p.forcedReason}`] : []),
              ...p.changes.map((c) => `  ${c}`),
              '',
            ].join('\n'),
          );
        }
      } finally {
        await rt.close();
      }
    });

  policy
    .command('versions')
    .description('the publications of the notice, newest first')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const list = await listPublications(rt.database.db);
        if (opts.json) io.stdout(`${JSON.stringify({ versions: list }, null, 2)}\n`);
        else if (list.length === 0) io.stdout('nothing published yet: /privacy serves the loaded declaration marked "Draft — not published"\n');
        else
          io.stdout(
            `${list
              .map((p, i) => `${String(p.id).padStart(4)}  ${p.hash.slice(0, 12)}  effective ${p.effectiveDate}  published ${p.publishedAt} by ${p.publishedBy}${i === 0 ? '  (in force)' : ''}${p.forcedReason ? `  FORCED: ${p.forcedReason}` : ''}\n${p.changes.map((c) => `        ${c}`).join('\n')}`)
              .join('\n')}\n`,
          );
      });
    });

  policy
    .command('ropa')
    .description('the Art 30 record of processing, one row per purpose')
    .argument('[file]', 'the declaration (default --policy)')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'xlsx']).default('csv'))
    .option('--out <file>', 'write to a file instead of standard output')
    .action(async (file: string | undefined, opts: { format: 'csv' | 'xlsx'; out?: string }, cmd: Command) => {
      const loaded = await loadPolicy(policyFileOf(cmd, io, file));
      await writeOutput(io, opts.out, opts.format === 'xlsx' ? await renderRopaXlsx(loaded) : renderRopaCsv(loaded));
    });

  registerPromisesCommand(policy, io);

  policy
    .command('schema')
    .description('print the JSON Schema of the declaration format (for editor completion)')
    .action(() => {
      io.stdout(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
    });
}
