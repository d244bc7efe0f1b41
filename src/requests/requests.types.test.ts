/**
 * A rights-request type is one entry in REQUEST_TYPES and one in each table keyed by type. The
 * type-level lines below stop compiling when a table lacks a type or holds one that is not a
 * request type; the tests check the same at run time, and that the tables say what they mean.
 */
import { describe, expect, it } from 'vitest';
import { FULFILMENT } from './requests.fulfil.js';
import { REQUEST_TYPE_WORDS } from './requests.pages.js';
import { REQUEST_TYPES, type RequestType } from './requests.store.js';
import { isPackType, isRequestType, REQUEST_TYPE_TRAITS, type PackType } from './requests.types.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const keyedByType: [Same<keyof typeof REQUEST_TYPE_TRAITS, RequestType>, Same<keyof typeof FULFILMENT, RequestType>, Same<keyof typeof REQUEST_TYPE_WORDS, RequestType>] = [true, true, true];
const packTypes: Same<PackType, 'access' | 'portability'> = true;

describe('the request-type registry', () => {
  const sorted = [...REQUEST_TYPES].sort();

  it('has every type in every table, and nothing else', () => {
    expect(keyedByType).toEqual([true, true, true]);
    expect(Object.keys(REQUEST_TYPE_TRAITS).sort()).toEqual(sorted);
    expect(Object.keys(FULFILMENT).sort()).toEqual(sorted);
    expect(Object.keys(REQUEST_TYPE_WORDS).sort()).toEqual(sorted);
    for (const t of REQUEST_TYPES) {
      expect(typeof FULFILMENT[t]).toBe('function');
      expect(REQUEST_TYPE_TRAITS[t].letterText.length).toBeGreaterThan(10);
      expect(REQUEST_TYPE_WORDS[t].length).toBeGreaterThan(10);
    }
  });

  it('knows which answers are packs behind a link', () => {
    expect(packTypes).toBe(true);
    expect(REQUEST_TYPES.filter(isPackType)).toEqual(['access', 'portability']);
  });

  it('tells request types from other strings, inherited names included', () => {
    expect(REQUEST_TYPES.every(isRequestType)).toBe(true);
    for (const t of ['', 'Access', 'constructor', 'toString', 'fee-request']) expect(isRequestType(t)).toBe(false);
    expect(isPackType('erasure')).toBe(false);
  });
});
