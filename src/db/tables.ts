/**
 * Row types: what the database holds, column for column. Domain types and API responses are
 * separate (see each feature's mappers and presenters).
 *
 * Timestamps are ISO 8601 UTC strings (they sort correctly as text on both databases); booleans
 * are 0/1 integers; JSON is text. That keeps one set of migrations portable.
 */
import type { Generated } from 'kysely';

export interface PolicyVersionsTable {
  id: Generated<number>;
  hash: string;
  effective_date: string;
  file_name: string;
  organisation: string;
  /** The validated declaration as canonical JSON: no personal data of data subjects. */
  content: string;
  first_loaded_at: string;
}


export interface UsersTable {
  id: string;
  username: string;
  display_name: string | null;
  role: string;
  /** JSON array of job-role ids the declaration's restricted_to_roles may name. */
  job_roles: string;
  password_hash: string;
  disabled: number;
  created_at: string;
  /** 1 after an owner's reset: the user must choose a new password before anything else. */
  must_change_password: number;
  password_changed_at: string | null;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  kind: 'api' | 'session';
  role: string;
  /** sha256 of the token: tokens are 256-bit random values, so a fast hash is enough. */
  token_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SubjectsTable {
  id: string;
  created_at: string;
  updated_at: string;
  created_by: string;
  restricted: number;
  erased_at: string | null;
}

export interface SubjectKeysTable {
  subject_id: string;
  wrapped_key: Buffer | null;
  kek_version: number;
  created_at: string;
  destroyed_at: string | null;
}

export interface SubjectRelationshipsTable {
  id: Generated<number>;
  subject_id: string;
  relationship: string;
  role: string;
  on_behalf_of: string | null;
  subscriber_type: string | null;
  started_at: string;
  ended_at: string | null;
}

export interface RecordsTable {
  id: string;
  subject_id: string;
  category: string;
  kind: string;
  /**
   * JSON array of the purposes the record is held for, in the order given, each an object
   * `{"purpose": id, "basis": lawful basis | null}`. The record_purposes rows hold the same
   * purposes, one per row, for queries; the register's repository writes both.
   */
  purposes: string;
  source: string;
  content_type: string | null;
  size: number;
  ciphertext: Buffer;
  collected_at: string;
  recorded_by: string;
  created_at: string;
  updated_at: string;
}

/** One purpose a record is held for (a row per record and purpose, for queries by purpose). */
export interface RecordPurposesTable {
  record_id: string;
  purpose: string;
  basis: string | null;
}

export interface BlindIndexesTable {
  record_id: string;
  subject_id: string;
  kind: string;
  key_version: number;
  digest: string;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: string;
  actor: string;
  actor_role: string | null;
  ip: string | null;
  action: string;
  subject_id: string | null;
  record_id: string | null;
  purpose: string | null;
  /** JSON: ids, counts and digests only, never plaintext personal data. */
  details: string;
  prev_hash: string;
  hash: string;
}

export interface KeyStateTable {
  name: string;
  value: string;
}

export interface Tables {
  policy_versions: PolicyVersionsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  subjects: SubjectsTable;
  subject_keys: SubjectKeysTable;
  subject_relationships: SubjectRelationshipsTable;
  records: RecordsTable;
  record_purposes: RecordPurposesTable;
  blind_indexes: BlindIndexesTable;
  audit_log: AuditLogTable;
  key_state: KeyStateTable;
}
