import { Option, type Command } from 'commander';
import { commandConfig, type CliIo } from '../cli/io.js';
import { StewardError } from '../shared/errors.js';
import { seedDemo } from './demo.js';
import { createLogger, startServer } from './serve.js';
import { systemActor } from '../kernel/actors.js';

export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the HTTP server: the API, the published privacy notice and scheduled jobs')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; env STEWARD_HOST)')
    .option('--port <port>', 'port to listen on (default 8080; env STEWARD_PORT)')
    .option('--base-url <url>', 'public address of this server, for links it sends (env STEWARD_BASE_URL)')
    .option('--trust-proxy <proxies>', 'behind a reverse proxy: its address(es) or CIDR, comma-separated, or the number of hops (env STEWARD_TRUST_PROXY; default false)')
    .option('--demo', 'on first run, add a dozen made-up people so the register has something to show')
    .addOption(new Option('--log-level <level>', 'log level (env STEWARD_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (opts: { demo?: boolean }, cmd: Command) => {
      const config = commandConfig(cmd, io);
      const logger = createLogger(config);
      const server = await startServer(config, { logger });
      if (opts.demo) {
        const made = await seedDemo(server.runtime, systemActor('demo'));
        if (made > 0) io.stderr(`Demo: added ${made} made-up people to the register.\n`);
      }
      const org = server.runtime.policy.policy.organisation.name;
      if (server.firstOwnerFile) {
        // The password itself is never printed: stdout and stderr end up in service logs.
        io.stderr(
          [
            `First run: created the owner account; its one-time password is in ${server.firstOwnerFile} (readable by you only).`,
            `  Sign in as "owner" at ${server.url.replace(/\/$/, '')}/console with it, choose your own password there`,
            '  (or POST /api/v1/auth/password), then delete the file.',
            '',
          ].join('\n'),
        );
      }
      const { published, lint } = server;
      const loadedHash = server.runtime.policy.hash;
      const notice = !published
        ? 'DRAFT, not published: run "steward policy publish"'
        : `published version ${published.hash.slice(0, 12)}, effective ${published.effectiveDate}${published.hash === loadedHash ? '' : '; the declaration loaded differs from it: publish it to put it in force'}`;
      io.stderr(
        [
          `Steward is serving ${org} on ${server.url}`,
          `  declaration      ${lint.errors} error(s), ${lint.warnings} warning(s)${lint.errors ? ': run "steward policy check" to see them; it cannot be published until they are fixed' : ''}`,
          `  privacy notice   ${server.url}/privacy   (${notice})`,
          `  API reference    ${server.url}/api/v1/docs`,
          `  database         ${server.runtime.database.description}`,
          'Press Ctrl+C to stop.',
          '',
        ].join('\n'),
      );
      const stop = io.stopSignal ?? new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await stop;
      io.stderr('stopping…\n');
      await server.close();
    })
    .hook('preAction', (cmd) => {
      const port = cmd.opts<{ port?: string }>().port;
      if (port !== undefined && !/^\d+$/.test(port)) throw new StewardError('CONFIG_INVALID', `--port: "${port}" is not a port number`);
    });
}
