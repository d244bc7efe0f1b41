/**
 * The breach register as one CSV (Art 33(5): document every breach, its effects and the remedial
 * action, and every decision not to report), for the privacy officer's files or an auditor, with
 * cells a spreadsheet would run as formulas neutralised.
 */
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { csvCell } from '../shared/csv.js';
import { formatUk, type BreachClock } from './breaches.clock.js';
import type { BreachState } from './breaches.events.js';
import { allBreaches } from './breaches.read.js';
import { clockOf } from './breaches.view.js';

export async function exportRegisterCsv(ctx: AppContext, actor: Actor): Promise<{ csv: string; breaches: number }> {
  authorise(actor, 'breaches:read');
  const now = ctx.clock.now();
  return writeTx(ctx, async (trx) => {
    let out = `${REGISTER_CSV_COLUMNS.join(',')}\r\n`;
    let n = 0;
    for await (const b of allBreaches(ctx, trx)) {
      out += registerCsvRow(b.row, b.state, clockOf(b.state, now));
      n++;
    }
    await appendAudit(trx, ctx, actor, [{ action: 'breach.export', details: { breaches: n, format: 'csv' } }]);
    return { csv: out, breaches: n };
  });
}

export const REGISTER_CSV_COLUMNS = [
  'reference',
  'id',
  'status',
  'title',
  'occurred_at_uk',
  'aware_at_uk',
  'aware_at_utc',
  'deadline_uk',
  'clock',
  'natures',
  'categories',
  'people_affected',
  'records_affected',
  'risk',
  'risk_reasons',
  'exemptions',
  'ico_decision',
  'ico_decision_reason',
  'ico_decided_by',
  'ico_first_report_uk',
  'ico_reports',
  'reported_late',
  'delay_reason',
  'people_decision',
  'people_decision_reason',
  'people_emailed',
  'letters_exported',
  'consequences',
  'measures_taken',
  'measures_proposed',
  'closed_uk',
  'close_reason',
  'version',
] as const;

export function registerCsvRow(row: { id: string; reference: string }, s: BreachState, clock: BreachClock): string {
  const f = s.facts;
  const first = [...s.icoReports].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt))[0];
  const values: Record<(typeof REGISTER_CSV_COLUMNS)[number], unknown> = {
    reference: row.reference,
    id: row.id,
    status: s.closed ? 'closed' : 'open',
    title: f.title,
    occurred_at_uk: formatUk(f.occurredAt),
    aware_at_uk: formatUk(f.awareAt),
    aware_at_utc: f.awareAt,
    deadline_uk: clock.deadlineUk,
    clock: clock.state,
    natures: f.natures.join('; '),
    categories: [...new Set([...f.categories, ...(s.affected?.byCategory.map((c) => c.category) ?? [])])].join('; '),
    people_affected: s.affected?.people ?? f.approxPeople ?? '',
    records_affected: s.affected?.records ?? f.approxRecords ?? '',
    risk: s.risk?.level ?? '',
    risk_reasons: s.risk?.reasons ?? '',
    exemptions: s.risk?.exemptions.join('; ') ?? '',
    ico_decision: s.decisions.ico?.decision ?? (s.icoReports.length ? 'notify' : ''),
    ico_decision_reason: s.decisions.ico?.reason ?? '',
    ico_decided_by: s.decisions.ico?.decidedBy ?? '',
    ico_first_report_uk: formatUk(first?.submittedAt),
    ico_reports: s.icoReports.length,
    reported_late: first ? (first.late ? 'yes' : 'no') : '',
    delay_reason: s.icoReports.find((r) => r.delayReason)?.delayReason ?? '',
    people_decision: s.decisions.people?.decision ?? '',
    people_decision_reason: s.decisions.people?.reason ?? '',
    people_emailed: s.told.emailSent,
    letters_exported: s.told.postExported,
    consequences: f.consequences ?? '',
    measures_taken: f.measuresTaken ?? '',
    measures_proposed: f.measuresProposed ?? '',
    closed_uk: formatUk(s.closed?.at),
    close_reason: s.closed?.reason ?? '',
    version: s.version,
  };
  return `${REGISTER_CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')}\r\n`;
}
