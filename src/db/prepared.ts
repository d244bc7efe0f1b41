/**
 * Queries built and compiled once, then run with new parameters.
 *
 * Kysely builds a fresh operation tree and compiles it to SQL on every call: for a lookup that
 * touches a handful of index pages, that JavaScript work costs more than the database does. The
 * few queries on the hottest paths (a search by blind index, a token check) are therefore built
 * once per database with placeholder values, and each call reuses the compiled SQL with its own
 * parameters — the typed query builder still writes the SQL, for either dialect.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Tables } from './tables.js';

/** A marker value standing for the i-th argument while the query is compiled. */
const placeholder = (i: number): string => `\u0000steward-parameter-${i}\u0000`;

export type PreparedQuery<A extends unknown[], R> = (db: Kysely<Tables>, ...args: A) => Promise<R[]>;

/**
 * `build` receives the database and one placeholder per argument (typed as the argument), and
 * returns the query using each placeholder as a plain value exactly where the argument goes.
 */
export function preparedQuery<A extends unknown[], R>(arity: A['length'], build: (db: Kysely<Tables>, ...args: A) => Compilable<R>): PreparedQuery<A, R> {
  const compiled = new WeakMap<Kysely<Tables>, { query: CompiledQuery<R>; slots: number[] }>();
  const compile = (db: Kysely<Tables>): { query: CompiledQuery<R>; slots: number[] } => {
    const marks = Array.from({ length: arity }, (_, i) => placeholder(i));
    const query = build(db, ...(marks as unknown as A)).compile();
    const slots = query.parameters.map((p) => {
      const i = marks.indexOf(p as string);
      if (i < 0) throw new Error('preparedQuery: every parameter of the query must be one of its arguments');
      return i;
    });
    const c = { query, slots };
    compiled.set(db, c);
    return c;
  };
  return async (db, ...args) => {
    const c = compiled.get(db) ?? compile(db);
    const result = await db.executeQuery<R>({ ...c.query, parameters: c.slots.map((i) => args[i]) });
    return result.rows;
  };
}
