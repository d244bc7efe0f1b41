/**
 * Storage of breaches: rows, the breach data key, and the encrypted, append-only events.
 *
 * The breach key is made and unwrapped through the keyring as a subject key whose owner id is
 * `breach:<id>` (the wrap's additional data is then `subject-key:breach%3A<id>`, which no subject
 * id can produce), so it sits under the same key-encryption key as the register.
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../auth/roles.js';
import { aad, decrypt, encrypt } from '../crypto/envelope.js';
import type { Tables } from '../db/tables.js';
import { notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { deadlineFor, UK_ZONE } from './breaches.clock.js';
import { foldEvents, icoState, type BreachEvent, type BreachFacts, type BreachState, type EventData } from './breaches.events.js';
import './breaches.tables.js';
import type { AppContext } from '../kernel/context.js';

export type BreachRow = Tables['breaches'];

const keyOwner = (breachId: string): string => `breach:${breachId}`;
const eventAad = (breachId: string, seq: number, type: string): string => aad('breach-event', breachId, seq, type);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFERENCE = /^BR-\d{4}-\d{3,}$/i;

/** Finds a breach by its id or its reference ("BR-2026-001"); NOT_FOUND otherwise. */
export async function breachRow(db: Kysely<Tables>, idOrReference: string): Promise<BreachRow> {
  const key = String(idOrReference).trim();
  let row: BreachRow | undefined;
  if (UUID.test(key)) row = await db.selectFrom('breaches').selectAll().where('id', '=', key.toLowerCase()).executeTakeFirst();
  else if (REFERENCE.test(key)) row = await db.selectFrom('breaches').selectAll().where('reference', '=', key.toUpperCase()).executeTakeFirst();
  else throw new StewardError('VALIDATION_FAILED', 'a breach is named by its id (a UUID) or its reference (BR-2026-001)');
  if (!row) throw notFound('breach', key.length > 64 ? `${key.slice(0, 64)}…` : key);
  return row;
}

export async function breachKey(ctx: AppContext, row: Pick<BreachRow, 'id' | 'wrapped_key' | 'kek_version'>): Promise<Buffer> {
  await ctx.keyring.ensureVersions([row.kek_version]);
  return ctx.keyring.unwrapSubjectKey(keyOwner(row.id), row.wrapped_key);
}

const ukYear = new Intl.DateTimeFormat('en-GB', { timeZone: UK_ZONE, year: 'numeric' });

/** The next reference for the year: call inside a transaction holding the write lock. */
async function nextReference(trx: Kysely<Tables>, now: Date): Promise<string> {
  const year = ukYear.format(now);
  const rows = await trx.selectFrom('breaches').select('reference').where('reference', 'like', `BR-${year}-%`).execute();
  const max = rows.reduce((m, r) => Math.max(m, Number.parseInt(r.reference.slice(8), 10) || 0), 0);
  return `BR-${year}-${String(max + 1).padStart(3, '0')}`;
}

/** Inserts a new breach and its first event; the caller's transaction holds the write lock. */
export async function insertBreach(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  facts: BreachFacts,
  now: Date,
): Promise<{ row: BreachRow; dek: Buffer; event: BreachEvent; digest: Buffer }> {
  const id = newId();
  const { dek, wrapped, kekVersion } = ctx.keyring.newSubjectKey(keyOwner(id));
  const at = now.toISOString();
  const row: BreachRow = {
    id,
    reference: await nextReference(trx, now),
    created_at: at,
    created_by: actor.id,
    aware_at: facts.awareAt,
    deadline_at: deadlineFor(facts.awareAt),
    status: 'open',
    ico_state: 'pending',
    risk: null,
    version: 1,
    updated_at: at,
    wrapped_key: wrapped,
    kek_version: kekVersion,
  };
  await trx.insertInto('breaches').values(row).execute();
  const { event, ciphertext } = await insertEvent(trx, row, dek, actor, 1, { type: 'opened', facts }, at);
  return { row, dek, event, digest: ciphertext };
}

async function insertEvent(
  trx: Kysely<Tables>,
  row: Pick<BreachRow, 'id'>,
  dek: Buffer,
  actor: Actor,
  seq: number,
  data: EventData,
  at: string,
): Promise<{ event: BreachEvent; ciphertext: Buffer }> {
  const ciphertext = encrypt(dek, JSON.stringify(data), eventAad(row.id, seq, data.type));
  await trx
    .insertInto('breach_events')
    .values({ id: newId(), breach_id: row.id, seq, type: data.type, at, actor: actor.id, actor_role: actor.role, payload: ciphertext })
    .execute();
  return { event: { seq, at, actor: actor.id, actorRole: actor.role, data }, ciphertext };
}

/** Every event of a breach, decrypted, in order. */
export async function loadEvents(db: Kysely<Tables>, row: Pick<BreachRow, 'id'>, dek: Buffer): Promise<BreachEvent[]> {
  const rows = await db.selectFrom('breach_events').selectAll().where('breach_id', '=', row.id).orderBy('seq').execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    actorRole: r.actor_role,
    data: JSON.parse(decrypt(dek, r.payload, eventAad(row.id, Number(r.seq), r.type)).toString('utf8')) as EventData,
  }));
}

/**
 * Appends an event after `current` and refreshes the derived columns. The sequence number is
 * unique per breach, so two writers can never both append the same version.
 */
export async function appendEvent(
  trx: Kysely<Tables>,
  row: BreachRow,
  dek: Buffer,
  actor: Actor,
  events: BreachEvent[],
  data: EventData,
  at: string,
): Promise<{ events: BreachEvent[]; state: BreachState; ciphertext: Buffer }> {
  const seq = events.length === 0 ? 1 : events[events.length - 1]!.seq + 1;
  const { event, ciphertext } = await insertEvent(trx, row, dek, actor, seq, data, at);
  const all = [...events, event];
  const state = foldEvents(all);
  await trx
    .updateTable('breaches')
    .set({
      aware_at: state.facts.awareAt,
      deadline_at: deadlineFor(state.facts.awareAt),
      status: state.closed ? 'closed' : 'open',
      ico_state: icoState(state),
      risk: state.risk?.level ?? null,
      version: seq,
      updated_at: at,
    })
    .where('id', '=', row.id)
    .execute();
  return { events: all, state, ciphertext };
}
