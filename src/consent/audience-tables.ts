/**
 * Lookup tables for the audience check that hold no JavaScript string per entry: a million
 * recipients and a million register rows are joined here, and a Map keyed by strings costs an
 * allocation and a string hash per row, which at that scale is most of the check.
 *
 *  - DigestTable: distinct 256-bit digests (blind-index HMACs) as 8 big-endian 32-bit words each,
 *    by open addressing. The index is a hash of the first two words; every hit is confirmed on all
 *    eight, so two digests sharing a prefix are still told apart.
 *  - IdTable: distinct subject ids read straight out of the strings the database aggregated,
 *    remembered by position (which string, where, how long) rather than copied.
 */

const EMPTY = 0;

/** Nibble value of a lower-case hex character code; -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[97 + c] = 10 + c;

const capacityFor = (entries: number): number => {
  let cap = 16;
  // At most half full: linear probing stays short.
  while (cap < entries * 2) cap *= 2;
  return cap;
};

export class DigestTable {
  /** Eight words per slot, in the order slots were added. */
  readonly words: Int32Array;
  #size = 0;
  readonly #index: Int32Array;
  readonly #mask: number;
  readonly #scratch = new Int32Array(8);

  /** A table for at most `maxEntries` distinct digests. */
  constructor(maxEntries: number) {
    this.words = new Int32Array(Math.max(1, maxEntries) * 8);
    this.#index = new Int32Array(capacityFor(maxEntries));
    this.#mask = this.#index.length - 1;
  }

  get size(): number {
    return this.#size;
  }

  #home(src: Int32Array, at: number): number {
    return (Math.imul(src[at]! ^ Math.imul(src[at + 1]!, 0x85ebca6b), 0x9e3779b1) >>> 7) & this.#mask;
  }

  #same(slot: number, src: Int32Array, at: number): boolean {
    const w = this.words;
    const o = slot * 8;
    for (let k = 0; k < 8; k++) if (w[o + k] !== src[at + k]) return false;
    return true;
  }

  /** The slot of the digest at src[at..at+8]; -1 when absent. */
  find(src: Int32Array, at: number): number {
    const index = this.#index;
    for (let i = this.#home(src, at); ; i = (i + 1) & this.#mask) {
      const v = index[i]!;
      if (v === EMPTY) return -1;
      if (this.#same(v - 1, src, at)) return v - 1;
    }
  }

  /** The slot of the digest at src[at..at+8], added (as the next slot) when new. */
  add(src: Int32Array, at: number): number {
    const index = this.#index;
    let i = this.#home(src, at);
    for (; ; i = (i + 1) & this.#mask) {
      const v = index[i]!;
      if (v === EMPTY) break;
      if (this.#same(v - 1, src, at)) return v - 1;
    }
    const slot = this.#size;
    if (slot * 8 >= this.words.length) throw new Error('DigestTable: full');
    this.words.set(src.subarray(at, at + 8), slot * 8);
    index[i] = slot + 1;
    this.#size++;
    return slot;
  }

  /** The slot of the digest written as 64 lower-case hex characters at s[from..]; -1 when absent or not such a digest. */
  findHex(s: string, from: number): number {
    if (from + 64 > s.length) return -1;
    const out = this.#scratch;
    for (let k = 0; k < 8; k++) {
      let v = 0;
      for (let j = 0; j < 8; j++) {
        const c = s.charCodeAt(from + k * 8 + j);
        const d = c < 128 ? NIBBLE[c]! : -1;
        if (d < 0) return -1;
        v = (v << 4) | d;
      }
      out[k] = v;
    }
    return this.find(out, 0);
  }

  /** The digest of a slot as 64 lower-case hex characters. */
  hexOf(slot: number): string {
    let out = '';
    for (let k = 0; k < 8; k++) out += (this.words[slot * 8 + k]! >>> 0).toString(16).padStart(8, '0');
    return out;
  }
}

/** Digest words (as DigestTable holds them) of 64 hex characters; undefined when not such a digest. */
export function digestWords(hex: string): Int32Array | undefined {
  if (hex.length !== 64) return undefined;
  const out = new Int32Array(8);
  for (let k = 0; k < 8; k++) {
    let v = 0;
    for (let j = 0; j < 8; j++) {
      const c = hex.charCodeAt(k * 8 + j);
      const d = c < 128 ? NIBBLE[c]! : -1;
      if (d < 0) return undefined;
      v = (v << 4) | d;
    }
    out[k] = v;
  }
  return out;
}

/**
 * Distinct ids, each found where it lies in a larger string (s[from, end)), numbered 0, 1, 2 … in
 * the order they were added. The strings are kept alive while the table is.
 */
export class IdTable {
  readonly #sources: string[] = [];
  // Grown by doubling (starting small, so that every test grows them).
  #src = new Int32Array(16);
  #off = new Int32Array(16);
  #len = new Int32Array(16);
  #hashes = new Int32Array(16);
  #size = 0;
  #index = new Int32Array(capacityFor(16));
  #mask = this.#index.length - 1;

  get size(): number {
    return this.#size;
  }

  static #hash(s: string, from: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - from);
    for (let i = from; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return (h ^ (h >>> 15)) | 0;
  }

  #same(p: number, s: string, from: number, end: number): boolean {
    const len = end - from;
    if (this.#len[p] !== len) return false;
    const t = this.#sources[this.#src[p]!]!;
    const o = this.#off[p]!;
    if (t === s && o === from) return true;
    for (let k = 0; k < len; k++) if (t.charCodeAt(o + k) !== s.charCodeAt(from + k)) return false;
    return true;
  }

  /** The number of the id at s[from, end); -1 when absent. */
  find(s: string, from: number, end: number): number {
    const h = IdTable.#hash(s, from, end);
    const index = this.#index;
    for (let i = h & this.#mask; ; i = (i + 1) & this.#mask) {
      const v = index[i]!;
      if (v === EMPTY) return -1;
      if (this.#hashes[v - 1] === h && this.#same(v - 1, s, from, end)) return v - 1;
    }
  }

  /** The number of the id at s[from, end), added (as the next number) when new. */
  add(s: string, from: number, end: number): number {
    const h = IdTable.#hash(s, from, end);
    let i = h & this.#mask;
    for (; ; i = (i + 1) & this.#mask) {
      const v = this.#index[i]!;
      if (v === EMPTY) break;
      if (this.#hashes[v - 1] === h && this.#same(v - 1, s, from, end)) return v - 1;
    }
    const p = this.#size;
    if (p === this.#src.length) this.#growEntries();
    const sources = this.#sources;
    if (sources[sources.length - 1] !== s) sources.push(s);
    this.#src[p] = sources.length - 1;
    this.#off[p] = from;
    this.#len[p] = end - from;
    this.#hashes[p] = h;
    this.#index[i] = p + 1;
    this.#size++;
    if (this.#size * 2 > this.#index.length) this.#rehash();
    return p;
  }

  /** The id numbered `p`, as a string. */
  id(p: number): string {
    const o = this.#off[p]!;
    return this.#sources[this.#src[p]!]!.slice(o, o + this.#len[p]!);
  }

  #growEntries(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#src = grow(this.#src);
    this.#off = grow(this.#off);
    this.#len = grow(this.#len);
    this.#hashes = grow(this.#hashes);
  }

  #rehash(): void {
    const index = new Int32Array(this.#index.length * 2);
    const mask = index.length - 1;
    for (let p = 0; p < this.#size; p++) {
      let i = this.#hashes[p]! & mask;
      while (index[i] !== EMPTY) i = (i + 1) & mask;
      index[i] = p + 1;
    }
    this.#index = index;
    this.#mask = mask;
  }
}
