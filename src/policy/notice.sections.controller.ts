/**
 * The sections of the notice about the organisation itself: who the controller is and how to reach
 * it (Art 13(1)(a)), its privacy contact or DPO (Art 13(1)(b)), how to complain (Art 13(2)(d),
 * Art 77, DPA 2018 s.164A) and how the notice changes.
 */
import { type NoticeContext, emailLink, link, para, phoneLink, section } from './notice.context.js';
import { addressText, capitalise, clean, contactText, formatDate, isDefined, joinAnd, lowerDeterminer, paragraphs } from './notice.text.js';
import type { Block, NoticeSection, Rich } from './notice.types.js';
import { REGISTERED_IN_TEXT } from './notice.wording.js';
import type { Contact } from './policy.schema.js';

export function intro(ctx: NoticeContext): Block[] {
  const { policy, org } = ctx;
  const blocks: Block[] = [
    para(
      `This notice explains how ${clean(org.name)} collects and uses personal information about you, who we share it with, how long we keep it, and the rights you have over it.`,
    ),
  ];
  if (policy.notice.applies_to) blocks.push(para([{ strong: 'Who this notice is for: ' }, clean(policy.notice.applies_to)]));
  if (policy.notice.does_not_apply_to) blocks.push(para([{ strong: 'Who it does not cover: ' }, clean(policy.notice.does_not_apply_to)]));
  blocks.push(para(`This version took effect on ${formatDate(policy.notice.effective_date)}.`));
  if (ctx.centre) {
    blocks.push(
      para([
        'You can ',
        link('make a request about your personal information', ctx.centre.requests),
        ', ',
        link('manage your marketing preferences', ctx.centre.preferences),
        ' or ',
        link('make a complaint', ctx.centre.complaints),
        ' online at any time.',
      ]),
    );
  }
  return blocks;
}

export function whoWeAre(ctx: NoticeContext): NoticeSection {
  const { org, controller, policy } = ctx;
  const blocks: Block[] = [];
  for (const text of paragraphs(org.description)) blocks.push(para(text));
  const tradingAs = controller.trading_names.length ? `, which also trades as ${joinAnd(controller.trading_names.map(clean))}` : '';
  blocks.push(
    para(
      `The controller responsible for your personal data is ${clean(controller.name)}${tradingAs}. This means we decide why and how your data is used. In this notice "we", "us" and "our" mean ${clean(org.name)}.`,
    ),
  );
  const others = org.entities.filter((e) => e !== controller);
  if (others.length > 0) blocks.push(para(`This notice also covers ${joinAnd(others.map((e) => clean(e.name)))}.`));
  for (const e of org.entities) {
    const parent = e.parent ? org.entities.find((p) => p.id === e.parent) : undefined;
    if (parent) blocks.push(para(`${clean(e.name)} is a subsidiary of ${clean(parent.name)}.`));
  }
  blocks.push({
    type: 'table',
    caption: 'Our companies',
    columns: ['Company', 'Company number', 'Registered in', 'Trading names', 'Registered address', 'Trading address', 'ICO registration'],
    rows: org.entities.map((e) => [
      clean(e.name),
      e.company_number ?? '',
      e.registered_in ? REGISTERED_IN_TEXT[e.registered_in] : '',
      e.trading_names.map(clean).join(', '),
      addressText(e.registered_address),
      addressText(e.trading_address),
      e.ico_registration ?? '',
    ]),
  });
  blocks.push(para('You can contact us:'));
  blocks.push({ type: 'fields', items: contactFields(org.contact) });

  const subsections: NoticeSection[] = [];
  if (org.joint_controllers?.length) {
    subsections.push(
      section('joint-controllers', 'Organisations that decide jointly with us', ['Art 26(2)'], [
        para('For some of our processing we decide jointly with another organisation how your data is used. You can exercise your rights with either of us.'),
        {
          type: 'list',
          items: org.joint_controllers.map((j) => [
            { strong: clean(j.name) },
            j.responsibilities ? `: ${clean(j.responsibilities)}` : '',
            contactText(j.contact) ? ` Contact: ${contactText(j.contact)}.` : '',
          ]),
        },
      ]),
    );
  }
  if (org.representative) {
    subsections.push(
      section('representative', 'Our representative in the UK', ['Art 13(1)(a)', 'Art 27'], [
        para(`Our representative in the UK is ${clean(org.representative.name)}.`),
        { type: 'fields', items: contactFields(org.representative.contact) },
      ]),
    );
  }
  if (ctx.processorRelationships.length > 0) {
    const items: Rich[] = ctx.processorRelationships.map((r) => [
      { strong: capitalise(clean(r.name)) },
      `: we handle this data on behalf of ${r.on_behalf_of ? lowerDeterminer(clean(r.on_behalf_of)) : 'our clients'}.`,
    ]);
    subsections.push(
      section('acting-for-clients', 'When we act for our clients', ['Art 28'], [
        para(
          "Sometimes we handle personal data only on a client's instructions, as a processor. The client is then the controller: it decides how your data is used, and its own privacy notice applies. If you want to use your rights, please contact the client; if you contact us, we will pass your request on.",
        ),
        { type: 'list', items },
      ]),
    );
  }
  if (policy.notice.website) blocks.push(para(['This notice is published at ', link(policy.notice.website, policy.notice.website), '.']));
  return section('who-we-are', 'Who we are', ['Art 13(1)(a)', 'Art 14(1)(a)'], blocks, subsections);
}

function contactFields(contact: Contact): Array<{ label: string; value: Rich }> {
  const fields: Array<{ label: string; value: Rich }> = [];
  if (contact.email) fields.push({ label: 'Email', value: [emailLink(contact.email)] });
  if (contact.phone) fields.push({ label: 'Phone', value: [phoneLink(contact.phone)] });
  if (contact.address) fields.push({ label: 'Post', value: addressText(contact.address) });
  if (contact.web) fields.push({ label: 'Website', value: [link(contact.web, contact.web)] });
  if (contact.contact_form) fields.push({ label: 'Contact form', value: [link(contact.contact_form, contact.contact_form)] });
  if (contact.live_chat) fields.push({ label: 'Live chat', value: [link(contact.live_chat, contact.live_chat)] });
  return fields;
}

export function privacyContact(ctx: NoticeContext): NoticeSection {
  const pc = ctx.org.privacy_contact;
  if (!pc) {
    return section('privacy-contact', 'Who to contact about privacy', ['Art 13(1)(b)', 'Art 14(1)(b)'], [
      para([{ missing: 'whether we have appointed a Data Protection Officer' }]),
      para('For any question about your personal data, please contact us using the details in "Who we are".'),
    ]);
  }
  const isDpo = pc.kind === 'dpo';
  const who = [pc.name, pc.title].filter(isDefined).map(clean).join(', ');
  const fields: Array<{ label: string; value: Rich }> = [];
  if (who) fields.push({ label: 'Name', value: who });
  if (pc.email) fields.push({ label: 'Email', value: [emailLink(pc.email)] });
  if (pc.phone) fields.push({ label: 'Phone', value: [phoneLink(pc.phone)] });
  if (pc.address) fields.push({ label: 'Post', value: addressText(pc.address) });
  return section(
    'privacy-contact',
    isDpo ? 'Our Data Protection Officer' : 'Who to contact about privacy',
    ['Art 13(1)(b)', 'Art 14(1)(b)'],
    [
      para(
        isDpo
          ? 'We have appointed a Data Protection Officer (DPO), who makes sure we look after your data properly. You can contact our DPO directly about anything in this notice:'
          : 'We have not appointed a Data Protection Officer, but one person leads on privacy. You can contact them about anything in this notice:',
      ),
      { type: 'fields', items: fields.length ? fields : [{ label: 'Contact', value: 'Please use the contact details in "Who we are".' }] },
    ],
  );
}

export function complaints(ctx: NoticeContext): NoticeSection {
  const sa = ctx.org.supervisory_authority;
  const fields: Array<{ label: string; value: Rich }> = [{ label: 'Regulator', value: clean(sa.name) }];
  if (sa.website) fields.push({ label: 'Website', value: [link(sa.website, sa.website)] });
  if (sa.phone) fields.push({ label: 'Phone', value: [phoneLink(sa.phone)] });
  const declared = ctx.policy.complaints;
  const ways: Rich[] = [];
  if (ctx.centre) ways.push(['Online, with ', link('our complaint form', ctx.centre.complaints)]);
  for (const c of declared?.channels ?? []) {
    const address = c.address ? clean(c.address) : undefined;
    if (c.type === 'web-form' && address && address === ctx.centre?.complaints) continue;
    switch (c.type) {
      case 'web-form':
        ways.push(address ? ['Online: ', link(address, address)] : 'Using the form on our website');
        break;
      case 'email':
        ways.push(address ? ['By email: ', emailLink(address)] : 'By email');
        break;
      case 'phone':
        ways.push(address ? ['By phone: ', phoneLink(address)] : 'By phone');
        break;
      case 'post':
        ways.push(address ? `By post: ${address}` : 'By post, to the address in "Who we are"');
        break;
      case 'in-person':
        ways.push(address ? `In person: ${address}` : 'In person, at our offices');
        break;
    }
  }
  const toUs: Block[] = ways.length
    ? [
        para('If you are unhappy with how we have used your data, please complain to us first, so that we can try to put it right. You can complain:'),
        { type: 'list', items: ways },
        para(
          `${declared?.handled_by ? `${capitalise(clean(declared.handled_by))} deals with complaints. ` : ''}We will acknowledge your complaint within 30 days of receiving it, look into it, keep you informed, and tell you the outcome without undue delay.`,
        ),
      ]
    : [para(['If you are unhappy with how we have used your data, please tell us first, so that we can try to put it right. ', { missing: 'how to complain to us' }])];
  return section('complaints', 'How to complain', ['Art 13(2)(d)', 'Art 14(2)(e)', 'Art 77', 'DPA 2018 s.164A'], [
    ...toUs,
    para(`You also have the right to complain to the ${clean(sa.name)}, the UK regulator for data protection:`),
    { type: 'fields', items: fields },
    para('You can also go to court.'),
  ]);
}

export function changes(ctx: NoticeContext): NoticeSection {
  const { notice } = ctx.policy;
  const blocks: Block[] = [];
  for (const t of paragraphs(notice.changes)) blocks.push(para(t));
  if (blocks.length === 0) blocks.push(para('We will update this notice when our use of personal data changes, and publish the new version here.'));
  blocks.push(para(`This version took effect on ${formatDate(notice.effective_date)}.`));
  if (notice.legal_references.length) blocks.push(para(`This notice is written under: ${joinAnd(notice.legal_references.map(clean))}.`));
  return section('changes', 'Changes to this notice', [], blocks);
}
