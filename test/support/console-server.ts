/**
 * Servers for browser journeys: a test runtime served on loopback with Chromium launched, and on
 * top of it a real `steward serve` for the console (the Kestronics declaration, demo people, a
 * test SMTP server, and an owner, signed in by a helper). `describeInChromium` and
 * `describeConsole` give each browser suite its describe block per database, with the server
 * started before its tests and closed after them.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ensureOwner } from '../../src/auth/auth.service.js';
import type { AppContext } from '../../src/kernel/context.js';
import { buildApp } from '../../src/server/app.js';
import { seedDemo } from '../../src/server/demo.js';
import { browserAvailable, launchBrowser, listenOnLoopback, newContext, seriousAxeViolations } from './browser.js';
import { dialects } from './databases.js';
import { createTestRuntime, type TestRuntime } from './runtime.js';
import { startTestSmtp, type TestSmtp } from './smtp.js';
import { systemActor } from '../../src/kernel/actors.js';

export const KESTRONICS = path.resolve(import.meta.dirname, '../../examples/kestronics.yaml');

type Dialect = 'sqlite' | 'postgres';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * One describe block per database, run only where Chromium is installed: `start` runs before the
 * tests and the server it returns is closed after them. `body` gets the server object at once and
 * it is filled in when `start` has finished, so tests read it, not the code that declares them.
 * `start` must return a plain object (its own properties are copied).
 */
export function describeInChromium<S extends { close(): Promise<void> }>(title: string, start: (kind: Dialect) => Promise<S>, body: (s: S, kind: Dialect) => void): void {
  describe.runIf(browserAvailable).each(dialects)(title, (kind) => {
    const s = {} as S;
    beforeAll(async () => {
      Object.assign(s, await start(kind));
    }, 120_000);
    afterAll(async () => {
      await s.close?.();
    });
    body(s, kind);
  });
}

export interface BrowserServer {
  rt: TestRuntime;
  app: FastifyInstance;
  browser: Browser;
  baseURL: string;
  close(): Promise<void>;
}

/**
 * A test runtime (the test policy unless `policyFile`) served on a loopback port, and Chromium.
 * `prepare` runs on the runtime before the app is built; `config` changes what the app is built with.
 */
export async function startBrowserServer(
  kind: Dialect,
  opts: { policyFile?: string; prepare?: (rt: TestRuntime) => Promise<void>; config?: Partial<AppContext['config']> } = {},
): Promise<BrowserServer> {
  const rt = await createTestRuntime(kind, { policyFile: opts.policyFile });
  await opts.prepare?.(rt);
  const app = await buildApp({ ...rt, config: { ...rt.config, ...opts.config }, logger: false });
  const baseURL = await listenOnLoopback(app);
  const browser = await launchBrowser();
  return {
    rt,
    app,
    browser,
    baseURL,
    async close() {
      await browser.close();
      await app.close();
      await rt.witness?.flush();
      await rt.close();
    },
  };
}

export interface ConsoleServer extends BrowserServer {
  smtp: TestSmtp;
  ownerPassword: string;
  /** How many demo people were added. */
  demoPeople: number;
}

export interface ConsoleServerOptions {
  policyFile?: string;
  /** The owner's password is a one-time one they must replace at their first sign-in. */
  ownerMustChangePassword?: boolean;
  /**
   * The server's clock is the real one (default), as the browser's is: the breach clock ticks in
   * the page. With false it stays at the test runtime's fixed time.
   */
  realClock?: boolean;
}

export async function startConsoleServer(kind: Dialect, opts: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const smtp = await startTestSmtp();
  const rt = await createTestRuntime(kind, { policyFile: opts.policyFile ?? KESTRONICS, smtpUrl: smtp.url });
  if (opts.realClock ?? true) rt.clock.set(new Date().toISOString());
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  // Links in mail use the configured public address: here, the address the server listens on.
  const deps = { ...rt, config: { ...rt.config, baseUrl: baseURL, port } };
  const ownerPassword = (await ensureOwner(deps, systemActor('first-run'), { mustChangePassword: opts.ownerMustChangePassword }))!.password;
  const demoPeople = await seedDemo(deps, systemActor('demo'));
  const app = await buildApp({ ...deps, logger: false });
  await app.listen({ host: '127.0.0.1', port });
  const browser = await launchBrowser();
  return {
    rt,
    smtp,
    app,
    browser,
    baseURL,
    ownerPassword,
    demoPeople,
    async close() {
      await browser.close();
      await app.close();
      await rt.close();
      await smtp.close();
    },
  };
}

/** Console journeys on each database where Chromium is installed, against a console server of their own. */
export function describeConsole(title: string, body: (s: ConsoleServer, kind: Dialect) => void): void;
export function describeConsole(title: string, opts: ConsoleServerOptions, body: (s: ConsoleServer, kind: Dialect) => void): void;
export function describeConsole(title: string, ...args: [(s: ConsoleServer, kind: Dialect) => void] | [ConsoleServerOptions, (s: ConsoleServer, kind: Dialect) => void]): void {
  const [opts, body] = args.length === 1 ? [{}, args[0]] : args;
  describeInChromium(title, (kind) => startConsoleServer(kind, opts), body);
}

/** A fresh context, signed in as `username` at the dashboard. */
export async function signedIn(s: ConsoleServer, username = 'owner', password = s.ownerPassword): Promise<Page> {
  const context = await newContext(s.browser, { baseURL: s.baseURL });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  await page.goto('/console');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  return page;
}

export const noSeriousAxe = async (page: Page): Promise<void> => expect(await seriousAxeViolations(page)).toEqual([]);

/** Waits for a status message; an error box instead fails the test with the API's message and code. */
export async function expectStatus(page: Page, text: string | RegExp): Promise<void> {
  await page.getByText(text).or(page.getByRole('alert')).first().waitFor();
  expect(await page.getByRole('alert').allTextContents()).toEqual([]);
}
