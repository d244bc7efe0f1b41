/**
 * The keys Steward works with, loaded once per process:
 * - the key-encryption key (KEK) versions, from a provider (key file or environment);
 * - the index root key: random, generated on first run, stored in the database wrapped by the KEK.
 *   Blind indexes, the suppression hash and the audit chain's MAC key are derived from it with
 *   HKDF, so rotating the KEK never changes a digest.
 * Subject data keys are wrapped and unwrapped here, synchronously once the KEK versions are known.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { DB } from '../db/database.js';
import { BlindIndexer } from '../crypto/blind-index.js';
import { aad, generateDataKey, kekVersionOf, unwrapKey, wrapKey } from '../crypto/envelope.js';
import type { KekProvider } from '../crypto/kek.js';
import { StewardError } from '../shared/errors.js';

const INDEX_ROOT = 'index_root';

export class Keyring {
  readonly indexer: BlindIndexer;
  readonly #auditKey: Buffer;
  readonly #keks: Map<number, Buffer>;
  #current: number;
  readonly provider: KekProvider;

  private constructor(provider: KekProvider, keks: Map<number, Buffer>, current: number, root: Buffer) {
    this.provider = provider;
    this.#keks = keks;
    this.#current = current;
    this.indexer = new BlindIndexer(root);
    this.#auditKey = Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), 'steward-audit-chain:v1', 32));
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
    return this.rewrapAll(db, onProgress);
  }

  /** Re-wraps every key not yet under the current KEK version (resumable: safe to run again). */
  async rewrapAll(db: DB, onProgress?: (done: number, total: number) => void): Promise<{ version: number; rewrapped: number }> {
    const kek = this.#keks.get(this.#current)!;
    const total = Number(
      (
        await db
          .selectFrom('subject_keys')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('wrapped_key', 'is not', null)
          .where('kek_version', '!=', this.#current)
          .executeTakeFirstOrThrow()
      ).n,
    );
    let done = 0;
    for (;;) {
      const batch = await db
        .selectFrom('subject_keys')
        .select(['subject_id', 'wrapped_key', 'kek_version'])
        .where('wrapped_key', 'is not', null)
        .where('kek_version', '!=', this.#current)
        .limit(1000)
        .execute();
      if (batch.length === 0) break;
      await this.ensureVersions(new Set(batch.map((b) => b.kek_version)));
      await db.transaction().execute(async (trx) => {
        for (const row of batch) {
          const dek = this.unwrapSubjectKey(row.subject_id, row.wrapped_key!);
          const wrapped = wrapKey(kek, this.#current, dek, aad('subject-key', row.subject_id));
          await trx.updateTable('subject_keys').set({ wrapped_key: wrapped, kek_version: this.#current }).where('subject_id', '=', row.subject_id).execute();
        }
      });
      done += batch.length;
      onProgress?.(done, total);
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
