/** Row type of the erasure ledger, added to the database type by module augmentation. */
export interface ErasureLedgerTable {
  /** Random id of the entry (the same in the database and in the ledger file). */
  id: string;
  /** subject | record */
  kind: string;
  /** The erased subject's or record's id: random, never personal data. */
  target_id: string;
  erased_at: string;
  /** A reason code (ERASURE_REASONS), never free text. */
  reason: string;
  /** When the entry was appended to the ledger file; null until then. */
  mirrored_at: string | null;
}

declare module '../db/tables.js' {
  interface Tables {
    erasure_ledger: ErasureLedgerTable;
  }
}
