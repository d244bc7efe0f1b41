import type { LoadedPolicy } from '../policy/policy.loader.js';
import { escapeHtml } from '../shared/html.js';

/** The front page: where to find the notice, the privacy centre's forms and the API. */
export function landingPage(loaded: LoadedPolicy): string {
  const org = escapeHtml(loaded.policy.organisation.name);
  return `<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${org} — Steward</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}a{color:#0b57d0}code{background:#f3f3f3;padding:0 .25rem}</style>
</head><body>
<h1>${org}</h1>
<p>This server keeps ${org}'s personal-data register and publishes its privacy notice.</p>
<ul>
<li><a href="/privacy">Privacy notice</a> (also as <a href="/privacy.md">Markdown</a>; <a href="/privacy/versions">earlier versions</a>)</li>
<li><a href="/privacy/requests">Ask about your personal information</a>: a copy, a correction, deletion, or to stop a use</li>
<li><a href="/preferences">Your marketing preferences</a></li>
<li><a href="/privacy/complaints">Make a complaint</a> about how we have used your personal information</li>
<li><a href="/api/v1/docs">API reference</a> · <a href="/api/v1/openapi.json">OpenAPI document</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
<p><small>Declaration loaded: version <code>${escapeHtml(loaded.hash.slice(0, 12))}</code>, effective ${escapeHtml(loaded.policy.notice.effective_date)}; the notice served is the latest published version.</small></p>
</body></html>`;
}
