import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildNoticeModel } from './notice.model.js';
import type { NoticeModel, NoticeSection, Rich } from './notice.types.js';
import { formatDuration, retentionText } from './notice.wording.js';
import { escapeMarkdown, renderNotice, safeHref } from './notice.render.js';
import { parsePolicy, type LoadedPolicy } from './policy.loader.js';
import type { Policy } from './policy.schema.js';
import { SAFEGUARD_LABEL } from './schema.recipients.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtureFile = join(root, 'test/fixtures/policy/render-full.yaml');
const loaded = parsePolicy(readFileSync(fixtureFile, 'utf8'), fixtureFile);
const html = renderNotice(loaded, 'html');
const md = renderNotice(loaded, 'md');

/** The text a reader sees in the HTML: no head, no tags, entities decoded, whitespace collapsed. */
function htmlText(doc: string): string {
  return doc
    .replace(/<head>[\s\S]*?<\/head>/, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** The text a reader sees in the Markdown: link text without targets, no emphasis, escapes removed. */
function mdText(doc: string): string {
  return doc
    .replace(/<a id="[a-z0-9-]+"><\/a>/g, '')
    .replace(/\[((?:\\.|[^\]\\])*)\]\([^)\s]*\)/g, '$1')
    .replace(/\*\*/g, '')
    .replace(/(?<!\\)`/g, '')
    .replace(/\\(.)/g, '$1')
    .replace(/\s+/g, ' ');
}

const seenHtml = htmlText(html).toLowerCase();
const seenMd = mdText(md).toLowerCase();

function withPolicy(base: LoadedPolicy, change: (p: Policy) => void): LoadedPolicy {
  const policy = structuredClone(base.policy);
  change(policy);
  return { ...base, policy };
}

/** Every Art 13/14 item, with text from render-full.yaml that must appear for it. */
const items: Array<[string, string[]]> = [
  ['controller identity (Art 13(1)(a))', ['The controller responsible for your personal data is Harbourline Office Supplies Ltd']],
  ['entities and company numbers', ['Harbourline Group Ltd', '10270987', '02337714', 'Harbourline (Scotland) Ltd', 'SC123456', 'England and Wales', 'Scotland']],
  ['group structure', ['Harbourline Office Supplies Ltd is a subsidiary of Harbourline Group Ltd']],
  ['trading names', ['also trades as Harbourline Print and Desk & Chair Direct']],
  ['registered and trading addresses', ['12 Quay Street, Bristol, BS1 4QA, United Kingdom', 'Unit 4, Avonmouth Trade Park, Bristol, Avon, BS11 9FG']],
  ['ICO registration', ['ZA123456']],
  ['controller contact', ['hello@harbourline.example', '0117 496 0000', 'https://www.harbourline.example/chat']],
  ['joint controllers (Art 26)', ['Trade Expo Partners LLP', 'answers requests about badge scans']],
  ['processor relationships', ['When we act for our clients', 'the business clients whose print and mailing jobs we run']],
  ['DPO contact (Art 13(1)(b))', ['Our Data Protection Officer', 'Priya Shah', 'dpo@harbourline.example', '0117 496 0123']],
  [
    'purposes with lawful basis in words and article (Art 13(1)(c))',
    [
      'Processing your orders',
      'Contract (Art 6(1)(b) UK GDPR)',
      'Legal obligation (Art 6(1)(c) UK GDPR)',
      'Consent (Art 6(1)(a) UK GDPR)',
      'Legitimate interests (Art 6(1)(f) UK GDPR)',
      'we need it to carry out our contract with you',
    ],
  ],
  ['legitimate interests (Art 13(1)(d))', ['Our legitimate interest', 'Answering questions from people who may want to buy from us.', 'Finding new business customers']],
  ['recognised legitimate interest, Art 6(1)(ea)', ['Recognised legitimate interest (Art 6(1)(ea) UK GDPR)', 'detecting, investigating or preventing crime', 'Annex 1']],
  ['Art 9 condition', ['Art 9(2)(a) UK GDPR: you have given your explicit consent', 'special category data (health)', 'Art 9(2)(b) UK GDPR']],
  ['DPA 2018 Schedule 1 condition', ['Schedule 1 to the Data Protection Act 2018: Part 1, paragraph 1']],
  ['processor purpose basis', ['who decide the lawful basis as controllers']],
  ['categories of data (Art 14(1)(d))', ['Delivery access needs', 'Credit and fraud check results', 'name, email address, phone number, postal address']],
  ['categories per relationship', ['If you are a customer', 'If you are an enquirer', 'If you are one of our business contacts', 'If you are a job applicant']],
  ['data never stored', ['We never store: card numbers']],
  [
    'sources and whether public (Art 14(2)(f))',
    ['Companies House register', 'Yes, it is publicly accessible', 'Bristol Office Show badge scans', 'No, it is not public', 'Recruitment agencies we work with', 'A credit reference agency'],
  ],
  ['when Art 14 information is given', ['within a month, or earlier if we contact you or pass your data on']],
  [
    'recipients with countries (Art 13(1)(e))',
    ['Parcelwise Couriers Ltd', 'Mailchimp', 'Credit reference agencies (a kind of organisation', 'HM Revenue & Customs', 'Public authority', 'United States', 'India'],
  ],
  [
    'transfers with safeguard and copy (Art 13(1)(f))',
    [
      SAFEGUARD_LABEL['uk-us-data-bridge'],
      SAFEGUARD_LABEL.idta,
      SAFEGUARD_LABEL.adequacy,
      "Mailchimp's certification is listed at dataprivacyframework.gov",
      'Email dpo@harbourline.example for a copy of the IDTA.',
      'Our out-of-hours support team in India can read support tickets.',
      'You can ask for a copy of the safeguard',
    ],
  ],
  [
    'retention per purpose, in plain words (Art 13(2)(a))',
    [
      '6 years after your account is closed, then anonymised',
      '6 years after your contract with us ends, then deleted',
      'Until your contract with us ends, then deleted.',
      '3 months after your enquiry, then deleted unless you opted in to marketing.',
      'Reviewed every 3 years',
      '3 months after the recording is made',
      'We delete client mailing lists 30 days after the job is finished.',
    ],
  ],
  [
    'statutory or contractual requirement and consequence (Art 13(2)(e))',
    [
      'The law requires you to give us this information.',
      'Our contract with you requires you to give us this information.',
      'If you do not give it, we cannot take or deliver your order without your name, address and a way to contact you.',
      'If you do not give it, we cannot consider your application.',
    ],
  ],
  [
    'the rights (Art 13(2)(b))',
    ['Access', 'Rectification', 'Erasure', 'Restriction', 'Objection', 'Data portability', 'Objection to direct marketing', 'This right is absolute'],
  ],
  ['rights per lawful basis', ['Which rights apply to each use']],
  ['how to exercise rights', ['https://www.harbourline.example/privacy/request', 'By post: Data Protection Officer, Unit 4, Avonmouth Trade Park, Bristol BS11 9FG']],
  ['identity evidence', ['we will ask for two of: passport, driving licence, recent utility bill, recent bank statement', 'Copies are deleted once we have checked them.']],
  ['response time and extension', ['We will answer within 28 days', 'up to two more months', 'we will tell you why within 28 days']],
  [
    'withdrawing consent (Art 13(2)(c))',
    ['You can withdraw your consent at any time', 'use the unsubscribe link in any marketing email', 'Your consent lasts 3 years', 'renew it 1 month before it lapses'],
  ],
  ['complaint to the ICO (Art 13(2)(d))', ["right to complain to the Information Commissioner's Office", 'https://ico.org.uk', '0303 123 1113']],
  [
    'automated decisions, logic and consequences (Art 13(2)(f))',
    [
      'We score your application from your credit file and order history',
      'You may be refused credit terms and asked to pay in advance.',
      'ask a member of our credit team to review the decision',
    ],
  ],
  ['cookies by category', ['Strictly necessary', 'Functional', 'Analytics', 'Marketing', 'hl_session', '_ga', 'Local storage', 'Until you close your browser', 'Global Privacy Control']],
  ['children and the age of digital consent', ['If you are under 13']],
  ['security measures', ['Personal data is encrypted at rest and in transit', 'We never store card numbers.']],
  ['changes and applicability', ['email account holders about significant changes', 'Our own employees, who receive a separate staff privacy notice.']],
  ['version block', ['Effective from 1 March 2026', `Version ${loaded.hash.slice(0, 12)}`, 'generated by Steward']],
];

describe('privacy notice: render-full.yaml', () => {
  it.each(items)('states %s in HTML and Markdown', (_item, texts) => {
    for (const text of texts) {
      expect(seenHtml, `HTML lacks "${text}"`).toContain(text.toLowerCase());
      expect(seenMd, `Markdown lacks "${text}"`).toContain(text.toLowerCase());
    }
  });

  it('answers every Art 13 and Art 14 item in some section', () => {
    const covered = new Set(allSections(buildNoticeModel(loaded)).flatMap((s) => s.covers));
    const required = [
      'Art 13(1)(a)', 'Art 13(1)(b)', 'Art 13(1)(c)', 'Art 13(1)(d)', 'Art 13(1)(e)', 'Art 13(1)(f)',
      'Art 13(2)(a)', 'Art 13(2)(b)', 'Art 13(2)(c)', 'Art 13(2)(d)', 'Art 13(2)(e)', 'Art 13(2)(f)',
      'Art 14(1)(d)', 'Art 14(2)(f)',
    ];
    expect(required.filter((r) => !covered.has(r))).toEqual([]);
  });

  it('is a standalone, accessible HTML5 document', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en-GB">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>Privacy notice: Harbourline Office Supplies</title>');
    expect(html).toMatch(/<nav aria-labelledby="contents-heading">/);
    expect(html).toMatch(/<main id="main">/);
    expect(html.match(/<h1[ >]/g)).toHaveLength(1);
    expect(html).toContain('<style>');
    // No scripts, no external resources of any kind.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|\bsrc=|@import|url\(/i);
    // Every link is a fragment, http(s), mailto or tel, and every fragment exists.
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(20);
    for (const href of hrefs) expect(href).toMatch(/^(#[a-z0-9-]+|https:\/\/|mailto:|tel:)/);
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    for (const href of hrefs.filter((h) => h.startsWith('#'))) expect(ids, href).toContain(href.slice(1));
    // Tables have captions and header cells.
    expect(html.match(/<table>/g)?.length).toBe(html.match(/<caption>/g)?.length);
    expect(html).toContain('<th scope="col">');
  });

  it('lists every section in the table of contents, in both formats', () => {
    const model = buildNoticeModel(loaded);
    const ids = allSections(model).map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of model.sections) {
      expect(html).toContain(`<a href="#${s.id}">`);
      expect(md).toContain(`](#${s.id})`);
    }
  });

  it('carries the same items in Markdown as in HTML', () => {
    const fragments = modelText(buildNoticeModel(loaded));
    expect(fragments.length).toBeGreaterThan(200);
    for (const f of fragments) {
      const text = f.toLowerCase();
      expect(seenHtml, `HTML lacks "${f}"`).toContain(text);
      expect(seenMd, `Markdown lacks "${f}"`).toContain(text);
    }
  });

  it('shows the content hash and effective date as the version', () => {
    const short = loaded.hash.slice(0, 12);
    expect(html).toContain(`<code>${short}</code>`);
    expect(html).toContain('<time datetime="2026-03-01">1 March 2026</time>');
    expect(html).toContain(`<meta name="steward-version" content="${loaded.hash}">`);
    expect(md).toContain(`Version \`${short}\``);
  });

  it('makes site-relative links absolute with baseUrl', () => {
    const relative = withPolicy(loaded, (p) => {
      p.rights.channels = [{ type: 'web-form', address: '/privacy/request' }];
    });
    expect(renderNotice(relative, 'html', { baseUrl: 'https://steward.example/' })).toContain('href="https://steward.example/privacy/request"');
    expect(renderNotice(relative, 'md', { baseUrl: 'https://steward.example' })).toContain('](https://steward.example/privacy/request)');
    expect(renderNotice(relative, 'html')).toContain('href="/privacy/request"');
  });
});

describe('privacy notice: hostile declaration text', () => {
  const attack = '<script>alert("x")</script>';
  const hostile = withPolicy(loaded, (p) => {
    p.organisation.name = `${attack} & Co`;
    p.notice.title = `Notice </title><script>alert(1)</script>`;
    p.organisation.contact.web = 'javascript:alert(1)';
    p.organisation.entities[0]!.name = '<img src=x onerror=alert(1)>';
    p.purposes[0]!.name = '# Heading *bold* [link](javascript:alert(1)) | pipe';
    p.purposes[0]!.description = `Line one\n\n${attack}\n\n- list item\n\n1. numbered`;
    p.purposes[4]!.legitimate_interest = `"double" 'single' <b>bold</b> \`code\``;
    p.recipients[0]!.name = '<iframe src="https://evil.example">';
    p.cookies[0]!.name = '<svg onload=alert(1)>';
    p.rights.channels = [
      { type: 'web-form', address: 'javascript:alert(2)' },
      { type: 'email', address: 'x@example.com?subject=<script>' },
      { type: 'web-form', address: '//evil.example/phish' },
    ];
  });
  const out = renderNotice(hostile, 'html');
  const outMd = renderNotice(hostile, 'md');

  it('escapes every string in the HTML', () => {
    expect(out).not.toMatch(/<script|<img|<iframe|<svg|<b>/i);
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('&quot;double&quot; &#39;single&#39; &lt;b&gt;bold&lt;/b&gt;');
    expect(out.match(/<title>/g)).toHaveLength(1);
    expect(out).toContain('<title>Notice &lt;/title&gt;&lt;script&gt;');
  });

  it('publishes no link with an untrusted target', () => {
    expect(out).not.toMatch(/href="(javascript|\/\/|x@)/i);
    expect(outMd).not.toMatch(/(?<!\\)\]\((javascript|\/\/|mailto:x@example\.com\?)/i);
    // The text itself is still shown, so nothing silently disappears.
    expect(htmlText(out)).toContain('javascript:alert(2)');
  });

  it('escapes Markdown-significant characters', () => {
    expect(outMd).not.toMatch(/(^|[^\\])<(script|img|iframe|svg|b>)/m);
    expect(outMd).toContain('\\<script\\>alert("x")\\</script\\> & Co');
    expect(outMd).toContain('### \\# Heading \\*bold\\* \\[link\\](javascript:alert(1)) \\| pipe');
    expect(outMd).toContain('\\- list item');
    expect(outMd).toContain('1\\. numbered');
    expect(outMd).toContain('\\`code\\`');
    // A table row keeps its cells: the pipe in a name is escaped.
    const row = outMd.split('\n').find((l) => l.startsWith('| [\\# Heading'));
    expect(row).toBeDefined();
    expect(row!.split(/(?<!\\)\|/).length).toBe(4);
  });
});

describe('notice wording', () => {
  it('formats durations', () => {
    expect(formatDuration('6 years')).toBe('6 years');
    expect(formatDuration('1 months')).toBe('1 month');
    expect(formatDuration('P1Y6M')).toBe('1 year and 6 months');
    expect(formatDuration('P2W')).toBe('2 weeks');
  });

  it('states retention rules in plain words', () => {
    const base = { action: 'delete' as const };
    expect(retentionText({ id: 'a', ...base, duration: '6 years', trigger: 'account-closed' })).toBe('6 years after your account is closed, then deleted.');
    expect(retentionText({ id: 'b', ...base, until: 'contract-ended' })).toBe('Until your contract with us ends, then deleted.');
    expect(retentionText({ id: 'c', ...base, duration: '3 months', trigger: 'enquiry', unless: ['marketing-consent'] })).toBe(
      '3 months after your enquiry, then deleted unless you opted in to marketing.',
    );
    expect(retentionText({ id: 'd', ...base, review_every: '3 years' })).toBe('Reviewed every 3 years, and deleted once we no longer need it.');
    expect(retentionText({ id: 'e', ...base, until: 'contract-ended', duration: '6 years' })).toBe(
      'Until your contract with us ends, then for a further 6 years, then deleted.',
    );
    expect(retentionText({ id: 'f', action: 'anonymise', duration: '2 years', trigger: 'last-contact' })).toBe(
      '2 years after we were last in touch with you, then anonymised so that it no longer identifies you.',
    );
    expect(retentionText({ id: 'g', ...base, trigger: 'contract-ended', criteria: 'As long as someone could bring a claim.' })).toBe(
      'Kept after your contract with us ends only as long as we need it, then deleted. How we decide: as long as someone could bring a claim.',
    );
    expect(retentionText({ id: 'h', ...base, criteria: 'The amount and sensitivity of the data', legal_exceptions: ['regulatory'] })).toBe(
      'Kept only as long as we need it, then deleted. How we decide: the amount and sensitivity of the data. We may keep it longer where a regulator requires us to.',
    );
    expect(retentionText(undefined)).toMatch(/ask us/);
    expect(retentionText({ id: 'i', ...base, until: 'handed-to-client' })).toBe('Until we have handed it over to our client, then deleted.');
    expect(retentionText({ id: 'j', ...base, duration: '30 days', trigger: 'handed-to-client' })).toBe('30 days after we have handed it over to our client, then deleted.');
  });

  it('lists a transfer without countries, saying they are not stated and never assuming adequacy', () => {
    const unnamed = withPolicy(loaded, (p) => {
      p.transfers = [{ id: 'staff-abroad', description: 'Our own staff outside the EEA may access your data.' }];
    });
    const text = mdText(renderNotice(unnamed, 'md'));
    expect(text).toContain('Our own staff outside the EEA may access your data. | Countries not stated; ask us where your data goes | Not stated: contact us to ask how your data is protected | Ask us at dpo@harbourline.example.');
    expect(htmlText(renderNotice(unnamed, 'html'))).toContain('Countries not stated');
    const withIdta = withPolicy(loaded, (p) => {
      p.transfers = [{ id: 'staff-abroad', description: 'Our own staff abroad.', safeguard: 'idta', safeguard_copy: 'Ask our DPO.' }];
    });
    expect(mdText(renderNotice(withIdta, 'md'))).toContain(`Our own staff abroad. | Countries not stated; ask us where your data goes | The UK International Data Transfer Agreement (IDTA) | Ask our DPO.`);
  });

  it('gives a transfer naming a recipient that recipient\'s countries when it states none', () => {
    const inherited = withPolicy(loaded, (p) => {
      p.transfers = [{ id: 'support', description: 'Support tickets are read in India.', recipient: 'helpdesk' }];
    });
    expect(mdText(renderNotice(inherited, 'md'))).toContain(`Tixly Helpdesk: Support tickets are read in India. | India | The UK International Data Transfer Agreement (IDTA) | Ask our DPO for a copy of the IDTA with Tixly.`);
  });

  it('asks for proof of identity without a count when none is declared', () => {
    const text = (identity: Policy['rights']['identity']): string =>
      mdText(renderNotice(withPolicy(loaded, (p) => (p.rights.identity = identity)), 'md'));
    const bare = text({ accepted: [] });
    expect(bare).toContain('To protect your data from people pretending to be you, we will ask for proof of identity.');
    expect(bare).not.toMatch(/we will ask for (one|two|three|four|five|undefined)/);
    expect(text({ accepted: ['passport', 'driving-licence'], note: 'Copies are deleted.' })).toContain(
      'we will ask for proof of identity, such as: passport, driving licence. Copies are deleted.',
    );
    expect(text({ required: 0, accepted: [] })).toContain('We do not normally ask for proof of identity, but if we are unsure who you are we may ask for it.');
    expect(text({ required: 2, accepted: [] })).toContain('we will ask for two pieces of proof of identity.');
  });

  it('tells existing customers about soft opt-in emails and texts and the free opt-out in every message', () => {
    const soft = withPolicy(loaded, (p) => {
      const m = p.purposes.find((x) => x.id === 'marketing')!;
      Object.assign(m, { lawful_basis: 'legitimate-interests', legitimate_interest: 'Telling customers about similar products.', soft_opt_in: true });
    });
    for (const text of [mdText(renderNotice(soft, 'md')), htmlText(renderNotice(soft, 'html'))]) {
      expect(text).toContain('Emails and texts to existing customers');
      expect(text).toContain('we may email or text you about our own products and services that are similar to those you bought or asked about');
      expect(text).toContain('You can opt out at any time, free of charge');
      expect(text).toContain('every email and text message we send tells you how');
    }
    const emailOnly = withPolicy(soft, (p) => (p.purposes.find((x) => x.id === 'marketing')!.channels = ['email', 'post']));
    expect(mdText(renderNotice(emailOnly, 'md'))).toContain('we may email you about our own products');
    expect(seenMd).not.toContain('emails and texts to existing customers');
  });

  it('says "none" only where the declaration says so, and "Not stated" where it is silent', () => {
    const bare = withPolicy(loaded, (p) => {
      p.recipients = [];
      p.transfers = [];
      p.cookies = [];
      p.practices = { automated_decisions: false };
      for (const purpose of p.purposes) {
        purpose.recipients = [];
        purpose.automated_decision = undefined;
      }
    });
    const text = mdText(renderNotice(bare, 'md'));
    expect(text).toContain('This notice lists no transfers of your personal data outside the UK.');
    expect(text).toContain('We do not share your personal data with other organisations.');
    expect(text).toContain('We do not make decisions about you by automated means alone');
    expect(text).toContain('This notice lists no cookies or similar technologies.');
    const silent = withPolicy(bare, (p) => {
      p.practices = undefined;
      p.organisation.privacy_contact = undefined;
      for (const purpose of p.purposes) purpose.recipients = undefined;
    });
    const silentText = mdText(renderNotice(silent, 'md'));
    expect(silentText).toContain('Not stated: whether we make decisions about you by automated means alone');
    expect(silentText).toContain('Not stated: whether we have appointed a Data Protection Officer');
    expect(silentText).toContain('Not stated: who receives your personal data');
    expect(silentText).not.toContain('We do not share');
    expect(silentText).not.toContain('We do not make decisions');
    expect(renderNotice(silent, 'html')).toContain('<mark class="missing">Not stated: whether we have appointed a Data Protection Officer</mark>');
  });

  /**
   * Each optional fact in turn: with it, the notice states it; without it, no sentence asserts it
   * (the list: transfers, cookies, GPC, unsubscribe, recruitment, children, automated
   * decisions, DPO). `claim` is what the notice may only say when the fact is declared.
   */
  const OPTIONAL_FACTS: Array<{ fact: string; claim: RegExp; remove: (p: Policy) => void; keep?: (p: Policy) => void }> = [
    {
      fact: 'transfers (every recipient\'s countries)',
      claim: /do not send your personal data outside the UK/i,
      keep: (p) => {
        p.transfers = [];
        p.recipients = p.recipients.map((r) => ({ ...r, countries: ['GB'], safeguard: undefined }));
      },
      remove: (p) => {
        p.transfers = [];
        p.recipients = p.recipients.map((r, i) => ({ ...r, countries: i === 0 ? undefined : ['GB'], kind: i === 0 ? 'processor' : r.kind, safeguard: undefined }));
      },
    },
    { fact: 'cookie settings', claim: /cookie settings|rejecting them is as easy/i, remove: (p) => void (p.cookie_controls = { ...p.cookie_controls, settings: undefined }) },
    { fact: 'Global Privacy Control', claim: /global privacy control/i, remove: (p) => void (p.cookie_controls = { ...p.cookie_controls, global_privacy_control: undefined }) },
    {
      fact: 'unsubscribe link',
      claim: /unsubscribe link/i,
      remove: (p) => void (p.rights.consent.withdrawal_channels = p.rights.consent.withdrawal_channels.filter((c) => c !== 'unsubscribe-link')),
    },
    {
      fact: 'recruitment',
      claim: /apply to work with us|if you are a job applicant/i,
      keep: (p) => void p.relationships.push({ id: 'candidate', name: 'Job applicant', role: 'controller' }),
      remove: () => undefined,
    },
    { fact: 'services for children', claim: /parent or guardian|under 13/i, remove: (p) => void (p.practices = { ...p.practices, services_for_children: undefined }) },
    {
      fact: 'no automated decisions',
      claim: /we do not make decisions about you by automated means/i,
      keep: (p) => {
        p.practices = { ...p.practices, automated_decisions: false };
        for (const purpose of p.purposes) purpose.automated_decision = undefined;
      },
      remove: (p) => {
        p.practices = { ...p.practices, automated_decisions: undefined };
        for (const purpose of p.purposes) purpose.automated_decision = undefined;
      },
    },
    { fact: 'a DPO', claim: /appointed a data protection officer \(dpo\)|contact our dpo directly|have not appointed a data protection officer/i, remove: (p) => void (p.organisation.privacy_contact = undefined) },
  ];

  it.each(OPTIONAL_FACTS)('asserts $fact only when it is declared', ({ claim, remove, keep }) => {
    const base = keep ? withPolicy(loaded, keep) : loaded;
    const withFact = mdText(renderNotice(base, 'md'));
    expect(withFact).toMatch(claim);
    const without = withPolicy(base, (p) => {
      remove(p);
      // Recruitment: the job applicant relationship is what the claim derives from.
      p.relationships = p.relationships.filter((r) => r.id !== 'candidate');
    });
    for (const format of ['md', 'html'] as const) {
      const text = format === 'md' ? mdText(renderNotice(without, 'md')) : htmlText(renderNotice(without, 'html'));
      expect(text).not.toMatch(claim);
    }
  });

  it('groups data by relationship under a heading that reads as English', () => {
    const named = withPolicy(loaded, (p) => {
      p.relationships[0]!.name = 'Customers';
      p.relationships[3]!.name = 'people whose calls we record (for clients)';
    });
    const text = mdText(renderNotice(named, 'md'));
    expect(text).toContain('### If you are one of our customers');
    expect(text).toContain('### People whose calls we record (for clients) If you are in this group, we may hold:');
  });

  it('puts a recipient in the EEA without a declared safeguard under adequacy', () => {
    const eea = withPolicy(loaded, (p) => {
      p.recipients = [{ id: 'x', name: 'Dublin Hosting', kind: 'processor', is_category: false, countries: ['IE'] }];
      p.transfers = [];
    });
    expect(mdText(renderNotice(eea, 'md'))).toContain(`Dublin Hosting | Ireland | ${SAFEGUARD_LABEL.adequacy}`);
  });

  it('trusts only safe link targets', () => {
    expect(safeHref('https://ico.org.uk')).toBe('https://ico.org.uk');
    expect(safeHref('mailto:dpo@example.com')).toBe('mailto:dpo@example.com');
    expect(safeHref('tel:+441234567890')).toBe('tel:+441234567890');
    expect(safeHref('#rights')).toBe('#rights');
    expect(safeHref('/privacy', 'https://a.example')).toBe('https://a.example/privacy');
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,x', '//evil.example', 'https://a.example/"onmouseover=x', 'vbscript:x']) {
      expect(safeHref(bad), bad).toBeUndefined();
    }
  });

  it('escapes Markdown at the start of a line', () => {
    expect(escapeMarkdown('# not a heading')).toBe('\\# not a heading');
    expect(escapeMarkdown('2024. A year')).toBe('2024\\. A year');
    expect(escapeMarkdown('+ plus')).toBe('\\+ plus');
    expect(escapeMarkdown('a_b*c')).toBe('a\\_b\\*c');
  });
});

describe('privacy notice: examples/*.yaml', () => {
  const dir = join(root, 'examples');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')) : [];

  it(`renders every example declaration (${files.length ? files.join(', ') : 'none present yet'})`, () => {
    for (const file of files) {
      const example = parsePolicy(readFileSync(join(dir, file), 'utf8'), join('examples', file));
      const name = example.policy.organisation.name.replace(/\s+/g, ' ').trim().toLowerCase();
      const exHtml = renderNotice(example, 'html');
      const exMd = renderNotice(example, 'md');
      expect(exHtml.length, file).toBeGreaterThan(2000);
      expect(exMd.length, file).toBeGreaterThan(1000);
      expect(htmlText(exHtml).toLowerCase(), file).toContain(name);
      expect(mdText(exMd).toLowerCase(), file).toContain(name);
      expect(exHtml, file).toContain(example.hash.slice(0, 12));
      expect(exHtml, file).not.toMatch(/<script/i);
    }
  });
});

function allSections(model: NoticeModel): NoticeSection[] {
  const walk = (s: NoticeSection): NoticeSection[] => [s, ...s.subsections.flatMap(walk)];
  return model.sections.flatMap(walk);
}

/** Every piece of text in the model: headings, labels, captions, columns and inline spans. */
function modelText(model: NoticeModel): string[] {
  const out: string[] = [model.title, model.organisation];
  const rich = (r: Rich): void => {
    for (const span of typeof r === 'string' ? [r] : r) {
      if (typeof span === 'string') out.push(span);
      else if ('strong' in span) out.push(span.strong);
      else if ('missing' in span) out.push(span.missing);
      else out.push(span.text);
    }
  };
  const blocks = (list: NoticeSection['blocks']): void => {
    for (const b of list) {
      if (b.type === 'paragraph') rich(b.text);
      else if (b.type === 'list') b.items.forEach(rich);
      else if (b.type === 'fields') b.items.forEach((f) => (out.push(f.label), rich(f.value)));
      else {
        out.push(b.caption, ...b.columns);
        b.rows.forEach((row) => row.forEach(rich));
      }
    }
  };
  blocks(model.intro);
  for (const s of allSections(model)) {
    out.push(s.heading);
    blocks(s.blocks);
  }
  return out.map((t) => t.replace(/\s+/g, ' ').trim()).filter((t) => t.length > 0);
}
