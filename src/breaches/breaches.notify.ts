/**
 * Telling the people affected (Art 34): a plain-language letter to each, sent by email through
 * Steward's mailer with the result kept per person (sent or failed, when, the message id), or
 * exported as letters for post. Addresses are decrypted from the register only at the moment of
 * sending; each use is audited against the person, without the address.
 *
 * Sending is resumable: a second run sends only to people not yet told (failures and people
 * who had no email address are tried again).
 */
import type { Kysely } from 'kysely';
import { appendAudit, type AuditEvent } from '../audit/audit.service.js';
import { authorise, canSeeCategory, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { liveValueRecords, subjectsWithIndexedEmail } from '../register/subject-lookups.js';
import { subjectsWithValueRecords } from '../register/register.queries.js';
import { categoryFields, SINGLE_FIELD } from '../register/fields.js';
import { isStewardError, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { BreachState } from './breaches.events.js';
import { appendEvent } from './breaches.store.js';
import { loadBreach } from './breaches.read.js';
import { contactPointFor } from './breaches.view.js';
import { renderLetter, type Letter } from './breaches.templates.js';
import type { BreachRow } from './breaches.store.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

export interface NotifyResult {
  reference: string;
  /** People this run tried to email. */
  attempted: number;
  sent: number;
  failed: number;
  noAddress: number;
  /** People told before this run (email sent or letter exported). */
  alreadyTold: number;
}

const BATCH = 50;
/** A claim to email someone older than this is taken to belong to a run that died (see notifyPeopleByEmail). */
const CLAIM_STALE_MS = 10 * 60_000;

function assertMayTell(row: BreachRow, state: BreachState, people: number): void {
  if (state.closed) throw new StewardError('CONFLICT', `breach ${row.reference} is closed: reopen it first`);
  const d = state.decisions.people?.decision;
  if (d !== 'notify') {
    throw new StewardError(
      'CONFLICT',
      d === undefined
        ? 'record the decision to tell the people affected (with its reason) before telling them'
        : `the recorded decision is "${d}": record a decision to notify people first`,
    );
  }
  if (people === 0) throw new StewardError('CONFLICT', 'no people affected are selected: select them from the register first');
  // Art 34(2): the letter describes the likely consequences and the measures taken or proposed.
  const missing = [
    ...(state.facts.consequences ? [] : ['the likely consequences (consequences)']),
    ...(state.facts.measuresTaken || state.facts.measuresProposed ? [] : ['the measures taken or proposed (measuresTaken, measuresProposed)']),
  ];
  if (missing.length) throw new StewardError('CONFLICT', `the letter to people must describe ${missing.join(' and ')} (Art 34(2)): add them to the facts first`);
}

/** The subject ids linked to the breach, with their involved categories, and who was told already. */
async function linkedPeople(db: Kysely<Tables>, breachId: string): Promise<{ people: Map<string, string[]>; told: Set<string> }> {
  const links = await db.selectFrom('breach_subjects').select(['subject_id', 'categories']).where('breach_id', '=', breachId).orderBy('subject_id').execute();
  const people = new Map(links.map((l) => [l.subject_id, Object.keys(JSON.parse(l.categories) as Record<string, number>)]));
  const told = new Set(
    (await db.selectFrom('breach_notifications').select('subject_id').where('breach_id', '=', breachId).where('status', 'in', ['sent', 'exported']).execute()).map((r) => r.subject_id),
  );
  return { people, told };
}

/**
 * Decrypted values of a person's records in the given categories (newest record first), each
 * record's values of fields of the given types (a category without fields: its one value), or
 * nothing if erased.
 */
async function valuesOf(ctx: AppContext, db: Kysely<Tables>, subjectId: string, categories: readonly string[], types: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const r of await liveValueRecords(ctx, db, subjectId, categories)) {
    const fields = r.fields ?? [];
    const picked = fields.filter((f) => f.id === SINGLE_FIELD || types.has(f.type)).map((f) => f.value);
    const v = picked.join(types.has('postal-address') ? '\n' : ' ');
    if (!v) continue;
    if (!out.has(r.category)) out.set(r.category, []);
    out.get(r.category)!.push(v);
  }
  return out;
}

const categoriesOf = (ctx: AppContext, ids: readonly string[]): DataCategory[] => {
  const idx = policyIndex(ctx.policy);
  return ids.map((c) => idx.categories.get(c)).filter((c): c is DataCategory => c !== undefined);
};

/** Emails the letter to every affected person not yet told (privacy officer, owner). */
export async function notifyPeopleByEmail(ctx: AppContext, actor: Actor, id: string, opts: { expectedRecipients?: number } = {}): Promise<NotifyResult> {
  authorise(actor, 'breaches:manage');
  const db = ctx.database.db;
  if (opts.expectedRecipients !== undefined) {
    // Sent after a preview: if the people to email changed since, the person sending must look again.
    const now = await previewNotify(ctx, actor, id);
    if (now.recipients !== opts.expectedRecipients) {
      throw new StewardError('CONFLICT', `the preview showed ${opts.expectedRecipients} recipients but ${now.recipients} would be emailed now: preview again before sending`);
    }
  }
  const start = await loadBreach(ctx, db, id);
  const { people, told } = await linkedPeople(db, start.row.id);
  assertMayTell(start.row, start.state, people.size);
  const emailCategories = ctx.policy.policy.data_categories.filter((c) => categoryFields(c).some((f) => f.type === 'email')).map((c) => c.id);
  // A name to greet the person by, where the register holds one the sender may read.
  const nameCategories = ctx.policy.policy.data_categories.filter((c) => canSeeCategory(actor, c) && isNameCategory(c)).map((c) => c.id);
  const contactPoint = contactPointFor(ctx, start.state.facts);
  const pending = [...people.keys()].filter((s) => !told.has(s));
  const result: NotifyResult = { reference: start.row.reference, attempted: pending.length, sent: 0, failed: 0, noAddress: 0, alreadyTold: told.size };

  for (let i = 0; i < pending.length; i += BATCH) {
    // Claim the batch first: a "sending" row per person, written under the write lock, unless
    // someone told them meanwhile or another run holds a fresh claim. Two runs started at the same
    // moment (two instances, a double click) therefore never email the same person twice. A claim
    // left by a run that died mid-send is taken over once it is CLAIM_STALE_MS old.
    const claimedAt = ctx.clock.now().toISOString();
    const staleBefore = new Date(Date.parse(claimedAt) - CLAIM_STALE_MS).toISOString();
    const claims = await writeTx(ctx, async (trx) => {
      const batch = pending.slice(i, i + BATCH);
      const busy = new Set(
        (
          await trx
            .selectFrom('breach_notifications')
            .select('subject_id')
            .where('breach_id', '=', start.row.id)
            .where('subject_id', 'in', batch)
            .where((eb) => eb.or([eb('status', 'in', ['sent', 'exported']), eb.and([eb('status', '=', 'sending'), eb('at', '>', staleBefore)])]))
            .execute()
        ).map((r) => r.subject_id),
      );
      const rows = batch
        .filter((subjectId) => !busy.has(subjectId))
        .map((subjectId) => ({ id: newId(), breach_id: start.row.id, subject_id: subjectId, channel: 'email', status: 'sending', at: claimedAt, message_id: null, error: null, actor: actor.id }));
      if (rows.length > 0) await trx.insertInto('breach_notifications').values(rows).execute();
      result.alreadyTold += batch.length - rows.length;
      result.attempted -= batch.length - rows.length;
      return rows;
    });
    const outcomes: Array<{ id: string; status: 'sent' | 'failed' | 'no-address'; message_id: string | null; error: string | null; at: string }> = [];
    const audit: AuditEvent[] = [];
    for (const { id: claimId, subject_id: subjectId } of claims) {
      const names = await valuesOf(ctx, db, subjectId, nameCategories, NAME_TYPES);
      const emails = await valuesOf(ctx, db, subjectId, emailCategories, EMAIL_TYPES);
      const name = nameCategories.map((c) => names.get(c)?.[0]).find((v) => v !== undefined);
      const address = emailCategories.map((c) => emails.get(c)?.[0]?.split(' ')[0]).find((v) => v !== undefined);
      if (!address) {
        outcomes.push({ id: claimId, status: 'no-address', message_id: null, error: null, at: ctx.clock.now().toISOString() });
        audit.push({ action: 'breach.notify.person', subjectId, details: { breach: start.row.id, channel: 'email', status: 'no-address' } });
        result.noAddress++;
        continue;
      }
      const letter = renderLetter({
        policy: ctx.policy,
        reference: start.row.reference,
        facts: start.state.facts,
        contactPoint,
        categories: categoriesOf(ctx, people.get(subjectId) ?? []),
        greetingName: name,
      });
      try {
        const sent = await ctx.mailer.send({
          to: address,
          subject: letter.subject,
          text: letter.text,
          html: letter.html,
          headers: { 'X-Steward-Breach': start.row.reference },
          ...(contactPoint.email ? { replyTo: contactPoint.email } : {}),
        });
        outcomes.push({ id: claimId, status: 'sent', message_id: sent.messageId, error: null, at: ctx.clock.now().toISOString() });
        audit.push({ action: 'breach.notify.person', subjectId, details: { breach: start.row.id, channel: 'email', status: 'sent' } });
        result.sent++;
      } catch (e) {
        // The mailer's messages carry an SMTP code and a gist, never the address.
        const reason = isStewardError(e) ? e.message.slice(0, 300) : 'send failed';
        outcomes.push({ id: claimId, status: 'failed', message_id: null, error: reason, at: ctx.clock.now().toISOString() });
        audit.push({ action: 'breach.notify.person', subjectId, details: { breach: start.row.id, channel: 'email', status: 'failed' } });
        result.failed++;
      }
    }
    await writeTx(ctx, async (trx) => {
      for (const o of outcomes) await trx.updateTable('breach_notifications').set({ status: o.status, message_id: o.message_id, error: o.error, at: o.at }).where('id', '=', o.id).execute();
      await appendAudit(trx, ctx, actor, audit);
    });
  }

  await writeTx(ctx, async (trx) => {
    const b = await loadBreach(ctx, trx, start.row.id);
    const appended = await appendEvent(
      trx,
      b.row,
      b.dek,
      actor,
      b.events,
      { type: 'people-notified', channel: 'email', sent: result.sent, failed: result.failed, noAddress: result.noAddress, exported: 0 },
      ctx.clock.now().toISOString(),
    );
    await appendAudit(trx, ctx, actor, [
      { action: 'breach.notify', details: { breach: b.row.id, reference: b.row.reference, seq: appended.state.version, channel: 'email', attempted: result.attempted, sent: result.sent, failed: result.failed, noAddress: result.noAddress } },
    ]);
  });
  return result;
}

export interface NotifyPreview {
  reference: string;
  /** People the email would go to now: affected, not yet told, with an email address in the register. */
  recipients: number;
  /** Affected and not yet told, but with no email address in the register (a letter by post instead). */
  withoutEmail: number;
  alreadyTold: number;
  /** The letter as it will be sent, greeting aside (each person is greeted by name where known). */
  letter: Letter;
}

/**
 * What notifyPeopleByEmail would do now, without sending anything: how many people it would email
 * and the letter they would get. Counts come from which records exist; no address is decrypted.
 */
export async function previewNotify(ctx: AppContext, actor: Actor, id: string): Promise<NotifyPreview> {
  authorise(actor, 'breaches:manage');
  const db = ctx.database.db;
  const start = await loadBreach(ctx, db, id);
  const { people, told } = await linkedPeople(db, start.row.id);
  assertMayTell(start.row, start.state, people.size);
  // Who has an email address: an identifier email field leaves a blind index (no decryption
  // needed); a category with an email field that is not an identifier counts by its records.
  const emailFields = ctx.policy.policy.data_categories.map((c) => ({ c, fields: categoryFields(c).filter((f) => f.type === 'email') })).filter((x) => x.fields.length > 0);
  const indexed = emailFields.some((x) => x.fields.some((f) => f.identifier));
  const unindexed = emailFields.filter((x) => x.fields.some((f) => !f.identifier)).map((x) => x.c.id);
  const pending = [...people.keys()].filter((s) => !told.has(s));
  const withEmail = new Set([...(indexed ? await subjectsWithIndexedEmail(db, pending) : []), ...(await subjectsWithValueRecords(db, pending, unindexed))]);
  const recipients = withEmail.size;
  const involved = [...new Set([...people.values()].flat())];
  const letter = renderLetter({ policy: ctx.policy, reference: start.row.reference, facts: start.state.facts, contactPoint: contactPointFor(ctx, start.state.facts), categories: categoriesOf(ctx, involved) });
  return { reference: start.row.reference, recipients, withoutEmail: pending.length - recipients, alreadyTold: told.size, letter };
}

export interface PostLetter extends Letter {
  subjectId: string;
  /** The postal lines from the register: name and address categories, in the order asked. */
  address: string[];
}

/** Categories used for a postal address when none are named: names and addresses, not identifiers. */
export function defaultAddressCategories(ctx: AppContext): string[] {
  return ctx.policy.policy.data_categories
    .filter((c) => c.storage !== 'never' && (c.fields?.length ? c.fields.some((f) => ADDRESS_TYPES.has(f.type)) : !c.identifier && /(^|-)(name|address|postcode)($|-)/.test(c.id)))
    .map((c) => c.id);
}

const NAME_TYPES: ReadonlySet<string> = new Set(['name']);
const EMAIL_TYPES: ReadonlySet<string> = new Set(['email']);
const ADDRESS_TYPES: ReadonlySet<string> = new Set(['name', 'postal-address', 'postcode']);

/** A category holding a name: a field typed "name", or (without fields) a category named like one. */
const isNameCategory = (c: DataCategory): boolean => (c.fields?.length ? c.fields.some((f) => f.type === 'name') : !c.identifier && /(^|-)name$/.test(c.id));

/**
 * Letters for post, for people not yet told (or everyone with `all`), each marked as exported.
 * The caller writes them somewhere private: they hold names and addresses.
 */
export async function exportLetters(
  ctx: AppContext,
  actor: Actor,
  id: string,
  opts: { addressCategories?: string[]; all?: boolean } = {},
): Promise<{ reference: string; letters: PostLetter[]; withoutAddress: number }> {
  authorise(actor, 'breaches:manage');
  const idx = policyIndex(ctx.policy);
  const addressCategories = opts.addressCategories ?? defaultAddressCategories(ctx);
  addressCategories.forEach((c, i) => {
    const cat = idx.categories.get(c);
    if (!cat) throw new StewardError('VALIDATION_FAILED', `addressCategories[${i}]: "${c}" is not a data category in the declaration`, [{ path: `addressCategories[${i}]`, message: 'not declared' }]);
    if (!canSeeCategory(actor, cat)) throw new StewardError('FORBIDDEN', `records of the category "${c}" are restricted to ${cat.restricted_to_roles?.join(', ')}`);
  });
  const db = ctx.database.db;
  const start = await loadBreach(ctx, db, id);
  const { people, told } = await linkedPeople(db, start.row.id);
  assertMayTell(start.row, start.state, people.size);
  const contactPoint = contactPointFor(ctx, start.state.facts);
  const letters: PostLetter[] = [];
  let withoutAddress = 0;
  for (const [subjectId, cats] of people) {
    if (!opts.all && told.has(subjectId)) continue;
    const values = await valuesOf(ctx, db, subjectId, addressCategories, ADDRESS_TYPES);
    const address = addressCategories.flatMap((c) => (values.get(c)?.[0] ? values.get(c)![0]!.split('\n') : []));
    const nameCats = addressCategories.filter((c) => { const cat = policyIndex(ctx.policy).categories.get(c); return cat ? isNameCategory(cat) : false; });
    const names = await valuesOf(ctx, db, subjectId, nameCats, NAME_TYPES);
    const name = nameCats.map((c) => names.get(c)?.[0]).find((v) => v !== undefined);
    if (address.length === 0) withoutAddress++;
    const letter = renderLetter({ policy: ctx.policy, reference: start.row.reference, facts: start.state.facts, contactPoint, categories: categoriesOf(ctx, cats), greetingName: name });
    letters.push({ subjectId, address, ...letter });
  }
  await writeTx(ctx, async (trx) => {
    const at = ctx.clock.now().toISOString();
    const rows = letters.map((l) => ({ id: newId(), breach_id: start.row.id, subject_id: l.subjectId, channel: 'post', status: 'exported', at, message_id: null, error: null, actor: actor.id }));
    const per = Math.floor(ctx.database.adapter.maxParameters / 9);
    for (let i = 0; i < rows.length; i += per) await trx.insertInto('breach_notifications').values(rows.slice(i, i + per)).execute();
    const b = await loadBreach(ctx, trx, start.row.id);
    const appended = await appendEvent(trx, b.row, b.dek, actor, b.events, { type: 'people-notified', channel: 'post', sent: 0, failed: 0, noAddress: 0, exported: letters.length }, at);
    await appendAudit(trx, ctx, actor, [
      ...letters.map((l) => ({ action: 'breach.notify.person', subjectId: l.subjectId, details: { breach: start.row.id, channel: 'post', status: 'exported', addressLines: l.address.length } })),
      { action: 'breach.notify', details: { breach: start.row.id, reference: start.row.reference, seq: appended.state.version, channel: 'post', exported: letters.length, withoutAddress } },
    ]);
  });
  return { reference: start.row.reference, letters, withoutAddress };
}
