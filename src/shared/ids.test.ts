import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newId } from './ids.js';

describe('newId', () => {
  it('makes valid version 7 UUIDs that sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newId(1_700_000_000_000));
    for (const id of ids.slice(0, 10)) {
      expect(z.uuid().safeParse(id).success).toBe(true);
      expect(id[14]).toBe('7');
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(newId(1_800_000_000_000) > ids[ids.length - 1]!).toBe(true);
  });
});
