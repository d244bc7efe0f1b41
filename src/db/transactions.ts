/**
 * Transactions, the one way features write and read consistently.
 *
 * writeTx takes the database-wide write lock first (src/db/adapter.ts: SQLite is one writer
 * anyway; PostgreSQL serialises the audit chain's appends with it), then runs `fn`; whoever needs
 * to act once the transaction has committed (the audit chain's witness) listens with
 * onWriteCommitted, so this layer imports no feature.
 */
import type { DB, Database } from './database.js';

/** Called after each write transaction commits, with the database and the transaction it ran in. */
export type CommitListener = (db: DB, trx: DB) => void;

const listeners = new Set<CommitListener>();

/** Adds a listener for committed write transactions (the audit chain registers one). */
export function onWriteCommitted(listener: CommitListener): void {
  listeners.add(listener);
}

export async function writeTx<T>(ctx: { database: Database }, fn: (trx: DB) => Promise<T>): Promise<T> {
  let committed: DB | undefined;
  const result = await ctx.database.db.transaction().execute(async (trx) => {
    committed = trx;
    await ctx.database.adapter.lockForWrite(trx);
    return fn(trx);
  });
  if (committed) for (const listener of listeners) listener(ctx.database.db, committed);
  return result;
}

/**
 * Reads in one consistent snapshot without taking the write lock (SQLite: a deferred transaction
 * in WAL mode; PostgreSQL: repeatable read). Their audit entries go through auditReads.
 */
export async function readTx<T>(ctx: { database: Database }, fn: (trx: DB) => Promise<T>): Promise<T> {
  const tx = ctx.database.db.transaction();
  const level = ctx.database.adapter.snapshotIsolation;
  return (level ? tx.setIsolationLevel(level) : tx).execute(fn);
}
