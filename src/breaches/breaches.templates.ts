/**
 * What breaches look like on paper: the ICO report as a standalone HTML page, the plain-language
 * letter to each person affected (Art 34(2): the nature of the breach, the contact point, the
 * likely consequences, the measures taken, and what they can do), and the reminder to the privacy
 * officer. Everything that came from a user is escaped; the HTML loads nothing from anywhere.
 */
import { categoryFields } from '../register/fields.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { escapeHtml } from '../shared/html.js';
import { formatUk, type BreachClock } from './breaches.clock.js';
import type { BreachFacts, ContactPoint } from './breaches.events.js';
import type { IcoReport, UkTime } from './breaches.report.js';

const e = escapeHtml;

const CSS = `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;max-width:52rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #eee}
th{width:30%;font-weight:600}.pre{white-space:pre-wrap}.note{color:#555}.late{color:#a00;font-weight:600}.missing{background:#fff4e5;padding:.5rem 1rem;border-left:4px solid #e69500}
@media print{body{margin:0}h2{break-after:avoid}}`;

const time = (t: UkTime | null): string => (t ? `${e(t.uk)} <span class="note">(${e(t.utc)})</span>` : '<span class="note">not yet known</span>');
const text = (s: string | null | undefined): string => (s ? `<div class="pre">${e(s)}</div>` : '<span class="note">not yet known — to follow</span>');
const row = (label: string, html: string): string => `<tr><th scope="row">${e(label)}</th><td>${html}</td></tr>`;
const num = (n: number | null): string => (n === null ? '<span class="note">not yet known</span>' : e(n.toLocaleString('en-GB')));

/** The ICO report as one self-contained HTML page. */
export function renderIcoReportHtml(r: IcoReport): string {
  const cp = r.contactPoint;
  const contact = [cp.name, cp.title, cp.email, cp.phone].filter(Boolean).map((x) => e(x)).join('<br>');
  const categories = r.nature.dataCategories.length
    ? `<ul>${r.nature.dataCategories
        .map(
          (c) =>
            `<li>${e(c.name)}${c.specialCategory ? ` <strong>(special category: ${e(c.specialCategory)})</strong>` : ''}${c.criminalOffence ? ' <strong>(criminal offence data)</strong>' : ''}${
              c.people !== null ? ` — ${e(c.people)} people, ${e(c.records)} records in our register` : ''
            }</li>`,
        )
        .join('')}</ul>`
    : text(null);
  const subjects = r.nature.subjectCategories.length
    ? `<ul>${r.nature.subjectCategories.map((s) => `<li>${e(s.name)}${s.people !== null ? ` — ${e(s.people)} people` : ''}</li>`).join('')}</ul>`
    : text(null);
  const decision = (d: IcoReport['decisions']['ico']) => (d ? `${e(d.decision)}, ${time(d.at)}, by ${e(d.decidedBy)}<div class="pre">${e(d.reason)}</div>` : '<span class="note">not yet decided</span>');
  return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>Personal data breach report ${e(r.reference)} — ${e(r.controller.name)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Personal data breach report</h1>
<p>${e(r.controller.legalName)} · reference ${e(r.reference)} · ${r.phase === 'initial' ? 'initial report' : 'update to our earlier report'} · as known at ${e(r.asOf.uk)} (version ${e(r.version)})</p>
${r.missing.length ? `<div class="missing"><p>Some information is not yet known and will follow (UK GDPR Art 33(4)):</p><ul>${r.missing.map((m) => `<li>${e(m)}</li>`).join('')}</ul></div>` : ''}
<h2>About the organisation</h2>
<table>
${row('Organisation', `${e(r.controller.legalName)}${r.controller.name !== r.controller.legalName ? ` (${e(r.controller.name)})` : ''}`)}
${r.controller.companyNumber ? row('Company number', e(r.controller.companyNumber)) : ''}
${r.controller.icoRegistration ? row('ICO registration', e(r.controller.icoRegistration)) : ''}
${r.controller.address ? row('Address', e(r.controller.address)) : ''}
${row('Contact point', contact ? `${cp.kind !== 'Contact point' ? `${e(cp.kind)}<br>` : ''}${contact}` : text(null))}
</table>
<h2>When</h2>
<table>
${row('When the breach happened', `${time(r.timeline.occurredAt)}${r.timeline.occurredUntil ? ` until ${time(r.timeline.occurredUntil)}` : ''}`)}
${row('When we became aware', time(r.timeline.awareAt))}
${row('How we found out', text(r.timeline.howDiscovered))}
${row('Contained', r.timeline.containedAt ? time(r.timeline.containedAt) : '<span class="note">not stated</span>')}
${row('72 hours end', time(r.timeline.deadline))}
${row('First reported to the ICO', r.timeline.firstReportedAt ? time(r.timeline.firstReportedAt) : '<span class="note">this report</span>')}
${r.timeline.late ? row('Reported late', `<span class="late">${e(r.timeline.hoursLate)} hours after the 72 hours ended</span>`) : ''}
${r.timeline.late || r.timeline.delayReason ? row('Reasons for the delay', text(r.timeline.delayReason)) : ''}
</table>
<h2>What happened</h2>
<table>
${row('Title', e(r.title))}
${row('Description', text(r.nature.description))}
${row('Type of breach', r.nature.types.length ? `<ul>${r.nature.types.map((t) => `<li>${e(t.meaning)}</li>`).join('')}</ul>` : text(null))}
${row('Systems involved', r.nature.systems.length ? e(r.nature.systems.join(', ')) : '<span class="note">not stated</span>')}
${row('Categories of personal data', categories)}
${row('Categories of people', subjects)}
${row('Approximate number of people', num(r.nature.approximatePeople))}
${row('Approximate number of records', num(r.nature.approximateRecords))}
</table>
<h2>Likely consequences</h2>
${text(r.likelyConsequences)}
<h2>Measures taken or proposed</h2>
<table>
${row('Taken', text(r.measures.taken))}
${row('Proposed', text(r.measures.proposed))}
</table>
<h2>Risk and decisions</h2>
<table>
${row(
  'Risk to people',
  r.riskAssessment
    ? `${e(r.riskAssessment.level)} (${time(r.riskAssessment.assessedAt)})<div class="pre">${e(r.riskAssessment.reasons)}</div>${
        r.riskAssessment.exemptions.length ? `<ul>${r.riskAssessment.exemptions.map((x) => `<li>${e(x.meaning)}</li>`).join('')}</ul>` : ''
      }`
    : '<span class="note">not yet assessed</span>',
)}
${row('Reporting to the ICO', decision(r.decisions.ico))}
${row('Telling the people affected', decision(r.decisions.people))}
${row('People told', `${e(r.peopleTold.email.sent)} by email, ${e(r.peopleTold.post.exported)} by post${r.peopleTold.email.failed ? `, ${e(r.peopleTold.email.failed)} emails failed` : ''}`)}
</table>
${
  r.previousReports.length
    ? `<h2>Earlier reports to the ICO</h2><table>${r.previousReports
        .map((p) => row(`${p.phase} report`, `${time(p.submittedAt)}${p.icoReference ? `, ICO reference ${e(p.icoReference)}` : ''}${p.late ? ' <span class="late">(late)</span>' : ''}`))
        .join('')}</table>`
    : ''
}
<p class="note">Generated by Steward on ${e(r.generatedAt.uk)}. Times are UK time, with UTC in brackets.</p>
</body>
</html>
`;
}

// ——— letters to the people affected (Art 34) ———

export interface LetterContext {
  policy: LoadedPolicy;
  reference: string;
  facts: BreachFacts;
  contactPoint: ContactPoint & { kind: string };
  /** The declared categories of this person's data involved. */
  categories: DataCategory[];
  /** The person's name, from the register, if it holds one. */
  greetingName?: string;
}

export interface Letter {
  subject: string;
  text: string;
  html: string;
}

function advice(l: LetterContext): string[] {
  if (l.facts.adviceToPeople) return [l.facts.adviceToPeople];
  const out: string[] = [];
  // The kinds of contact detail involved: a category's email or phone fields (or its deprecated identifier).
  const kinds = new Set<string | undefined>(l.categories.flatMap((c) => [c.identifier, ...categoryFields(c).map((f) => f.type)]));
  if (kinds.has('email')) out.push('Be careful with emails that mention this incident or ask you to click a link, open an attachment, or give a password or bank details. We will never ask for your password.');
  if (kinds.has('phone')) out.push('Be wary of unexpected calls or text messages, even if they seem to know details about you. If in doubt, hang up and call us on a number you already know.');
  out.push('Keep an eye on your accounts and statements, and tell us straight away if anything looks wrong.');
  return out;
}

/** The letter to one person, in plain words; the same text goes by email or by post. */
export function renderLetter(l: LetterContext): Letter {
  const org = l.policy.policy.organisation;
  const sa = org.supervisory_authority;
  const saReach = [sa.website, sa.phone].filter((x): x is string => Boolean(x));
  const f = l.facts;
  const what = f.descriptionForPeople ?? f.description ?? 'We found that some personal information we hold was exposed to people who should not have seen it.';
  const happened = f.occurredAt
    ? `It happened ${f.occurredUntil ? `between ${formatUk(f.occurredAt)} and ${formatUk(f.occurredUntil)}` : `on ${formatUk(f.occurredAt)}`}, and we found out on ${formatUk(f.awareAt)}.`
    : `We found out on ${formatUk(f.awareAt)}.`;
  const cats = l.categories.length ? l.categories.map((c) => c.name) : ['some of your personal information'];
  const consequences = f.consequences ?? 'We are still working out what this could mean for you. Please take the steps below to protect yourself.';
  const cp = l.contactPoint;
  const contact = [cp.name ? `${cp.name}${cp.title ? `, ${cp.title}` : ''}` : cp.kind, cp.email ? `Email: ${cp.email}` : '', cp.phone ? `Phone: ${cp.phone}` : ''].filter(Boolean);
  const sections: Array<[string, string[]]> = [
    ['What happened', [what, happened]],
    ['What information was involved', cats.map((c) => `• ${c}`)],
    ['What this could mean for you', [consequences]],
    // Art 34(2) with 33(3)(d): what was done and what is only planned are different promises, so
    // each has its own heading; a plan is never presented as done.
    ['What we have done', [f.measuresTaken ?? 'We are looking into how this happened and will tell you what we have done.']],
    ...(f.measuresProposed ? [['What we are going to do', [f.measuresProposed]] as [string, string[]]] : []),
    ['What you can do', advice(l)],
    [
      'Who to contact',
      [
        'If you have questions, please contact us:',
        ...contact,
        `You also have the right to complain to the ${sa.name}${saReach.length ? ` (${saReach.join(', ')})` : ''}.`,
      ],
    ],
  ];
  const subject = `Important: a data breach involving your personal information at ${org.name}`;
  const intro = `We are writing to tell you about a data breach at ${org.name} that involves some of your personal information. We are sorry this has happened.`;
  const greeting = l.greetingName ? `Dear ${l.greetingName.replace(/[\r\n]+/g, ' ').slice(0, 200)},` : 'Hello,';
  const text = [
    greeting,
    '',
    intro,
    '',
    ...sections.flatMap(([h, lines]) => [h, '-'.repeat(h.length), ...lines, '']),
    `Our reference: ${l.reference}`,
    '',
    `${org.name}`,
  ].join('\n');
  const html = `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>${e(subject)}</title></head><body style="font:15px/1.5 sans-serif;max-width:40rem">
<p>${e(greeting)}</p><p>${e(intro)}</p>
${sections.map(([h, lines]) => `<h2 style="font-size:1.05rem">${e(h)}</h2>${lines.map((x) => `<p style="white-space:pre-wrap">${e(x)}</p>`).join('')}`).join('\n')}
<p>Our reference: ${e(l.reference)}</p><p>${e(org.name)}</p></body></html>`;
  return { subject, text, html };
}

// ——— reminders to the privacy officer ———

export const REMINDER_STAGES = [
  { stage: '48h', hoursBefore: 48 },
  { stage: '12h', hoursBefore: 12 },
  { stage: 'deadline', hoursBefore: 0 },
] as const;
export type ReminderStage = (typeof REMINDER_STAGES)[number]['stage'];

/** A reminder names the breach by reference and time only: no free text from the record. */
export function renderReminder(orgName: string, reference: string, id: string, stage: ReminderStage, clock: BreachClock, baseUrl?: string): { subject: string; text: string } {
  const subject =
    stage === 'deadline'
      ? `[${orgName}] Breach ${reference}: the 72 hours to report to the ICO have ended`
      : `[${orgName}] Breach ${reference}: ${stage === '48h' ? '48' : '12'} hours left to report to the ICO`;
  const text = [
    `Breach ${reference} (id ${id})`,
    '',
    `Became aware:  ${clock.awareAtUk}`,
    `72 hours end:  ${clock.deadlineUk}`,
    `Status:        ${clock.label}`,
    '',
    stage === 'deadline'
      ? 'If the breach must be reported, report it now and give the reasons for the delay (UK GDPR Art 33(1)). If it is unlikely to result in a risk to people, record that decision and its reason.'
      : 'Report it to the ICO (https://ico.org.uk/for-organisations/report-a-breach/) and record the report in Steward, or record the decision not to report with its reason.',
    '',
    `  steward breaches show ${reference}`,
    ...(baseUrl ? [`  ${baseUrl.replace(/\/$/, '')}/api/v1/breaches/${id}`] : []),
    '',
    'Sent by Steward. You will get at most one reminder at 48 hours before, 12 hours before and at the deadline.',
  ].join('\n');
  return { subject, text };
}
