/**
 * Everything personal about a complaint, kept encrypted as one document (the payload of a
 * complaints row): who made it, what it is about, the steps taken, the outcome and the letters.
 */

export const OUTCOMES = ['upheld', 'partly-upheld', 'not-upheld', 'withdrawn'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Complainant {
  name?: string;
  email?: string;
  phone?: string;
  address?: string;
}

export type ComplaintLetterKind = 'acknowledgement' | 'progress' | 'outcome';

export interface ComplaintLetter {
  kind: ComplaintLetterKind;
  at: string;
  subject: string;
  text: string;
  sentTo: 'email' | 'post';
  messageId?: string;
}

export interface ComplaintDoc {
  complainant: Complainant;
  /** What the person complains about, in their words. */
  summary: string;
  steps: Array<{ at: string; by: string; text: string; informed: boolean }>;
  outcome?: { outcome: Outcome; explanation: string; at: string; by: string };
  letters: ComplaintLetter[];
}
