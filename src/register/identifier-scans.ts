/**
 * The register's blind indexes of one kind scanned whole for the audience check
 * (src/consent/audience.service.ts), aggregated by the database into strings, because moving a
 * million rows one by one costs more than the scan; the caller matches the strings in place. The
 * probes for given digests and the relationship entries are in register.queries.ts.
 *
 * With a profile, the scan joins each holder's consent state for the purpose and channel in the same
 * pass (the one place the register reads a table of another feature: consent_state's subject,
 * purpose, channel and status, as ProfileQuery describes them).
 *
 * Entry formats (each entry ends with ';' unless said otherwise):
 *  - identifiers: the 64-character digest, then the subject id;
 *  - profiled identifiers (no ';'): the digest, then its holder's profile plus 100 in 3 digits
 *    (ProfileQuery), worked out in SQL;
 *  - relationships: the subscriber type's first letter (or '-'), then the subject id.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../db/adapter.js';
import type { Tables } from '../db/tables.js';
import { countBlindIndexes } from './register.queries.js';

type Db = Kysely<Tables>;

/** How the caller encodes a holder's profile: numbers added together (see profileEntry). */
export interface ProfileCodes {
  active: number;
  lapsed: number;
  withdrawn: number;
  none: number;
  child: number;
  soft: number;
  restricted: number;
  individual: number;
  corporate: number;
  /** The subscriber type's multiplier. */
  typeShift: number;
}

/** What a register scan needs to work out each holder's profile in the database. */
export interface ProfileQuery {
  purpose: string;
  channel: string;
  nowIso: string;
  codes: ProfileCodes;
  /** Without consent as the basis: the purpose's relationships, and those whose people are corporate unless recorded otherwise. */
  relationships?: { all: readonly string[]; corporateByDefault: readonly string[] } | undefined;
}

/** Characters per profiled entry: the 64-character digest and the profile plus 100, in 3 digits. */
export const PROFILED_ENTRY = 67;

/**
 * A register entry with its holder's profile worked out by the database, exactly as the consent
 * rules read the consent state (statusOf), restriction and subscriber type: the digest, then the
 * profile plus 100. The consent state for the purpose and channel is joined in by the scan.
 */
function profileEntry(q: ProfileQuery) {
  const P = q.codes;
  const lit = (n: number) => sql.lit(n);
  const type = q.relationships
    ? sql`(case coalesce((select max(case
          when substr(sr.subscriber_type, 1, 1) = 'i' then 2
          when substr(sr.subscriber_type, 1, 1) = 'c' then 1
          ${q.relationships.corporateByDefault.length > 0 ? sql`when sr.relationship in (${sql.join([...q.relationships.corporateByDefault])}) then 1` : sql``}
          else 2 end)
        from subject_relationships sr
        where sr.subject_id = bi.subject_id and sr.ended_at is null and sr.relationship in (${sql.join([...q.relationships.all])})), 0)
        when 2 then ${lit(P.individual)} when 1 then ${lit(P.corporate)} else 0 end)`
    : sql`0`;
  return sql<string>`bi.digest || cast(100
    + (case
        when cs.status = 'withdrawn' then ${lit(P.withdrawn)}
        when cs.status = 'active' and cs.expires_at is not null and cs.expires_at <> '' and cs.expires_at <= ${q.nowIso} then ${lit(P.lapsed)}
        when cs.status = 'active' and cs.child = 1 and cs.parental <> 1 then ${lit(P.child)}
        when cs.status = 'active' then ${lit(P.active)}
        else ${lit(P.none)} end)
    + (case when cs.soft_opt_in = 1 then ${lit(P.soft)} else 0 end)
    + (case when bi.subject_id in (select rs.id from subjects rs where rs.restricted = 1 and rs.erased_at is null) then ${lit(P.restricted)} else 0 end)
    + ${lit(P.typeShift)} * ${type} as text)`;
}

/**
 * Every blind index of a kind, passed to `each` as strings of entries: identifiers, or with
 * `profiles` profiled identifiers (one scan of the blind index left-joined to the consent state
 * for the purpose and channel). One string, or for a register too big for one (V8 strings stop
 * near 512 million characters) ranges of the digest space read through the index, one after
 * another.
 */
export async function scanBlindIndexes(
  db: Db,
  adapter: DialectAdapter,
  field: 'email' | 'phone',
  scanEntries: number,
  each: (s: string | null | undefined) => void,
  profiles?: ProfileQuery,
): Promise<void> {
  const entry = profiles ? profileEntry(profiles) : sql<string>`bi.digest || bi.subject_id || ';'`;
  const query = () =>
    profiles
      ? db
          .selectFrom('blind_indexes as bi')
          .leftJoin('consent_state as cs', (j) => j.onRef('cs.subject_id', '=', 'bi.subject_id').on('cs.purpose', '=', profiles.purpose).on('cs.channel', '=', profiles.channel))
          .select(sql<string | null>`string_agg(${entry}, '')`.as('s'))
      : db.selectFrom('blind_indexes as bi').select(sql<string | null>`string_agg(${entry}, '')`.as('s'));
  // The exact count of this kind's entries only when a cheap upper bound says it may not fit.
  const bound = await adapter.rowsAtMost(db, 'blind_indexes');
  const total =
    bound <= scanEntries ? bound : await countBlindIndexes(db, field);
  const parts = Math.ceil(total / scanEntries);
  if (parts <= 1) {
    // "kind || ''" keeps the planner off the (kind, digest) index: a table scan is faster here.
    each((await query().where(sql`bi.kind || ''`, '=', field).executeTakeFirst())?.s);
    return;
  }
  for (let p = 0; p < parts; p++) {
    const lo = Math.floor((p * 65536) / parts);
    const hi = Math.floor(((p + 1) * 65536) / parts);
    let q = query().where('bi.kind', '=', field).where('bi.digest', '>=', lo.toString(16).padStart(4, '0'));
    if (hi < 65536) q = q.where('bi.digest', '<', hi.toString(16).padStart(4, '0'));
    each((await q.executeTakeFirst())?.s);
  }
}
