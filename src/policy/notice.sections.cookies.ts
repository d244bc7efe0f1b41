/**
 * The notice's section on cookies and similar technologies (PECR reg 6, and the exemptions of
 * PECR Sch A1 as inserted by the Data (Use and Access) Act 2025).
 */
import { type NoticeContext, link, para, section } from './notice.context.js';
import type { Block, NoticeSection } from './notice.types.js';
import { clean, isDefined, joinAnd } from './notice.text.js';
import { COOKIE_CATEGORY_TEXT, formatDuration, TECHNOLOGY_TEXT } from './notice.wording.js';

export function cookies(ctx: NoticeContext): NoticeSection {
  const { policy } = ctx;
  if (policy.cookies.length === 0) {
    return section('cookies', 'Cookies and similar technologies', ['PECR reg 6'], [para('This notice lists no cookies or similar technologies.')]);
  }
  const order = ['strictly-necessary', 'functional', 'analytics', 'marketing'] as const;
  const subsections = order
    .map((category) => {
      const list = policy.cookies.filter((c) => c.category === category);
      if (list.length === 0) return undefined;
      const text = COOKIE_CATEGORY_TEXT[category];
      const exemptHere = list.filter((c) => c.exemption);
      const explanation =
        exemptHere.length === 0
          ? text.explanation
          : exemptHere.length === list.length
            ? 'We use these without asking for consent, as explained above; you can object to them.'
            : `${text.explanation} Except ${joinAnd(exemptHere.map((c) => clean(c.name)))}, which we use without asking, as explained above.`;
      return section(`cookies-${category}`, text.heading, ['PECR reg 6'], [
        para(explanation),
        {
          type: 'table',
          caption: `${text.heading} cookies and similar technologies`,
          columns: ['Name', 'Type', 'Set by', 'What it does', 'How long it lasts'],
          rows: list.map((c) => [
            clean(c.name),
            TECHNOLOGY_TEXT[c.technology],
            c.provider ? clean(c.provider) : c.recipient ? clean(ctx.recipient(c.recipient)?.name ?? 'Another organisation') : 'Us',
            clean(c.purpose),
            c.duration === undefined ? 'Not stated' : c.duration === 'session' ? 'Until you close your browser' : formatDuration(c.duration),
          ]),
        },
      ]);
    })
    .filter(isDefined);
  const blocks: Block[] = [
    para('Cookies are small files a website stores on your device. Similar technologies (local storage, pixels, scripts) work in much the same way, and we treat them the same.'),
  ];
  const controls = policy.cookie_controls;
  const needConsent = ctx.nonEssentialCookies.filter((c) => !c.exemption);
  const exempt = policy.cookies.filter((c) => c.exemption);
  if (needConsent.length) {
    blocks.push(
      para(
        controls?.settings
          ? [
              'We use strictly necessary cookies without asking, because the website cannot work without them. Others we use only if you agree: rejecting them is as easy as accepting them, none is switched on until you choose, and you can change your mind at any time in ',
              link('our cookie settings', controls.settings),
              '.',
            ]
          : ['We use strictly necessary cookies without asking, because the website cannot work without them. ', { missing: 'how you can accept or refuse the others' }],
      ),
    );
    if (controls?.global_privacy_control === true) blocks.push(para('If your browser sends a Global Privacy Control signal, we treat it as a refusal.'));
  }
  if (exempt.length) {
    // PECR Sch A1: statistics and appearance cookies need no consent if people can object.
    const names = joinAnd(exempt.map((c) => clean(c.name)));
    blocks.push(
      para([
        `We use ${names} without asking for consent, as the law allows for statistics that help us improve our website and for remembering how you want it to look or work. You can object at any time, free of charge: `,
        controls?.objection ? clean(controls.objection) : { missing: 'how to object' },
        controls?.objection ? '.' : '',
      ]),
    );
  }
  return section('cookies', 'Cookies and similar technologies', ['PECR reg 6'], blocks, subsections);
}
