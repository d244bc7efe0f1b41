import { describe, expect, it } from 'vitest';
import { runCryptoBench } from './bench.js';

describe('runCryptoBench', () => {
  it('measures and returns positive rates (no timing assertions)', () => {
    const r = runCryptoBench({ iterations: 200 });
    expect(r.iterations).toBe(200);
    for (const key of [
      'encryptOpsPerSec',
      'decryptOpsPerSec',
      'encryptDecryptOpsPerSec',
      'wrapUnwrapOpsPerSec',
      'blindIndexEmailOpsPerSec',
      'blindIndexPhoneOpsPerSec',
      'cardScreenRecordsPerSec',
      'estimatedSubjectsPerSecPerCore',
    ] as const) {
      expect(r[key]).toBeGreaterThan(0);
    }
  });
});
