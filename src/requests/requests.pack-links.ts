/**
 * Released packs and their links: a pack is stored encrypted under the request's key and reached
 * by a signed link that expires after PACK_TTL_DAYS; once expired (or its person erased) the
 * content goes and the link answers like an unknown one.
 */
import { timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import type { Actor } from '../auth/roles.js';
import { decrypt, encrypt } from '../crypto/envelope.js';
import type { Tables } from '../db/tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { newId } from '../shared/ids.js';
import { ukToday } from './requests.clock.js';
import { packAad, requestKey, type RequestRow } from './requests.store.js';

export const PACK_TTL_DAYS = 30;

function packToken(ctx: AppContext, packId: string, expiresMs: number): string {
  const data = `${packId}.${expiresMs}`;
  return `${data}.${ctx.keyring.linkMac('request-pack', data)}`;
}

export const packUrl = (baseUrl: string | undefined, token: string): string => `${(baseUrl ?? '').replace(/\/$/, '')}/api/v1/privacy/requests/download?t=${token}`;

export async function storePack(trx: Kysely<Tables>, ctx: AppContext, row: RequestRow, kind: string, zip: Buffer): Promise<{ token: string; expiresOn: string }> {
  const now = ctx.clock.now();
  const expires = new Date(now.getTime() + PACK_TTL_DAYS * 86_400_000);
  const id = newId();
  const dek = await requestKey(ctx, row);
  await trx
    .insertInto('request_packs')
    .values({ id, request_id: row.id, kind, created_at: now.toISOString(), expires_at: expires.toISOString(), content: encrypt(dek, zip, packAad(row.id, id)), size: zip.length, downloads: 0 })
    .execute();
  return { token: packToken(ctx, id, expires.getTime()), expiresOn: ukToday(expires) };
}

/** The pack behind a signed link; undefined for a bad, expired or withdrawn link (one answer for all). */
export async function downloadPack(ctx: AppContext, token: string, ip?: string): Promise<{ filename: string; data: Buffer } | undefined> {
  const m = /^([0-9a-f-]{36})\.(\d{1,15})\.([\w-]{43})$/.exec(token);
  if (!m) return undefined;
  const [, packId, expires, mac] = m as unknown as [string, string, string, string];
  const want = Buffer.from(ctx.keyring.linkMac('request-pack', `${packId}.${expires}`));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  const now = ctx.clock.now();
  if (Number(expires) <= now.getTime()) return undefined;
  return writeTx(ctx, async (trx) => {
    const pack = await trx.selectFrom('request_packs').selectAll().where('id', '=', packId).executeTakeFirst();
    // An emptied pack (expired, or its person erased) answers like an unknown link.
    if (!pack || pack.expires_at <= now.toISOString() || pack.content.length === 0) return undefined;
    const row = await trx.selectFrom('requests').selectAll().where('id', '=', pack.request_id).executeTakeFirstOrThrow();
    if (row.status === 'withdrawn') return undefined;
    const data = decrypt(await requestKey(ctx, row), pack.content, packAad(row.id, pack.id));
    await trx.updateTable('request_packs').set({ downloads: pack.downloads + 1 }).where('id', '=', pack.id).execute();
    // Whoever holds the link is, as far as Steward can tell, the requester it was sent to: the
    // entry names them by the request's reference (no personal data), not an anonymous actor.
    await appendAudit(trx, ctx, { id: `requester:${row.reference}`, role: null, ip }, [
      { action: 'request.pack.download', subjectId: row.subject_id ?? undefined, details: { request: row.id, pack: pack.id, bytes: pack.size } },
    ]);
    return { filename: `${row.reference}-${pack.kind}.zip`, data };
  });
}

/**
 * Empties the packs whose link has expired. A pack is a copy of someone's data made for one
 * answer; once its link can no longer be used, keeping the copy only adds risk, and it is
 * encrypted under the request's key, not the person's, so erasing the person would not reach it.
 * The row stays (what was released, when, how many downloads); the content goes.
 */
export async function purgeExpiredPacks(ctx: AppContext, actor: Actor, now = ctx.clock.now()): Promise<{ purged: number; bytes: number }> {
  return writeTx(ctx, async (trx) => {
    const due = await trx
      .selectFrom('request_packs')
      .select(['id', 'request_id', 'size'])
      .where('expires_at', '<=', now.toISOString())
      .where(sql<number>`length(content)`, '>', 0)
      .execute();
    if (due.length === 0) return { purged: 0, bytes: 0 };
    const ids = due.map((d) => d.id);
    for (let i = 0; i < ids.length; i += 500) {
      await trx.updateTable('request_packs').set({ content: Buffer.alloc(0) }).where('id', 'in', ids.slice(i, i + 500)).execute();
    }
    const bytes = due.reduce((n, d) => n + Number(d.size), 0);
    await appendAudit(trx, ctx, actor, [{ action: 'request.pack.purge', details: { packs: due.length, bytes, requests: [...new Set(due.map((d) => d.request_id))].slice(0, 100) } }]);
    return { purged: due.length, bytes };
  });
}
