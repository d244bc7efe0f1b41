/**
 * Typed errors with stable machine codes. HTTP status is chosen at the edge (server/errors.ts),
 * the CLI maps them to exit codes; domain code only says what went wrong.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'POLICY_UNREADABLE'
  | 'POLICY_PARSE_ERROR'
  | 'POLICY_INVALID'
  | 'CONFIG_INVALID'
  | 'FORBIDDEN_DATA'
  | 'RESTRICTED'
  | 'RATE_LIMITED'
  /** A password set by someone else (an owner's reset) must be changed before anything else. */
  | 'PASSWORD_CHANGE_REQUIRED'
  | 'INTERNAL'
  // Backups (src/backup): a backup file that cannot be opened, and why.
  | 'BACKUP_WRONG_KEY'
  | 'BACKUP_KEY_RETIRED'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_TRUNCATED'
  | 'BACKUP_UNSUPPORTED'
  | 'RESTORE_TARGET_NOT_EMPTY'
  | 'LEDGER_INVALID';

export interface ErrorDetail {
  /** Where the problem is: a JSON path, a field name, or file:line:column. */
  path?: string;
  message: string;
  line?: number;
  column?: number;
}

export class StewardError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'StewardError';
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string, id: string | number): StewardError =>
  // The id is ours (a generated identifier), never personal data, so it may appear in the message.
  new StewardError('NOT_FOUND', `${what} ${id} was not found`);

export const isStewardError = (e: unknown): e is StewardError => e instanceof StewardError;
