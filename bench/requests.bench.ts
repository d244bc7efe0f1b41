/**
 * Subject access pack for a subject with 1,000 records: read, decrypt, JSON + CSV + letter, ZIP,
 * encrypt and store, letter. Prints timings (does not assert); target: under a second.
 */
import path from 'node:path';
import { actorWith, createTestRuntime } from '../test/support/runtime.js';
import { addRecords, createSubject } from '../src/register/register.service.js';
import { fulfilRequest } from '../src/requests/requests.fulfil.js';
import { confirmMatch, openRequest, verifyRequest } from '../src/requests/requests.service.js';

const POLICY = path.resolve(import.meta.dirname, '../test/fixtures/requests/policy.yaml');

export async function runRequestsBench(opts: { records?: number; runs?: number; kind?: 'sqlite' | 'postgres' } = {}): Promise<void> {
  const records = opts.records ?? 1000;
  const runs = opts.runs ?? 3;
  const rt = await createTestRuntime(opts.kind ?? 'sqlite', { policyFile: POLICY });
  const dpo = actorWith('dpo');
  try {
    const s = await createSubject(rt, dpo, { relationships: [{ relationship: 'customer' }], records: [{ category: 'email-address', value: 'bench@example.com' }] });
    for (let done = 1; done < records; ) {
      const n = Math.min(500, records - done);
      await addRecords(
        rt,
        dpo,
        s.id,
        Array.from({ length: n }, (_, i) =>
          i % 2 ? { category: 'call-notes', text: `Call ${done + i}: asked about order ${done + i}, delivery to the usual address.`, channel: 'phone' } : { category: 'orders', value: `Order ${done + i}: item ${done + i}` },
        ),
      );
      done += n;
    }
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await openRequest(rt, dpo, { type: 'access', channel: 'email', requester: { email: 'bench@example.com' }, identity: ['passport', 'utility-bill'] });
      await verifyRequest(rt, dpo, r.id, { evidence: ['email-control'] });
      await confirmMatch(rt, dpo, r.id, s.id);
      const t0 = performance.now();
      const done = await fulfilRequest(rt, dpo, r.id);
      times.push(performance.now() - t0);
      if (i === 0) console.log(`requests: access pack of ${done.view.doc.result?.records} records`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`requests: access pack, ${records} records, ${runs} runs: min ${sorted[0]!.toFixed(0)} ms, median ${sorted[Math.floor(runs / 2)]!.toFixed(0)} ms, max ${sorted[runs - 1]!.toFixed(0)} ms (target < 1000 ms)`);
  } finally {
    await rt.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRequestsBench();
