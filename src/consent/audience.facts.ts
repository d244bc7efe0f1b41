/**
 * Facts about the holders of the recipients' addresses, by subject id, for the audience check's
 * small-list path: the consent state for the purpose and channel (reduced as it is read to what it
 * means now, exactly as statusOf does), restriction, and (without consent as the basis) the
 * subscriber type in the purpose's relationships. One small number each, in typed arrays that read
 * the database's aggregated strings in place (a string per row is what used to make a million
 * slow); profileOf gives the holder's profile (audience.rules.ts).
 */
import { IdTable } from './audience-tables.js';
import { P } from './audience.rules.js';

/** s[a, b) <= t, as JavaScript compares strings (UTF-16 code units), without copying. */
export function atMost(s: string, a: number, b: number, t: string): boolean {
  const n = Math.min(b - a, t.length);
  for (let k = 0; k < n; k++) {
    const x = s.charCodeAt(a + k);
    const y = t.charCodeAt(k);
    if (x !== y) return x < y;
  }
  return b - a <= t.length;
}

const grow = (a: Uint8Array, fill: number): Uint8Array<ArrayBuffer> => {
  const b = new Uint8Array(a.length * 2).fill(fill);
  b.set(a);
  return b;
};

export class HolderFacts {
  readonly #ids = new IdTable();
  // Grown by doubling (starting small, so that every test grows them).
  #state = new Uint8Array(16).fill(P.none);
  #restricted = new Uint8Array(16);
  #type = new Uint8Array(16);

  /** `nowIso`: an expiry at or before it has lapsed. */
  constructor(readonly nowIso: string) {}

  /** The fact row of the subject id s[from, end), added when new. */
  #fact(s: string, from: number, end: number): number {
    const f = this.#ids.add(s, from, end);
    if (f >= this.#state.length) {
      this.#state = grow(this.#state, P.none);
      this.#restricted = grow(this.#restricted, 0);
      this.#type = grow(this.#type, 0);
    }
    return f;
  }

  /** Consent state entries: status letter, child, parental, soft opt-in, expiry, '|', subject id, ';'. */
  addStates(s: string | null | undefined): void {
    if (!s) return;
    for (let from = 0; from < s.length; ) {
      const bar = s.indexOf('|', from + 4);
      const end = s.indexOf(';', bar);
      if (bar < 0 || end < 0) return;
      let state: number = P.none;
      const letter = s.charCodeAt(from);
      if (letter === 119 /* w */) state = P.withdrawn;
      else if (letter === 97 /* a */) {
        // An expiry at or before now (compared as statusOf compares the strings) has lapsed.
        state = bar > from + 4 && atMost(s, from + 4, bar, this.nowIso) ? P.lapsed : s.charCodeAt(from + 1) === 49 && s.charCodeAt(from + 2) !== 49 ? P.child : P.active;
      }
      if (s.charCodeAt(from + 3) === 49) state |= P.soft;
      // #fact() first: it may replace the arrays (growing them).
      const f = this.#fact(s, bar + 1, end);
      this.#state[f] = state;
      from = end + 1;
    }
  }

  /**
   * Relationship entries of one relationship: subscriber type's first letter (or '-'), subject id,
   * ';'. `corporateByDefault`: the relationship's people are corporate unless recorded otherwise.
   */
  addRelationships(s: string | null | undefined, corporateByDefault: boolean): void {
    if (!s) return;
    // Unknown means individual: PECR's stricter rules apply unless we know it is a company.
    const fallback = corporateByDefault ? P.corporate : P.individual;
    for (let from = 0; from < s.length; ) {
      const end = s.indexOf(';', from);
      if (end < 0) return;
      const f = this.#fact(s, from + 1, end);
      const c = s.charCodeAt(from);
      const t = c === 99 /* c */ ? P.corporate : c === 105 /* i */ ? P.individual : fallback;
      this.#type[f] = this.#type[f] === P.individual || t === P.individual ? P.individual : P.corporate;
      from = end + 1;
    }
  }

  markRestricted(ids: readonly string[]): void {
    for (const id of ids) this.#restricted[this.#fact(id, 0, id.length)] = 1;
  }

  /** A person's facts as one profile below 128 (unknown ids: no consent state, nothing else). */
  profileOf(id: string): number {
    const f = this.#ids.find(id, 0, id.length);
    return f < 0 ? P.none : this.#state[f]! | (this.#restricted[f]! * P.restricted) | (this.#type[f]! * P.typeShift);
  }
}
