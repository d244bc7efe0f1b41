/**
 * The one email-code service: codes mailed before the two code tables were merged still work,
 * each for its own purpose only; asking never waits for the mail.
 */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { migrate } from '../db/database.js';
import { sendCode, spendCode } from './email-codes.js';

describe.each(dialects)('email codes on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { migrateTo: '20261203_1402_card_refusals' });
  });
  afterAll(async () => {
    await rt?.close();
  });

  it('keeps the codes in flight when the tables are merged, each for its own purpose', async () => {
    const db = rt.database.db as unknown as Kysely<any>;
    const now = rt.clock.now();
    const row = (id: string, emailHash: string, codeDomain: string, code: string) => ({
      id,
      email_hash: emailHash,
      code_mac: rt.keyring.linkMac(codeDomain, `${id}:${code}`),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 10 * 60_000).toISOString(),
      attempts: 0,
      used_at: null,
    });
    await db.insertInto('request_codes').values(row('r1', rt.keyring.linkMac('request-email', 'pat@example.com'), 'request-code', '111111')).execute();
    await db.insertInto('request_codes').values(row('c1', rt.keyring.linkMac('complaint-email', 'pat@example.com'), 'request-code', '222222')).execute();
    await db.insertInto('preference_codes').values(row('p1', rt.keyring.indexer.suppressionHash('email', 'pat@example.com')!, 'preference-code', '333333')).execute();
    expect(await migrate(rt.database)).toContain('20261204_1102_email_codes');

    // A code for one purpose is no good for another.
    expect(await spendCode(rt, 'complaint', 'pat@example.com', '111111')).toBe(false);
    expect(await spendCode(rt, 'request', ' Pat@Example.com ', '111111')).toBe(true);
    expect(await spendCode(rt, 'request', 'pat@example.com', '111111')).toBe(false);
    expect(await spendCode(rt, 'complaint', 'pat@example.com', '222222')).toBe(true);
    expect(await spendCode(rt, 'preferences', 'pat@example.com', '333333')).toBe(true);
    expect(await spendCode(rt, 'preferences', 'pat@example.com', '333333')).toBe(false);
  });

  it('answers before the mail is handed over, and mails only when told to', async () => {
    let release!: () => void;
    const sent: string[] = [];
    const slowMailer = {
      ...rt.mailer,
      send: async (m: { to: string }) => {
        await new Promise<void>((r) => (release = r));
        sent.push(m.to);
        return { messageId: 'x', via: 'test' };
      },
    };
    const ctx = { ...rt, mailer: slowMailer };
    const { delivery } = await sendCode(ctx, 'request', 'sam@example.com', { ip: '192.0.2.1' });
    expect(sent).toEqual([]);
    release();
    await delivery;
    expect(sent).toEqual(['sam@example.com']);

    const skipped = await sendCode(ctx, 'preferences', 'nobody@example.com', { ip: '192.0.2.1', mailIf: async () => false });
    await skipped.delivery;
    expect(sent).toEqual(['sam@example.com']);
    const stored = await rt.database.db.selectFrom('email_codes').select('id').execute();
    expect(stored.length).toBe(5);
  });
});
