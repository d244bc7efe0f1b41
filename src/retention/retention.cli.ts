/**
 * `steward events …`, `steward holds …` and `steward retention plan|run|reviews|review`: retention
 * at the console, over the same services as the HTTP API, acting as the operator (cliActor).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { type CliIo, withRuntime } from '../cli/io.js';
import { loadPolicy } from '../policy/policy.loader.js';
import { StewardError } from '../shared/errors.js';
import type { RetentionConditions } from './conditions.js';
import { parseCalendarDate } from './duration.js';
import { addLifeEvent, EVENT_TYPES, listLifeEvents, pendingLifeEvents, removeLifeEvent, reviewLifeEvent, type LifeEvent } from './events.service.js';
import { holdScope, listHolds, placeHold, releaseHold, type Hold } from './holds.service.js';
import { presentDecision, presentEvent, presentExplanation, presentHold, presentPlan, presentReviews, presentRun } from './retention.presenter.js';
import { explainSubject, type SubjectExplanation } from './retention.explain.js';
import { planRetention, type RetentionPlan } from './retention.plan.js';
import { runRetention, type RunResult } from './retention.run.js';
import { decideReview, listReviewsDue } from './reviews.service.js';
import { cliActor } from '../kernel/actors.js';

export interface RetentionCliOptions {
  /** Answers `unless` conditions (marketing consent, open contracts); default from life events. */
  conditions?: RetentionConditions;
}


const json = (io: CliIo, value: unknown): void => io.stdout(`${JSON.stringify(value, null, 2)}\n`);
const n = (x: number): string => x.toLocaleString('en-GB');
const plural = (count: number, one: string, many = `${one}s`): string => `${n(count)} ${count === 1 ? one : many}`;

function intOption(value: string, name: string, max: number): number {
  const v = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(v) || v > max) throw new StewardError('VALIDATION_FAILED', `${name}: a whole number from 0 to ${max}`);
  return v;
}

// ——— formatting ———

export function formatPlan(p: RetentionPlan, organisation: string): string {
  const t = p.totals;
  const out: string[] = [
    `Retention plan for ${organisation} as of ${p.asOf} (declaration ${p.policy.hash.slice(0, 12)}); nothing has been changed.`,
    `  ${plural(t.records, 'record')} of ${plural(t.subjects, 'person', 'people')}`,
    `  due: ${n(t.delete)} to delete, ${n(t.anonymise)} to anonymise${t.subjectsErased ? ` (${plural(t.subjectsErased, 'person', 'people')} erased entirely, their keys destroyed)` : ''}`,
    `  kept although due: ${n(t.held)} under legal hold, ${n(t.kept)} by a condition, ${n(t.restricted)} restricted (Art 18)`,
    `  not yet due: ${n(t.scheduled)} with an end date, ${n(t.waiting)} waiting for an event, ${n(t.review)} under periodic review, ${n(t.undecided)} needing a decision`,
  ];
  if (p.rules.length > 0) {
    out.push('', 'By rule (the rule that decides each record: the latest of its purposes):');
    const rows = p.rules.map((r) => [
      r.rule ?? '(no rule)',
      r.action ?? '-',
      n(r.due),
      n(r.scheduled),
      r.nextEnd ?? '-',
      r.waiting.map((w) => `${w.event} ${n(w.records)}`).join(', ') || '-',
      n(r.review),
      n(r.undecided),
      n(r.held + r.kept + r.restricted),
    ]);
    const head = ['rule', 'action', 'due', 'scheduled', 'next end', 'waiting for', 'review', 'decide', 'kept'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `  ${cells.map((c, i) => (i >= 2 && i !== 4 && i !== 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`.trimEnd();
    out.push(line(head), ...rows.map(line));
  }
  if (p.upcoming.length > 0) {
    out.push('', `Upcoming ends (to ${p.horizon}):`);
    for (const u of p.upcoming) out.push(`  ${u.month}  ${u.rule}  ${u.action}  ${n(u.records)}`);
  }
  out.push('', `Reviews due: ${n(p.reviews.due)}${p.reviews.upcoming ? ` (${n(p.reviews.upcoming)} more by ${p.horizon})` : ''}`);
  for (const r of p.reviews.list) out.push(`  ${r.dueOn}  ${r.subjectId}  ${r.rule}  ${plural(r.records, 'record')}`);
  if (p.reviews.due > p.reviews.list.length) out.push(`  … and ${n(p.reviews.due - p.reviews.list.length)} more (steward retention reviews)`);
  out.push(`Legal holds: ${n(p.holds.active)} active`);
  for (const h of p.holds.dueForReview) out.push(`  due for review since ${h.reviewOn}: ${h.id} (${holdScope(h)}) holding ${plural(h.holding, 'record')}`);
  for (const h of p.holds.lapsed) out.push(`  lapsed on ${h.expiresOn}: ${h.id} (${holdScope(h)}); release it to tidy up`);
  if (p.pendingEvents.length > 0) {
    // Left out of the plan until a privacy officer approves them (or their waiting days pass).
    out.push(`Life events pending approval: ${n(p.pendingEvents.length)} (steward events pending; events approve|reject ID)`);
    for (const e of p.pendingEvents.slice(0, 20)) out.push(`  ${e.id}  ${e.type} on ${e.date}, subject ${e.subjectId}: ${e.pendingUntil ? `in effect on ${e.pendingUntil} unless rejected` : 'needs approval'}`);
  }
  if (p.items.length > 0) {
    out.push('', 'Records due (and those kept although due):');
    for (const i of p.items) out.push(`  ${i.recordId}  subject ${i.subjectId}  ${i.category}: ${i.reason}`);
    if (p.itemsOmitted > 0) out.push(`  … and ${n(p.itemsOmitted)} more (--detail N to list more, --json for all fields)`);
  }
  if (p.offPromise.records > 0) {
    out.push('', `Records kept by a purpose other than their relationship's promise (${n(p.offPromise.records)}; narrow their purposes with PATCH /records/{id}):`);
    for (const i of p.offPromise.items) {
      out.push(`  ${i.recordId}  subject ${i.subjectId}  ${i.category}: decided by ${i.decidedBy.purpose} (rule ${i.decidedBy.rule ?? 'none'}); the promise names ${i.promised.join(', ')}`);
    }
    if (p.offPromise.itemsOmitted > 0) out.push(`  … and ${n(p.offPromise.itemsOmitted)} more (--detail N to list more)`);
  }
  if (p.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const w of p.warnings) out.push(`  ${w}`);
  }
  if (p.compare) {
    const c = p.compare;
    out.push(
      '',
      `If ${c.file} replaced the current declaration (${c.hash.slice(0, 12)}):`,
      `  ${n(c.becomeDue)} records would become due now, ${n(c.noLongerDue)} would no longer be due`,
      `  ${n(c.endsEarlier)} would end earlier, ${n(c.endsLater)} later`,
      `  due then: ${n(c.totals.delete)} to delete, ${n(c.totals.anonymise)} to anonymise (now ${n(t.delete)} and ${n(t.anonymise)})`,
    );
    if (c.changes.length === 0) out.push('  no record would change.');
    for (const ch of c.changes) out.push(`  ${n(ch.records)}: ${ch.from.status} (${ch.from.rule ?? 'no rule'}) → ${ch.to.status} (${ch.to.rule ?? 'no rule'})`);
    for (const i of c.items) out.push(`    ${i.recordId}  ${i.category}: ${i.from.status} ${i.from.end ?? ''} → ${i.to.status} ${i.to.end ?? ''}`.trimEnd());
    if (c.itemsOmitted > 0) out.push(`    … and ${n(c.itemsOmitted)} more`);
    for (const w of c.warnings) out.push(`  warning: ${w}`);
  }
  return `${out.join('\n')}\n`;
}

export function formatExplanation(e: SubjectExplanation): string {
  if (e.erasedAt) return `subject ${e.subjectId} was erased on ${e.erasedAt.slice(0, 10)}: nothing is kept\n`;
  const out = [`Retention of subject ${e.subjectId} as of ${e.asOf}${e.restricted ? ' (restricted, Art 18)' : ''}:`];
  if (e.records.length === 0) out.push('  no records');
  for (const r of e.records) out.push(`  ${r.recordId}  ${r.category}: ${r.reason}`);
  for (const r of e.reviews) out.push(`  review under ${r.rule} due ${r.dueOn}${r.lastReview ? ` (last: ${r.lastReview.decision} on ${r.lastReview.decidedOn})` : ''}`);
  return `${out.join('\n')}\n`;
}

export function formatRun(r: RunResult): string {
  if (!r.acquired) return 'skipped: another instance is running retention (it holds the retention lock)\n';
  const out = [
    `Retention run as of ${r.asOf}${r.complete ? '' : ' (stopped early: another instance took over the rest)'}:`,
    `  deleted ${plural(r.deleted, 'record')}, anonymised ${plural(r.anonymised, 'record')}${r.subjectsErased ? `; ${plural(r.subjectsErased, 'person', 'people')} erased (keys destroyed)` : ''}`,
    `  kept although due: ${n(r.held)} under legal hold, ${n(r.kept)} by a condition, ${n(r.restricted)} restricted`,
  ];
  for (const x of r.rules) out.push(`  ${x.rule}: ${x.action === 'delete' ? 'deleted' : 'anonymised'} ${plural(x.records, 'record')} of ${plural(x.subjects, 'person', 'people')}`);
  return `${out.join('\n')}\n`;
}

/** Free text typed by someone else, made safe for a terminal: no control characters or escapes. */
const printable = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');

const formatHold = (h: Hold): string =>
  `${h.id}  ${holdScope(h)}  review ${h.reviewOn}${h.expiresOn ? `  expires ${h.expiresOn}` : ''}${h.releasedAt ? `  released ${h.releasedAt.slice(0, 10)}` : ''}\n    reason: ${printable(h.reason)}\n`;

// ——— commands ———

export function registerRetentionCommands(program: Command, io: CliIo, opts: RetentionCliOptions = {}): void {
  const conditions = opts.conditions ? { conditions: opts.conditions } : {};
  const asOfOption = (v: string) => parseCalendarDate(v, '--as-of');

  const events = program.command('events').description('life events that start or end retention periods (contract ended, account closed …)');
  events
    .command('add')
    .description('record an event; back-dated events count from the day they happened')
    .requiredOption('--subject <id>', 'the subject id')
    .requiredOption('--type <type>', `the event: ${EVENT_TYPES.join(', ')}`)
    .requiredOption('--date <YYYY-MM-DD>', 'the day it happened')
    .option('--relationship <id>', 'only for this relationship (e.g. customer), not the subject’s others')
    .option('--json', 'print the event as JSON')
    .action(async (o: { subject: string; type: string; date: string; relationship?: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const e = await addLifeEvent(rt, cliActor(), { subjectId: o.subject, type: o.type, date: o.date, ...(o.relationship ? { relationship: o.relationship } : {}), origin: 'cli' });
        if (o.json) json(io, presentEvent(e));
        else io.stdout(`recorded ${e.type} on ${e.date} for subject ${e.subjectId}${e.relationship ? ` (${e.relationship})` : ''}: event ${e.id}\n`);
      });
    });
  events
    .command('list')
    .description('a subject’s events, oldest first')
    .requiredOption('--subject <id>', 'the subject id')
    .option('--json', 'print as JSON')
    .action(async (o: { subject: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const list = await listLifeEvents(rt, cliActor(), o.subject);
        if (o.json) return json(io, { events: list.map(presentEvent) });
        if (list.length === 0) io.stdout('no events\n');
        for (const e of list) io.stdout(`${e.date}  ${e.type}${e.relationship ? ` (${e.relationship})` : ''}  ${e.id}  recorded by ${e.recordedBy} on ${e.recordedAt.slice(0, 10)}\n`);
      });
    });
  events
    .command('remove')
    .description('withdraw an event recorded by mistake (audited)')
    .argument('<id>', 'the event id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        await removeLifeEvent(rt, cliActor(), id);
        io.stdout(`removed event ${id}\n`);
      });
    });

  const pendingLine = (e: LifeEvent) =>
    `${e.id}  ${e.date}  ${e.type}${e.relationship ? ` (${e.relationship})` : ''}  subject ${e.subjectId}  recorded by ${e.recordedBy} on ${e.recordedAt.slice(0, 10)}  ${e.pendingUntil ? `in effect on ${e.pendingUntil} unless rejected` : 'needs approval'}\n`;
  events
    .command('pending')
    .description('events recorded by staff that wait for a privacy officer: back-dated ones need approval, recent ones wait some days')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const list = await pendingLifeEvents(rt, cliActor());
        if (o.json) return json(io, { events: list.map(presentEvent) });
        if (list.length === 0) io.stdout('no events waiting\n');
        for (const e of list) io.stdout(pendingLine(e));
      });
    });
  for (const decision of ['approve', 'reject'] as const) {
    events
      .command(decision)
      .description(decision === 'approve' ? 'approve a pending event: retention acts on it from now (audited)' : 'reject a pending event: retention never acts on it (audited)')
      .argument('<id>', 'the event id')
      .action(async (id: string, _o: unknown, cmd: Command) => {
        await withRuntime(cmd, io, async (rt) => {
          const e = await reviewLifeEvent(rt, cliActor(), id, decision);
          io.stdout(`${decision === 'approve' ? 'approved' : 'rejected'} event ${e.id} (${e.type} on ${e.date})\n`);
        });
      });
  }

  const holds = program.command('holds').description('legal holds: data that must be kept beyond its retention');
  holds
    .command('add')
    .description('place a hold on a subject, a relationship or a category (or a combination, which narrows it)')
    .option('--subject <id>', 'a subject id')
    .option('--relationship <id>', 'a declared relationship (with --subject: that relationship of that subject)')
    .option('--category <id>', 'a declared data category')
    .requiredOption('--reason <text>', 'why: a case or matter reference (kept with the hold, never in the audit trail)')
    .requiredOption('--review <YYYY-MM-DD>', 'when the hold is next looked at')
    .option('--expires <YYYY-MM-DD>', 'a day the hold lapses by itself')
    .option('--json', 'print the hold as JSON')
    .action(async (o: { subject?: string; relationship?: string; category?: string; reason: string; review: string; expires?: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const h = await placeHold(rt, cliActor(), {
          reason: o.reason,
          reviewOn: o.review,
          ...(o.subject ? { subjectId: o.subject } : {}),
          ...(o.relationship ? { relationship: o.relationship } : {}),
          ...(o.category ? { category: o.category } : {}),
          ...(o.expires ? { expiresOn: o.expires } : {}),
        });
        if (o.json) json(io, presentHold(h));
        else io.stdout(`placed hold ${h.id} on ${holdScope(h)}; review on ${h.reviewOn}\n`);
      });
    });
  holds
    .command('release')
    .description('release a hold: due retention runs on the data at the next run')
    .argument('<id>', 'the hold id')
    .option('--reason <text>', 'why it is released')
    .action(async (id: string, o: { reason?: string }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const h = await releaseHold(rt, cliActor(), id, o.reason);
        io.stdout(`released hold ${h.id} (${holdScope(h)})\n`);
      });
    });
  holds
    .command('list')
    .description('holds not yet released')
    .option('--all', 'include released holds')
    .option('--json', 'print as JSON')
    .action(async (o: { all?: boolean; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const list = await listHolds(rt, cliActor(), { all: Boolean(o.all) });
        if (o.json) return json(io, { holds: list.map(presentHold) });
        if (list.length === 0) io.stdout('no holds\n');
        for (const h of list) io.stdout(formatHold(h));
      });
    });

  const retention = program.command('retention').description('retention: the plan, the run, periodic reviews');
  retention
    .command('plan')
    .description('what will be deleted, anonymised or reviewed, when and under which rule; changes nothing')
    .option('--as-of <YYYY-MM-DD>', 'plan for another day (the future, to see what is coming)', asOfOption)
    .option('--compare <file>', 'another declaration: show what replacing the current one with it would change')
    .option('--subject <id>', 'explain one subject’s records instead: each one’s end, rule and reason')
    .option('--detail <n>', 'how many due records to list (default 50)')
    .option('--json', 'print as JSON')
    .action(async (o: { asOf?: string; compare?: string; subject?: string; detail?: string; json?: boolean }, cmd: Command) => {
      const detail = o.detail === undefined ? 50 : intOption(o.detail, '--detail', 10_000);
      const compare = o.compare ? await loadPolicy(path.resolve(io.cwd, o.compare)) : undefined;
      await withRuntime(cmd, io, async (rt) => {
        if (o.subject) {
          const e = await explainSubject(rt, cliActor(), o.subject, { ...conditions, ...(o.asOf ? { asOf: o.asOf } : {}) });
          return o.json ? json(io, presentExplanation(e)) : io.stdout(formatExplanation(e));
        }
        const plan = await planRetention(rt, cliActor(), { ...conditions, detail, ...(o.asOf ? { asOf: o.asOf } : {}), ...(compare ? { compare } : {}) });
        if (compare && plan.compare) plan.compare.file = path.relative(io.cwd, compare.file) || compare.file;
        if (o.json) json(io, presentPlan(plan));
        else io.stdout(formatPlan(plan, rt.policy.policy.organisation.name));
      });
    });
  retention
    .command('run')
    .description('delete and anonymise what is due (idempotent; one instance at a time via a database lock)')
    .option('--as-of <YYYY-MM-DD>', 'act as of an earlier day (never a future one)', asOfOption)
    .option('--json', 'print the result as JSON')
    .action(async (o: { asOf?: string; json?: boolean }, cmd: Command) => {
      await withRuntime(cmd, io, async (rt) => {
        const r = await runRetention(rt, cliActor(), o.asOf, conditions);
        if (o.json) json(io, presentRun(r));
        else io.stdout(formatRun(r));
      });
    });
  retention
    .command('reviews')
    .description('subjects due for a periodic review (rules with review_every), oldest first')
    .option('--as-of <YYYY-MM-DD>', 'for another day', asOfOption)
    .option('--limit <n>', 'how many to list (default 100)')
    .option('--json', 'print as JSON')
    .action(async (o: { asOf?: string; limit?: string; json?: boolean }, cmd: Command) => {
      const limit = o.limit === undefined ? 100 : Math.max(1, intOption(o.limit, '--limit', 10_000));
      await withRuntime(cmd, io, async (rt) => {
        const r = await listReviewsDue(rt, cliActor(), { ...(o.asOf ? { asOf: o.asOf } : {}), limit });
        if (o.json) return json(io, presentReviews(r));
        io.stdout(`Reviews due as of ${r.asOf}: ${n(r.due)}\n`);
        for (const x of r.list) io.stdout(`  ${x.dueOn}  ${x.subjectId}  ${x.rule}  ${plural(x.records, 'record')}${x.lastReview ? `  (last: ${x.lastReview.decision} on ${x.lastReview.decidedOn})` : ''}\n`);
      });
    });
  retention
    .command('review')
    .description('decide a periodic review: --keep (with the next review) or --delete what the rule governs')
    .argument('<subject>', 'the subject id')
    .requiredOption('--rule <id>', 'the retention rule under review')
    .option('--keep', 'keep the data')
    .option('--delete', 'delete the data the rule governs')
    .requiredOption('--reason <text>', 'why')
    .option('--next <YYYY-MM-DD>', 'with --keep: the next review (default review_every from today)')
    .option('--json', 'print the decision as JSON')
    .action(async (subject: string, o: { rule: string; keep?: boolean; delete?: boolean; reason: string; next?: string; json?: boolean }, cmd: Command) => {
      if (Boolean(o.keep) === Boolean(o.delete)) cmd.error('error: give exactly one of --keep or --delete', { exitCode: 2 });
      await withRuntime(cmd, io, async (rt) => {
        const d = await decideReview(rt, cliActor(), { subjectId: subject, rule: o.rule, decision: o.keep ? 'keep' : 'delete', reason: o.reason, ...(o.next ? { nextReviewOn: o.next } : {}) });
        if (o.json) return json(io, presentDecision(d));
        io.stdout(
          d.decision === 'keep'
            ? `kept subject ${d.subjectId} under ${d.rule}; next review ${d.nextReviewOn}\n`
            : `deleted ${plural(d.deleted, 'record')} of subject ${d.subjectId} under ${d.rule}${d.narrowed ? `; ${plural(d.narrowed, 'record')} kept for other purposes` : ''}${d.keyDestroyed ? '; no record left: key destroyed' : ''}\n`,
        );
      });
    });
}
