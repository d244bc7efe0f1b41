/**
 * Answers that change how the person's data is held without deleting it: rectification (Art 16,
 * digests before and after) and restriction (Art 18) and its lifting. Both tell the recipients of
 * the categories affected (Art 19 tasks).
 */
import { authorise, type Actor } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { setRestrictionIn, updateRecordIn } from '../register/register.service.js';
import { StewardError } from '../shared/errors.js';
import { recordOwner } from '../register/subject-lookups.js';
import { categoriesOfSubject } from '../register/register.repository.js';
import { createTasks, fulfilChange, loadOpen, needSubject, type Correction, type FulfilOptions } from './requests.answering.js';
import { changeRequest, type ChangeResult } from './requests.change.js';
import { invalid } from './requests.checks.js';
import { ukToday } from './requests.clock.js';
import { requestRow } from './requests.store.js';
import { RIGHTS_REQUEST_PURPOSE } from '../register/register.access.js';

/**
 * Rectification as one transaction: the request's permission is checked before anything is
 * read or written, then each correction (the register's own permission, visibility and Art 18
 * checks first), the request's answer and the Art 19 tasks commit together or not at all.
 */
export async function fulfilRectification(ctx: AppContext, actor: Actor, idOrRef: string, input: { changes?: Correction[] }, opts: FulfilOptions): Promise<ChangeResult> {
  authorise(actor, 'requests:manage');
  const row = await loadOpen(ctx, idOrRef, 'rectification');
  const subjectId = needSubject(row);
  const changes = input.changes;
  if (!Array.isArray(changes) || changes.length === 0) throw invalid('changes', 'give at least one correction');
  if (changes.length > 500) throw invalid('changes', 'at most 500 corrections at a time');
  for (const [i, c] of changes.entries()) {
    if (c.value === undefined && c.text === undefined && c.fields === undefined) throw invalid(`changes[${i}]`, 'give the corrected value, fields or text');
  }
  return fulfilChange(
    ctx,
    actor,
    row,
    async (_r, doc, trx) => {
      const digests: Array<{ record: string; category: string; before: string; after: string }> = [];
      for (const [i, c] of changes.entries()) {
        const rec = await recordOwner(trx, c.recordId);
        if (!rec || rec.subjectId !== subjectId) throw invalid(`changes[${i}].recordId`, 'is not one of this person\'s records');
        const done = await updateRecordIn(trx, ctx, actor, c.recordId, { value: c.value, fields: c.fields, text: c.text }, RIGHTS_REQUEST_PURPOSE, { request: row.id });
        digests.push({ record: c.recordId, category: rec.category, before: done.before, after: done.after });
      }
      const tasks = await createTasks(trx, ctx, row.id, subjectId, 'rectification', [...new Set(digests.map((d) => d.category))]);
      doc.result = { records: digests.length };
      return {
        set: { status: 'completed', outcome: 'rectified', closed_at: ctx.clock.now().toISOString() },
        event: { type: 'fulfilled', details: { records: digests.length, digests: digests as unknown as Record<string, unknown>, tasks } },
        audit: { action: 'request.rectification', details: { digests } },
        letter: 'rectification',
      };
    },
    opts,
  );
}

/** Restriction as one transaction: the request's permission first, then the register's. */
export async function fulfilRestriction(ctx: AppContext, actor: Actor, idOrRef: string, _input: unknown, opts: FulfilOptions): Promise<ChangeResult> {
  authorise(actor, 'requests:manage');
  const row = await loadOpen(ctx, idOrRef, 'restriction');
  const subjectId = needSubject(row);
  return fulfilChange(
    ctx,
    actor,
    row,
    async (_r, doc, trx) => {
      await setRestrictionIn(trx, ctx, actor, subjectId, true, `request:${row.id}`);
      const cats = await categoriesOfSubject(trx, subjectId);
      const tasks = await createTasks(trx, ctx, row.id, subjectId, 'restriction', cats);
      doc.result = { categories: cats };
      return { set: { status: 'completed', outcome: 'restricted', closed_at: ctx.clock.now().toISOString() }, event: { type: 'fulfilled', details: { tasks } }, letter: 'restriction' };
    },
    opts,
  );
}

/** Art 18(3): the person must be told before a restriction is lifted; the record of that is required. */
export async function liftRestriction(ctx: AppContext, actor: Actor, idOrRef: string, input: { toldOn: string; method: string }): Promise<ChangeResult> {
  const row = await requestRow(ctx.database.db, idOrRef);
  if (row.type !== 'restriction' || row.outcome !== 'restricted') throw new StewardError('CONFLICT', `request ${row.reference} did not restrict anyone's data`);
  const today = ukToday(ctx.clock.now());
  if (!input.toldOn || !/^\d{4}-\d{2}-\d{2}$/.test(input.toldOn) || input.toldOn > today) throw invalid('toldOn', 'give the day the person was told (YYYY-MM-DD, not in the future)');
  if (!['email', 'letter', 'phone', 'in-person'].includes(input.method)) throw invalid('method', 'must be one of email, letter, phone, in-person');
  const subjectId = needSubject(row);
  return changeRequest(
    ctx,
    actor,
    row.id,
    'requests:manage',
    async (_r, doc, trx) => {
      await setRestrictionIn(trx, ctx, actor, subjectId, false, `request:${row.id}`);
      doc.restrictionLift = { toldOn: input.toldOn, method: input.method, by: actor.id, at: ctx.clock.now().toISOString() };
      return { set: { outcome: 'restriction-lifted' }, event: { type: 'restriction-lifted', details: { toldOn: input.toldOn, method: input.method } } };
    },
    { allowClosed: true },
  );
}
