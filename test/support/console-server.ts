/**
 * A real `steward serve` for console journeys in the browser: the Kestronics declaration, demo
 * people, a test SMTP server, and an owner who has chosen their password, signed in by a helper.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { ensureOwner } from '../../src/auth/auth.service.js';
import { buildApp } from '../../src/server/app.js';
import { seedDemo } from '../../src/server/demo.js';
import { launchBrowser, newContext, seriousAxeViolations } from './browser.js';

import { createTestRuntime, type TestRuntime } from './runtime.js';
import { startTestSmtp, type TestSmtp } from './smtp.js';
import { systemActor } from '../../src/kernel/actors.js';

export const KESTRONICS = path.resolve(import.meta.dirname, '../../examples/kestronics.yaml');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export interface ConsoleServer {
  rt: TestRuntime;
  smtp: TestSmtp;
  app: FastifyInstance;
  browser: Browser;
  baseURL: string;
  ownerPassword: string;
  close(): Promise<void>;
}

export async function startConsoleServer(kind: 'sqlite' | 'postgres', opts: { policyFile?: string } = {}): Promise<ConsoleServer> {
  const smtp = await startTestSmtp();
  const rt = await createTestRuntime(kind, { policyFile: opts.policyFile ?? KESTRONICS, smtpUrl: smtp.url });
  // The browser's clock is the real one (the breach clock ticks in the page): the server's too.
  rt.clock.set(new Date().toISOString());
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const deps = { ...rt, config: { ...rt.config, baseUrl: baseURL, port } };
  const ownerPassword = (await ensureOwner(deps, systemActor('first-run')))!.password;
  await seedDemo(deps, systemActor('demo'));
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
    async close() {
      await browser.close();
      await app.close();
      await rt.close();
      await smtp.close();
    },
  };
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
