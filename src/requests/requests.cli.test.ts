import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');

describe.each(dialects)('steward requests fee|fee-paid|fee-waive on %s', (kind) => {
  const ws = useCliWorkspace(kind, { prefix: 'rqc', policy: POLICY });
  const cli = (...args: string[]) => ws.run(args);

  /** A request received Mon 2 Mar 2026 with its identity checked that day: due Thu 2 Apr 2026. */
  async function opened(email: string): Promise<string> {
    const o = await cli('requests', 'open', '--type', 'access', '--email', email, '--received', '2026-03-02', '--json');
    expect(o.code, o.stderr).toBe(0);
    const ref = JSON.parse(o.stdout).reference as string;
    const v = await cli('requests', 'verify', ref, '--evidence', 'passport', '--evidence', 'utility-bill', '--received', '2026-03-02', '--json');
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).dueOn).toBe('2026-04-02');
    return ref;
  }

  it('asks for a fee, shows the request waiting for it, records it paid: due Thu 9 Apr 2026', async () => {
    const ref = await opened('cli-fee@example.com');
    const asked = await cli('requests', 'fee', ref, '--amount', '10.00', '--reason', 'excessive', '--explanation', 'The same request made every week since January.', '--asked', '2026-03-04');
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('(fee-pending)');
    expect(asked.stdout).toContain('fee             £10.00 (excessive) asked 2026-03-04; awaited');
    expect(asked.stdout).toContain('not started (awaiting the fee)');
    const letter = await cli('requests', 'show', ref, '--letter');
    expect(letter.stdout).toContain('The fee is £10.00');
    expect(letter.stdout).toContain('starts on the day it arrives');

    const early = await cli('requests', 'fee-paid', ref, '--received', '2026-03-03');
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('error [VALIDATION_FAILED]: receivedOn: is before the fee was asked for (2026-03-04)');
    const paid = await cli('requests', 'fee-paid', ref, '--received', '2026-03-09', '--json');
    expect(paid.code, paid.stderr).toBe(0);
    expect(JSON.parse(paid.stdout)).toMatchObject({ status: 'open', start: '2026-03-09', dueOn: '2026-04-09', feeReceivedOn: '2026-03-09' });
    const history = await cli('requests', 'show', ref, '--history');
    expect(history.stdout).toMatch(/fee-requested[\s\S]*fee-received/);
  });

  it('waives a fee back to the original due date, and refuses bad input', async () => {
    const ref = await opened('cli-waive@example.com');
    const bad = [
      ['--amount', '-5', '--reason', 'excessive', '--explanation', 'x'],
      ['--amount', '10.00', '--reason', 'greedy', '--explanation', 'x'],
      ['--amount', '10.00', '--reason', 'excessive'],
    ];
    // Usage errors (a reason not on the list, an option missing) exit 2; a refused value exits 1 with its code.
    const negative = await cli('requests', 'fee', ref, ...bad[0]!);
    expect([negative.code, negative.stderr]).toEqual([1, expect.stringContaining('error [VALIDATION_FAILED]: amount:')]);
    for (const args of bad.slice(1)) expect((await cli('requests', 'fee', ref, ...args)).code, args.join(' ')).toBe(2);
    expect((await cli('requests', 'fee', ref, '--amount', '25', '--reason', 'manifestly-unfounded', '--explanation', 'Sent only to disrupt, as the requester wrote.', '--asked', '2026-03-04')).code).toBe(0);
    expect((await cli('requests', 'fee-waive', ref)).code).toBe(2);
    const waived = await cli('requests', 'fee-waive', ref, '--reason', 'Reviewed: a genuine request after all.', '--json');
    expect(waived.code, waived.stderr).toBe(0);
    const v = JSON.parse(waived.stdout);
    expect(v).toMatchObject({ status: 'open', start: '2026-03-02', dueOn: '2026-04-02', feeAskedOn: null });
    expect(v.fees).toEqual([expect.objectContaining({ status: 'waived', amount: '25.00', waiverReason: 'Reviewed: a genuine request after all.' })]);
    const help = await cli('requests', 'fee', '--help');
    expect(help.stdout).toContain('manifestly-unfounded');
  });
});
