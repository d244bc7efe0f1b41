/**
 * Consent records: per subject, purpose and channel, an append-only history of what happened
 * (given, renewed, withdrawn, a parent's consent for a child, a PECR soft opt-in), each with
 * when, how, the words shown and the notice version (the declaration's hash), the source, an
 * encrypted evidence reference and who recorded it (UK GDPR Art 7(1): be able to show consent).
 * A derived current state per (subject, purpose, channel) is rebuilt from the history on every
 * change, so audience checks read one row instead of replaying events.
 */
import { versionInForce } from '../policy/publishing.service.js';
import type { Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import { appendAudit, type AuditEvent } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { aad, decrypt, encrypt } from '../crypto/envelope.js';
import type { Tables } from '../db/tables.js';
import { firstRecordValue, relationshipRowsOf, subjectStatus } from '../register/subject-lookups.js';
import { notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { ConsentAction, ConsentEventsTable, ConsentStateTable } from './consent.tables.js';
import { CONSENT_ACTIONS, checkMethod, consentRules, invalid, LIMITS, marketingPurpose, statusOf, type ConsentStatus, type Method } from './consent.rules.js';
import { ageOn, parseBirthDate, shiftByPeriod } from './period.js';
import { entriesFor, insertSuppressions, type MarketingChannel } from './suppression.service.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { loadSubjectKey } from '../register/register.repository.js';
import { subjectIdentifiers } from '../register/register.identifiers.js';

export interface ConsentInput {
  subjectId: string;
  purpose: string;
  channels: string[];
  action: ConsentAction;
  method: string;
  /** When it happened (default now); not in the future. */
  occurredAt?: string;
  /** The words the person saw or heard. Required for given and renewed. */
  wording?: string;
  /** A declared source id (default: the purpose's first source). */
  source?: string;
  /** Where the evidence is: a form id, a call recording reference. Encrypted under the subject's key. */
  evidenceRef?: string;
  /** The person's date of birth (YYYY-MM-DD), when known, to apply the age of digital consent. */
  birthDate?: string;
  /** Soft opt-in: a simple way to refuse was offered when the details were collected (PECR reg 22(3)(c)). */
  optOutOffered?: boolean;
  /** With a child's consent: the parent's or guardian's consent, recorded beside it. */
  parental?: { method: string; wording?: string; evidenceRef?: string };
}

export interface ConsentEntryView {
  id: string;
  subjectId: string;
  purpose: string;
  channel: string;
  action: ConsentAction;
  occurredAt: string;
  method: string;
  wording: string | null;
  noticeVersion: string;
  source: string | null;
  evidenceRef: string | null;
  recordedBy: string;
  recordedAt: string;
  child: boolean;
  expiresAt: string | null;
}


export interface ConsentStateView {
  purpose: string;
  channel: string;
  status: ConsentStatus;
  givenAt: string | null;
  expiresAt: string | null;
  softOptIn: boolean;
  child: boolean;
  parentalConsent: boolean;
}

const evidenceAad = (eventId: string, subjectId: string): string => aad('consent-evidence', eventId, subjectId);
export const digestOf = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex').slice(0, 32);

/** The subject's date of birth from a record whose category id says so ('date-of-birth', 'child-date-of-birth' …). */
function birthDateOnRecord(trx: Kysely<Tables>, ctx: AppContext, subjectId: string): Promise<string | undefined> {
  const cats = [...policyIndex(ctx.policy).categories.keys()].filter((c) => c.includes('date-of-birth'));
  return firstRecordValue(trx, ctx, subjectId, cats, parseBirthDate);
}

function checkText(value: string | undefined, path: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  if (t === '') return undefined;
  if (t.length > max) throw invalid(path, `is longer than ${max} characters`);
  return t;
}

/** Rebuilds the current state of one (subject, purpose, channel) from its whole history. */
async function rebuildState(trx: Kysely<Tables>, subjectId: string, purpose: string, channel: string, nowIso: string): Promise<ConsentStateTable> {
  const events = await trx
    .selectFrom('consent_events')
    .select(['id', 'action', 'occurred_at', 'child', 'expires_at'])
    .where('subject_id', '=', subjectId)
    .where('purpose', '=', purpose)
    .where('channel', '=', channel)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
  const s: ConsentStateTable = { subject_id: subjectId, purpose, channel, status: 'none', given_at: null, expires_at: null, child: 0, parental: 0, soft_opt_in: 0, last_event_id: '', updated_at: nowIso };
  for (const e of events) {
    s.last_event_id = e.id;
    switch (e.action) {
      case 'given':
        s.status = 'active';
        s.given_at = e.occurred_at;
        s.expires_at = e.expires_at;
        s.child = e.child;
        break;
      case 'renewed':
        s.status = 'active';
        s.given_at ??= e.occurred_at;
        s.expires_at = e.expires_at;
        s.child = e.child;
        break;
      case 'withdrawn':
        s.status = 'withdrawn';
        s.expires_at = null;
        s.soft_opt_in = 0;
        s.parental = 0;
        break;
      case 'parental-consent':
        s.parental = 1;
        break;
      case 'soft-opt-in':
        s.soft_opt_in = 1;
        break;
    }
  }
  const { subject_id: _s, purpose: _p, channel: _c, ...update } = s;
  await trx
    .insertInto('consent_state')
    .values(s)
    .onConflict((oc) => oc.columns(['subject_id', 'purpose', 'channel']).doUpdateSet(update))
    .execute();
  return s;
}

export interface ConsentResult {
  entries: ConsentEntryView[];
  states: ConsentStateView[];
  /** Suppression-list entries this change added (an opt-out) or lifted (a fresh consent for the purpose). */
  suppression: { added: number; lifted: number };
  /** Channels where the person stays blocked by a suppression for all marketing, which only a privacy officer can lift. */
  stillSuppressed: string[];
}

function toView(row: ConsentEventsTable, evidenceRef: string | null): ConsentEntryView {
  return {
    id: row.id,
    subjectId: row.subject_id,
    purpose: row.purpose,
    channel: row.channel,
    action: row.action,
    occurredAt: row.occurred_at,
    method: row.method,
    wording: row.wording,
    noticeVersion: row.notice_version,
    source: row.source,
    evidenceRef,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
    child: row.child === 1,
    expiresAt: row.expires_at,
  };
}

export function stateView(s: ConsentStateTable, nowIso: string): ConsentStateView {
  return {
    purpose: s.purpose,
    channel: s.channel,
    status: statusOf(s, nowIso),
    givenAt: s.given_at,
    expiresAt: s.expires_at,
    softOptIn: s.soft_opt_in === 1,
    child: s.child === 1,
    parentalConsent: s.parental === 1,
  };
}

/**
 * Records consent given, renewed or withdrawn, a parent's consent, or a soft opt-in, for one
 * purpose on one or more channels. Inside `trx` when given (the public pages record and audit in
 * their own transaction), otherwise in a new write transaction.
 */
export async function recordConsent(ctx: AppContext, actor: Actor, input: ConsentInput, trx?: Kysely<Tables>): Promise<ConsentResult> {
  authorise(actor, 'subjects:write');
  const action = input.action;
  if (!(CONSENT_ACTIONS as readonly string[]).includes(action)) throw invalid('action', `must be one of ${CONSENT_ACTIONS.join(', ')}`);
  const channels = [...new Set(input.channels)];
  if (channels.length === 0) throw invalid('channels', 'name at least one channel');
  if (channels.length > LIMITS.channelsPerCall) throw invalid('channels', `at most ${LIMITS.channelsPerCall}`);
  const purpose = marketingPurpose(ctx, input.purpose, channels);
  const method = checkMethod(action, input.method, 'method');
  const wording = checkText(input.wording, 'wording', LIMITS.wordingChars);
  const evidenceRef = checkText(input.evidenceRef, 'evidenceRef', LIMITS.evidenceChars);
  if ((action === 'given' || action === 'renewed') && !wording) {
    throw invalid('wording', 'say what the person was told when they agreed (the words on the form or the call script): consent must be informed and you must be able to show it');
  }
  if (action === 'soft-opt-in') {
    if (!purpose.soft_opt_in) throw invalid('purpose', `the declaration does not claim the soft opt-in for "${purpose.id}" (purposes[].soft_opt_in)`);
    const bad = channels.find((c) => c !== 'email' && c !== 'sms');
    if (bad) throw invalid('channels', `the soft opt-in covers email and SMS only, not ${bad}`);
    if (input.optOutOffered !== true) throw invalid('optOutOffered', 'the soft opt-in needs a simple way to refuse offered when the details were collected (PECR reg 22(3)(c))');
  }
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  let occurred = now;
  if (input.occurredAt !== undefined) {
    occurred = new Date(input.occurredAt);
    if (Number.isNaN(occurred.getTime())) throw invalid('occurredAt', 'is not a date');
    if (occurred.getTime() > now.getTime() + 5 * 60_000) throw invalid('occurredAt', 'is in the future');
  }
  const occurredIso = occurred.toISOString();
  const idx = policyIndex(ctx.policy);
  const source = input.source ?? purpose.sources?.[0] ?? null;
  if (source !== null && !idx.sources.has(source)) throw invalid('source', `"${source}" is not a source in the declaration`);
  let birthDate: string | undefined;
  if (input.birthDate !== undefined) {
    birthDate = parseBirthDate(input.birthDate);
    if (!birthDate) throw invalid('birthDate', 'is not a date (YYYY-MM-DD)');
    if (birthDate > occurredIso.slice(0, 10)) throw invalid('birthDate', 'is after the consent');
  }
  let parentalMethod: Method | undefined;
  if (input.parental) {
    if (action !== 'given' && action !== 'renewed') throw invalid('parental', 'a parent\'s consent goes with a consent given or renewed');
    parentalMethod = checkMethod('parental-consent', input.parental.method, 'parental.method');
  }
  const parentalWording = checkText(input.parental?.wording, 'parental.wording', LIMITS.wordingChars) ?? wording;
  const parentalEvidence = checkText(input.parental?.evidenceRef, 'parental.evidenceRef', LIMITS.evidenceChars);
  const rules = consentRules(ctx);

  const work = async (t: Kysely<Tables>): Promise<ConsentResult> => {
    const subject = await subjectStatus(t, input.subjectId);
    if (!subject) throw notFound('subject', input.subjectId);
    if (subject.erased) throw new StewardError('CONFLICT', `subject ${input.subjectId} has been erased`);
    const rels = (await relationshipRowsOf(t, [input.subjectId])).map((r) => r.relationship);
    if (!purpose.relationships.some((r) => rels.includes(r))) {
      throw invalid('purpose', `"${purpose.id}" is for ${purpose.relationships.join(', ')}; this person is ${rels.join(', ') || 'in no relationship'}`);
    }
    if (action === 'renewed') {
      const states = await t.selectFrom('consent_state').select(['channel', 'status']).where('subject_id', '=', input.subjectId).where('purpose', '=', purpose.id).execute();
      const missing = channels.filter((c) => states.find((s) => s.channel === c)?.status !== 'active');
      if (missing.length) throw new StewardError('CONFLICT', `there is no consent to renew for ${purpose.id} on ${missing.join(', ')}: record it as given`);
    }
    let child = 0;
    if (action === 'given' || action === 'renewed') {
      const dob = birthDate ?? (await birthDateOnRecord(t, ctx, input.subjectId));
      if (dob && ageOn(dob, occurred) < rules.ageOfDigitalConsent) child = 1;
    }
    const expiresAt = (action === 'given' || action === 'renewed') && rules.validity ? shiftByPeriod(occurred, rules.validity).toISOString() : null;
    const needsKey = evidenceRef !== undefined || parentalEvidence !== undefined;
    const dek = needsKey ? await loadSubjectKey(ctx, t, input.subjectId) : undefined;
    if (needsKey && !dek) throw new StewardError('CONFLICT', `subject ${input.subjectId} has no key`);
    const rows: ConsentEventsTable[] = [];
    // What the person was told: the notice published at the time (the draft's hash before any).
    const noticeVersion = (await versionInForce(t, ctx.policy)).hash;
    const plainEvidence = new Map<string, string>();
    const make = (channel: string, a: ConsentAction, m: Method, w: string | undefined, ev: string | undefined, isChild: number, expires: string | null): void => {
      const id = newId();
      if (ev !== undefined) plainEvidence.set(id, ev);
      rows.push({
        id,
        subject_id: input.subjectId,
        purpose: purpose.id,
        channel,
        action: a,
        occurred_at: occurredIso,
        method: m,
        wording: w ?? null,
        notice_version: noticeVersion,
        source,
        evidence: ev !== undefined ? encrypt(dek!, Buffer.from(JSON.stringify({ e: ev })), evidenceAad(id, input.subjectId)) : null,
        recorded_by: actor.id,
        recorded_at: nowIso,
        child: isChild,
        expires_at: expires,
      });
    };
    for (const channel of channels) {
      make(channel, action, method, wording, evidenceRef, child, expiresAt);
      if (parentalMethod) make(channel, 'parental-consent', parentalMethod, parentalWording, parentalEvidence, 0, null);
    }
    await t.insertInto('consent_events').values(rows).execute();
    const states: ConsentStateView[] = [];
    for (const channel of channels) states.push(stateView(await rebuildState(t, input.subjectId, purpose.id, channel, nowIso), nowIso));

    // An opt-out goes on the suppression list for the purpose and channel; a fresh consent for
    // the purpose lifts that purpose's entries (the person has positively asked again). Entries
    // for all marketing (an objection, an erasure) stay until a privacy officer lifts them.
    let added = 0;
    let lifted = 0;
    const stillSuppressed: string[] = [];
    if (action === 'withdrawn' || action === 'given' || action === 'renewed') {
      const identifiers = await subjectIdentifiers(t, ctx, input.subjectId);
      for (const channel of channels as MarketingChannel[]) {
        const entries = entriesFor(ctx, identifiers, channel, purpose.id);
        if (entries.length === 0) continue;
        if (action === 'withdrawn') {
          added += await insertSuppressions(t, ctx, actor, entries, 'opt-out');
        } else {
          const hashes = entries.map((e) => e.hash);
          if (action === 'given' && method !== 'import') {
            const res = await t.deleteFrom('suppressions').where('hash', 'in', hashes).where('channel', '=', channel).where('scope', '=', purpose.id).executeTakeFirst();
            lifted += Number(res.numDeletedRows);
          }
          const blocking = await t.selectFrom('suppressions').select('id').where('hash', 'in', hashes).where('channel', 'in', [channel, '*']).where('scope', 'in', [purpose.id, '*']).executeTakeFirst();
          if (blocking) stillSuppressed.push(channel);
        }
      }
    }
    const audit: AuditEvent[] = rows.map((r) => ({
      action: `consent.${r.action}`,
      subjectId: r.subject_id,
      purpose: r.purpose,
      details: {
        channel: r.channel,
        method: r.method,
        noticeVersion: r.notice_version,
        child: r.child === 1,
        ...(r.evidence ? { evidence: digestOf(r.evidence) } : {}),
      },
    }));
    if (added) audit.push({ action: 'suppression.add', subjectId: input.subjectId, details: { reason: 'opt-out', scope: purpose.id, channels, added } });
    if (lifted) audit.push({ action: 'suppression.lift', subjectId: input.subjectId, details: { reason: 'consent-given', scope: purpose.id, channels, lifted } });
    await appendAudit(t, ctx, actor, audit);
    return { entries: rows.map((r) => toView(r, plainEvidence.get(r.id) ?? null)), states, suppression: { added, lifted }, stillSuppressed };
  };
  return trx ? work(trx) : writeTx(ctx, work);
}

/**
 * Objection to direct marketing (Art 21(2)–(3)): absolute. Withdraws every marketing consent and
 * soft opt-in the person has, and suppresses every identifier on every channel for all marketing.
 */
export async function objectToDirectMarketing(ctx: AppContext, actor: Actor, subjectId: string, method: string, trx?: Kysely<Tables>): Promise<{ withdrawn: number; suppressed: number }> {
  authorise(actor, 'subjects:write');
  const m = checkMethod('withdrawn', method, 'method');
  const nowIso = ctx.clock.now().toISOString();
  const work = async (t: Kysely<Tables>) => {
    if (!(await subjectStatus(t, subjectId))) throw notFound('subject', subjectId);
    const active = await t.selectFrom('consent_state').selectAll().where('subject_id', '=', subjectId).where((eb) => eb.or([eb('status', '=', 'active'), eb('soft_opt_in', '=', 1)])).execute();
    const noticeVersion = (await versionInForce(t, ctx.policy)).hash;
    const rows: ConsentEventsTable[] = active.map((s) => ({
      id: newId(),
      subject_id: subjectId,
      purpose: s.purpose,
      channel: s.channel,
      action: 'withdrawn',
      occurred_at: nowIso,
      method: m,
      wording: null,
      notice_version: noticeVersion,
      source: null,
      evidence: null,
      recorded_by: actor.id,
      recorded_at: nowIso,
      child: 0,
      expires_at: null,
    }));
    if (rows.length) await t.insertInto('consent_events').values(rows).execute();
    for (const s of active) await rebuildState(t, subjectId, s.purpose, s.channel, nowIso);
    const identifiers = await subjectIdentifiers(t, ctx, subjectId);
    const suppressed = await insertSuppressions(t, ctx, actor, entriesFor(ctx, identifiers, '*', '*'), 'objection');
    await appendAudit(t, ctx, actor, [
      ...rows.map((r) => ({ action: 'consent.withdrawn', subjectId, purpose: r.purpose, details: { channel: r.channel, method: r.method, objection: true } })),
      { action: 'suppression.add', subjectId, details: { reason: 'objection', channel: '*', scope: '*', added: suppressed } },
    ]);
    return { withdrawn: rows.length, suppressed };
  };
  return trx ? work(trx) : writeTx(ctx, work);
}

export interface ConsentOverview {
  subjectId: string;
  states: ConsentStateView[];
  history: ConsentEntryView[];
}

/** A subject's consent states and full history, evidence decrypted (audited as a read). */
export async function getConsent(ctx: AppContext, actor: Actor, subjectId: string): Promise<ConsentOverview> {
  authorise(actor, 'subjects:read');
  const nowIso = ctx.clock.now().toISOString();
  return writeTx(ctx, async (trx) => {
    if (!(await subjectStatus(trx, subjectId))) throw notFound('subject', subjectId);
    const states = await trx.selectFrom('consent_state').selectAll().where('subject_id', '=', subjectId).orderBy('purpose').orderBy('channel').execute();
    const events = await trx.selectFrom('consent_events').selectAll().where('subject_id', '=', subjectId).orderBy('occurred_at').orderBy('id').execute();
    const dek = events.some((e) => e.evidence) ? await loadSubjectKey(ctx, trx, subjectId) : undefined;
    const history = events.map((e) => {
      let ev: string | null = null;
      if (e.evidence && dek) ev = (JSON.parse(decrypt(dek, e.evidence, evidenceAad(e.id, subjectId)).toString('utf8')) as { e: string }).e;
      return toView(e, ev);
    });
    await appendAudit(trx, ctx, actor, [{ action: 'consent.read', subjectId, details: { entries: events.length } }]);
    return { subjectId, states: states.map((s) => stateView(s, nowIso)), history };
  });
}

/** Current states only, unaudited (no personal data: ids, purposes and dates), for the preference page and renewals. */
export async function consentStates(db: Kysely<Tables>, subjectIds: readonly string[], nowIso: string): Promise<Array<ConsentStateView & { subjectId: string }>> {
  if (subjectIds.length === 0) return [];
  const rows = await db.selectFrom('consent_state').selectAll().where('subject_id', 'in', [...subjectIds]).execute();
  return rows.map((r) => ({ subjectId: r.subject_id, ...stateView(r, nowIso) }));
}
