/**
 * The IT-support firm's processors, declared in full, lint clean; each gap the issue names is then
 * flagged by its rule. DPIA screening answers come from the declaration's facts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { screenPurpose } from './dpia-screening.js';
import type { Finding } from './lint.types.js';
import { lintPolicy } from './policy.lint.js';
import { parsePolicy } from './policy.loader.js';

const TEXT = readFileSync(new URL('../../test/fixtures/accountability/it-support.yaml', import.meta.url), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

function lint(mutate?: (d: Doc) => void, today = '2026-12-02'): Finding[] {
  const doc: Doc = parse(TEXT);
  mutate?.(doc);
  return lintPolicy(parsePolicy(stringify(doc), 'it-support.yaml'), { today });
}
const rec = (d: Doc, id: string): Doc => d.recipients.find((r: Doc) => r.id === id);
const flagged = (findings: Finding[]): string[][] => findings.map((f) => [f.rule, f.path]);

describe('accountability lint on an IT-support firm', () => {
  it('declares a card payment provider, a US remote-access provider and a call-recording provider with no finding', () => {
    expect(lint()).toEqual([]);
  });

  it('flags a processor with no contract', () => {
    expect(flagged(lint((d) => delete rec(d, 'card-payments').agreement))).toEqual([['processor-contract-missing', 'recipients[0]']]);
  });

  it('names the Art 28(3) terms a contract lacks', () => {
    const f = lint((d) => (rec(d, 'call-recording').agreement.terms = ['documented-instructions', 'confidentiality', 'security']));
    expect(flagged(f)).toEqual([['processor-terms-missing', 'recipients[2].agreement']]);
    expect(f[0]?.message).toContain('sub-processors (d)');
    expect(f[0]?.message).toContain('deletion or return of the data at the end (g)');
    expect(f[0]?.message).not.toContain('confidentiality');
  });

  it('flags a review date that has passed, and not before', () => {
    const mutate = (d: Doc): void => void (rec(d, 'remote-access').agreement.review = '2026-11-30');
    expect(flagged(lint(mutate, '2026-12-02'))).toEqual([['recipient-review-overdue', 'recipients[1].agreement.review']]);
    expect(lint(mutate, '2026-11-30')).toEqual([]);
  });

  it('flags a sub-processor abroad with no safeguard', () => {
    const f = lint((d) => delete rec(d, 'remote-access').sub_processors[0].safeguard);
    expect(flagged(f)).toEqual([['sub-processor-transfer-unsafeguarded', 'recipients[1].sub_processors[0]']]);
    expect(f[0]?.severity).toBe('error');
  });

  it('flags a transfer under the IDTA with no data protection test, and one whose test was not met', () => {
    expect(flagged(lint((d) => delete rec(d, 'remote-access').transfer_assessment))).toEqual([['transfer-assessment-missing', 'recipients[1].safeguard']]);
    expect(flagged(lint((d) => (rec(d, 'remote-access').transfer_assessment.outcome = 'not-met')))).toEqual([['transfer-assessment-not-met', 'recipients[1].transfer_assessment.outcome']]);
    // A declared assessment of kind transfer covering the recipient serves as well.
    expect(
      lint((d) => {
        delete rec(d, 'remote-access').transfer_assessment;
        d.assessments.push({ id: 'tra-remote', kind: 'transfer', title: 'RemoteDesk in the US', recipients: ['remote-access'], date: '2026-02-01', outcome: 'Met with encryption and access logging.' });
      }),
    ).toEqual([]);
  });

  it('asks for a DPIA of call monitoring when none is recorded, and notes a due review', () => {
    // Monitoring calls is one indicator (not at large scale): a DPIA is advisable.
    const advisable = lint((d) => (d.assessments = []));
    expect(flagged(advisable)).toEqual([['dpia-advisable', 'purposes[1]']]);
    expect(advisable[0]?.message).toContain('systematic monitoring');
    // Transcribing calls with a new speech-analysis tool is on the ICO's list: required.
    const f = lint((d) => {
      d.assessments = [];
      d.purposes[1].dpia_screening.new_technology = true;
    });
    expect(flagged(f)).toEqual([['dpia-required', 'purposes[1]']]);
    expect(f[0]).toMatchObject({ severity: 'error' });
    expect(f[0]?.message).toContain('innovative technology');
    expect(flagged(lint((d) => (d.assessments[0].next_review = '2026-06-01')))).toEqual([['assessment-review-overdue', 'assessments[0].next_review']]);
    expect(flagged(lint((d) => (d.assessments[0].residual_risk = 'high')))).toEqual([['dpia-high-residual-risk', 'assessments[0].residual_risk']]);
  });

  it('refuses an assessment that covers an undeclared purpose', () => {
    expect(() => lint((d) => (d.assessments[0].purposes = ['no-such-purpose']))).toThrow(/refers to entries/);
  });
});

describe('DPIA screening', () => {
  const policy = (mutate?: (d: Doc) => void) => {
    const doc: Doc = parse(TEXT);
    mutate?.(doc);
    return parsePolicy(stringify(doc), 'it-support.yaml').policy;
  };

  it('derives special category data at scale and automated decisions as mandatory criteria', () => {
    const p = policy((d) => {
      d.data_categories.push({ id: 'health', name: 'Health notes', special_category: 'health' });
      d.purposes[0].categories.push('health');
      d.purposes[0].special_condition = 'explicit-consent';
      d.purposes[0].dpia_screening = { large_scale: true };
      d.purposes[0].automated_decision = { logic: 'Scores tickets.', consequences: 'Slower support for low scores.' };
    });
    const s = screenPurpose(p, p.purposes[0]!);
    expect(s.hits.map((h) => [h.criterion, h.weight, h.from])).toEqual([
      ['special-data-at-scale', 'mandatory', 'derived'],
      ['automated-decisions', 'mandatory', 'derived'],
    ]);
    expect(s.verdict).toBe('required');
    expect(s.recorded).toBeUndefined();
  });

  it('counts indicators: one is advisable, two make a DPIA required', () => {
    const one = policy((d) => (d.purposes[0].dpia_screening = { large_scale: true }));
    expect(screenPurpose(one, one.purposes[0]!).verdict).toBe('advisable');
    const two = policy((d) => (d.purposes[0].dpia_screening = { large_scale: true, profiling: false, systematic_monitoring: false }));
    expect(screenPurpose(two, two.purposes[0]!).hits).toHaveLength(1);
    const both = policy((d) => {
      d.data_categories.push({ id: 'health', name: 'Health notes', special_category: 'health' });
      d.purposes[0].categories.push('health');
      d.purposes[0].special_condition = 'explicit-consent';
      d.purposes[0].dpia_screening = { profiling: true };
    });
    const s = screenPurpose(both, both.purposes[0]!);
    expect(s.hits.map((h) => h.criterion)).toEqual(['sensitive-data', 'profiling']);
    expect(s.verdict).toBe('required');
  });

  it('finds the DPIA on record from the purpose link or a declared assessment', () => {
    const p = policy();
    expect(screenPurpose(p, p.purposes[1]!).recorded).toEqual({ assessment: 'dpia-call-recording' });
    expect(screenPurpose(p, p.purposes[0]!)).toMatchObject({ verdict: 'not-indicated', hits: [] });
  });
});

describe('the record of processing cites contracts, transfer tests and assessments', () => {
  it('fills the ICO template columns from the declared facts', async () => {
    const { ropaRows } = await import('./ropa.js');
    const rows = ropaRows(parsePolicy(TEXT, 'it-support.yaml'));
    const support = rows[0]!;
    expect(support.processorContract).toContain('CardPay Ltd: https://example-it.co.uk/contracts/cardpay-dpa.pdf, signed 5 January 2026');
    expect(support.processorContract).toContain('Art 28(3) terms: 8 of 8');
    expect(support.transferSafeguards).toContain('data protection test met-with-measures on 1 February 2026 (TRA-2026-001)');
    const calls = rows[1]!;
    expect(calls.dpiaRequired).toBe('Advisable: systematic monitoring of people');
    expect(calls.dpiaProgress).toContain('Recording support calls (15 November 2025, https://example-it.co.uk/assessments/dpia-calls.pdf)');
  });
});
