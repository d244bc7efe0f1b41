/**
 * (d) in a process of its own, started by run.ts with --expose-gc: memory is measured with
 * nothing else in the heap. Prints the MemoryResult as JSON on standard output.
 */
import { memoryBench } from './import.bench.js';
import { createTarget, intEnv } from './support.js';

const target = await createTarget('sqlite');
try {
  const result = await memoryBench(target, intEnv('BENCH_IMPORT_ROWS', 1_000_000), intEnv('BENCH_MEMORY_SECONDS', 30));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await target.dispose();
}
