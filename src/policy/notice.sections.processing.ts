/**
 * The sections of the notice about the processing: the data held (Art 14(1)(d)), why and on what
 * lawful basis (Art 13(1)(c)-(d), Art 9(2)), where it comes from (Art 14(2)(f)), whether people
 * must give it (Art 13(2)(e)), who receives it (Art 13(1)(e)), transfers abroad (Art 13(1)(f)),
 * how long it is kept (Art 13(2)(a)) and how it is protected (Art 32).
 */
import { type NoticeContext, interleave, para, retentionRich, section } from './notice.context.js';
import { art9Label, CHANNEL_TEXT, LAWFUL_BASIS_TEXT, lawfulBasisLabel, RECIPIENT_KIND_TEXT, RECOGNISED_INTEREST_TEXT, requirementText, softOptInText, SOURCE_KIND_TEXT, SPECIAL_CATEGORY_TEXT } from './notice.wording.js';
import { capitalise, clean, countryName, isDefined, joinAnd, joinOr, lowerDeterminer, lowerFirst, paragraphs, unique } from './notice.text.js';
import { COUNTRIES_NOT_STATED, transferCountriesText, transferFacts } from './notice.facts.js';
import type { DataCategory, Policy } from './policy.schema.js';
import { LAWFUL_BASIS_ARTICLE } from './schema.purposes.js';
import type { Block, NoticeSection, Rich } from './notice.types.js';

function categoryNote(c: DataCategory): string {
  const notes: string[] = [];
  if (c.special_category) notes.push(`Special category data (${SPECIAL_CATEGORY_TEXT[c.special_category]}): we give it extra protection.`);
  if (c.criminal_offence) notes.push('Information about criminal convictions or offences: we give it extra protection.');
  if (c.storage === 'never') notes.push('We never store this.');
  if (c.storage === 'reference-only') notes.push('We keep only a reference to it, not the information itself.');
  return notes.join(' ');
}

export function dataWeHold(ctx: NoticeContext): NoticeSection {
  const { policy } = ctx;
  const blocks: Block[] = [
    para('These are the kinds of personal data we hold. Which of them we hold about you depends on your relationship with us (see below).'),
    {
      type: 'table',
      caption: 'Kinds of personal data',
      columns: ['Kind of data', 'What it includes', 'Notes'],
      rows: policy.data_categories.map((c) => [
        clean(c.name),
        [c.examples.map(clean).join(', '), c.description ? clean(c.description) : ''].filter(Boolean).join('. '),
        categoryNote(c),
      ]),
    },
  ];
  const never = policy.data_categories.filter((c) => c.storage === 'never');
  if (never.length) blocks.push(para(`We never store: ${joinAnd(never.map((c) => lowerFirst(clean(c.name))))}.`));
  const subsections = policy.relationships.map((r) => {
    const used = policy.purposes.filter((p) => p.relationships.includes(r.id));
    const categories = unique(used.flatMap((p) => p.categories))
      .map(ctx.category)
      .filter(isDefined)
      .filter((c) => c.storage !== 'never');
    const sub: Block[] = [];
    for (const text of paragraphs(r.description)) sub.push(para(text));
    if (r.role === 'processor') {
      sub.push(para(`We hold this on behalf of ${r.on_behalf_of ? lowerDeterminer(clean(r.on_behalf_of)) : 'our clients'} (see "When we act for our clients").`));
    }
    const heading = relationshipHeading(clean(r.name));
    sub.push(para(heading.startsWith('If you are') ? 'We may hold:' : 'If you are in this group, we may hold:'));
    sub.push({ type: 'list', items: categories.length ? categories.map((c) => clean(c.name)) : ['No personal data beyond what you send us.'] });
    if (used.length) sub.push(para(['We use it for: ', ...interleave(used.map(ctx.purposeLink), ', '), '.']));
    return section(`if-you-are-${r.id}`, heading, ['Art 14(1)(d)'], sub);
  });
  return section('data-we-hold', 'The personal data we hold', ['Art 14(1)(d)', 'Art 15(1)(b)'], blocks, subsections);
}

export function purposes(ctx: NoticeContext): NoticeSection {
  const subsections = ctx.policy.purposes.map((p) => {
    const blocks: Block[] = paragraphs(p.description).map((t) => para(t));
    const fields: Array<{ label: string; value: Rich }> = [];
    const relationships = p.relationships.map(ctx.relationship).filter(isDefined).map((r) => clean(r.name));
    fields.push({ label: 'Whose data', value: capitalise(joinAnd(relationships)) });
    const categories = ctx.categoriesOf(p);
    fields.push({ label: 'Data we use', value: categories.map((c) => clean(c.name)).join(', ') });
    if (p.lawful_basis) {
      fields.push({ label: 'Lawful basis', value: [{ strong: lawfulBasisLabel(p.lawful_basis) }, `: ${LAWFUL_BASIS_TEXT[p.lawful_basis].explanation}.`] });
    } else if (ctx.isProcessor(p)) {
      fields.push({ label: 'Lawful basis', value: 'We do this for our clients, who decide the lawful basis as controllers.' });
    } else {
      fields.push({ label: 'Lawful basis', value: [{ missing: 'the lawful basis for this use' }] });
    }
    if (p.lawful_basis === 'legitimate-interests' && p.legitimate_interest) {
      fields.push({ label: 'Our legitimate interest', value: clean(p.legitimate_interest) });
    }
    if (p.recognised_interest) {
      fields.push({
        label: 'Recognised legitimate interest',
        value: `${capitalise(RECOGNISED_INTEREST_TEXT[p.recognised_interest])} (${LAWFUL_BASIS_ARTICLE['recognised-legitimate-interest']} and Annex 1 UK GDPR).`,
      });
    }
    const special = categories.filter((c) => c.special_category);
    if (special.length || p.special_condition) {
      const what = unique(special.map((c) => SPECIAL_CATEGORY_TEXT[c.special_category!]));
      const intro = what.length ? `This involves special category data (${joinAnd(what)}). ` : '';
      const condition = p.special_condition ? `Our condition for using it is ${art9Label(p.special_condition)}` : 'Our condition for using it is not yet stated; please ask us';
      const schedule = p.schedule1_condition ? `, together with Schedule 1 to the Data Protection Act 2018: ${clean(p.schedule1_condition)}` : '';
      fields.push({ label: 'Special category data', value: `${intro}${condition}${schedule}.` });
    }
    if (categories.some((c) => c.criminal_offence)) {
      fields.push({ label: 'Criminal offence data', value: 'This involves information about criminal convictions or offences, which we use only where the law allows (Art 10 UK GDPR).' });
    }
    const sources = (p.sources ?? []).map(ctx.source).filter(isDefined);
    if (sources.length) fields.push({ label: 'Where we get it', value: sources.map((s) => sourceName(s)).join(', ') });
    const recipients = (p.recipients ?? []).map(ctx.recipient).filter(isDefined);
    fields.push({
      label: 'Who we share it with',
      value: recipients.length ? recipients.map((r) => clean(r.name)).join(', ') : p.recipients ? 'No one outside our organisation.' : [{ missing: 'who receives this data' }],
    });
    fields.push({ label: 'How long we keep it', value: retentionRich(ctx.rule(p.retention)) });
    if (p.requirement) fields.push({ label: 'Whether you have to give it', value: requirementText(p.requirement) });
    if (p.direct_marketing) {
      const channels = p.channels?.length ? ` by ${joinOr(p.channels.map((c) => CHANNEL_TEXT[c]))}` : '';
      fields.push({ label: 'Marketing', value: `We use this data to send you marketing${channels}. You can tell us to stop at any time, and we will.` });
    }
    if (p.soft_opt_in) fields.push({ label: 'Emails and texts to existing customers', value: softOptInText(p) });
    if (p.automated_decision) {
      fields.push({ label: 'Automated decisions', value: ['Yes: see ', { text: 'Automated decisions', href: '#automated-decisions' }, '.'] });
    }
    blocks.push({ type: 'fields', items: fields });
    return section(`purpose-${p.id}`, clean(p.name), ['Art 13(1)(c)', 'Art 14(1)(c)'], blocks);
  });
  return section(
    'purposes',
    'Why we use your data, and our lawful basis',
    ['Art 13(1)(c)', 'Art 13(1)(d)', 'Art 14(1)(c)', 'Art 14(2)(b)', 'Art 9(2)'],
    [
      para('The law only lets us use your personal data where we have a lawful basis. For each use below we say what it is, and where we rely on legitimate interests we say what those interests are.'),
      {
        type: 'table',
        caption: 'Our uses of personal data at a glance',
        columns: ['What we use it for', 'Lawful basis'],
        rows: ctx.policy.purposes.map((p) => [
          [ctx.purposeLink(p)],
          p.lawful_basis ? lawfulBasisLabel(p.lawful_basis) : ctx.isProcessor(p) ? "Our client's (we act as processor)" : [{ missing: 'the lawful basis' }],
        ]),
      },
    ],
    subsections,
  );
}

function sourceName(s: Policy['sources'][number]): string {
  return s.kind === 'data-subject' ? 'You' : clean(s.name);
}

export function sources(ctx: NoticeContext): NoticeSection {
  const { policy } = ctx;
  const blocks: Block[] = [];
  const fromYou = policy.purposes.some((p) => !p.sources?.length || p.sources.some((id) => ctx.source(id)?.kind === 'data-subject'));
  if (fromYou) {
    // Only the relationships declared: "…or apply to work with us" only where candidates are one.
    const direct = unique(
      policy.purposes
        .filter((p) => !ctx.isProcessor(p) && (!p.sources?.length || p.sources.some((id) => ctx.source(id)?.kind === 'data-subject')))
        .flatMap((p) => p.relationships),
    )
      .map(ctx.relationship)
      .filter(isDefined)
      .map((r) => lowerFirst(clean(r.name)));
    blocks.push(para(direct.length ? `Most of the information we hold, you give us yourself, in your dealings with us as: ${joinAnd(direct)}.` : 'Most of the information we hold, you give us yourself.'));
  }
  const elsewhere = policy.sources.filter((s) => s.kind !== 'data-subject');
  if (elsewhere.length) {
    blocks.push(para('We also get information about you from these sources:'));
    blocks.push({
      type: 'table',
      caption: 'Where we get your data from, other than from you',
      columns: ['Source', 'Type of source', 'Publicly accessible?', 'Data we get', 'Used for'],
      rows: elsewhere.map((s) => {
        const used = policy.purposes.filter((p) => p.sources?.includes(s.id));
        const categories = unique(used.flatMap((p) => p.categories)).map(ctx.category).filter(isDefined);
        return [
          [clean(s.name), s.description ? ` (${clean(s.description)})` : ''],
          capitalise(SOURCE_KIND_TEXT[s.kind]),
          s.publicly_accessible ? 'Yes, it is publicly accessible' : 'No, it is not public',
          categories.map((c) => clean(c.name)).join(', '),
          interleave(used.map(ctx.purposeLink), ', '),
        ];
      }),
    });
    blocks.push(
      para(
        'When we get your data from someone other than you, we will give you the information in this notice within a month, or earlier if we contact you or pass your data on before then.',
      ),
    );
  } else {
    blocks.push(para('We do not get personal data about you from anyone else.'));
  }
  return section('sources', 'Where we get your data', ['Art 14(2)(f)', 'Art 14(3)'], blocks);
}

export function requirements(ctx: NoticeContext): NoticeSection {
  const listed = ctx.policy.purposes.filter((p) => p.requirement);
  const blocks: Block[] = [];
  if (listed.length) {
    blocks.push(para('Where we ask you for information, this is whether you have to give it and what happens if you do not:'));
    blocks.push({
      type: 'list',
      items: listed.map((p) => [{ strong: clean(p.name) }, `: ${requirementText(p.requirement!)}`]),
    });
    const others = ctx.controllerPurposes.filter((p) => !p.requirement);
    if (others.length) blocks.push(para('For our other uses, we will tell you when we ask for information whether you have to give it.'));
  } else {
    blocks.push(para('When we ask you for information we will tell you whether you have to give it, and what happens if you do not.'));
  }
  return section('requirements', 'Do you have to give us your data?', ['Art 13(2)(e)'], blocks);
}

export function sharing(ctx: NoticeContext): NoticeSection {
  const { policy } = ctx;
  if (policy.recipients.length === 0) {
    const explicit = policy.purposes.length > 0 && policy.purposes.every((p) => p.recipients !== undefined);
    return section('sharing', 'Who we share your data with', ['Art 13(1)(e)', 'Art 14(1)(e)'], [
      para(explicit ? 'We do not share your personal data with other organisations.' : [{ missing: 'who receives your personal data' }]),
    ]);
  }
  return section('sharing', 'Who we share your data with', ['Art 13(1)(e)', 'Art 14(1)(e)'], [
    para('We share personal data only where we need to, with these organisations or kinds of organisation. Service providers acting for us may use it only on our instructions.'),
    {
      type: 'table',
      caption: 'Who receives personal data',
      columns: ['Recipient', 'Who they are', 'Why', 'Data they receive', 'Where'],
      rows: policy.recipients.map((r) => {
        const used = policy.purposes.filter((p) => p.recipients?.includes(r.id));
        const why: Rich = r.purpose ? clean(r.purpose) : interleave(used.map(ctx.purposeLink), ', ');
        const categories = (r.categories ?? unique(used.flatMap((p) => p.categories))).map(ctx.category).filter(isDefined);
        return [
          r.is_category ? `${clean(r.name)} (a kind of organisation, not one named organisation)` : clean(r.name),
          RECIPIENT_KIND_TEXT[r.kind],
          why,
          categories.map((c) => clean(c.name)).join(', '),
          // A public authority receiving data under UK law is taken to be in the UK unless countries say otherwise.
          r.countries?.length ? r.countries.map(countryName).join(', ') : r.kind === 'public-authority' ? countryName('GB') : [{ missing: 'where they hold it' }],
        ];
      }),
    },
  ]);
}

export function transfers(ctx: NoticeContext): NoticeSection {
  const facts = transferFacts(ctx.policy);
  if (facts.length === 0) {
    // "We do not send it abroad" only where every recipient's countries are declared.
    const unknown = ctx.policy.recipients.filter((r) => !r.countries?.length && r.kind !== 'public-authority');
    const text: Rich = unknown.length
      ? [{ missing: `where ${joinAnd(unknown.map((r) => clean(r.name)))} hold${unknown.length === 1 && !unknown[0]!.is_category ? 's' : ''} your data, so whether it leaves the UK` }]
      : ctx.policy.recipients.length > 0
        ? 'We do not send your personal data outside the UK.'
        : 'This notice lists no transfers of your personal data outside the UK.';
    return section('transfers', 'Sending your data outside the UK', ['Art 13(1)(f)', 'Art 14(1)(f)'], [para(text)]);
  }
  const defaultCopy = ctx.privacyEmail ? `Ask us at ${ctx.privacyEmail}.` : 'Ask us, using the contact details above.';
  return section('transfers', 'Sending your data outside the UK', ['Art 13(1)(f)', 'Art 14(1)(f)', 'Art 46'], [
    para(
      'Some of your personal data is sent to, or can be accessed from, countries outside the UK. When that happens, the law requires the data to be protected: either the country has UK adequacy regulations, or we use a safeguard approved under UK law. You can ask for a copy of the safeguard.',
    ),
    {
      type: 'table',
      caption: 'International transfers',
      columns: ['Who or what', 'Country', 'How your data is protected', 'How to get a copy'],
      rows: facts.map((f) => [
        f.what,
        f.countries ? transferCountriesText(f) : `${COUNTRIES_NOT_STATED}; ask us where your data goes`,
        capitalise(f.safeguardText),
        f.safeguard === 'adequacy' ? 'No copy needed: the UK has decided the country protects data adequately.' : f.copy ? clean(f.copy) : defaultCopy,
      ]),
    },
  ]);
}

export function retention(ctx: NoticeContext): NoticeSection {
  return section('retention', 'How long we keep your data', ['Art 13(2)(a)', 'Art 14(2)(a)'], [
    para('We keep personal data only as long as we need it. When the period ends we delete it, or anonymise it so that it can no longer identify you.'),
    {
      type: 'table',
      caption: 'How long we keep data for each use',
      columns: ['Use', 'How long we keep it'],
      rows: ctx.policy.purposes.map((p) => [[ctx.purposeLink(p)], retentionRich(ctx.rule(p.retention))]),
    },
  ]);
}

export function security(ctx: NoticeContext): NoticeSection {
  const measures = ctx.policy.security_measures;
  const never = ctx.policy.data_categories.filter((c) => c.storage === 'never');
  const blocks: Block[] = [para('We protect your personal data against loss, misuse and unauthorised access. Our measures include:')];
  const items: Rich[] = measures.map(clean);
  for (const c of never) items.push(`We never store ${lowerFirst(clean(c.name))}.`);
  if (items.length) blocks.push({ type: 'list', items });
  else blocks[0] = para('We protect your personal data against loss, misuse and unauthorised access with technical and organisational measures suited to the risk.');
  blocks.push(para('If a breach of security puts your rights at high risk, we will tell you without undue delay.'));
  return section('security', 'How we protect your data', ['Art 32'], blocks);
}

/**
 * The heading for a relationship: "If you are a customer", "If you are an enquirer", "If you are
 * one of our business contacts". Names too long or complex for that ("people whose calls we record
 * for our business customers") are used as the heading as they are.
 */
function relationshipHeading(name: string): string {
  if (!/^[A-Za-z'’-]+(?: [A-Za-z'’-]+){0,2}$/.test(name)) return capitalise(name);
  const n = lowerFirst(name);
  if (/[^s]s$/.test(n)) return `If you are one of our ${n}`;
  return `If you are ${/^[aeiou]/i.test(n) ? 'an' : 'a'} ${n}`;
}
