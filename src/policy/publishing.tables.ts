/** Row type of the publications of the notice (see migration 20261202_1601), by module augmentation. */
import type { Generated } from 'kysely';

export interface PolicyPublicationsTable {
  id: Generated<number>;
  version_id: number;
  hash: string;
  effective_date: string;
  published_at: string;
  /** The actor id: a user id, "os:<os account>" or "system:<job>"; never personal data of data subjects. */
  published_by: string;
  /** Set when the declaration had lint errors and was published anyway: why. */
  forced_reason: string | null;
  errors: number;
  warnings: number;
  /** JSON array of one-line descriptions of what changed since the previous publication. */
  changes: string;
}

declare module '../db/tables.js' {
  interface Tables {
    policy_publications: PolicyPublicationsTable;
  }
}
