/**
 * Reading the facts retention decides on, a page of subjects at a time: the subjects (in id
 * order), their relationships and records (from the register's repository, without the records'
 * ciphertext), their life events and review decisions. Pages are selected by a range of subject ids, which the indexes on
 * `subject_id` serve on both databases, so a million records are read in a few large sequential
 * queries rather than one per subject.
 */
import { eventInEffect } from './events.effect.js';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { toCalendarDate, type CalendarDate } from './duration.js';
import type { RecordFacts, SubjectFacts } from './retention.engine.js';
import './retention.tables.js';
import { liveSubjectsPage, recordFactsOf, relationshipFactsOf, type SubjectSelection } from '../register/register.queries.js';

export interface ReviewFact {
  rule: string;
  decision: 'keep' | 'delete';
  decidedOn: CalendarDate;
  nextReviewOn: CalendarDate | null;
}

export interface SubjectPage {
  subjects: SubjectFacts[];
  /** Records by subject id. */
  records: Map<string, RecordFacts[]>;
  /** Latest review decision per subject and rule. */
  reviews: Map<string, Map<string, ReviewFact>>;
  relationshipsOf: Map<string, Set<string>>;
  /** The last subject id of the page: the cursor for the next one. */
  last: string;
}

/**
 * Records are read with the columns deciding needs and no more (a plan reads every record in the
 * register, so each column and object counts); anonymisation fetches the rest for its few rows.
 */
/** `asOf`: the day the page is evaluated for; life events not in effect on it are left out. */
export async function loadSubjectPage(db: Kysely<Tables>, opts: { after?: string; limit: number; only?: string; ids?: readonly string[]; asOf: CalendarDate }): Promise<SubjectPage | undefined> {
  const subjects = await liveSubjectsPage(db, opts);
  if (subjects.length === 0) return undefined;
  const lo = subjects[0]!.id;
  const hi = subjects[subjects.length - 1]!.id;
  // A dense page is read by id range (one index range scan); a sparse page of candidates by id list.
  const ids = subjects.map((s) => s.id);
  const sparse = opts.ids !== undefined;
  const sel: SubjectSelection = sparse ? { ids } : { from: lo, to: hi };

  const [records, rels, events, reviews] = await Promise.all([
    recordFactsOf(db, sel),
    relationshipFactsOf(db, sel),
    db
      .selectFrom('life_events')
      .select(['subject_id', 'type', 'occurred_on', 'relationship'])
      .where(eventInEffect(opts.asOf))
      .$if(sparse, (b) => b.where('subject_id', 'in', ids))
      .$if(!sparse, (b) => b.where('subject_id', '>=', lo).where('subject_id', '<=', hi))
      .execute(),
    db
      .selectFrom('retention_reviews')
      .select(['subject_id', 'rule', 'decision', 'decided_at', 'next_review_on'])
      .$if(sparse, (b) => b.where('subject_id', 'in', ids))
      .$if(!sparse, (b) => b.where('subject_id', '>=', lo).where('subject_id', '<=', hi))
      .orderBy('decided_at')
      .orderBy('id')
      .execute(),
  ]);

  const facts = new Map<string, { id: string; restricted: boolean; relationships: Array<{ relationship: string; endedOn: CalendarDate | null }>; events: Array<{ type: string; on: CalendarDate; relationship: string | null }> }>();
  for (const s of subjects) facts.set(s.id, { id: s.id, restricted: s.restricted, relationships: [], events: [] });
  const relationshipsOf = new Map<string, Set<string>>();
  for (const r of rels) {
    const f = facts.get(r.subject_id);
    if (!f) continue;
    f.relationships.push({ relationship: r.relationship, endedOn: r.ended_at ? toCalendarDate(r.ended_at) : null });
    let set = relationshipsOf.get(r.subject_id);
    if (!set) relationshipsOf.set(r.subject_id, (set = new Set()));
    set.add(r.relationship);
  }
  for (const e of events) facts.get(e.subject_id)?.events.push({ type: e.type, on: e.occurred_on, relationship: e.relationship });
  const byRecord = new Map<string, RecordFacts[]>();
  for (const r of records) {
    if (!facts.has(r.subject_id)) continue;
    let list = byRecord.get(r.subject_id);
    if (!list) byRecord.set(r.subject_id, (list = []));
    list.push({ id: r.id, subjectId: r.subject_id, category: r.category, purposes: r.purposes, collectedOn: toCalendarDate(r.collected_at) });
  }
  const reviewMap = new Map<string, Map<string, ReviewFact>>();
  for (const r of reviews) {
    if (!facts.has(r.subject_id)) continue;
    let m = reviewMap.get(r.subject_id);
    if (!m) reviewMap.set(r.subject_id, (m = new Map()));
    // Ordered by decided_at: the last one wins.
    m.set(r.rule, { rule: r.rule, decision: r.decision, decidedOn: toCalendarDate(r.decided_at), nextReviewOn: r.next_review_on });
  }
  return { subjects: [...facts.values()], records: byRecord, reviews: reviewMap, relationshipsOf, last: hi };
}
