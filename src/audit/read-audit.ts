/**
 * Audit entries for reads, group-committed.
 *
 * A read changes nothing, so its audit entry is its only write. Committed one by one, every read
 * costs a write transaction of its own (the write lock, the chain head read and rewritten, a
 * commit), and under concurrent load that, not the read, caps throughput: every writer extends the
 * same chain, one at a time. Here the entries of reads made at about the same moment wait
 * together and go into the chain in one transaction.
 *
 * Nothing is returned unaudited: each caller's promise settles only once its own entry is
 * committed, and if the commit fails, every read in it fails. A caller alone (the CLI, a quiet
 * server) waits for one turn of the event loop at most; under load, a batch forms while the
 * previous one commits. Each entry keeps the time of its read, not of the commit.
 */
import type { Database } from '../db/database.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Clock } from '../shared/clock.js';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { appendAuditEntries, auditCommitted, type AuditActor, type AuditEvent, type PendingEntry } from './audit.service.js';

/** The most entries one transaction takes; the rest go in the next. */
export const READ_AUDIT_MAX_BATCH = 500;

interface Waiting {
  entries: PendingEntry[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

class ReadAuditQueue {
  private waiting: Waiting[] = [];
  private running = false;

  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
  ) {}

  append(entries: PendingEntry[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ entries, resolve, reject });
      if (!this.running) {
        this.running = true;
        // After the current I/O phase: the requests that arrived with this one join its batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch: Waiting[] = [];
      let n = 0;
      while (this.waiting.length > 0 && (batch.length === 0 || n + this.waiting[0]!.entries.length <= READ_AUDIT_MAX_BATCH)) {
        const w = this.waiting.shift()!;
        batch.push(w);
        n += w.entries.length;
      }
      try {
        let committed: Kysely<Tables> | undefined;
        await this.database.db.transaction().execute(async (trx) => {
          committed = trx;
          await this.database.adapter.lockForWrite(trx);
          await appendAuditEntries(trx, { keyring: this.keyring, clock: this.clock }, batch.flatMap((w) => w.entries));
        });
        if (committed) auditCommitted(this.database.db, committed);
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    this.running = false;
  }
}

const queues = new WeakMap<Database, WeakMap<Keyring, ReadAuditQueue>>();

/**
 * Records reads in the audit trail and resolves once the entries are committed. For reads only:
 * a change writes its entries inside its own transaction (appendAudit), so both commit or neither.
 */
export function auditReads(ctx: { database: Database; keyring: Keyring; clock: Clock }, actor: AuditActor, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return Promise.resolve();
  let byKeyring = queues.get(ctx.database);
  if (!byKeyring) queues.set(ctx.database, (byKeyring = new WeakMap()));
  let queue = byKeyring.get(ctx.keyring);
  if (!queue) byKeyring.set(ctx.keyring, (queue = new ReadAuditQueue(ctx.database, ctx.keyring, ctx.clock)));
  const at = ctx.clock.now().toISOString();
  return queue.append(events.map((event) => ({ actor, event, at })));
}
