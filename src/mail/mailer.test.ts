import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';
import { createMailer } from './mailer.js';

describe('mailer', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startTestSmtp();
  });
  afterAll(async () => smtp.close());

  it('sends through a real SMTP server with custom headers', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'Steward <privacy@test.example>', outboxDir: '/nonexistent' });
    const sent = await mailer.send({
      to: 'person@example.org',
      subject: 'Your request',
      text: 'Hello — we have your request.',
      headers: { 'List-Unsubscribe': '<https://x.example/u/abc>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    mailer.close();
    expect(sent.via).toBe('smtp');
    await smtp.waitFor(1);
    const m = smtp.messages[0]!;
    expect(m.envelopeTo).toEqual(['person@example.org']);
    expect(m.subject).toBe('Your request');
    expect(m.text).toContain('we have your request');
    expect(m.headers.find((h) => h.key === 'list-unsubscribe-post')?.value).toBe('List-Unsubscribe=One-Click');
  });

  it('writes to a private outbox when no SMTP server is configured', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-outbox-'));
    const mailer = createMailer({ from: 'privacy@test.example', outboxDir: path.join(dir, 'outbox') });
    const sent = await mailer.send({ to: 'a@example.org', subject: 'Outbox test', text: 'body' });
    expect(readdirSync(path.join(dir, 'outbox'))).toHaveLength(1);
    expect(statSync(sent.via).mode & 0o777).toBe(0o600);
    expect(readFileSync(sent.via, 'utf8')).toContain('Subject: Outbox test');
  });

  it('reports a refused connection without crashing', async () => {
    const mailer = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'x@test.example', outboxDir: '/tmp' });
    await expect(mailer.send({ to: 'a@example.org', subject: 's', text: 't' })).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
