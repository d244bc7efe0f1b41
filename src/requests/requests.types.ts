/**
 * What differs between the kinds of rights request, keyed by type so that the compiler refuses a
 * type without its entry. A new type in REQUEST_TYPES (requests.store.ts) needs:
 *   - its traits here (how letters name it, whether its answer is a pack behind a link);
 *   - its fulfilment in FULFILMENT (requests.fulfil.ts), which names the letter it sends
 *     (LetterKind and its text in requests.letters.ts);
 *   - its words for the public form (REQUEST_TYPE_WORDS, requests.pages.ts);
 *   - in the console, its place in the lists keyed by type (features/requests).
 * requests.types.test.ts checks each of these, at compile time and at run time.
 */
import { REQUEST_TYPES, type RequestType } from './requests.store.js';

export interface RequestTypeTraits {
  /** What the person asked for, as letters name it: "your request of 2 April for <letterText>". */
  letterText: string;
  /** Whether the answer is a pack of the person's data behind a signed, expiring download link. */
  pack: boolean;
}

export const REQUEST_TYPE_TRAITS = {
  access: { letterText: 'a copy of your personal data (subject access request)', pack: true },
  rectification: { letterText: 'correction of your personal data', pack: false },
  erasure: { letterText: 'erasure of your personal data', pack: false },
  restriction: { letterText: 'restriction of the use of your personal data', pack: false },
  portability: { letterText: 'your data in a portable format', pack: true },
  objection: { letterText: 'your objection to our use of your personal data', pack: false },
  'marketing-objection': { letterText: 'your objection to direct marketing', pack: false },
  'withdraw-consent': { letterText: 'withdrawal of your consent', pack: false },
} as const satisfies { readonly [T in RequestType]: RequestTypeTraits };

/** The types answered with a pack (access, portability). */
export type PackType = { [T in RequestType]: (typeof REQUEST_TYPE_TRAITS)[T]['pack'] extends true ? T : never }[RequestType];

export const isRequestType = (type: string): type is RequestType => (REQUEST_TYPES as readonly string[]).includes(type);

export const isPackType = (type: string): type is PackType => isRequestType(type) && REQUEST_TYPE_TRAITS[type].pack;
