/**
 * Letters to a complainant: the acknowledgement (s.164A(3)), progress (s.164A(5)(b)) and the
 * outcome (s.164A(4)(b)). Each says the person may also complain to the ICO.
 */
import { formatDate } from '../policy/notice.text.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import type { ComplaintsTable } from './complaints.tables.js';
import type { ComplaintDoc, ComplaintLetterKind } from './complaints.doc.js';

const OUTCOME_WORDS: Record<string, string> = {
  upheld: 'We agree with your complaint.',
  'partly-upheld': 'We agree with part of your complaint.',
  'not-upheld': 'Having looked into it, we do not agree that we did anything wrong.',
  withdrawn: 'You told us you wished to withdraw your complaint, so we have closed it.',
};

export function renderComplaintLetter(policy: LoadedPolicy, kind: ComplaintLetterKind, row: Pick<ComplaintsTable, 'reference' | 'received_on'>, doc: ComplaintDoc, today: string): { subject: string; text: string } {
  const org = policy.policy.organisation;
  const sa = org.supervisory_authority;
  const received = formatDate(row.received_on);
  const lines: string[] = [formatDate(today), `Our reference: ${row.reference}`, '', `Dear ${doc.complainant.name ?? 'Sir or Madam'},`, ''];
  let subject: string;
  switch (kind) {
    case 'acknowledgement':
      subject = `We have received your complaint ${row.reference}`;
      lines.push(
        `Thank you for your complaint, which we received on ${received}, about how we have used your personal information.`,
        '',
        'We will look into it, keep you informed of our progress, and tell you the outcome without undue delay.',
      );
      break;
    case 'progress':
      subject = `Your complaint ${row.reference}: progress`;
      lines.push(`An update on your complaint of ${received}:`, '', doc.steps.at(-1)?.text ?? '');
      break;
    case 'outcome': {
      subject = `Your complaint ${row.reference}: our answer`;
      const informed = doc.steps.filter((s) => s.informed).map((s) => `- ${s.text}`);
      lines.push(`We have finished looking into your complaint of ${received}.`, '', OUTCOME_WORDS[doc.outcome?.outcome ?? ''] ?? '', '', doc.outcome?.explanation ?? '');
      if (informed.length) lines.push('', 'What we did:', ...informed);
      break;
    }
  }
  lines.push(
    '',
    `If you are not satisfied, you can complain to the ${sa.name}${sa.website ? ` (${sa.website}` : ''}${sa.phone ? `${sa.website ? ', ' : ' ('}${sa.phone})` : sa.website ? ')' : ''}.`,
    '',
    'Yours sincerely,',
    org.privacy_contact?.title ?? org.privacy_contact?.name ?? 'Privacy team',
    org.name,
  );
  return { subject, text: lines.join('\n') };
}
