/**
 * One rate limiter (src/kernel/rate-limit.ts): the cookie endpoints' batched counts now live in
 * `rate_limits` with every other limit, so their own table goes. Its rows were counts for the
 * current minute only; the new table starts them afresh.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limit_windows').execute();
}
