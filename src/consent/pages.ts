/**
 * The public pages: unsubscribe confirmation, renewal, and the preference page. Plain HTML
 * forms, no script; every value escaped. They name the organisation, never the person.
 */
import { CODE_FIELD, emailStep, page } from '../server/public-pages.js';
import { escapeHtml } from '../shared/html.js';
import { PUBLIC_PATHS } from './links.js';
import type { PreferenceChoice } from './preferences.service.js';

/** The preference page: the address, the code (which opens a session), the choices saved. */
export const PREFERENCE_PAGES = {
  start: PUBLIC_PATHS.preferences,
  code: `${PUBLIC_PATHS.preferences}/code`,
  submit: `${PUBLIC_PATHS.preferences}/verify`,
  save: `${PUBLIC_PATHS.preferences}/save`,
} as const;

const channelWords: Record<string, string> = { email: 'Email', phone: 'Phone calls', sms: 'Text messages', post: 'Post', social: 'Social media' };

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
${emailStep(PREFERENCE_PAGES.code)}`,
  );

export const askCode = (org: string, email: string, message?: string): string =>
  page(
    org,
    'Enter your code',
    `<p>${escapeHtml(message ?? 'If this address is in our records, we have sent a six-digit code to it. It works for 15 minutes.')}</p>
<form method="post" action="${PREFERENCE_PAGES.submit}"><input type="hidden" name="email" value="${escapeHtml(email)}">
${CODE_FIELD}<button type="submit">Continue</button></form>`,
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
<form method="post" action="${PREFERENCE_PAGES.save}"><input type="hidden" name="session" value="${escapeHtml(session)}">
${sets}
<label><input type="checkbox" name="stop-all" value="yes"> Stop all marketing from ${escapeHtml(org)}</label>
<button type="submit">Save my choices</button></form>`,
  );
}
