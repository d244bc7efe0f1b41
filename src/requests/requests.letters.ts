/**
 * Response letters, one template per outcome, as plain text and self-contained HTML (nothing
 * loaded from anywhere; everything from the request escaped). Every letter names the right to
 * complain to the supervisory authority; refusals and anything short of full compliance also
 * name the right to go to court (Art 12(4), Art 77–79).
 */
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { privacyOfficerEmail, privacySignatory } from '../policy/contacts.js';
import { contactText } from '../policy/notice.text.js';
import { escapeHtml } from '../shared/html.js';
import { AWAITING_START, citeNotice, type RequestDoc, type RequestRow } from './requests.store.js';
import { isRequestType, REQUEST_TYPE_TRAITS } from './requests.types.js';

export type LetterKind =
  | 'clarification'
  | 'fee-request'
  | 'fee-received'
  | 'fee-waived'
  | 'extension'
  | 'refusal'
  | 'withdrawn'
  | 'access'
  | 'access-no-data'
  | 'portability'
  | 'erasure'
  | 'rectification'
  | 'restriction'
  | 'restriction-lifted'
  | 'objection-upheld'
  | 'objection-refused'
  | 'marketing-objection'
  | 'consent-withdrawn';

const REFUSAL_TEXT: Record<string, string> = {
  'manifestly-unfounded': 'we consider the request manifestly unfounded',
  'manifestly-excessive': 'we consider the request manifestly excessive',
  'identity-not-confirmed': 'we could not confirm your identity with the evidence provided',
  exemption: 'an exemption under the Data Protection Act 2018 applies',
  'no-grounds': 'the conditions for this right are not met',
};

const FEE_GROUNDS: Record<string, string> = {
  'manifestly-unfounded':
    'Requests are free of charge, but where a request is manifestly unfounded Article 12(5) UK GDPR allows us to charge a reasonable fee based on the administrative cost of dealing with it. We consider your request manifestly unfounded.',
  excessive:
    'Requests are free of charge, but where a request is manifestly excessive Article 12(5) UK GDPR allows us to charge a reasonable fee based on the administrative cost of dealing with it. We consider your request manifestly excessive.',
  'further-copies':
    'You have asked for a further copy of your personal data. The first copy is free; for further copies Article 15(3) UK GDPR allows us to charge a reasonable fee based on the administrative cost.',
};

const gbp = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' });

const ukLong = (iso: string): string => new Date(`${iso.slice(0, 10)}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

interface Block {
  heading?: string;
  paragraphs?: string[];
  table?: { head: string[]; rows: string[][] };
}

type Row = Pick<RequestRow, 'reference' | 'type' | 'status' | 'received_on' | 'due_on' | 'first_due_on'>;

function body(kind: LetterKind, row: Row, doc: RequestDoc, policy: LoadedPolicy, today: string): { subject: string; blocks: Block[]; court: boolean } {
  const what = isRequestType(row.type) ? REQUEST_TYPE_TRAITS[row.type].letterText : 'your request';
  const result = (doc.result ?? {}) as Record<string, any>;
  const received = ukLong(row.received_on);
  const fee = doc.fees?.at(-1);
  const amount = gbp.format((fee?.amountPence ?? 0) / 100);
  const period = policy.policy.rights.response_period === '28-days' ? '28 days' : 'one month';
  // Once the clock runs the letter can name the date; a date already past (a fee waived late) is no promise to make.
  const when = AWAITING_START.has(row.status)
    ? 'The time we have to respond starts once we have confirmed your identity; we will be in touch about that.'
    : `We will respond ${row.due_on >= today ? `by ${ukLong(row.due_on)}` : 'without further delay'}.`;
  switch (kind) {
    case 'fee-request':
      return {
        subject: `Your request ${row.reference}: a fee`,
        blocks: [
          {
            paragraphs: [
              `Thank you for your request of ${received} for ${what}.`,
              FEE_GROUNDS[fee?.reason ?? ''] ?? '',
              `Our reasons: ${fee?.explanation ?? ''}`,
              `The fee is ${amount}. Please quote our reference ${row.reference} when you pay; contact us if you need our payment details.`,
              `We will deal with your request once we receive the fee: the ${period} we have to respond starts on the day it arrives${row.status === 'identity-pending' ? ', or the day we have confirmed your identity if that is later' : ''}.`,
            ],
          },
        ],
        court: true,
      };
    case 'fee-received':
      return {
        subject: `Your request ${row.reference}: fee received`,
        blocks: [{ paragraphs: [`Thank you: we received your fee of ${amount} for your request of ${received} on ${ukLong(fee?.receivedOn ?? today)}.`, when] }],
        court: false,
      };
    case 'fee-waived':
      return {
        subject: `Your request ${row.reference}: no fee to pay`,
        blocks: [{ paragraphs: [`We wrote on ${ukLong(fee?.askedOn ?? today)} asking for a fee of ${amount}. We no longer ask for it: we will deal with your request of ${received} for ${what} free of charge.`, when] }],
        court: false,
      };
    case 'clarification':
      return {
        subject: `Your request ${row.reference}: we need a little more information`,
        blocks: [{ paragraphs: [`Thank you for your request of ${received} for ${what}.`, 'To find what your request covers we need to ask:', doc.clarifications.at(-1)?.question ?? '', 'The time we have to respond is paused from the day we asked until the day we receive your answer.'] }],
        court: false,
      };
    case 'extension':
      return {
        subject: `Your request ${row.reference}: we need more time`,
        blocks: [
          {
            paragraphs: [
              `Thank you for your request of ${received} for ${what}.`,
              `Because the request is complex or numerous, we are extending the time to respond by up to two further months, as Article 12(3) UK GDPR allows. We will respond by ${ukLong(row.due_on)}.`,
              `Our reasons: ${doc.extension?.reasons ?? ''}`,
            ],
          },
        ],
        court: false,
      };
    case 'refusal':
      return {
        subject: `Your request ${row.reference}: our decision`,
        blocks: [
          {
            paragraphs: [
              `Thank you for your request of ${received} for ${what}.`,
              `We are not able to comply with it because ${REFUSAL_TEXT[doc.refusal?.reason ?? ''] ?? 'the conditions are not met'}.`,
              doc.refusal?.explanation ?? '',
            ],
          },
        ],
        court: true,
      };
    case 'withdrawn':
      return { subject: `Your request ${row.reference} is closed`, blocks: [{ paragraphs: [`As you asked, we have closed your request of ${received} for ${what}. You can make a new request at any time.`] }], court: false };
    case 'access':
      return {
        subject: `Your subject access request ${row.reference}: your data`,
        blocks: [
          {
            paragraphs: [
              `Thank you for your request of ${received}. We confirm that we process personal data about you.`,
              `A copy of it (${result.records ?? 0} records, as JSON and CSV), with the information Article 15 UK GDPR gives you the right to, is available to download until ${result.expiresOn ? ukLong(String(result.expiresOn)) : 'the date shown in the link'}:`,
              String(result.link ?? '(the link is sent separately)'),
              ...(result.redacted ? ['Some information about other people has been removed, as the law requires (Data Protection Act 2018, Schedule 2 paragraph 16).'] : []),
            ],
          },
        ],
        court: Boolean(result.redacted),
      };
    case 'access-no-data':
      return { subject: `Your subject access request ${row.reference}`, blocks: [{ paragraphs: [`Thank you for your request of ${received}. Having searched our records, we confirm that we do not process any personal data about you.`] }], court: false };
    case 'portability':
      return {
        subject: `Your data portability request ${row.reference}`,
        blocks: [
          {
            paragraphs: [
              `Thank you for your request of ${received}. The personal data you provided to us and that we process by automated means on the basis of your consent or a contract (${result.records ?? 0} records) is available as JSON and CSV until ${result.expiresOn ? ukLong(String(result.expiresOn)) : 'the date shown in the link'}:`,
              String(result.link ?? '(the link is sent separately)'),
            ],
          },
        ],
        court: false,
      };
    case 'erasure': {
      const cats = (result.categories ?? []) as Array<{ category: string; name: string; erased: number; kept: number; why?: string; until?: string | null }>;
      const kept = cats.some((c) => c.kept > 0);
      return {
        subject: `Your erasure request ${row.reference}: what we have done`,
        blocks: [
          { paragraphs: [`Thank you for your request of ${received}. ${kept ? 'We have erased your personal data except where the law requires or allows us to keep it, as set out below.' : 'We have erased all the personal data we held about you.'}`] },
          {
            table: {
              head: ['Data', 'Erased', 'Kept', 'Why kept, and until when'],
              rows: cats.map((c) => [c.name, String(c.erased), String(c.kept), c.kept ? `${c.why ?? ''}${c.until ? ` (until ${ukLong(c.until)})` : ''}` : '']),
            },
          },
          { paragraphs: ['We keep a record that your data was erased, and your contact details only as a keyed hash on our suppression list, so that we never contact you again by mistake.'] },
        ],
        court: kept,
      };
    }
    case 'rectification':
      return { subject: `Your rectification request ${row.reference}: done`, blocks: [{ paragraphs: [`Thank you for your request of ${received}. We have corrected ${result.records ?? 0} item(s) of your personal data as you asked, and we will tell those we shared it with.`] }], court: false };
    case 'restriction':
      return {
        subject: `Your restriction request ${row.reference}: done`,
        blocks: [{ paragraphs: [`Thank you for your request of ${received}. We have restricted the use of your personal data: we will store it but not otherwise use it without your consent or another reason the law allows. We will tell you before we lift the restriction.`] }],
        court: false,
      };
    case 'restriction-lifted':
      return { subject: `Your request ${row.reference}: restriction lifted`, blocks: [{ paragraphs: ['As we told you, the restriction on the use of your personal data has now been lifted.'] }], court: false };
    case 'objection-upheld':
      return {
        subject: `Your objection ${row.reference}: we have stopped`,
        blocks: [{ paragraphs: [`Thank you for your objection of ${received}. We have stopped using your personal data for: ${(result.stopped ?? []).join('; ') || 'the purposes you objected to'}.`] }],
        court: false,
      };
    case 'objection-refused':
      return {
        subject: `Your objection ${row.reference}: our decision`,
        blocks: [{ paragraphs: [`Thank you for your objection of ${received}. We have compelling legitimate grounds to continue, which override your interests, rights and freedoms:`, String(result.grounds ?? '')] }],
        court: true,
      };
    case 'marketing-objection':
      return {
        subject: `Your objection to direct marketing ${row.reference}: done`,
        blocks: [{ paragraphs: [`Thank you for your objection of ${received}. We have stopped all direct marketing to you, on every channel, and added your contact details to our suppression list so that it does not start again.`] }],
        court: false,
      };
    case 'consent-withdrawn':
      return {
        subject: `Withdrawal of your consent ${row.reference}: done`,
        blocks: [{ paragraphs: [`Thank you for your message of ${received}. We have recorded the withdrawal of your consent for: ${(result.purposes ?? []).join('; ') || 'the purposes you named'}. This does not affect anything done before you withdrew it.`] }],
        court: false,
      };
  }
}

export function renderLetter(policy: LoadedPolicy, kind: LetterKind, row: Row, doc: RequestDoc, today: string): { subject: string; text: string; html: string } {
  const org = policy.policy.organisation;
  const sa = org.supervisory_authority;
  const { subject, blocks, court } = body(kind, row, doc, policy, today);
  const greeting = `Dear ${doc.representative?.name ?? doc.requester.name ?? 'Sir or Madam'},`;
  const contact = privacyOfficerEmail(policy.policy) ?? contactText(org.contact);
  const rights = [
    `If you are unhappy with how we have handled your request, please contact us${contact ? ` at ${contact}` : ''}. You also have the right to complain to the ${sa.name}${sa.website ? ` (${sa.website}` : ''}${sa.phone ? `${sa.website ? ', ' : ' ('}${sa.phone})` : sa.website ? ')' : ''}.`,
    ...(court ? ['You also have the right to seek to enforce your rights through the courts.'] : []),
    ...(doc.noticeVersion ? [`Our privacy notice in force when we received your request: ${citeNotice(doc.noticeVersion)}.`] : []),
  ];
  const sign = [`Yours sincerely,`, privacySignatory(policy.policy), org.name];
  const lines: string[] = [ukLong(today), `Our reference: ${row.reference}`, '', greeting, ''];
  for (const b of blocks) {
    if (b.heading) lines.push(b.heading, '');
    for (const p of b.paragraphs ?? []) if (p) lines.push(p, '');
    if (b.table) {
      lines.push(b.table.head.join(' | '));
      for (const r of b.table.rows) lines.push(r.join(' | '));
      lines.push('');
    }
  }
  lines.push(...rights.flatMap((r) => [r, '']), ...sign);
  const e = escapeHtml;
  const html = [
    '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>',
    e(subject),
    '</title><style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;line-height:1.5}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.25rem .5rem;text-align:left}</style></head><body>',
    `<p>${e(ukLong(today))}<br>Our reference: ${e(row.reference)}</p><p>${e(greeting)}</p>`,
    ...blocks.map(
      (b) =>
        (b.heading ? `<h2>${e(b.heading)}</h2>` : '') +
        (b.paragraphs ?? []).filter(Boolean).map((p) => `<p>${e(p)}</p>`).join('') +
        (b.table ? `<table><thead><tr>${b.table.head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${b.table.rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>` : ''),
    ),
    ...rights.map((r) => `<p>${e(r)}</p>`),
    `<p>${sign.map(e).join('<br>')}</p></body></html>`,
  ].join('');
  return { subject, text: lines.join('\n'), html };
}
