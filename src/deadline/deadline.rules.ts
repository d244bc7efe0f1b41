/**
 * The response-period rules, versioned by the date a request was received.
 *
 * Today both versions do the same arithmetic; they are kept apart so that the next change in the
 * law is one new entry here (and a test), not an edit to the computation. A request is governed
 * by the entry in force on the day it was received, even if its clock starts later (ID, authority
 * or a fee arriving after the change).
 */
import type { IsoDate } from './plain-date.js';

export interface ResponseRules {
  /** Stable identifier, shown in explanations and stored with a request. */
  id: string;
  /** The first received date this version governs (inclusive). */
  from: IsoDate;
  title: string;
  citations: readonly string[];
  /** Length of the ordinary period in calendar months, counted from the start. */
  periodMonths: number;
  /** Length of the extended period in calendar months, counted from the same start (not from the first end). */
  extendedMonths: number;
  /** Where the clarification pause ("stop the clock") comes from under this version. */
  clarificationPause: 'ico-guidance' | 'statute';
}

/** Oldest first. */
export const RESPONSE_RULES: readonly ResponseRules[] = [
  {
    id: 'uk-gdpr-art-12',
    from: '2018-05-25',
    title: 'GDPR / UK GDPR Art 12(3)–(4) with the ICO’s guidance on counting',
    citations: [
      'UK GDPR Art 12(3): without undue delay and in any event within one month of receipt; extendable by two further months for complex or numerous requests, the person told within one month with reasons',
      'ICO, “How long do we have to comply?”: day one is the day of receipt, working day or not; the corresponding date in the next month, else its last day; a weekend or bank holiday moves it to the next working day',
      'ICO right of access guidance (October 2020): the clock may be stopped while clarification is awaited',
    ],
    periodMonths: 1,
    extendedMonths: 3,
    clarificationPause: 'ico-guidance',
  },
  {
    id: 'uk-gdpr-art-12a',
    from: '2026-02-05',
    title: 'UK GDPR Art 12A (Data (Use and Access) Act 2025), in force 5 February 2026',
    citations: [
      'UK GDPR Art 12A: the period of one month beginning with the latest of receipt of the request, of information requested to confirm identity, and of any fee; two further months for complex or numerous requests, notice with reasons before the first month ends',
      'The period beginning with the day clarification is requested and ending with the day it is received does not count towards the period or the time for the extension notice (the same words as DPA 2018 s54(3C))',
    ],
    periodMonths: 1,
    extendedMonths: 3,
    clarificationPause: 'statute',
  },
];

/** The first received date any version covers; earlier requests fell under the Data Protection Act 1998. */
export const EARLIEST_RECEIVED: IsoDate = RESPONSE_RULES[0]!.from;

/** The version governing a request received on `received`, or undefined before 25 May 2018. */
export function rulesFor(received: IsoDate): ResponseRules | undefined {
  let found: ResponseRules | undefined;
  for (const r of RESPONSE_RULES) if (r.from <= received) found = r;
  return found;
}
