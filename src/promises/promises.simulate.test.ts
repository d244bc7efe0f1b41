/**
 * The promises simulation over the three example declarations, and over Smart Computers as it was
 * before issue 19, whose enquirer promise the declaration itself defeated.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caught } from '../../test/support/errors.js';
import { loadPolicy, parsePolicy, type LoadedPolicy } from '../policy/policy.loader.js';
import { lintPolicy } from '../policy/policy.lint.js';
import { renderNotice } from '../policy/notice.render.js';
import { formatPromises } from './promises.presenter.js';
import { defaultPurposes } from './promises.purposes.js';
import { simulatePromises, type CategoryPath, type PromisesReport } from './promises.simulate.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
const BEFORE = path.resolve(import.meta.dirname, '../../test/fixtures/promises/smart-computers-before.yaml');
const example = (name: string) => loadPolicy(path.join(EXAMPLES, name));

const pathOf = (r: PromisesReport, rel: string, cat: string): CategoryPath => {
  const found = r.relationships.find((x) => x.relationship === rel)?.categories.find((c) => c.category === cat);
  if (!found) throw new Error(`no path for ${rel}/${cat}`);
  return found;
};

describe.each(['kestronics.yaml', 'kynex.yaml', 'smart-computers.yaml'])('examples/%s', (name) => {
  it('every retention statement its notice makes holds in the simulation', async () => {
    const loaded = await example(name);
    const report = simulatePromises(loaded.policy, loaded);
    const notice = renderNotice(loaded, 'md');
    const fixed = report.relationships.flatMap((r) => r.categories.flatMap((c) => c.promises.map((p) => ({ r: r.relationship, c: c.category, p })))).filter((x) => x.p.kind !== 'open');
    expect(fixed.length).toBeGreaterThan(0);
    for (const { r, c, p } of fixed) {
      // The statement is the notice's own words for the purpose …
      expect(notice, `${r}/${c}/${p.purpose}`).toContain(p.notice.split('. ')[0]!);
      // … and a person of that relationship sees it kept.
      expect(p.holds, `${r}/${c}/${p.purpose}: ${p.defeatedBy.map((d) => d.outcome).join('; ')}`).toBe(true);
    }
    expect(report.defeated).toBe(0);
    expect(lintPolicy(loaded).filter((f) => f.rule.endsWith('promise-defeated'))).toEqual([]);
  });

  it('walks every relationship that holds data, and prints its path', async () => {
    const loaded = await example(name);
    const report = simulatePromises(loaded.policy, loaded);
    const text = formatPromises(report);
    for (const r of loaded.policy.relationships) {
      expect(text).toContain(`${r.id} (${r.name})`);
      const rel = report.relationships.find((x) => x.relationship === r.id)!;
      expect(rel.life[0]).toEqual({ event: 'collection', on: report.start });
      for (const c of rel.categories) expect(c.outcomes.length).toBe(rel.scenarios.length);
    }
  });
});

describe('Smart Computers: the enquirer promise', () => {
  it('holds in the example: deleted 3 months after the enquiry without consent, kept with it', async () => {
    const loaded = await example('smart-computers.yaml');
    const report = simulatePromises(loaded.policy, loaded);
    const enquirer = report.relationships.find((r) => r.relationship === 'enquirer')!;
    const enquiry = enquirer.life.find((e) => e.event === 'enquiry')!.on;
    const c = pathOf(report, 'enquirer', 'contact-details');
    expect(c).toMatchObject({ heldFor: ['enquiry-follow-up'], heldBy: 'default-purposes' });
    const by = Object.fromEntries(c.outcomes.map((o) => [o.scenario, o]));
    expect(by['no-consent']).toMatchObject({ status: 'deleted', when: '3 months after enquiry', purpose: 'enquiry-follow-up', rule: 'enquiry-three-months' });
    expect(by['no-consent']!.on).toBe(`${enquiry.slice(0, 5)}${String(Number(enquiry.slice(5, 7)) + 3).padStart(2, '0')}${enquiry.slice(7)}`);
    expect(by['consent-given']).toMatchObject({ status: 'kept', condition: 'marketing-consent' });
    expect(by['consent-withdrawn']).toMatchObject({ status: 'deleted' });
    expect(c.promises.find((p) => p.purpose === 'enquiry-follow-up')).toMatchObject({ kind: 'fixed', onPath: true, holds: true, notice: expect.stringMatching(/^3 months after your enquiry, then deleted unless you opted in to marketing\./) });
  });

  it('was defeated in the declaration before: the linter names the promise and the purposes that defeat it', async () => {
    const before = await loadPolicy(BEFORE);
    const report = simulatePromises(before.policy, before);
    const c = pathOf(report, 'prospect', 'contact-details');
    expect(c.heldBy).toBe('every-purpose');
    expect(c.outcomes[0]).toMatchObject({ scenario: 'no-consent', status: 'undecided', purpose: 'quotations' });
    const promise = c.promises.find((p) => p.purpose === 'enquiry-follow-up')!;
    expect(promise.holds).toBe(false);
    expect(promise.defeatedBy.map((d) => d.purpose).sort()).toEqual(['ad-hoc-feedback', 'business-development', 'contacts-database', 'marketing', 'quotations']);

    const i = before.policy.purposes.findIndex((p) => p.id === 'enquiry-follow-up');
    const finding = lintPolicy(before).find((f) => f.rule === 'retention-promise-defeated' && f.path === `purposes[${i}].retention`);
    expect(finding).toMatchObject({ severity: 'error', line: expect.any(Number) });
    expect(finding!.message).toMatch(/prospect.*"Following up your enquiry", are deleted 3 months after enquiry unless marketing-consent/);
    for (const p of ['quotations', 'ad-hoc-feedback', 'business-development', 'contacts-database', 'marketing']) expect(finding!.message).toContain(p);
    expect(finding!.message).toMatch(/narrow the relationships of .*; split "prospect" .*; or give relationships\[3\] default_purposes \(e\.g\. \[enquiry-follow-up\]\)/);
    expect(formatPromises(report)).toMatch(/DEFEATED enquiry-follow-up: 3 months after your enquiry/);
    // The contacts-database review is defeated too: quotations has criteria only, so a person must decide.
    expect(c.promises.find((p) => p.purpose === 'contacts-database')).toMatchObject({ kind: 'review', holds: false });
    expect(c.promises.find((p) => p.purpose === 'contacts-database')!.defeatedBy.map((d) => d.purpose).sort()).toEqual(['ad-hoc-feedback', 'quotations']);
    const j = before.policy.purposes.findIndex((p) => p.id === 'contacts-database');
    expect(lintPolicy(before).find((f) => f.rule === 'retention-review-promise-defeated' && f.path === `purposes[${j}].retention`)?.message).toMatch(
      /prospect.*are reviewed every 3 years\. But .* quotations \(kept as long as needed \(a person decides\)\).* have no end and no review/,
    );
  });
});

describe('default purposes of a new record', () => {
  it('are the relationship\'s declared defaults that use the category', async () => {
    const loaded = await example('smart-computers.yaml');
    expect(defaultPurposes(loaded, 'contact-details', ['enquirer'], 'p')).toEqual(['enquiry-follow-up']);
    expect(defaultPurposes(loaded, 'contact-details', ['customer'], 'p')).toEqual(['customer-service', 'feedback']);
    // A person in two relationships: the defaults of both.
    expect(defaultPurposes(loaded, 'contact-details', ['customer', 'enquirer'], 'p')).toEqual(['customer-service', 'feedback', 'enquiry-follow-up']);
  });

  it('are every applicable purpose when they keep the data equally long (anonymising on the same day counts as equal)', async () => {
    const loaded = await example('kestronics.yaml');
    expect(defaultPurposes(loaded, 'account-details', ['clients-customer'], 'p')).toEqual(['services-for-clients', 'statistics-and-profiling']);
  });

  it('are asked for, with the choices listed, when the applicable purposes keep the data for different periods', async () => {
    const before = await loadPolicy(BEFORE);
    const e = await caught((async () => defaultPurposes(before, 'contact-details', ['prospect'], 'records[0].purposes', 'name them (--purpose)'))());
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'records[0].purposes' }] });
    expect(e.message).toMatch(/^records\[0\]\.purposes: the purposes that use "contact-details" for a prospect keep it for different periods: /);
    expect(e.message).toContain('enquiry-follow-up (deleted 3 months after enquiry unless marketing-consent)');
    expect(e.message).toContain('business-development (reviewed every 3 years)');
    expect(e.message).toMatch(/name them \(--purpose\), or give the relationship "prospect" default_purposes/);
  });

  it('must be purposes of the relationship (the declaration is refused otherwise)', async () => {
    const loaded: LoadedPolicy = await example('smart-computers.yaml');
    const text = (await import('node:fs')).readFileSync(loaded.file, 'utf8').replace('default_purposes: [enquiry-follow-up]', 'default_purposes: [enquiry-follow-up, recruitment, no-such-purpose]');
    const e = await caught((async () => parsePolicy(text, 'sc.yaml'))());
    expect(e.code).toBe('POLICY_INVALID');
    expect(e.details.map((d) => d.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/"recruitment" is not for the relationship "enquirer"/), expect.stringMatching(/"no-such-purpose" is not a declared purpose/)]),
    );
  });
});
