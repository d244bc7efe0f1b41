/**
 * The keys Steward works with, loaded once per process:
 * - the key-encryption key (KEK) versions, from a provider (key file or environment);
 * - the index root key: random, generated on first run, stored in the database wrapped by the KEK.
 *   Blind indexes, the suppression hash and the audit chain's MAC key are derived from it with
 *   HKDF, so rotating the KEK never changes a digest.
 * Subject data keys are wrapped and unwrapped here, synchronously once the KEK versions are known.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/database.js';
import { BlindIndexer, deriveSuppressionKey } from './blind-index.js';
import { aad, generateDataKey, kekVersionOf, unwrapKey, wrapKey } from './envelope.js';
import type { KekProvider } from './kek.js';
import { StewardError } from '../shared/errors.js';

const INDEX_ROOT = 'index_root';
/** The KEK version a rotation moved to, written as it starts, so running instances switch at once. */
const KEK_CURRENT = 'kek_current';
/**
 * How old a running process's idea of the current KEK version may be: each write transaction
 * checks the database at most this often, so a rotation elsewhere is picked up within it.
 */
export const KEYRING_REFRESH_MS = 1000;

interface WrappedKeyTable {
  table: string;
  idColumn: string;
  /** The owner name the key was wrapped for (its AAD). */
  owner(id: string): string;
}

/** Every table holding data keys wrapped by the KEK: rotation re-wraps them all. */
const WRAPPED_KEY_TABLES: WrappedKeyTable[] = [
  { table: 'subject_keys', idColumn: 'subject_id', owner: (id) => id },
  { table: 'breaches', idColumn: 'id', owner: (id) => `breach:${id}` },
  { table: 'requests', idColumn: 'id', owner: (id) => `request:${id}` },
  { table: 'complaints', idColumn: 'id', owner: (id) => `complaint:${id}` },
];

/** What epoch retirement did: versions deleted, versions due that the source cannot delete, versions kept and why. */
export interface EpochReport {
  current: number;
  retired: number[];
  /** Due for retirement but held where Steward cannot delete them (STEWARD_MASTER_KEY): remove them there. */
  due: number[];
  kept: Array<{ version: number; why: string }>;
}

/**
 * Whether the database already holds keys wrapped by a key-encryption key (the index root is
 * written on first use, before any other wrapped key): a missing key file must then be restored,
 * never replaced by a new one.
 */
export async function holdsWrappedKeys(db: DB): Promise<boolean> {
  return (await db.selectFrom('key_state').select('name').where('name', '=', INDEX_ROOT).executeTakeFirst()) !== undefined;
}

export class Keyring {
  readonly indexer: BlindIndexer;
  readonly #auditKey: Buffer;
  readonly #linkKey: Buffer;
  readonly #suppressionKey: Buffer;
  readonly #keks: Map<number, Buffer>;
  #current: number;
  #refreshedAt = Date.now();
  #refreshing: Promise<void> | undefined;
  readonly provider: KekProvider;

  private constructor(provider: KekProvider, keks: Map<number, Buffer>, current: number, root: Buffer) {
    this.provider = provider;
    this.#keks = keks;
    this.#current = current;
    this.indexer = new BlindIndexer(root);
    this.#auditKey = Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), 'steward-audit-chain:v1', 32));
    this.#linkKey = Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), 'steward-links:v1', 32));
    this.#suppressionKey = deriveSuppressionKey(root);
  }

  /** Loads the KEK and the index root key, creating the root key on first run. */
  static async open(db: DB, provider: KekProvider): Promise<Keyring> {
    const current = await provider.current();
    const keks = new Map<number, Buffer>([[current.version, current.key]]);
    const row = await db.selectFrom('key_state').select('value').where('name', '=', INDEX_ROOT).executeTakeFirst();
    let root: Buffer;
    if (row) {
      const wrapped = Buffer.from(row.value, 'base64');
      const version = kekVersionOf(wrapped);
      if (!keks.has(version)) keks.set(version, await provider.get(version));
      try {
        root = unwrapKey(keks.get(version)!, wrapped, aad('index-root'));
      } catch {
        throw new StewardError('CONFIG_INVALID', `the key from ${provider.id} does not open this database's keys: is it the right key file or STEWARD_MASTER_KEY?`);
      }
    } else {
      root = generateDataKey();
      const wrapped = wrapKey(current.key, current.version, root, aad('index-root'));
      await db
        .insertInto('key_state')
        .values({ name: INDEX_ROOT, value: wrapped.toString('base64') })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      // Another process may have created it first: always use the stored one.
      const stored = await db.selectFrom('key_state').select('value').where('name', '=', INDEX_ROOT).executeTakeFirstOrThrow();
      const storedWrapped = Buffer.from(stored.value, 'base64');
      root = unwrapKey(current.key, storedWrapped, aad('index-root'));
    }
    return new Keyring(provider, keks, current.version, root);
  }

  get kekVersion(): number {
    return this.#current;
  }

  /**
   * Picks up a rotation made by another process (`steward keys rotate` beside a running server):
   * when the database names a newer KEK version than this process wraps with, that version (from
   * the key file, re-read) becomes current. Checks at most once per `maxAgeMs`.
   */
  async refresh(db: DB, maxAgeMs = KEYRING_REFRESH_MS): Promise<void> {
    if (Date.now() - this.#refreshedAt < maxAgeMs) return;
    this.#refreshing ??= this.#refreshNow(db).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /**
   * Keeps checking for a rotation in the background (every KEYRING_REFRESH_MS) until the returned
   * function is called. The timer never keeps the process alive.
   */
  watch(db: DB, everyMs = KEYRING_REFRESH_MS): () => void {
    const timer = setInterval(() => {
      this.refresh(db, 0).catch(() => undefined); // a database hiccup: try again next time
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async #refreshNow(db: DB): Promise<void> {
    const rows = await db.selectFrom('key_state').select(['name', 'value']).where('name', 'in', [INDEX_ROOT, KEK_CURRENT]).execute();
    let newest = this.#current;
    for (const r of rows) {
      const v = r.name === INDEX_ROOT ? kekVersionOf(Buffer.from(r.value, 'base64')) : Number(r.value);
      if (Number.isInteger(v) && v > newest) newest = v;
    }
    if (newest > this.#current) {
      try {
        await this.ensureVersions([newest]);
        this.#current = newest;
      } catch {
        // This process's provider does not have it (keys from the environment are only read at
        // start): it keeps wrapping with the newest version it has until restarted.
      }
    }
    this.#refreshedAt = Date.now();
  }

  /** A fresh data key for a new subject, and its wrapped form to store. */
  newSubjectKey(subjectId: string): { dek: Buffer; wrapped: Buffer; kekVersion: number } {
    const dek = generateDataKey();
    const kek = this.#keks.get(this.#current)!;
    return { dek, wrapped: wrapKey(kek, this.#current, dek, aad('subject-key', subjectId)), kekVersion: this.#current };
  }

  /** Loads any KEK versions the given wrapped keys need (call before unwrapping in bulk). */
  async ensureVersions(versions: Iterable<number>): Promise<void> {
    for (const v of versions) if (!this.#keks.has(v)) this.#keks.set(v, await this.provider.get(v));
  }

  unwrapSubjectKey(subjectId: string, wrapped: Buffer): Buffer {
    const v = kekVersionOf(wrapped);
    const kek = this.#keks.get(v);
    if (!kek) throw new StewardError('INTERNAL', `key version ${v} is not loaded`);
    return unwrapKey(kek, wrapped, aad('subject-key', subjectId));
  }

  /** MAC of an audit entry: only a holder of the keys can extend or re-forge the chain. */
  auditMac(prevHash: string, canonicalEntry: string): string {
    return createHmac('sha256', this.#auditKey).update(prevHash).update('\n').update(canonicalEntry).digest('hex');
  }

  /**
   * MAC for signed links and codes (one-click unsubscribe, consent renewal, preference sessions),
   * under its own HKDF-derived key; `purpose` separates the kinds so one can never pass as another.
   * 32 bytes, base64url.
   */
  linkMac(purpose: string, data: string): string {
    return createHmac('sha256', this.#linkKey).update(purpose).update('\n').update(data).digest('base64url');
  }

  /**
   * The suppression list's HMAC key (the one indexer.suppressionHash uses), for hashing many
   * identifiers at once in an audience check. It must not leave the process.
   */
  suppressionHmacKey(): Buffer {
    return Buffer.from(this.#suppressionKey);
  }

  /**
   * Rotation: adds a KEK version (when the provider can) and re-wraps every subject key and the
   * index root under it. Records are not re-encrypted: their data keys do not change.
   */
  async rotate(db: DB, onProgress?: (done: number, total: number) => void): Promise<{ version: number; rewrapped: number }> {
    if (!this.provider.rotate) {
      // Keys from the environment are rotated by adding a version to the variable (v1:…,v2:…);
      // Steward then re-wraps everything under the newest one.
      return this.rewrapAll(db, onProgress);
    }
    const fresh = await this.provider.rotate();
    const newest = await this.provider.current();
    this.#keks.set(newest.version, newest.key);
    this.#current = fresh;
    const value = String(fresh);
    await db.insertInto('key_state').values({ name: KEK_CURRENT, value }).onConflict((oc) => oc.column('name').doUpdateSet({ value })).execute();
    const first = await this.rewrapAll(db, onProgress);
    // Running instances switch within KEYRING_REFRESH_MS; keys they wrapped with the old version
    // meanwhile are re-wrapped by a second pass once they all have.
    await new Promise((r) => setTimeout(r, KEYRING_REFRESH_MS + 250));
    const second = await this.rewrapAll(db);
    return { version: fresh, rewrapped: first.rewrapped + second.rewrapped };
  }

  /**
   * Epoch retirement: deletes from the key source every KEK version that was superseded more than
   * `retentionDays` ago (the backup retention: backups sealed under it are older than that) and
   * under which no live key is wrapped any more. After it, a backup or a copy of the database from
   * that epoch cannot be opened with the current keys, so erased people in it stay unreadable.
   * Where the source cannot delete (STEWARD_MASTER_KEY), the versions due are reported instead.
   */
  async retireEpochs(db: DB, now: Date, retentionDays: number): Promise<EpochReport> {
    const report: EpochReport = { current: (await this.provider.current()).version, retired: [], due: [], kept: [] };
    if (!this.provider.epochs) return report;
    const epochs = await this.provider.epochs();
    const anyDb = db as unknown as Kysely<any>;
    const rootRow = await db.selectFrom('key_state').select('value').where('name', '=', INDEX_ROOT).executeTakeFirst();
    const rootVersion = rootRow ? kekVersionOf(Buffer.from(rootRow.value, 'base64')) : undefined;
    for (const [i, e] of epochs.entries()) {
      if (e.version >= report.current) continue;
      const supersededAt = epochs[i + 1]?.createdAt;
      if (!supersededAt) {
        report.kept.push({ version: e.version, why: 'its successor has no creation date: retire it by hand once your oldest backup of it has gone' });
        continue;
      }
      const until = new Date(Date.parse(supersededAt) + retentionDays * 86_400_000);
      if (!(until.getTime() <= now.getTime())) {
        report.kept.push({ version: e.version, why: `backups sealed under it are within the ${retentionDays}-day retention until ${until.toISOString()}` });
        continue;
      }
      let live = rootVersion === e.version ? 1 : 0;
      for (const t of WRAPPED_KEY_TABLES) {
        const r = await anyDb.selectFrom(t.table).select((eb) => eb.fn.countAll<number>().as('n')).where('wrapped_key', 'is not', null).where('kek_version', '=', e.version).executeTakeFirstOrThrow();
        live += Number(r.n);
      }
      if (live > 0) {
        report.kept.push({ version: e.version, why: `${live} live keys are still wrapped under it: run \`steward keys rotate\` to re-wrap them` });
        continue;
      }
      report.due.push(e.version);
    }
    if (report.due.length > 0 && this.provider.retire) {
      await this.provider.retire(report.due);
      for (const v of report.due) {
        this.#keks.get(v)?.fill(0);
        this.#keks.delete(v);
      }
      report.retired = report.due;
      report.due = [];
    }
    return report;
  }

  /** Re-wraps every key not yet under the current KEK version (resumable: safe to run again). */
  async rewrapAll(db: DB, onProgress?: (done: number, total: number) => void): Promise<{ version: number; rewrapped: number }> {
    const kek = this.#keks.get(this.#current)!;
    const anyDb = db as unknown as Kysely<any>;
    const pending = (t: WrappedKeyTable) =>
      anyDb.selectFrom(t.table).where('wrapped_key', 'is not', null).where('kek_version', '!=', this.#current);
    let total = 0;
    for (const t of WRAPPED_KEY_TABLES) {
      total += Number((await pending(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    }
    let done = 0;
    for (const t of WRAPPED_KEY_TABLES) {
      for (;;) {
        const batch = (await pending(t).select([`${t.idColumn} as id`, 'wrapped_key', 'kek_version']).limit(1000).execute()) as Array<{ id: string; wrapped_key: Buffer; kek_version: number }>;
        if (batch.length === 0) break;
        await this.ensureVersions(new Set(batch.map((b) => b.kek_version)));
        await anyDb.transaction().execute(async (trx) => {
          for (const row of batch) {
            const owner = t.owner(row.id);
            const dek = this.unwrapSubjectKey(owner, row.wrapped_key);
            const wrapped = wrapKey(kek, this.#current, dek, aad('subject-key', owner));
            await trx.updateTable(t.table).set({ wrapped_key: wrapped, kek_version: this.#current }).where(t.idColumn, '=', row.id).execute();
          }
        });
        done += batch.length;
        onProgress?.(done, total);
      }
    }
    const rootRow = await db.selectFrom('key_state').select('value').where('name', '=', INDEX_ROOT).executeTakeFirstOrThrow();
    const rootWrapped = Buffer.from(rootRow.value, 'base64');
    const v = kekVersionOf(rootWrapped);
    await this.ensureVersions([v]);
    const root = unwrapKey(this.#keks.get(v)!, rootWrapped, aad('index-root'));
    await db
      .updateTable('key_state')
      .set({ value: wrapKey(kek, this.#current, root, aad('index-root')).toString('base64') })
      .where('name', '=', INDEX_ROOT)
      .execute();
    return { version: this.#current, rewrapped: done };
  }
}
