/**
 * What leaves the server about a request: every field listed. The requester's contact details go
 * to signed-in staff (they need them to reply); identity evidence appears as kinds, who and when;
 * letters as their kind, date and text.
 */
import { z } from 'zod';
import { can, canSeeCategory, type Actor } from '../auth/roles.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import type { RequestSummary, RequestView, TaskView } from './requests.view.js';
import type { FeeEntry } from './requests.store.js';

export const summaryResponse = z.object({
  id: z.string(),
  reference: z.string(),
  type: z.string(),
  status: z.string(),
  channel: z.string(),
  receivedOn: z.string(),
  dueOn: z.string(),
  extended: z.boolean(),
  subjectId: z.string().nullable(),
  outcome: z.string().nullable(),
  overdue: z.boolean(),
  daysLeft: z.number(),
});

const feeResponse = z.object({
  /** pending: awaited, the clock waits; received: the clock started no earlier than that day; waived: as if never asked. */
  status: z.enum(['pending', 'received', 'waived']),
  amountPence: z.number().int(),
  amount: z.string(),
  reason: z.string(),
  explanation: z.string(),
  askedOn: z.string(),
  askedBy: z.string(),
  receivedOn: z.string().nullable(),
  waivedAt: z.string().nullable(),
  waivedBy: z.string().nullable(),
  waiverReason: z.string().nullable(),
});

const presentFee = (f: FeeEntry): z.infer<typeof feeResponse> => ({
  status: f.waivedAt ? 'waived' : f.receivedOn ? 'received' : 'pending',
  amountPence: f.amountPence,
  amount: (f.amountPence / 100).toFixed(2),
  reason: f.reason,
  explanation: f.explanation,
  askedOn: f.askedOn,
  askedBy: f.askedBy,
  receivedOn: f.receivedOn ?? null,
  waivedAt: f.waivedAt ?? null,
  waivedBy: f.waivedBy ?? null,
  waiverReason: f.waiverReason ?? null,
});

const taskResponse = z.object({ id: z.string(), recipient: z.string(), recipientName: z.string(), categories: z.array(z.string()), action: z.string(), status: z.string(), doneAt: z.string().nullable(), doneBy: z.string().nullable(), basis: z.string().nullable() });

export const requestResponse = summaryResponse.extend({
  idReceivedOn: z.string().nullable(),
  authorityNeeded: z.boolean(),
  authorityReceivedOn: z.string().nullable(),
  feeAskedOn: z.string().nullable(),
  feeReceivedOn: z.string().nullable(),
  clockStarted: z.boolean(),
  start: z.string(),
  firstDueOn: z.string(),
  extensionNoticeDue: z.string(),
  pauses: z.array(z.object({ from: z.string(), to: z.string().nullable() })),
  rules: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
  identityRequired: z.object({ required: z.number(), accepted: z.array(z.string()) }),
  requester: z.object({ name: z.string().optional(), email: z.string().optional(), phone: z.string().optional(), address: z.string().optional() }),
  representative: z.object({ name: z.string(), acting: z.string() }).nullable(),
  details: z.string().nullable(),
  identity: z.array(z.object({ kind: z.string(), checkedBy: z.string(), checkedAt: z.string(), receivedOn: z.string() })),
  authority: z.object({ kind: z.string(), checkedBy: z.string(), checkedAt: z.string(), receivedOn: z.string() }).nullable(),
  extension: z.object({ reasons: z.string(), at: z.string(), by: z.string(), noticeDue: z.string() }).nullable(),
  refusal: z.object({ reason: z.string(), explanation: z.string() }).nullable(),
  fees: z.array(feeResponse),
  result: z.record(z.string(), z.unknown()).nullable(),
  notes: z.array(z.object({ at: z.string(), by: z.string(), text: z.string() })),
  letters: z.array(z.object({ kind: z.string(), at: z.string(), subject: z.string(), text: z.string(), sentTo: z.string() })),
  tasks: z.array(taskResponse),
  history: z.array(z.object({ seq: z.number(), type: z.string(), at: z.string(), actor: z.string(), details: z.record(z.string(), z.unknown()) })).optional(),
});

/**
 * A pack's download link is a bearer secret: whoever holds it gets the pack, which holds every
 * category of the person's data, restricted ones included. So a link is shown only to someone who
 * manages requests and may read every category the declaration holds (the operator at the
 * console; a privacy officer or owner the declaration does not keep categories from). Everyone
 * else sees the letter with the link withheld; the person has it in the letter they were sent.
 */
export function mayHoldPackLinks(actor: Actor, policy: LoadedPolicy): boolean {
  return can(actor, 'requests:manage') && policy.policy.data_categories.every((c) => canSeeCategory(actor, c));
}

export const LINK_WITHHELD = '[download link withheld: it was sent to the requester]';
// The public download route with its token, wherever it appears in a letter's text.
const PACK_LINK = /\S*\/privacy\/requests\/download\?t=\S+/g;
const withhold = (text: string): string => text.replace(PACK_LINK, LINK_WITHHELD);

export const presentSummary = (s: RequestSummary): z.infer<typeof summaryResponse> => ({ ...s });

const presentTask = (t: TaskView): z.infer<typeof taskResponse> => ({ ...t });

/** `packLinks`: whether the caller may see usable pack links (mayHoldPackLinks); withheld unless told. */
export function presentRequest(v: RequestView, opts: { packLinks?: boolean } = {}): z.infer<typeof requestResponse> {
  const d = v.doc;
  const keep = opts.packLinks === true;
  const result = d.result && !keep && 'link' in d.result ? { ...d.result, link: LINK_WITHHELD } : (d.result ?? null);
  return {
    id: v.id,
    reference: v.reference,
    type: v.type,
    status: v.status,
    channel: v.channel,
    receivedOn: v.receivedOn,
    dueOn: v.dueOn,
    extended: v.extended,
    subjectId: v.subjectId,
    outcome: v.outcome,
    overdue: v.overdue,
    daysLeft: v.daysLeft,
    idReceivedOn: v.idReceivedOn,
    authorityNeeded: v.authorityNeeded,
    authorityReceivedOn: v.authorityReceivedOn,
    feeAskedOn: v.feeAskedOn,
    feeReceivedOn: v.feeReceivedOn,
    clockStarted: v.clockStarted,
    start: v.start,
    firstDueOn: v.firstDueOn,
    extensionNoticeDue: v.extensionNoticeDue,
    pauses: v.pauses,
    rules: v.rules,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    closedAt: v.closedAt,
    identityRequired: v.identityRequired,
    requester: { name: d.requester.name, email: d.requester.email, phone: d.requester.phone, address: d.requester.address },
    representative: d.representative ?? null,
    details: d.details ?? null,
    identity: d.identity,
    authority: d.authority ?? null,
    extension: d.extension ?? null,
    refusal: d.refusal ?? null,
    fees: (d.fees ?? []).map(presentFee),
    result,
    notes: d.notes,
    letters: d.letters.map((l) => ({ kind: l.kind, at: l.at, subject: l.subject, text: keep ? l.text : withhold(l.text), sentTo: l.sentTo })),
    tasks: v.tasks.map(presentTask),
    history: v.history,
  };
}
