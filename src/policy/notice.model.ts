/**
 * The privacy notice as a plain structured model, built from the declaration.
 *
 * The notice is what UK GDPR Arts 13 and 14 require an organisation to tell people. Building it
 * from the same declaration that Steward enforces means the published promises and the behaviour
 * cannot drift apart. The sections decide the content (notice.sections.*.ts) in the notice's
 * wording (notice.wording.ts); notice.render.ts only turns the model into HTML or Markdown and
 * does all the escaping.
 */
import { NoticeContext } from './notice.context.js';
import { formatDate, clean, isDefined } from './notice.text.js';
import { cookies } from './notice.sections.cookies.js';
import { changes, complaints, intro, privacyContact, whoWeAre } from './notice.sections.controller.js';
import { dataWeHold, purposes, requirements, retention, security, sharing, sources, transfers } from './notice.sections.processing.js';
import { automatedDecisions, children, consent, rights } from './notice.sections.rights.js';
import type { Missing, NoticeModel, PrivacyCentreLinks } from './notice.types.js';
import type { LoadedPolicy } from './policy.loader.js';

export const PRIVACY_CENTRE: PrivacyCentreLinks = { requests: '/privacy/requests', preferences: '/preferences', complaints: '/privacy/complaints' };

/** "Not stated: …": what the notice shows where a fact it needs is missing. */
export const NOT_STATED = 'Not stated';
export const missingText = (m: Missing): string => `${NOT_STATED}: ${m.missing}`;

export interface NoticeModelOptions {
  /** Link the privacy centre's forms (when the notice is served by Steward, or rendered with a base URL). */
  privacyCentre?: PrivacyCentreLinks;
}

export function buildNoticeModel(loaded: LoadedPolicy, options: NoticeModelOptions = {}): NoticeModel {
  const ctx = new NoticeContext(loaded.policy, options.privacyCentre);
  const { policy } = ctx;
  const sections = [
    whoWeAre(ctx),
    privacyContact(ctx),
    dataWeHold(ctx),
    purposes(ctx),
    sources(ctx),
    requirements(ctx),
    sharing(ctx),
    transfers(ctx),
    retention(ctx),
    rights(ctx),
    consent(ctx),
    automatedDecisions(ctx),
    cookies(ctx),
    children(ctx),
    security(ctx),
    complaints(ctx),
    changes(ctx),
  ].filter(isDefined);
  return {
    title: clean(policy.notice.title),
    organisation: clean(policy.organisation.name),
    website: policy.notice.website,
    intro: intro(ctx),
    sections,
    version: {
      effectiveDate: policy.notice.effective_date,
      effectiveDateText: formatDate(policy.notice.effective_date),
      hash: loaded.hash,
      shortHash: loaded.hash.slice(0, 12),
      generator: 'Steward',
    },
  };
}
