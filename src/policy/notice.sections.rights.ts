/**
 * The sections of the notice about people's rights: the rights per use and how to exercise them
 * (Arts 12-22), withdrawing consent (Art 7(3), Art 13(2)(c)), automated decisions (Art 13(2)(f),
 * Art 22) and children (Art 8).
 */
import { type NoticeContext, emailLink, interleave, link, para, phoneLink, section } from './notice.context.js';
import { addressText, clean, endSentence } from './notice.text.js';
import { rightsForPurpose } from './notice.facts.js';
import type { Block, NoticeSection, Rich } from './notice.types.js';
import { formatDuration, IDENTITY_TEXT, NUMBER_WORDS, RIGHT_LABEL } from './notice.wording.js';
import type { Policy } from './policy.schema.js';

export function rights(ctx: NoticeContext): NoticeSection {
  const { policy } = ctx;
  const anyMarketing = policy.purposes.some((p) => p.direct_marketing);
  const anyConsent = ctx.consentPurposes.length > 0;
  const items: Rich[] = [
    [{ strong: 'Access' }, ': you can ask whether we hold data about you and for a copy of it, with details of how we use it.'],
    [{ strong: 'Rectification' }, ': you can ask us to correct data that is wrong or to complete data that is incomplete.'],
    [
      { strong: 'Erasure' },
      ': you can ask us to delete your data, for example when we no longer need it or you have withdrawn consent. We may keep data the law requires us to keep or that we need for legal claims.',
    ],
    [{ strong: 'Restriction' }, ': you can ask us to stop using your data, other than storing it, while a problem is sorted out.'],
    [
      { strong: 'Objection' },
      ': you can object to our using your data where we rely on legitimate interests. We will then stop unless we have compelling grounds that override your interests, or we need the data for legal claims.',
    ],
    [
      { strong: 'Objection to direct marketing' },
      ': you can tell us at any time to stop using your data for direct marketing. This right is absolute: we will always stop, and we keep a note so that we do not contact you again.',
    ],
    [
      { strong: 'Data portability' },
      ': where we use data you gave us on the basis of consent or a contract, you can ask for it in a structured, machine-readable form, or ask us to send it to another organisation.',
    ],
  ];
  if (anyConsent) items.push([{ strong: 'Withdrawing consent' }, ': where we rely on your consent, you can withdraw it at any time (see "Withdrawing your consent").']);
  items.push([{ strong: 'Automated decisions' }, ': you can ask a person to review a decision made about you by automated means only (see "Automated decisions").']);
  const blocks: Block[] = [
    para('You have these rights over your personal data:'),
    { type: 'list', items },
    para('Some rights depend on the lawful basis for a use. This table shows which rights apply to each use:'),
    {
      type: 'table',
      caption: 'Which rights apply to each use',
      columns: ['Use', 'Your rights'],
      rows: policy.purposes.map((p) => [[ctx.purposeLink(p)], rightsForPurpose(p, policy).map((r) => RIGHT_LABEL[r]).join(', ')]),
    },
  ];
  if (anyMarketing) {
    blocks.push(
      para([
        { strong: 'Marketing: ' },
        ctx.policy.rights.consent.withdrawal_channels.includes('unsubscribe-link')
          ? 'you can object to direct marketing at any time, free of charge, and we will stop. Use the unsubscribe link in any message, or contact us.'
          : 'you can object to direct marketing at any time, free of charge, and we will stop. Just contact us.',
      ]),
    );
  }
  return section('rights', 'Your rights', ['Art 13(2)(b)', 'Art 14(2)(c)', 'Art 21(4)'], blocks, [howToRequest(ctx)]);
}

function howToRequest(ctx: NoticeContext): NoticeSection {
  const { policy } = ctx;
  const r = policy.rights;
  const channelItems: Rich[] = r.channels.map((c) => {
    const address = c.address ? clean(c.address) : undefined;
    switch (c.type) {
      case 'email':
        return address ? ['By email: ', emailLink(address)] : 'By email';
      case 'phone':
        return address ? ['By phone: ', phoneLink(address)] : 'By phone';
      case 'post':
        return address ? `By post: ${address}` : 'By post, to the address in "Who we are"';
      case 'web-form':
        return address ? ['Online: ', link(address, address)] : 'Using the form on our website';
      case 'in-person':
        return address ? `In person: ${address}` : 'In person, at our offices';
    }
  });
  if (ctx.centre) channelItems.unshift(['Online, with ', link('our request form', ctx.centre.requests)]);
  const blocks: Block[] = [];
  if (channelItems.length) {
    blocks.push(para('You can make a request:'));
    blocks.push({ type: 'list', items: channelItems });
  } else {
    blocks.push(para('You can make a request using any of the contact details in "Who we are".'));
  }
  blocks.push(para('You do not have to use a special form or mention the law. There is normally no charge.'));
  if (r.identity) {
    const ask = identityText(r.identity);
    blocks.push(para(r.identity.note ? `${ask} ${endSentence(clean(r.identity.note))}` : ask));
  } else {
    blocks.push(para('If we are not sure who you are, we may ask for proof of identity before we answer.'));
  }
  const period = r.response_period === '28-days' ? '28 days' : 'one month';
  blocks.push(
    para([
      { strong: `We will answer within ${period}` },
      ' of receiving your request. If we need proof of identity, the time starts when we receive it.',
    ]),
  );
  if (r.extension_allowed) {
    blocks.push(para(`If your request is complex, or you make several, we may take up to two more months. If so, we will tell you why within ${period}.`));
  }
  blocks.push(
    para('If a request is clearly unfounded or excessive, we may charge a reasonable fee or refuse it. We will explain why, and you can complain to the regulator or go to court.'),
  );
  return section('how-to-request', 'How to use your rights', ['Art 12', 'Art 12(3)'], blocks);
}

/** What the notice says about proof of identity; without a declared count it gives none. */
function identityText(identity: NonNullable<Policy['rights']['identity']>): string {
  const evidence = identity.accepted.map((e) => IDENTITY_TEXT[e]);
  const { required } = identity;
  const guard = 'To protect your data from people pretending to be you';
  if (required === 0) {
    return evidence.length
      ? `We do not normally ask for proof of identity, but if we are unsure who you are we may ask for one of: ${evidence.join(', ')}.`
      : 'We do not normally ask for proof of identity, but if we are unsure who you are we may ask for it.';
  }
  if (required === undefined) {
    return evidence.length
      ? `${guard}, we will ask for proof of identity, such as: ${evidence.join(', ')}.`
      : `${guard}, we will ask for proof of identity.`;
  }
  const howMany = NUMBER_WORDS[required] ?? String(required);
  return evidence.length
    ? `${guard}, we will ask for ${howMany} of: ${evidence.join(', ')}.`
    : `${guard}, we will ask for ${howMany} ${required === 1 ? 'piece' : 'pieces'} of proof of identity.`;
}

function withdrawalChannelText(ctx: NoticeContext, channel: Policy['rights']['consent']['withdrawal_channels'][number]): Rich {
  const rights = ctx.policy.rights;
  const find = (type: string): string | undefined => rights.channels.find((c) => c.type === type)?.address;
  switch (channel) {
    case 'unsubscribe-link':
      return 'use the unsubscribe link in any marketing email or text we send you';
    case 'email': {
      const to = ctx.privacyEmail;
      return to ? ['email ', emailLink(to)] : 'email us';
    }
    case 'web-form': {
      const form = find('web-form') ?? ctx.org.contact.contact_form;
      return form ? ['use our online form at ', link(form, form)] : 'use the form on our website';
    }
    case 'phone': {
      const phone = find('phone') ?? ctx.org.privacy_contact?.phone ?? ctx.org.contact.phone;
      return phone ? ['phone ', phoneLink(phone)] : 'phone us';
    }
    case 'post': {
      const post = find('post') ?? addressText(ctx.org.contact.address);
      return post ? `write to ${clean(post)}` : 'write to us';
    }
    case 'in-person':
      return 'tell us in person';
  }
}

export function consent(ctx: NoticeContext): NoticeSection | undefined {
  const used = ctx.consentPurposes;
  const cookieConsent = ctx.nonEssentialCookies.length > 0;
  if (used.length === 0 && !cookieConsent) return undefined;
  const c = ctx.policy.rights.consent;
  const blocks: Block[] = [];
  if (used.length) {
    blocks.push(para(['We rely on your consent for: ', ...interleave(used.map(ctx.purposeLink), ', '), '.']));
  }
  blocks.push(
    para('You can withdraw your consent at any time, as easily as you gave it. Withdrawing it does not make unlawful what we did before, but we will stop using your data for that purpose.'),
  );
  const ways = c.withdrawal_channels.map((ch) => withdrawalChannelText(ctx, ch));
  if (ways.length) {
    blocks.push(para('To withdraw your consent you can:'));
    blocks.push({ type: 'list', items: ways });
  } else if (ctx.privacyEmail) {
    blocks.push(para(['To withdraw your consent, email ', emailLink(ctx.privacyEmail), '.']));
  }
  const settings = ctx.policy.cookie_controls?.settings;
  if (cookieConsent && settings) blocks.push(para(['You can change your cookie choices at any time in ', link('our cookie settings', settings), '.']));
  if (c.validity) {
    const renewal = c.renewal_notice ? ` We will ask you to renew it ${formatDuration(c.renewal_notice)} before it lapses.` : '';
    blocks.push(para(`Your consent lasts ${formatDuration(c.validity)} unless you renew it; after that we stop relying on it.${renewal}`));
  }
  return section('withdraw-consent', 'Withdrawing your consent', ['Art 13(2)(c)', 'Art 14(2)(d)', 'Art 7(3)'], blocks);
}

export function automatedDecisions(ctx: NoticeContext): NoticeSection {
  const used = ctx.policy.purposes.filter((p) => p.automated_decision);
  if (used.length === 0) {
    return section('automated-decisions', 'Automated decisions', ['Art 13(2)(f)', 'Art 14(2)(g)'], [
      para(
        ctx.policy.practices?.automated_decisions === false
          ? 'We do not make decisions about you by automated means alone (without a person involved) that have legal or similarly significant effects on you, and we do not profile you for such decisions.'
          : [{ missing: 'whether we make decisions about you by automated means alone' }],
      ),
    ]);
  }
  const subsections = used.map((p) => {
    const ad = p.automated_decision!;
    return section(`automated-${p.id}`, clean(p.name), ['Art 13(2)(f)', 'Art 14(2)(g)'], [
      {
        type: 'fields',
        items: [
          { label: 'How it works', value: clean(ad.logic) },
          { label: 'What it means for you', value: clean(ad.consequences) },
          {
            label: 'Your safeguards',
            value: ad.safeguards ? clean(ad.safeguards) : 'You can ask for a person to review the decision, give your point of view and challenge it.',
          },
        ],
      },
    ]);
  });
  return section(
    'automated-decisions',
    'Automated decisions',
    ['Art 13(2)(f)', 'Art 14(2)(g)', 'Art 22'],
    [
      para('We make some decisions about you by automated means alone. For each, we explain how it works and what it means for you. You can always ask for a person to review the decision, give your point of view and challenge it.'),
    ],
    subsections,
  );
}

export function children(ctx: NoticeContext): NoticeSection | undefined {
  const declared = ctx.policy.practices?.services_for_children;
  if (declared === false) return section('children', 'Children', ['Art 8'], [para('Our online services are not offered directly to children.')]);
  if (declared === undefined) {
    if (ctx.consentPurposes.length === 0 && ctx.nonEssentialCookies.length === 0) return undefined;
    return section('children', 'Children', ['Art 8'], [para([{ missing: 'whether our online services are offered directly to children' }])]);
  }
  const age = ctx.policy.rights.age_of_digital_consent;
  return section('children', 'Children', ['Art 8'], [
    para(
      `If you are under ${age}, you cannot give consent yourself for our online services: we need consent from a parent or guardian, and we take reasonable steps to check it.`,
    ),
  ]);
}
