/**
 * HMAC-SHA-256 for hashing many short values under one key (an audience check hashes a million
 * identifiers twice). Node's createHmac costs a native object and four SHA-256 compressions per
 * call; here the key's inner and outer pad blocks are compressed once (their midstates kept), so
 * a value under 56 bytes costs two compressions and no allocation beyond its hex digest.
 * The output is byte-for-byte createHmac('sha256', key).update(value).digest('hex') (RFC 2104);
 * the tests check it against node:crypto.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
  0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
/** Buffer's native hex encoder without toString's argument checks (present on every Node Buffer). */
type HexSlicing = Buffer & { hexSlice?: (start: number, end: number) => string };

/** One SHA-256 compression of the 64-byte block at `off` in `block` into `h`, using `w` as scratch. */
function compress(h: Int32Array, w: Int32Array, block: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4;
    w[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!;
    const b = w[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let f = h[5]!;
  let g = h[6]!;
  let hh = h[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + hh) | 0;
}

/** A reusable HMAC-SHA-256 under one key. Not safe to share between concurrent callers (it keeps scratch buffers). */
export class FastHmac {
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);
  readonly #h = new Int32Array(8);
  readonly #w = new Int32Array(64);
  #buf = new Uint8Array(1024);
  readonly #tail = new Uint8Array(64);
  readonly #encoder = new TextEncoder();
  // The digest goes out through a Buffer: one native hex encoding beats 32 string concatenations.
  readonly #out: HexSlicing = Buffer.alloc(32);
  readonly #outView = new DataView(this.#out.buffer, this.#out.byteOffset, 32);

  constructor(key: Uint8Array) {
    if (key.length > 64) throw new Error('FastHmac: keys longer than one block are not supported');
    const pad = new Uint8Array(64);
    pad.fill(0x36);
    for (let i = 0; i < key.length; i++) pad[i]! ^= key[i]!;
    this.#inner.set(IV);
    compress(this.#inner, this.#w, pad, 0);
    pad.fill(0x5c);
    for (let i = 0; i < key.length; i++) pad[i]! ^= key[i]!;
    this.#outer.set(IV);
    compress(this.#outer, this.#w, pad, 0);
  }

  /**
   * The scratch buffer a caller may fill with a message's bytes before digestBufferInto, at least
   * `bytes` long plus room for padding. Valid until the next call on this object.
   */
  reserve(bytes: number): Uint8Array {
    // Padding takes up to 72 bytes beyond the message.
    if (bytes + 72 > this.#buf.length) this.#buf = new Uint8Array(bytes + 72);
    return this.#buf;
  }

  /** HMAC of the first `n` bytes of the scratch buffer (see reserve) into `out[at..at+8]`, big-endian words. */
  digestBufferInto(n: number, out: Int32Array, at: number): void {
    this.#run(n);
    const h = this.#h;
    for (let i = 0; i < 8; i++) out[at + i] = h[i]!;
  }

  /** HMAC of the UTF-8 bytes of `value` into `out[at..at+8]`, as big-endian 32-bit words. */
  digestInto(value: string, out: Int32Array, at: number): void {
    this.digestBufferInto(this.#encode(value), out, at);
  }

  /** HMAC of the UTF-8 bytes of `value`, as 64 lower-case hex characters. */
  hex(value: string): string {
    this.#run(this.#encode(value));
    const h = this.#h;
    const view = this.#outView;
    for (let i = 0; i < 8; i++) view.setInt32(i * 4, h[i]!);
    const out = this.#out;
    return out.hexSlice ? out.hexSlice(0, 32) : out.toString('hex');
  }

  #encode(value: string): number {
    // Worst case three bytes per UTF-16 unit.
    return this.#encoder.encodeInto(value, this.reserve(value.length * 3)).written;
  }

  /** The HMAC of the first `n` bytes of the scratch buffer, left in #h. */
  #run(n: number): void {
    const buf = this.#buf;
    const h = this.#h;
    const w = this.#w;
    h.set(this.#inner);
    // Message after the (already compressed) 64-byte pad: total length is 64 + n bytes.
    const blocks = Math.floor((n + 8) / 64) + 1;
    const end = blocks * 64;
    buf[n] = 0x80;
    buf.fill(0, n + 1, end);
    const bits = (64 + n) * 8;
    buf[end - 4] = (bits >>> 24) & 0xff;
    buf[end - 3] = (bits >>> 16) & 0xff;
    buf[end - 2] = (bits >>> 8) & 0xff;
    buf[end - 1] = bits & 0xff;
    buf[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
    for (let off = 0; off < end; off += 64) compress(h, w, buf, off);
    // Outer: pad midstate, then the 32-byte inner digest and padding for a 96-byte message.
    const tail = this.#tail;
    for (let i = 0; i < 8; i++) {
      const v = h[i]!;
      tail[i * 4] = v >>> 24;
      tail[i * 4 + 1] = (v >>> 16) & 0xff;
      tail[i * 4 + 2] = (v >>> 8) & 0xff;
      tail[i * 4 + 3] = v & 0xff;
    }
    tail[32] = 0x80;
    tail.fill(0, 33, 62);
    tail[62] = 0x03; // 96 bytes = 768 bits = 0x0300
    tail[63] = 0x00;
    h.set(this.#outer);
    compress(h, w, tail, 0);
  }
}

/**
 * The source of K, IV, compress and FastHmac, for a worker thread eval'd from a string (so it runs
 * the same under tsx, vitest or compiled JS).
 */
export function fastHmacSource(): string {
  return `const K = new Int32Array([${Array.from(K).join(',')}]);
const IV = new Int32Array([${Array.from(IV).join(',')}]);
const compress = ${compress.toString()};
const FastHmac = ${FastHmac.toString()};
`;
}
