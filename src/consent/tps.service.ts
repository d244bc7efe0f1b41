/**
 * TPS and CTPS screening (PECR regs 21 and 21B): live marketing calls must not go to numbers on
 * the Telephone Preference Service (individuals) or the Corporate TPS, unless the person
 * consented to our calls. The registers are imported from the files the TPS supplies (one number
 * per line) and stored only as keyed hashes of the E.164 number, under the suppression-list key;
 * each import replaces the previous one. A register not refreshed within 28 days is stale, and
 * calls that depend on it are blocked until it is.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { StewardError } from '../shared/errors.js';
import { FastHmac } from './fast-hmac.js';
import './consent.tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

export const TPS_REGISTERS = ['tps', 'ctps'] as const;
export type TpsRegister = (typeof TPS_REGISTERS)[number];

/** ICO: screen against the TPS at least every 28 days. */
export const TPS_MAX_AGE_DAYS = 28;

export interface TpsImportResult {
  register: TpsRegister;
  numbers: number;
  duplicates: number;
  rejected: Array<{ line: number; problem: string }>;
  importedAt: string;
}

/** Replaces a register with the numbers in `lines` (one per line; blanks and # comments skipped). */
export async function importTpsRegister(ctx: AppContext, actor: Actor, register: string, lines: readonly string[]): Promise<TpsImportResult> {
  authorise(actor, 'marketing:manage');
  if (!(TPS_REGISTERS as readonly string[]).includes(register)) throw new StewardError('VALIDATION_FAILED', 'register: must be "tps" or "ctps"', [{ path: 'register', message: 'must be tps or ctps' }]);
  const reg = register as TpsRegister;
  const hmac = new FastHmac(ctx.keyring.suppressionHmacKey());
  const hashes = new Set<string>();
  const rejected: TpsImportResult['rejected'] = [];
  let duplicates = 0;
  const digest = createHash('sha256');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    // The TPS files are national numbers, sometimes with a trailing field: take the first one.
    const first = raw.split(/[,;\t]/)[0]!.trim();
    const e164 = ctx.keyring.indexer.normalise('phone', first);
    if (!e164) {
      // Line numbers only: never the line itself.
      if (rejected.length < 1000) rejected.push({ line: i + 1, problem: 'not a phone number' });
      continue;
    }
    const h = hmac.hex(e164);
    if (hashes.has(h)) duplicates++;
    else hashes.add(h);
    digest.update(e164).update('\n');
  }
  const importedAt = ctx.clock.now().toISOString();
  const all = [...hashes];
  await writeTx(ctx, async (trx) => {
    await trx.deleteFrom('tps_numbers').where('register', '=', reg).execute();
    const per = Math.floor(ctx.database.adapter.maxParameters / 2) - 1;
    for (let i = 0; i < all.length; i += per) {
      await trx
        .insertInto('tps_numbers')
        .values(all.slice(i, i + per).map((hash) => ({ register: reg, hash })))
        .execute();
    }
    await trx
      .insertInto('tps_imports')
      .values({ register: reg, imported_at: importedAt, numbers: all.length, rejected: rejected.length, file_digest: digest.digest('hex').slice(0, 32), imported_by: actor.id })
      .execute();
    await appendAudit(trx, ctx, actor, [{ action: 'tps.import', details: { register: reg, numbers: all.length, duplicates, rejected: rejected.length } }]);
  });
  return { register: reg, numbers: all.length, duplicates, rejected, importedAt };
}

export interface TpsFreshness {
  register: TpsRegister;
  importedAt: string | null;
  numbers: number;
  stale: boolean;
}

/** When each register was last imported, and whether that is more than 28 days ago. */
export async function tpsFreshness(db: Kysely<Tables>, now: Date): Promise<Record<TpsRegister, TpsFreshness>> {
  const out = {} as Record<TpsRegister, TpsFreshness>;
  for (const register of TPS_REGISTERS) {
    const row = await db.selectFrom('tps_imports').select(['imported_at', 'numbers']).where('register', '=', register).orderBy('imported_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const stale = !row || now.getTime() - Date.parse(row.imported_at) > TPS_MAX_AGE_DAYS * 86_400_000;
    out[register] = { register, importedAt: row?.imported_at ?? null, numbers: row ? Number(row.numbers) : 0, stale };
  }
  return out;
}

export async function tpsStatus(ctx: AppContext, actor: Actor): Promise<TpsFreshness[]> {
  authorise(actor, 'marketing:check');
  return Object.values(await tpsFreshness(ctx.database.db, ctx.clock.now()));
}
