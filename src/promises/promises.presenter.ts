/**
 * The promises report for people (a plain table per relationship) and for machines (the schema of
 * what the API returns; the report holds the declaration's ids and words only, no personal data).
 */
import { z } from 'zod';
import type { CategoryPath, NoticePromise, PromisesReport, ScenarioId, SimulatedOutcome } from './promises.simulate.js';

const SCENARIO_WORDS: Record<ScenarioId, string> = {
  'no-consent': 'no marketing consent',
  'consent-given': 'consent given',
  'consent-withdrawn': 'consent given, then withdrawn',
};

function outcomeLine(o: SimulatedOutcome): string {
  const by = `${o.purpose}${o.rule ? `, rule ${o.rule}` : ''}`;
  switch (o.status) {
    case 'deleted':
    case 'anonymised':
      return `${o.status} ${o.on}, ${o.when} (${by})`;
    case 'kept':
      return `kept while ${o.condition} holds; would be due ${o.on}, ${o.when} (${by})`;
    case 'review':
      return `kept under periodic review (${by})`;
    case 'waiting':
      return `kept, waiting for an event that never came: ${o.explanation}`;
    case 'undecided':
      return `kept until a person decides: ${o.explanation}`;
  }
}

/** The notice's first sentence (the period); the JSON carries the whole text. */
const firstSentence = (text: string): string => /^.*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text;

function promiseLine(p: NoticePromise): string {
  const verdict = p.holds === false ? 'DEFEATED' : p.kind === 'review' ? 'review' : p.kind === 'open' ? 'open' : 'holds';
  const scope = p.onPath ? '' : ' (for records collected for it)';
  const by = p.defeatedBy.length ? `\n                 defeated by: ${p.defeatedBy.map((d) => d.outcome).join('; ')}` : '';
  return `        ${verdict.padEnd(8)} ${p.purpose}${scope}: ${firstSentence(p.notice)}${by}`;
}

function categoryBlock(c: CategoryPath): string[] {
  const out = [`    ${c.category}: held for ${c.heldFor.join(', ')} (${c.heldBy === 'default-purposes' ? 'the default purposes' : 'every purpose using it'})`];
  const lines = c.outcomes.map(outcomeLine);
  if (new Set(lines).size === 1) out.push(`      ${lines[0]}`);
  else c.outcomes.forEach((o, i) => out.push(`      ${`${SCENARIO_WORDS[o.scenario]}:`.padEnd(31)} ${lines[i]}`));
  out.push('      the notice says:');
  for (const p of c.promises) out.push(promiseLine(p));
  return out;
}

export function formatPromises(report: PromisesReport): string {
  const out = [`${report.organisation}: every relationship's path, walked from collection on ${report.start}`, ''];
  for (const r of report.relationships) {
    const defaults = r.defaultPurposes ? `default purposes ${r.defaultPurposes.join(', ')}` : 'no default purposes';
    out.push(`${r.relationship} (${r.name})${r.role === 'processor' ? ', as a processor' : ''}; ${defaults}`);
    out.push(`  life: ${r.life.map((e) => `${e.event} ${e.on}`).join(' · ')}`);
    if (r.categories.length === 0) out.push('    nothing stored');
    for (const c of r.categories) out.push(...categoryBlock(c));
    out.push('');
  }
  out.push(`${report.promises} fixed-period promise(s), ${report.defeated} defeated`);
  return `${out.join('\n')}\n`;
}

// ——— the API response ———

const outcomeSchema = z.object({
  scenario: z.enum(['no-consent', 'consent-given', 'consent-withdrawn']),
  status: z.enum(['deleted', 'anonymised', 'review', 'undecided', 'waiting', 'kept']),
  on: z.string().nullable(),
  when: z.string().nullable(),
  purpose: z.string(),
  rule: z.string().nullable(),
  condition: z.string().nullable(),
  explanation: z.string(),
});

const promiseSchema = z.object({
  purpose: z.string(),
  purposeName: z.string(),
  rule: z.string().nullable(),
  notice: z.string(),
  kind: z.enum(['fixed', 'review', 'open']),
  promisedOn: z.string().nullable(),
  action: z.enum(['delete', 'anonymise']).nullable(),
  onPath: z.boolean(),
  holds: z.boolean().nullable(),
  defeatedBy: z.array(z.object({ purpose: z.string(), rule: z.string().nullable(), outcome: z.string() })),
});

export const promisesReportSchema = z.object({
  organisation: z.string(),
  start: z.string(),
  promises: z.number(),
  defeated: z.number(),
  relationships: z.array(
    z.object({
      relationship: z.string(),
      name: z.string(),
      role: z.enum(['controller', 'processor']),
      defaultPurposes: z.array(z.string()).nullable(),
      life: z.array(z.object({ event: z.string(), on: z.string() })),
      scenarios: z.array(z.enum(['no-consent', 'consent-given', 'consent-withdrawn'])),
      categories: z.array(
        z.object({
          category: z.string(),
          categoryName: z.string(),
          purposes: z.array(z.string()),
          heldFor: z.array(z.string()),
          heldBy: z.enum(['default-purposes', 'every-purpose']),
          outcomes: z.array(outcomeSchema),
          promises: z.array(promiseSchema),
        }),
      ),
    }),
  ),
});

/** Exactly the fields the schema lists leave the server. */
export const presentPromises = (report: PromisesReport): z.infer<typeof promisesReportSchema> => promisesReportSchema.parse(report);
