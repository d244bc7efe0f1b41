/**
 * What retention keeps about a person only to time their data (life events, review decisions):
 * forgotten when the person is erased, since nothing is left to time. Called by the erasure
 * ledger for every erased subject, whichever way the erasure came.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import './retention.tables.js';

export async function forgetRetentionFacts(trx: Kysely<Tables>, subjectIds: readonly string[]): Promise<void> {
  if (subjectIds.length === 0) return;
  await trx.deleteFrom('life_events').where('subject_id', 'in', [...subjectIds]).execute();
  await trx.deleteFrom('retention_reviews').where('subject_id', 'in', [...subjectIds]).execute();
}
