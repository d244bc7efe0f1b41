/**
 * The privacy notice as a plain structured model: the types the sections build and
 * notice.render.ts turns into HTML or Markdown. Every string in the model may come from the
 * declaration, which is user input: nothing in the model is markup.
 */

export interface Link {
  text: string;
  href: string;
}
export interface Strong {
  strong: string;
}
/**
 * A fact the notice needs that the declaration does not state: rendered visibly ("Not stated: …")
 * instead of a guess, so a draft shows what is missing rather than promising it.
 */
export interface Missing {
  missing: string;
}
/** A run of inline text. Plain strings are text, never markup. */
export type Span = string | Link | Strong | Missing;
export type Rich = string | readonly Span[];

export type Block =
  | { type: 'paragraph'; text: Rich }
  | { type: 'list'; items: Rich[] }
  /** Labelled facts: a definition list in HTML, "**Label:** value" bullets in Markdown. */
  | { type: 'fields'; items: Array<{ label: string; value: Rich }> }
  | { type: 'table'; caption: string; columns: string[]; rows: Rich[][] };

export interface NoticeSection {
  /** Anchor id: lower-case letters, digits and dashes. */
  id: string;
  heading: string;
  /** The provisions this section answers, e.g. "Art 13(1)(a)": for the linter and the tests. */
  covers: string[];
  blocks: Block[];
  subsections: NoticeSection[];
}

export interface NoticeVersion {
  /** YYYY-MM-DD, as declared. */
  effectiveDate: string;
  /** "1 March 2026". */
  effectiveDateText: string;
  /** The declaration's full sha256. */
  hash: string;
  /** The first 12 hex characters: what the notice shows. */
  shortHash: string;
  generator: string;
}

export interface NoticeModel {
  title: string;
  organisation: string;
  /** Where the notice is published, if declared. */
  website?: string;
  intro: Block[];
  sections: NoticeSection[];
  version: NoticeVersion;
}

/** The public pages Steward serves beside the notice (requests, preferences, complaints). */
export interface PrivacyCentreLinks {
  requests: string;
  preferences: string;
  complaints: string;
}
