/**
 * A request as the services return it: the row with its clock worked out for today, the
 * decrypted document and its Art 19 tasks (RequestView); and the summary lists show, which never
 * decrypts (RequestSummary).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { identityRule } from './requests.checks.js';
import { parsePauses, requestDeadline } from './requests.clock.js';
import { AWAITING_START, CLOSED, type RequestDoc, type RequestEventView, type RequestRow, type RequestType } from './requests.store.js';

export interface RequestView {
  id: string;
  reference: string;
  type: RequestType;
  status: string;
  channel: string;
  receivedOn: string;
  idReceivedOn: string | null;
  authorityNeeded: boolean;
  authorityReceivedOn: string | null;
  /** The day a fee was asked for, while that stands (null: free, or waived). */
  feeAskedOn: string | null;
  feeReceivedOn: string | null;
  clockStarted: boolean;
  start: string;
  dueOn: string;
  firstDueOn: string;
  extensionNoticeDue: string;
  extended: boolean;
  pauses: Array<{ from: string; to: string | null }>;
  rules: string;
  subjectId: string | null;
  outcome: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  overdue: boolean;
  daysLeft: number;
  identityRequired: { required: number; accepted: string[] };
  doc: RequestDoc;
  tasks: TaskView[];
  history?: RequestEventView[];
}

export interface TaskView {
  id: string;
  recipient: string;
  recipientName: string;
  categories: string[];
  action: string;
  status: string;
  doneAt: string | null;
  doneBy: string | null;
  /** logged: the disclosure log shows the data went there; declared-routine: no log, but it routinely receives the category. */
  basis: string | null;
}

export async function tasksOf(ctx: AppContext, db: Kysely<Tables>, requestId: string): Promise<TaskView[]> {
  const names = new Map(ctx.policy.policy.recipients.map((r) => [r.id, r.name]));
  const rows = await db.selectFrom('request_tasks').selectAll().where('request_id', '=', requestId).orderBy('created_at').orderBy('id').execute();
  return rows.map((t) => ({
    id: t.id,
    recipient: t.recipient,
    recipientName: names.get(t.recipient) ?? t.recipient,
    categories: JSON.parse(t.categories) as string[],
    action: t.action,
    status: t.status,
    doneAt: t.done_at,
    doneBy: t.done_by,
    basis: t.basis,
  }));
}

function dayDiff(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function toView(ctx: AppContext, row: RequestRow, doc: RequestDoc, tasks: TaskView[], today: string): RequestView {
  const r = requestDeadline(ctx.policy, row, today);
  const open = !CLOSED.has(row.status);
  return {
    id: row.id,
    reference: row.reference,
    type: row.type as RequestType,
    status: row.status,
    channel: row.channel,
    receivedOn: row.received_on,
    idReceivedOn: row.id_received_on,
    authorityNeeded: row.authority_needed === 1,
    authorityReceivedOn: row.authority_received_on,
    feeAskedOn: row.fee_asked_on,
    feeReceivedOn: row.fee_received_on,
    clockStarted: !AWAITING_START.has(row.status),
    start: r.start,
    dueOn: r.due,
    firstDueOn: r.firstPeriod.due,
    extensionNoticeDue: r.extension.noticeDue,
    extended: row.extended === 1,
    pauses: parsePauses(row.pauses),
    rules: r.rules.id,
    subjectId: row.subject_id,
    outcome: row.outcome,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    overdue: open && !AWAITING_START.has(row.status) && row.status !== 'paused' && r.due < today,
    daysLeft: dayDiff(today, r.due),
    identityRequired: identityRule(ctx),
    doc,
    tasks,
  };
}

export interface RequestSummary {
  id: string;
  reference: string;
  type: string;
  status: string;
  channel: string;
  receivedOn: string;
  dueOn: string;
  extended: boolean;
  subjectId: string | null;
  outcome: string | null;
  overdue: boolean;
  daysLeft: number;
}

export function summaryOf(row: RequestRow, today: string): RequestSummary {
  return {
    id: row.id,
    reference: row.reference,
    type: row.type,
    status: row.status,
    channel: row.channel,
    receivedOn: row.received_on,
    dueOn: row.due_on,
    extended: row.extended === 1,
    subjectId: row.subject_id,
    outcome: row.outcome,
    overdue: !CLOSED.has(row.status) && !AWAITING_START.has(row.status) && row.status !== 'paused' && row.due_on < today,
    daysLeft: dayDiff(today, row.due_on),
  };
}
