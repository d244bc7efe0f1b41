/**
 * The public pages: unsubscribe confirmation, renewal, and the preference page. Plain HTML
 * forms, no script; every value escaped. They name the organisation, never the person.
 */
import { escapeHtml } from '../shared/html.js';
import type { PreferenceChoice } from './preferences.service.js';

const channelWords: Record<string, string> = { email: 'Email', phone: 'Phone calls', sms: 'Text messages', post: 'Post', social: 'Social media' };

export function page(org: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · ${escapeHtml(org)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
button{font:inherit;padding:.5rem 1.2rem;border-radius:.3rem;border:1px solid #333;background:#1a4d8f;color:#fff;cursor:pointer}
input[type=email],input[type=text]{font:inherit;padding:.4rem;width:100%;max-width:22rem}
fieldset{border:1px solid #ccc;border-radius:.3rem;margin:1rem 0}label{display:block;margin:.3rem 0}
.note{color:#555;font-size:.9rem}</style></head>
<body><p class="note">${escapeHtml(org)}</p><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

export const unsubscribeConfirm = (org: string, action: string, what: string): string =>
  page(
    org,
    'Unsubscribe',
    `<p>Stop receiving <strong>${escapeHtml(what)}</strong> from ${escapeHtml(org)}?</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  );

export const unsubscribeDone = (org: string, what: string): string =>
  page(
    org,
    'You have been unsubscribed',
    `<p>You will not receive <strong>${escapeHtml(what)}</strong> from ${escapeHtml(org)} any more. Your address is on our suppression list, so it stays that way.</p>
<p><a href="/preferences">Manage all your marketing preferences</a></p>`,
  );

export const linkProblem = (org: string, reason: 'invalid' | 'expired' | 'gone'): string =>
  page(
    org,
    reason === 'expired' ? 'This link has expired' : 'This link cannot be used',
    `<p>${
      reason === 'expired'
        ? 'The link is no longer valid.'
        : reason === 'gone'
          ? 'There is nothing left for this link to change.'
          : 'The link is not one of ours, or it was changed on the way.'
    } You can see and change your choices on the <a href="/preferences">preference page</a>.</p>`,
  );

export const renewConfirm = (org: string, action: string, what: string): string =>
  page(
    org,
    'Renew your consent',
    `<p>Keep receiving <strong>${escapeHtml(what)}</strong> from ${escapeHtml(org)}?</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">Yes, keep sending it</button></form>
<p class="note">If you do nothing, we stop when your consent lapses.</p>`,
  );

export const renewDone = (org: string, what: string, until: string | undefined): string =>
  page(
    org,
    'Thank you',
    `<p>Your consent to <strong>${escapeHtml(what)}</strong> is renewed${until ? ` until ${escapeHtml(new Date(until).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }))}` : ''}. You can withdraw it at any time.</p>`,
  );

export const askEmail = (org: string, message?: string): string =>
  page(
    org,
    'Your marketing preferences',
    `${message ? `<p>${escapeHtml(message)}</p>` : ''}<p>Enter your email address. If it is in our records we will send you a code, so that only you can see and change your choices.</p>
<form method="post" action="/preferences/code"><label>Email address <input type="email" name="email" required maxlength="320" autocomplete="email"></label><button type="submit">Send me a code</button></form>`,
  );

export const askCode = (org: string, email: string, message?: string): string =>
  page(
    org,
    'Enter your code',
    `<p>${escapeHtml(message ?? 'If this address is in our records, we have sent a six-digit code to it. It works for 15 minutes.')}</p>
<form method="post" action="/preferences/verify"><input type="hidden" name="email" value="${escapeHtml(email)}">
<label>Code <input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required autocomplete="one-time-code"></label><button type="submit">Continue</button></form>`,
  );

export function choicesPage(org: string, session: string, choices: readonly PreferenceChoice[], message?: string): string {
  const byPurpose = new Map<string, PreferenceChoice[]>();
  for (const c of choices) byPurpose.set(c.purpose, [...(byPurpose.get(c.purpose) ?? []), c]);
  const sets = [...byPurpose.values()]
    .map(
      (cs) => `<fieldset><legend>${escapeHtml(cs[0]!.name)}</legend>${cs[0]!.description ? `<p class="note">${escapeHtml(cs[0]!.description)}</p>` : ''}
${cs.map((c) => `<label><input type="checkbox" name="choice" value="${escapeHtml(`${c.purpose}:${c.channel}`)}"${c.on ? ' checked' : ''}> ${escapeHtml(channelWords[c.channel] ?? c.channel)}</label>`).join('\n')}</fieldset>`,
    )
    .join('\n');
  return page(
    org,
    'Your marketing preferences',
    `${message ? `<p><strong>${escapeHtml(message)}</strong></p>` : ''}${
      choices.length === 0 ? '<p>We send you no marketing.</p>' : '<p>Tick how you are happy to hear from us. Clear a box to stop.</p>'
    }
<form method="post" action="/preferences/save"><input type="hidden" name="session" value="${escapeHtml(session)}">
${sets}
<label><input type="checkbox" name="stop-all" value="yes"> Stop all marketing from ${escapeHtml(org)}</label>
<button type="submit">Save my choices</button></form>`,
  );
}
