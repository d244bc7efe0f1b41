/**
 * Renders the notice model as a standalone HTML5 document or as Markdown.
 *
 * Everything in the model is text from the declaration, which is user input: every string is
 * escaped here, and every link target is checked against a short allow-list of schemes, so a
 * declaration cannot inject markup or script into the published notice. The HTML has no scripts
 * and loads nothing from elsewhere; a Content-Security-Policy meta tag says so to the browser too.
 */
import { escapeHtml } from '../shared/html.js';
import type { LoadedPolicy } from './policy.loader.js';
import { buildNoticeModel, missingText, PRIVACY_CENTRE } from './notice.model.js';
import type { Block, NoticeModel, NoticeSection, Rich, Span } from './notice.types.js';

export type NoticeFormat = 'html' | 'md';

export interface RenderNoticeOptions {
  /** Where Steward is published, e.g. "https://privacy.example.com": relative links are made absolute against it. */
  baseUrl?: string | undefined;
  /**
   * "draft": every page says "Draft — not published" (a declaration not, or not yet, published);
   * "earlier": a past publication, pointing to the current notice.
   */
  banner?: 'draft' | 'earlier' | undefined;
  /** The notice is served beside Steward's privacy centre: link its request, preference and complaint forms. */
  privacyCentre?: boolean | undefined;
}

export const DRAFT_MARK = 'Draft — not published';
const BANNER_TEXT = {
  draft: `${DRAFT_MARK}. This notice has not been published: it may be incomplete, and where the declaration is silent it says "Not stated".`,
  earlier: 'This is an earlier version of the notice, kept for the record. It is no longer in force: the current notice is at /privacy.',
} as const;

export function renderNotice(loaded: LoadedPolicy, format: NoticeFormat, options: RenderNoticeOptions = {}): string {
  const model = buildNoticeModel(loaded, { privacyCentre: options.privacyCentre ? PRIVACY_CENTRE : undefined });
  const { baseUrl } = options;
  const base = baseUrl && /^https?:\/\/[^\s]+$/i.test(baseUrl) ? baseUrl.replace(/\/+$/, '') : undefined;
  const banner = options.banner ? BANNER_TEXT[options.banner] : undefined;
  return format === 'html' ? renderHtml(model, base, banner, options.banner === 'draft') : renderMarkdown(model, base, banner);
}

/**
 * The link target to publish, or undefined when it is not one we trust: http(s), mailto and tel
 * links, fragment links within the notice, and site-relative paths (made absolute with baseUrl).
 */
export function safeHref(href: string, baseUrl?: string): string | undefined {
  const h = href.trim();
  if (/[\s\u0000-\u001f\u007f<>"'`\\]/.test(h)) return undefined;
  if (/^#[a-z0-9-]+$/i.test(h)) return h;
  if (/^https?:\/\/[^/]/i.test(h)) return h;
  if (/^mailto:[^@/:]+@[^@/:]+$/i.test(h)) return h;
  if (/^tel:\+?\d+$/.test(h)) return h;
  // "/path" but not "//host", which a browser would read as another site.
  if (/^\/(?!\/)/.test(h)) return baseUrl ? `${baseUrl}${h}` : h;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// HTML

const CSS = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fff; --muted: #555; --line: #c8c8c8; --accent: #1d4f91; --band: #f3f5f8; }
@media (prefers-color-scheme: dark) { :root { --fg: #eee; --bg: #16181b; --muted: #aaa; --line: #444; --accent: #8ab4f8; --band: #22262b; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.page { max-width: 50rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
a { color: var(--accent); text-underline-offset: 0.15em; }
a:focus-visible, :target { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999rem; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: 0.5rem 1rem; z-index: 1; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.5rem; line-height: 1.3; margin: 2.5rem 0 0.75rem; padding-top: 0.5rem; border-top: 1px solid var(--line); }
h3 { font-size: 1.2rem; margin: 1.75rem 0 0.5rem; }
nav { background: var(--band); padding: 0.75rem 1.25rem; border-radius: 6px; }
nav h2 { border: 0; margin: 0.25rem 0 0.5rem; font-size: 1.2rem; }
nav ol ol { margin: 0.25rem 0; }
dl { display: grid; grid-template-columns: minmax(8rem, 14rem) 1fr; gap: 0.35rem 1rem; margin: 0.75rem 0; }
dt { font-weight: 600; }
dd { margin: 0; }
@media (max-width: 36rem) { dl { grid-template-columns: 1fr; } dd { margin-bottom: 0.5rem; } }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
th, td { border: 1px solid var(--line); padding: 0.4rem 0.55rem; text-align: left; vertical-align: top; }
thead th { background: var(--band); }
footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.9rem; }
code { font-size: 0.95em; }
.banner { border: 2px solid #b3261e; background: #fdecea; color: #5f1410; padding: 0.6rem 0.9rem; border-radius: 6px; }
mark.missing { background: #fff3bf; color: #3d2e00; padding: 0 0.2rem; border-radius: 3px; }
@media print { nav, .skip { display: none; } a { color: inherit; } h2 { break-after: avoid; } }
`;

function renderHtml(model: NoticeModel, baseUrl: string | undefined, banner: string | undefined, draft: boolean): string {
  const e = escapeHtml;
  const inline = (rich: Rich): string => spans(rich).map((s) => htmlSpan(s, baseUrl)).join('');
  const block = (b: Block): string => {
    switch (b.type) {
      case 'paragraph':
        return `<p>${inline(b.text)}</p>`;
      case 'list':
        return `<ul>\n${b.items.map((i) => `  <li>${inline(i)}</li>`).join('\n')}\n</ul>`;
      case 'fields':
        return `<dl>\n${b.items.map((f) => `  <dt>${e(f.label)}</dt><dd>${inline(f.value)}</dd>`).join('\n')}\n</dl>`;
      case 'table':
        return [
          '<div class="table-wrap">',
          '<table>',
          `<caption>${e(b.caption)}</caption>`,
          `<thead><tr>${b.columns.map((c) => `<th scope="col">${e(c)}</th>`).join('')}</tr></thead>`,
          '<tbody>',
          ...b.rows.map((row) => `<tr>${row.map((cell, i) => (i === 0 ? `<th scope="row">${inline(cell)}</th>` : `<td>${inline(cell)}</td>`)).join('')}</tr>`),
          '</tbody>',
          '</table>',
          '</div>',
        ].join('\n');
    }
  };
  const renderSection = (s: NoticeSection, level: 2 | 3 | 4): string => {
    const next = (level === 2 ? 3 : 4) as 3 | 4;
    return [
      `<section id="${e(s.id)}" aria-labelledby="${e(s.id)}-heading">`,
      `<h${level} id="${e(s.id)}-heading">${e(s.heading)}</h${level}>`,
      ...s.blocks.map(block),
      ...s.subsections.map((sub) => renderSection(sub, next)),
      '</section>',
    ].join('\n');
  };
  const toc = [
    '<nav aria-labelledby="contents-heading">',
    '<h2 id="contents-heading">Contents</h2>',
    '<ol>',
    ...model.sections.map((s) => {
      const subs = s.subsections.length
        ? `\n<ol>\n${s.subsections.map((sub) => `<li><a href="#${e(sub.id)}">${e(sub.heading)}</a></li>`).join('\n')}\n</ol>\n`
        : '';
      return `<li><a href="#${e(s.id)}">${e(s.heading)}</a>${subs}</li>`;
    }),
    '<li><a href="#version">Version</a></li>',
    '</ol>',
    '</nav>',
  ].join('\n');
  const v = model.version;
  const title = `${draft ? `${DRAFT_MARK}: ` : ''}${model.title}: ${model.organisation}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en-GB">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No scripts, no external resources: say so to the browser as well.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="generator" content="Steward">',
    ...(draft ? ['<meta name="robots" content="noindex">'] : []),
    `<meta name="steward-version" content="${e(v.hash)}">`,
    `<title>${e(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<a class="skip" href="#main">Skip to the notice</a>',
    '<div class="page">',
    '<header>',
    `<p>${e(model.organisation)}</p>`,
    `<h1>${e(model.title)}</h1>`,
    ...(banner ? [`<p class="banner" role="note"><strong>${e(banner)}</strong></p>`] : []),
    '</header>',
    toc,
    '<main id="main">',
    ...model.intro.map(block),
    ...model.sections.map((s) => renderSection(s, 2)),
    '</main>',
    '<footer id="version" aria-label="Version">',
    `<p>Effective from <time datetime="${e(v.effectiveDate)}">${e(v.effectiveDateText)}</time>. Version <code>${e(v.shortHash)}</code>, generated by ${e(v.generator)} from the organisation's declaration of how it processes personal data.</p>`,
    '</footer>',
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function htmlSpan(span: Span, baseUrl: string | undefined): string {
  if (typeof span === 'string') return escapeHtml(span);
  if ('strong' in span) return `<strong>${escapeHtml(span.strong)}</strong>`;
  if ('missing' in span) return `<mark class="missing">${escapeHtml(missingText(span))}</mark>`;
  const href = safeHref(span.href, baseUrl);
  return href === undefined ? escapeHtml(span.text) : `<a href="${escapeHtml(href)}">${escapeHtml(span.text)}</a>`;
}

// ---------------------------------------------------------------------------------------------
// Markdown (CommonMark with GFM tables)

/**
 * Escapes text so a Markdown renderer shows it literally: backslash-escapes the characters that
 * start emphasis, code, links, raw HTML, tables and strikethrough, plus anything at the start
 * of the text that would begin a block (heading, quote, list, thematic break).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[\\`*_[\]<>|~]/g, '\\$&')
    .replace(/^(\s*)([#+=-])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/** Percent-encodes what would end a Markdown link destination early. */
const mdHref = (href: string): string => href.replace(/[()<> ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

function renderMarkdown(model: NoticeModel, baseUrl: string | undefined, banner: string | undefined): string {
  const inline = (rich: Rich): string => spans(rich).map((s) => mdSpan(s, baseUrl)).join('');
  const cell = (rich: Rich): string => inline(rich) || ' ';
  const block = (b: Block): string => {
    switch (b.type) {
      case 'paragraph':
        return inline(b.text);
      case 'list':
        return b.items.map((i) => `- ${inline(i)}`).join('\n');
      case 'fields':
        return b.items.map((f) => `- **${escapeMarkdown(f.label)}:** ${inline(f.value)}`).join('\n');
      case 'table':
        return [
          `**${escapeMarkdown(b.caption)}**`,
          '',
          `| ${b.columns.map(escapeMarkdown).join(' | ')} |`,
          `| ${b.columns.map(() => '---').join(' | ')} |`,
          ...b.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
        ].join('\n');
    }
  };
  const out: string[] = [];
  const renderSection = (s: NoticeSection, level: number): void => {
    out.push(`<a id="${s.id}"></a>`, '');
    out.push(`${'#'.repeat(level)} ${escapeMarkdown(s.heading)}`, '');
    for (const b of s.blocks) out.push(block(b), '');
    for (const sub of s.subsections) renderSection(sub, Math.min(level + 1, 4));
  };
  out.push(`# ${escapeMarkdown(model.title)}`, '', `**${escapeMarkdown(model.organisation)}**`, '');
  if (banner) out.push(`> **${escapeMarkdown(banner)}**`, '');
  out.push('## Contents', '');
  for (const s of model.sections) {
    out.push(`- [${escapeMarkdown(s.heading)}](#${s.id})`);
    for (const sub of s.subsections) out.push(`  - [${escapeMarkdown(sub.heading)}](#${sub.id})`);
  }
  out.push('- [Version](#version)', '');
  for (const b of model.intro) out.push(block(b), '');
  for (const s of model.sections) renderSection(s, 2);
  const v = model.version;
  out.push('<a id="version"></a>', '', '## Version', '');
  out.push(
    `Effective from ${escapeMarkdown(v.effectiveDateText)}. Version \`${v.shortHash}\`, generated by ${escapeMarkdown(v.generator)} from the organisation's declaration of how it processes personal data.`,
    '',
  );
  return out.join('\n');
}

function mdSpan(span: Span, baseUrl: string | undefined): string {
  if (typeof span === 'string') return escapeMarkdown(span);
  if ('strong' in span) {
    // Emphasis cannot close after a space (CommonMark flanking rules): keep spaces outside it.
    const [, before = '', inner = '', after = ''] = /^(\s*)([\s\S]*?)(\s*)$/.exec(span.strong) ?? [];
    return inner ? `${before ? ' ' : ''}**${escapeMarkdown(inner)}**${after ? ' ' : ''}` : escapeMarkdown(span.strong);
  }
  if ('missing' in span) return `**\\[${escapeMarkdown(missingText(span))}\\]**`;
  const href = safeHref(span.href, baseUrl);
  return href === undefined ? escapeMarkdown(span.text) : `[${escapeMarkdown(span.text)}](${mdHref(href)})`;
}

function spans(rich: Rich): readonly Span[] {
  return typeof rich === 'string' ? [rich] : rich;
}
