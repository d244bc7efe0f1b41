/**
 * The breach register as one CSV (Art 33(5): document every breach, its effects and the remedial
 * action, and every decision not to report), for the privacy officer's files or an auditor.
 */
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { REGISTER_CSV_COLUMNS, registerCsvRow } from './breaches.presenter.js';
import { allBreaches, clockOf } from './breaches.service.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

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
