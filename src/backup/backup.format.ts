/**
 * The backup file: portable between SQLite and PostgreSQL, encrypted and authenticated.
 *
 *   "STWDBAK1" | uint32 header length | header (JSON, in clear: no personal data)
 *   then chunks: uint32 length | 1 byte flags (1 = last) | AES-256-GCM ciphertext + 16-byte tag
 *
 * Each chunk's plaintext is gzip'd JSONL (whole lines only, so chunks stand alone). The key is
 * derived with HKDF from the key-encryption key of the epoch (KEK version) named in the header and
 * a random salt, so once that epoch is retired from the key file the backup cannot be opened at
 * all. Every chunk's additional data binds the header's hash, the chunk's index and whether it is
 * the last one: a reordered, altered, spliced or truncated file is refused, never half-read.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { StewardError } from '../shared/errors.js';

const MAGIC = Buffer.from('STWDBAK1', 'ascii');
export const BACKUP_FORMAT_VERSION = 1;
/** Plaintext gathered before a chunk is compressed and sealed. */
const CHUNK_PLAINTEXT = 1 << 20;
const MAX_HEADER = 1 << 20;
/** Far above what a chunk of CHUNK_PLAINTEXT can compress to: anything larger is damage. */
const MAX_CHUNK = 64 << 20;
const TAG = 16;

export interface BackupHeader {
  format: 'steward-backup';
  version: number;
  /** The key-encryption-key version (epoch) the backup is sealed under. */
  epoch: number;
  createdAt: string;
  /** Which database it was taken from (it restores into either). */
  source: 'sqlite' | 'postgres';
  /** Migrations applied to the source: a restore builds the schema up to the same point. */
  migrations: string[];
  /** Rows per table, for progress and to check a restore loaded everything. */
  tables: Array<{ name: string; rows: number }>;
  salt: string;
  nonce: string;
  /** Tells a wrong key from a damaged file before any chunk is opened. */
  check: string;
}

interface Keys {
  enc: Buffer;
  check: string;
}

function deriveKeys(kek: Buffer, salt: Buffer): Keys {
  const enc = Buffer.from(hkdfSync('sha256', kek, salt, 'steward-backup:v1:encrypt', 32));
  const check = Buffer.from(hkdfSync('sha256', kek, salt, 'steward-backup:v1:check', 16)).toString('hex');
  return { enc, check };
}

const nonceFor = (base: Buffer, index: number): Buffer => {
  const n = Buffer.from(base);
  n.writeUInt32BE((n.readUInt32BE(8) ^ index) >>> 0, 8);
  return n;
};

const aadFor = (headerHash: Buffer, index: number, last: boolean): Buffer => {
  const b = Buffer.alloc(headerHash.length + 5);
  headerHash.copy(b);
  b.writeUInt32BE(index, headerHash.length);
  b[headerHash.length + 4] = last ? 1 : 0;
  return b;
};

/** Writes a backup to an open file: lines in, sealed chunks out. */
export class BackupWriter {
  readonly #fh: FileHandle;
  readonly #keys: Keys;
  readonly #nonce: Buffer;
  readonly #headerHash: Buffer;
  #pending: string[] = [];
  #pendingBytes = 0;
  #index = 0;

  private constructor(fh: FileHandle, keys: Keys, nonce: Buffer, headerHash: Buffer) {
    this.#fh = fh;
    this.#keys = keys;
    this.#nonce = nonce;
    this.#headerHash = headerHash;
  }

  static async start(fh: FileHandle, kek: Buffer, header: Omit<BackupHeader, 'format' | 'version' | 'salt' | 'nonce' | 'check'>): Promise<BackupWriter> {
    const salt = randomBytes(32);
    const nonce = randomBytes(12);
    const keys = deriveKeys(kek, salt);
    const full: BackupHeader = { format: 'steward-backup', version: BACKUP_FORMAT_VERSION, ...header, salt: salt.toString('base64'), nonce: nonce.toString('base64'), check: keys.check };
    const json = Buffer.from(JSON.stringify(full), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(json.length);
    await fh.write(Buffer.concat([MAGIC, len, json]));
    return new BackupWriter(fh, keys, nonce, createHash('sha256').update(json).digest());
  }

  async line(value: unknown): Promise<void> {
    const text = `${JSON.stringify(value)}\n`;
    this.#pending.push(text);
    this.#pendingBytes += text.length;
    if (this.#pendingBytes >= CHUNK_PLAINTEXT) await this.#seal(false);
  }

  /** Seals the last chunk (possibly empty): without it a reader reports the file truncated. */
  async finish(): Promise<void> {
    await this.#seal(true);
  }

  async #seal(last: boolean): Promise<void> {
    const plain = gzipSync(Buffer.from(this.#pending.join(''), 'utf8'));
    this.#pending = [];
    this.#pendingBytes = 0;
    const cipher = createCipheriv('aes-256-gcm', this.#keys.enc, nonceFor(this.#nonce, this.#index));
    cipher.setAAD(aadFor(this.#headerHash, this.#index, last));
    const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(body.length);
    head[4] = last ? 1 : 0;
    await this.#fh.write(Buffer.concat([head, body]));
    this.#index++;
  }
}

const corrupt = (why: string) => new StewardError('BACKUP_CORRUPT', `The backup file is damaged: ${why}. Use another copy.`);
const truncated = () =>
  new StewardError('BACKUP_TRUNCATED', 'The backup file ends before its last part: it was cut short (an interrupted copy or a full disk). Use another copy.');

/** Reads a file handle sequentially in blocks. */
class Reader {
  #buf = Buffer.alloc(0);
  #pos = 0;
  #eof = false;
  constructor(private readonly fh: FileHandle) {}

  /** Exactly n bytes, or fewer only at the end of the file. */
  async take(n: number): Promise<Buffer> {
    while (this.#buf.length < n && !this.#eof) {
      const block = Buffer.alloc(Math.max(n - this.#buf.length, 1 << 20));
      const { bytesRead } = await this.fh.read(block, 0, block.length, this.#pos);
      if (bytesRead === 0) this.#eof = true;
      this.#pos += bytesRead;
      this.#buf = Buffer.concat([this.#buf, block.subarray(0, bytesRead)]);
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }
}

/** Reads only the header (what `steward restore` prints before it starts). */
export async function readBackupHeader(fh: FileHandle): Promise<{ header: BackupHeader; reader: Reader; headerHash: Buffer }> {
  const reader = new Reader(fh);
  const magic = await reader.take(MAGIC.length);
  if (magic.length < MAGIC.length) throw magic.length === 0 ? corrupt('the file is empty') : truncated();
  if (!magic.equals(MAGIC)) throw new StewardError('BACKUP_CORRUPT', 'This is not a Steward backup file (its first bytes are not "STWDBAK1").');
  const lenBuf = await reader.take(4);
  if (lenBuf.length < 4) throw truncated();
  const len = lenBuf.readUInt32BE();
  if (len === 0 || len > MAX_HEADER) throw corrupt('its header length is impossible');
  const json = await reader.take(len);
  if (json.length < len) throw truncated();
  let header: BackupHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as BackupHeader;
  } catch {
    throw corrupt('its header is not JSON');
  }
  if (header?.format !== 'steward-backup') throw corrupt('its header does not name the Steward backup format');
  if (header.version !== BACKUP_FORMAT_VERSION) {
    throw new StewardError('BACKUP_UNSUPPORTED', `The backup is format version ${String(header.version)}; this Steward reads version ${BACKUP_FORMAT_VERSION}.`);
  }
  if (!Number.isInteger(header.epoch) || typeof header.salt !== 'string' || typeof header.nonce !== 'string' || typeof header.check !== 'string' || !Array.isArray(header.migrations) || !Array.isArray(header.tables)) {
    throw corrupt('its header lacks a required field');
  }
  return { header, reader, headerHash: createHash('sha256').update(json).digest() };
}

/**
 * Opens a backup with the key-encryption key of its epoch and yields its lines, one chunk at a
 * time, each only once authenticated. Throws BACKUP_WRONG_KEY, BACKUP_CORRUPT or BACKUP_TRUNCATED.
 */
export async function* readBackupLines(opened: Awaited<ReturnType<typeof readBackupHeader>>, kek: Buffer): AsyncGenerator<unknown[] | Record<string, unknown>> {
  const { header, reader, headerHash } = opened;
  const keys = deriveKeys(kek, Buffer.from(header.salt, 'base64'));
  const want = Buffer.from(keys.check, 'utf8');
  const got = Buffer.from(header.check, 'utf8');
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    throw new StewardError(
      'BACKUP_WRONG_KEY',
      `The backup does not open with key-encryption key version ${header.epoch} of this key file: it was made with another key file (or STEWARD_MASTER_KEY), or its header was altered.`,
    );
  }
  const nonce = Buffer.from(header.nonce, 'base64');
  if (nonce.length !== 12) throw corrupt('its nonce is not 12 bytes');
  for (let index = 0; ; index++) {
    const head = await reader.take(5);
    if (head.length < 5) throw truncated();
    const len = head.readUInt32BE();
    const flags = head[4]!;
    if (len < TAG || len > MAX_CHUNK || flags > 1) throw corrupt(`part ${index + 1} has an impossible length or flags`);
    const body = await reader.take(len);
    if (body.length < len) throw truncated();
    const last = flags === 1;
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.enc, nonceFor(nonce, index));
      decipher.setAAD(aadFor(headerHash, index, last));
      decipher.setAuthTag(body.subarray(len - TAG));
      plain = gunzipSync(Buffer.concat([decipher.update(body.subarray(0, len - TAG)), decipher.final()]));
    } catch {
      throw corrupt(`part ${index + 1} fails its integrity check`);
    }
    const text = plain.toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      yield JSON.parse(line) as unknown[] | Record<string, unknown>;
    }
    if (last) {
      if ((await reader.take(1)).length !== 0) throw corrupt('there are bytes after its last part');
      return;
    }
  }
}

/** Values as JSON: binary columns (ciphertext, wrapped keys) as {"$b": base64}. */
export const encodeValue = (v: unknown): unknown => (Buffer.isBuffer(v) ? { $b: v.toString('base64') } : v instanceof Uint8Array ? { $b: Buffer.from(v).toString('base64') } : v);
export const decodeValue = (v: unknown): unknown =>
  v !== null && typeof v === 'object' && typeof (v as { $b?: unknown }).$b === 'string' ? Buffer.from((v as { $b: string }).$b, 'base64') : v;
