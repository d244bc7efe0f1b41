/**
 * Conditions that stop a due record from going (`unless` in a retention rule) and depend on state
 * outside retention: whether the person has opted in to marketing, whether a contract is still
 * open. The engine asks through this interface, for a batch of subjects at once, so the consent
 * feature can answer from its own records without retention knowing its tables.
 */
import { eventInEffect } from './events.effect.js';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { toCalendarDate } from './duration.js';
import './retention.tables.js';

export interface RetentionConditions {
  /** Of these subjects, those who hold a valid marketing consent at `at`. */
  subjectsWithMarketingConsent(db: Kysely<Tables>, subjectIds: readonly string[], at: Date): Promise<Set<string>>;
  /** Of these subjects, those with a contract still open at `at`. */
  subjectsWithOpenContract(db: Kysely<Tables>, subjectIds: readonly string[], at: Date): Promise<Set<string>>;
}

const CHUNK = 2000;

/**
 * Subjects whose latest `opened` event on or before `at` is later than every `closed` event on or
 * before it: the thing opened is still open.
 */
async function openByEvents(db: Kysely<Tables>, subjectIds: readonly string[], at: Date, opened: string, closed: string): Promise<Set<string>> {
  const day = toCalendarDate(at);
  const out = new Set<string>();
  for (let i = 0; i < subjectIds.length; i += CHUNK) {
    const ids = subjectIds.slice(i, i + CHUNK);
    const rows = await db
      .selectFrom('life_events')
      .select(['subject_id', 'type', 'occurred_on'])
      .where('subject_id', 'in', ids)
      .where('type', 'in', [opened, closed])
      .where('occurred_on', '<=', day)
      .where(eventInEffect(day))
      .execute();
    const latest = new Map<string, { opened: string; closed: string }>();
    for (const r of rows) {
      const l = latest.get(r.subject_id) ?? { opened: '', closed: '' };
      if (r.type === opened && r.occurred_on > l.opened) l.opened = r.occurred_on;
      if (r.type === closed && r.occurred_on > l.closed) l.closed = r.occurred_on;
      latest.set(r.subject_id, l);
    }
    for (const [id, l] of latest) if (l.opened !== '' && l.opened > l.closed) out.add(id);
  }
  return out;
}

/**
 * From retention's own life events:
 * - open contract: a contract-started event with no contract-ended on or after it;
 * - marketing consent: a consent-given event with no consent-withdrawn after it.
 * The consent feature adds its register to this (consent/consent.conditions.ts); the server, the
 * CLI and the scheduled run are given that one.
 */
export const eventConditions: RetentionConditions = {
  subjectsWithMarketingConsent: (db, ids, at) => openByEvents(db, ids, at, 'consent-given', 'consent-withdrawn'),
  subjectsWithOpenContract: (db, ids, at) => openByEvents(db, ids, at, 'contract-started', 'contract-ended'),
};

/** Answers "no" to everything: for tests and for organisations with no such conditions. */
export const noConditions: RetentionConditions = {
  subjectsWithMarketingConsent: async () => new Set(),
  subjectsWithOpenContract: async () => new Set(),
};
