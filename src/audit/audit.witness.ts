/**
 * Anchors for the audit chain outside the database.
 *
 * The chain's MACs and its head checkpoint live in the database, so someone who can change the
 * database can delete the whole log with its head (it then looks like a fresh install), or delete
 * recent entries and put back an earlier head (it then looks intact). Only something kept
 * elsewhere can tell. Two such anchors:
 *
 * - the witness: a small file beside the key file (the data folder, mode 0600) holding the newest
 *   head this process has committed (entry count and hash), MACed under the chain's key, which
 *   only the holder of the key-encryption key can derive. Updated after commits that extend the
 *   chain (under sustained load at most every WRITE_GAP_MS); never moved backwards, except by a
 *   restore, which records the head it replaces in the chain first.
 * - checkpoints: the head, MACed, written to the service log and mailed daily to the privacy
 *   contact (audit.checkpoint.ts), for the organisation to keep.
 *
 * `audit verify` requires the chain to still contain every anchor's entry: an empty log behind a
 * witness is a wipe, a shorter or different one a rollback.
 *
 * Limits: each process writes the witness in its own data folder, so with several instances on
 * one PostgreSQL database each witness records that instance's own commits (any of them still
 * catches a rollback past it). Someone who can also replace files in the data folder can remove
 * the witness, which is then simply absent (reported, but not an error: a new install has none).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Keyring } from '../crypto/keyring.js';
import type { Clock } from '../shared/clock.js';
import { anchorMac, type AuditAnchor, type AuditHead, type AuditProblem, type AuditWitnessSink } from './audit.service.js';

export const WITNESS_FILE = 'steward.audit-witness';
/**
 * The least time between two writes of the witness while commits keep coming: the file then lags
 * the chain by at most about this much (plus one write), and a busy server does not spend a
 * file write and an fsync on every group commit. A quiet server writes at once.
 */
export const WRITE_GAP_MS = 50;
const FORMAT = 'steward-audit-witness';

interface WitnessJson {
  format: typeof FORMAT;
  formatVersion: 1;
  count: number;
  hash: string;
  at: string;
  mac: string;
}

/** What the witness file says: nothing yet, a genuine anchor, or a file that is not genuine. */
export type WitnessReading = { state: 'absent' } | { state: 'ok'; anchor: AuditAnchor; at: string } | { state: 'invalid'; problem: AuditProblem };

export class AuditWitness implements AuditWitnessSink {
  readonly path: string;
  readonly #keyring: Keyring;
  readonly #clock: Clock;
  #best: AuditHead | undefined;
  #written = -1;
  #writing: Promise<void> | undefined;
  /** Callers of flush() waiting: while any are, writes follow each other without a gap. */
  #flushers = 0;
  #hurry: (() => void) | undefined;
  /** The last failure to write the file (a full disk); the next commit tries again. */
  lastError: Error | undefined;

  constructor(dataDir: string, keyring: Keyring, clock: Clock) {
    this.path = path.join(dataDir, WITNESS_FILE);
    this.#keyring = keyring;
    this.#clock = clock;
  }

  /** A head this process knows is committed; written in the background, newest first. */
  advance(head: AuditHead): void {
    if (this.#best && this.#best.count >= head.count) return;
    this.#best = head;
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
    });
  }

  /** Waits until every head advanced so far is on disk (or failed to be). */
  async flush(): Promise<void> {
    this.#flushers++;
    try {
      this.#hurry?.();
      while (this.#writing) await this.#writing;
    } finally {
      this.#flushers--;
    }
  }

  /**
   * Puts `head` on disk even though it is behind what the file holds: only a restore does this,
   * after recording in the chain (under the key) the head it replaces.
   */
  async replace(head: AuditHead): Promise<void> {
    await this.flush();
    this.#best = head;
    await this.#write(head);
    this.#written = head.count;
  }

  async read(): Promise<WitnessReading> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
      return this.#invalid(`cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    let j: Partial<WitnessJson>;
    try {
      j = JSON.parse(text) as Partial<WitnessJson>;
    } catch {
      return this.#invalid('is not valid JSON');
    }
    if (j.format !== FORMAT || typeof j.count !== 'number' || !Number.isInteger(j.count) || j.count < 0 || typeof j.hash !== 'string' || typeof j.at !== 'string' || typeof j.mac !== 'string') {
      return this.#invalid('is not a Steward audit witness');
    }
    if (j.mac !== anchorMac(this.#keyring, 'witness', j.count, j.hash, j.at)) {
      return this.#invalid('does not carry a valid MAC for this database (altered, or from another database)');
    }
    return { state: 'ok', anchor: { source: `the witness file ${this.path} (${j.at})`, count: j.count, hash: j.hash, at: j.at }, at: j.at };
  }

  #invalid(why: string): WitnessReading {
    return { state: 'invalid', problem: { kind: 'anchor-invalid', seq: null, message: `the witness file ${this.path} ${why}` } };
  }

  async #drain(): Promise<void> {
    let first = true;
    while (this.#best && this.#best.count > this.#written) {
      // Under sustained load each commit would otherwise start the next read, write, fsync and
      // rename as soon as the last one ends: a gap between writes bounds that to WRITE_GAP_MS.
      if (!first && this.#flushers === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, WRITE_GAP_MS);
          timer.unref();
          this.#hurry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#hurry = undefined;
      }
      first = false;
      const target = this.#best;
      try {
        // Another process sharing the folder (a CLI command beside the server) may be ahead.
        const onDisk = await this.read();
        if (onDisk.state !== 'ok' || onDisk.anchor.count < target.count) await this.#write(target);
        this.#written = target.count;
        this.lastError = undefined;
      } catch (e) {
        this.lastError = e as Error;
        return;
      }
    }
  }

  async #write(head: AuditHead): Promise<void> {
    const at = this.#clock.now().toISOString();
    const json: WitnessJson = { format: FORMAT, formatVersion: 1, count: head.count, hash: head.hash, at, mac: anchorMac(this.#keyring, 'witness', head.count, head.hash, at) };
    const dir = path.dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(dir, `.${WITNESS_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.chmod(0o600);
      await fh.writeFile(`${JSON.stringify(json)}\n`, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}

/** The anchors and anchor problems verification should use, from a witness (if any). */
export async function witnessAnchors(witness: AuditWitness | undefined): Promise<{ anchors: AuditAnchor[]; anchorProblems: AuditProblem[] }> {
  if (!witness) return { anchors: [], anchorProblems: [] };
  await witness.flush();
  const r = await witness.read();
  if (r.state === 'ok') return { anchors: [r.anchor], anchorProblems: [] };
  if (r.state === 'invalid') return { anchors: [], anchorProblems: [r.problem] };
  return { anchors: [], anchorProblems: [] };
}
