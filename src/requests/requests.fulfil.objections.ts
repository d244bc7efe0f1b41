/**
 * Answers that stop processing: objection to legitimate-interest or public-task processing
 * (Art 21(1), unless compelling grounds are recorded), objection to direct marketing (Art 21(2)–(3),
 * absolute) and withdrawal of consent (Art 7(3)).
 */
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { consentStates, objectToDirectMarketing, recordConsent } from '../consent/consent.service.js';
import { entriesFor, insertSuppressions, type Identifier } from '../consent/suppression.service.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import { updateRecordIn } from '../register/register.service.js';
import { holdActive, holdsCovering, unreleasedHolds } from '../retention/holds.service.js';
import { deleteRecordRows } from '../register/register.repository.js';
import { retentionModel } from '../retention/retention.engine.js';
import { heldRecords, relationshipsOf, type HeldRecord } from '../register/subject-lookups.js';
import { fulfilChange, loadOpen, methodFor, needSubject, type FulfilOptions } from './requests.answering.js';
import type { ChangeResult } from './requests.change.js';
import { invalid } from './requests.checks.js';
import { ukToday } from './requests.clock.js';
import { RIGHTS_REQUEST_PURPOSE } from '../register/register.access.js';

const LEGITIMATE_INTEREST_BASES = new Set(['legitimate-interests', 'recognised-legitimate-interest', 'public-task']);

/**
 * Art 21(1): stop legitimate-interest (and public-task) processing unless compelling grounds are
 * recorded. Records used for other purposes too lose those purposes; records used only for them
 * are erased (Art 17(1)(c)), unless a legal hold covers them.
 */
export async function fulfilObjection(ctx: AppContext, actor: Actor, idOrRef: string, input: { compellingGrounds?: string }, opts: FulfilOptions): Promise<ChangeResult> {
  authorise(actor, 'requests:manage');
  const row = await loadOpen(ctx, idOrRef, 'objection');
  const subjectId = needSubject(row);
  const grounds = input.compellingGrounds?.trim();
  if (grounds) {
    if (grounds.length > 5000) throw invalid('compellingGrounds', 'is longer than 5000 characters');
    return fulfilChange(
      ctx,
      actor,
      row,
      (_r, doc) => {
        doc.result = { grounds };
        return { set: { status: 'completed', outcome: 'objection-refused', closed_at: ctx.clock.now().toISOString() }, event: { type: 'fulfilled', details: { compellingGrounds: true } }, letter: 'objection-refused' };
      },
      opts,
    );
  }
  const idx = policyIndex(ctx.policy);
  const today = ukToday(ctx.clock.now());
  // One transaction: records used for other purposes too lose the objected ones, the rest go.
  return fulfilChange(
    ctx,
    actor,
    row,
    async (_r, doc, trx) => {
      const stopped = new Set<string>();
      const onlyLi: HeldRecord[] = [];
      for (const rec of await heldRecords(trx, subjectId)) {
        const li = rec.purposes.filter((p) => p.basis && LEGITIMATE_INTEREST_BASES.has(p.basis));
        if (li.length === 0) continue;
        for (const p of li) stopped.add(p.purpose);
        const rest = rec.purposes.filter((p) => !li.includes(p));
        if (rest.length === 0) onlyLi.push(rec);
        else await updateRecordIn(trx, ctx, actor, rec.id, { purposes: rest.map((p) => p.purpose) }, RIGHTS_REQUEST_PURPOSE, { request: row.id });
      }
      const holds = (await unreleasedHolds(trx)).filter((h) => holdActive(h, today));
      const rels = await relationshipsOf(trx, subjectId);
      const model = retentionModel(ctx.policy);
      const del = onlyLi.filter((r) => holdsCovering(holds, model, { subjectId, category: r.category, purposes: r.storedPurposes }, rels).length === 0);
      await deleteRecordRows(trx, del.map((r) => r.id), { now: ctx.clock.now().toISOString(), reason: 'objection' });
      if (del.length) {
        await appendAudit(trx, ctx, actor, del.map((r) => ({ action: 'record.delete', subjectId, recordId: r.id, details: { category: r.category, digest: r.digest, reason: `request:${row.id}` } })));
      }
      const names = [...stopped].map((p) => idx.purposes.get(p)?.name ?? p);
      doc.result = { stopped: names };
      return {
        set: { status: 'completed', outcome: 'objection-upheld', closed_at: ctx.clock.now().toISOString() },
        event: { type: 'fulfilled', details: { purposes: [...stopped], erased: del.length, held: onlyLi.length - del.length } },
        letter: 'objection-upheld',
      };
    },
    opts,
  );
}

/** Art 21(2)–(3): absolute. Withdraws marketing consents and suppresses every identifier, matched or not. */
export async function fulfilMarketingObjection(ctx: AppContext, actor: Actor, idOrRef: string, _input: unknown, opts: FulfilOptions): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'marketing-objection');
  return fulfilChange(
    ctx,
    actor,
    row,
    async (r, doc, trx) => {
      let withdrawn = 0;
      let suppressed = 0;
      if (r.subject_id) {
        const res = await objectToDirectMarketing(ctx, actor, r.subject_id, methodFor(r.channel), trx);
        withdrawn = res.withdrawn;
        suppressed += res.suppressed;
      }
      // The address they wrote from goes on the list too, even if it is not in the register.
      const ids: Identifier[] = [];
      if (doc.requester.email) ids.push({ kind: 'email', value: doc.requester.email });
      if (doc.requester.phone) ids.push({ kind: 'phone', value: doc.requester.phone });
      suppressed += await insertSuppressions(trx, ctx, actor, entriesFor(ctx, ids, '*', '*'), 'objection');
      doc.result = { withdrawn, suppressed };
      return {
        set: { status: 'completed', outcome: 'marketing-stopped', closed_at: ctx.clock.now().toISOString() },
        event: { type: 'fulfilled', details: { withdrawn, suppressed } },
        letter: 'marketing-objection',
      };
    },
    opts,
  );
}

/** Art 7(3): the consents held (for the purposes named, or all) are recorded as withdrawn. */
export async function fulfilWithdrawal(ctx: AppContext, actor: Actor, idOrRef: string, input: { purposes?: string[] }, opts: FulfilOptions): Promise<ChangeResult> {
  const row = await loadOpen(ctx, idOrRef, 'withdraw-consent');
  const subjectId = needSubject(row);
  const idx = policyIndex(ctx.policy);
  for (const [i, p] of (input.purposes ?? []).entries()) if (!idx.purposes.has(p)) throw invalid(`purposes[${i}]`, 'is not a purpose in the declaration');
  return fulfilChange(
    ctx,
    actor,
    row,
    async (r, doc, trx) => {
      const nowIso = ctx.clock.now().toISOString();
      const active = (await consentStates(trx, [subjectId], nowIso)).filter((s) => s.status === 'active' && (!input.purposes?.length || input.purposes.includes(s.purpose)));
      const byPurpose = new Map<string, string[]>();
      for (const s of active) byPurpose.set(s.purpose, [...(byPurpose.get(s.purpose) ?? []), s.channel]);
      for (const [purpose, channels] of byPurpose) {
        await recordConsent(ctx, actor, { subjectId, purpose, channels, action: 'withdrawn', method: methodFor(r.channel) }, trx);
      }
      const names = [...byPurpose.keys()].map((p) => idx.purposes.get(p)?.name ?? p);
      doc.result = { purposes: names };
      return {
        set: { status: 'completed', outcome: byPurpose.size ? 'consent-withdrawn' : 'no-consent-held', closed_at: nowIso },
        event: { type: 'fulfilled', details: { purposes: [...byPurpose.keys()], consents: active.length } },
        letter: 'consent-withdrawn',
      };
    },
    opts,
  );
}
