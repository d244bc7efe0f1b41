import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../policy/policy.loader.js';
import { describeVerdict, evaluateRecord, newMemo, retentionModel, type RecordFacts, type RetentionModel, type SubjectFacts } from './retention.engine.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/retention/policy.yaml');

/** The fixture plus rules counting from last contact and from the end of a relationship. */
const EXTRA = `
  - id: two-years-after-contact
    duration: 2 years
    trigger: last-contact
  - id: year-after-relationship
    duration: 1 year
    trigger: relationship-ended
  - id: period-without-trigger
    duration: 1 year
  - id: practically-forever
    duration: 9999 years
    trigger: collection
purposes:
  - id: keep-in-touch
    name: Keeping in touch
    relationships: [contact]
    categories: [name]
    sources: [directly]
    retention: two-years-after-contact
  - id: alumni
    name: Former customers
    relationships: [customer]
    categories: [region]
    sources: [directly]
    retention: year-after-relationship
  - id: vague
    name: Vague
    relationships: [customer]
    categories: [orders]
    sources: [directly]
    retention: period-without-trigger
  - id: archive
    name: Archive
    relationships: [customer]
    categories: [orders]
    sources: [directly]
    retention: practically-forever
  - id: unruled
    name: No rule
    relationships: [customer]
    categories: [orders]
    sources: [directly]
`;

describe('retention engine', () => {
  let dir: string;
  let model: RetentionModel;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-engine-'));
    const file = path.join(dir, 'policy.yaml');
    // Append the extra rules to the retention list and the extra purposes to the purposes list.
    const base = readFileSync(POLICY, 'utf8');
    const [rules, purposes] = EXTRA.split('purposes:\n') as [string, string];
    writeFileSync(file, base.replace('\npurposes:\n', `${rules.trimEnd()}\npurposes:\n${purposes}`));
    model = retentionModel(await loadPolicy(file));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const subject = (over: Partial<SubjectFacts> = {}): SubjectFacts => ({ id: 's1', restricted: false, relationships: [], events: [], ...over });
  const record = (purposes: string[], over: Partial<RecordFacts> = {}): RecordFacts => ({
    id: 'r1',
    subjectId: 's1',
    category: 'name',
    purposes: JSON.stringify(purposes.map((purpose) => ({ purpose, basis: null }))),
    collectedOn: '2024-02-29',
    ...over,
  });
  const verdict = (s: SubjectFacts, r: RecordFacts, asOf = '2026-03-02') => evaluateRecord(model, s, r, asOf, newMemo());

  it('counts "last contact" from the latest contact logged, or from collection when none was', () => {
    expect(verdict(subject(), record(['keep-in-touch']))).toMatchObject({ status: 'due', end: '2026-02-28' });
    const s = subject({ events: [{ type: 'last-contact', on: '2025-06-01', relationship: null }, { type: 'last-contact', on: '2024-09-01', relationship: null }] });
    expect(verdict(s, record(['keep-in-touch']))).toMatchObject({ status: 'scheduled', end: '2027-06-01' });
  });

  it('takes the end of a relationship from the register as well as from events', () => {
    const r = record(['alumni'], { category: 'region' });
    expect(verdict(subject({ relationships: [{ relationship: 'customer', endedOn: null }] }), r).status).toBe('waiting');
    expect(verdict(subject({ relationships: [{ relationship: 'customer', endedOn: '2025-01-31' }] }), r)).toMatchObject({ status: 'due', end: '2026-01-31' });
    // An ended relationship of another kind does not count.
    expect(verdict(subject({ relationships: [{ relationship: 'contact', endedOn: '2020-01-31' }] }), r).status).toBe('waiting');
  });

  it('prefers anonymise on a tie, and the latest end otherwise', () => {
    const s = subject({ events: [{ type: 'account-closed', on: '2019-01-01', relationship: null }] });
    expect(verdict(s, record(['service', 'statistics']))).toMatchObject({ status: 'due', action: 'anonymise', decided: { rule: 'statistics' } });
    expect(verdict(s, record(['statistics', 'service']))).toMatchObject({ action: 'anonymise' });
    const later = subject({ events: [...s.events, { type: 'contract-ended', on: '2019-01-01', relationship: null }] });
    expect(verdict(later, record(['statistics', 'contract-records']))).toMatchObject({ status: 'due', action: 'delete', end: '2026-01-01', decided: { rule: 'seven-years-after-contract' } });
  });

  it('never ends data it cannot time: no rule, an unknown purpose, a period without trigger, criteria', () => {
    const s = subject();
    expect(verdict(s, record(['unruled'])).decided).toMatchObject({ kind: 'undecided', why: 'no-rule' });
    expect(verdict(s, record(['gone-purpose'])).decided).toMatchObject({ kind: 'undecided', why: 'unknown-purpose' });
    expect(verdict(s, record(['vague'])).decided).toMatchObject({ kind: 'undecided', why: 'no-trigger' });
    expect(verdict(s, record([]))).toMatchObject({ status: 'undecided', decided: { why: 'no-purpose' } });
    expect(verdict(s, record(['service'], { purposes: 'not json' })).status).toBe('undecided');
    expect(model.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/period-without-trigger gives a duration \(1 year\) but no trigger/)]));
    // A blocker beats any end: the record stays while a purpose without an end holds it.
    const closed = subject({ events: [{ type: 'account-closed', on: '2000-01-01', relationship: null }] });
    const v = verdict(closed, record(['service', 'quotes']));
    expect(v.status).toBe('undecided');
    expect(describeVerdict(v)).toBe('needs a decision: quotes (rule as-needed): the rule has criteria only, no automatic end');
  });

  it('saturates ends beyond the calendar at 9999-12-31 instead of failing the plan', () => {
    expect(verdict(subject(), record(['archive'], { category: 'orders' }))).toMatchObject({ status: 'scheduled', end: '9999-12-31' });
  });

  it('treats an end undone by a later opening event as not having happened', () => {
    const r = record(['orders'], { category: 'orders' });
    const ended = { type: 'contract-ended', on: '2025-01-01', relationship: null };
    expect(verdict(subject({ events: [ended] }), r).status).toBe('due');
    expect(verdict(subject({ events: [ended, { type: 'contract-started', on: '2025-06-01', relationship: null }] }), r).status).toBe('waiting');
    // Started then ended the same day: ended.
    expect(verdict(subject({ events: [ended, { type: 'contract-started', on: '2025-01-01', relationship: null }] }), r).status).toBe('due');
  });
});
