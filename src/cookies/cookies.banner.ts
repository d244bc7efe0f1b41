/**
 * `/cookies/banner.js`: the hand-written banner (banner/banner.js, banner/banner.css) minified once
 * per process and given its configuration, which comes from the declaration's `cookies` list. The
 * configuration carries the notice version (the declaration's hash) and a hash of everything the
 * banner shows (its text version), both sent back with each choice as proof of what was seen.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { transformSync } from 'esbuild';
import type { Cookie, Policy } from '../policy/policy.schema.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';

export type GroupKind = 'necessary' | 'consent' | 'exempt';

export interface BannerCookie {
  name: string;
  provider: string;
  purpose: string;
  duration: string;
}

export interface BannerGroup {
  /** The category (or exemption) a choice and `data-steward-category` name. */
  key: string;
  kind: GroupKind;
  title: string;
  description: string;
  cookies: BannerCookie[];
}

export interface BannerConfig {
  org: string;
  /** Where the full privacy notice is, or null for Steward's own /privacy. */
  notice: string | null;
  noticeVersion: string;
  bannerVersion: string;
  /** The visitor's first-party cookie holding their consent id and choices. */
  cookie: string;
  /** How long a choice is kept before the visitor is asked again. */
  maxAgeDays: number;
  groups: BannerGroup[];
  /** Set per response: the request for banner.js carried Sec-GPC: 1. */
  gpc?: boolean;
}

export const CONSENT_COOKIE = 'steward_consent';
/** About six months, then ask again (the ICO's guidance leaves the period to the site; six months is common). */
export const CHOICE_DAYS = 182;

const GROUP_TEXT: Record<string, { title: string; description: string }> = {
  necessary: { title: 'Strictly necessary', description: 'Needed for the website to work and to remember your cookie choices. Always on.' },
  functional: { title: 'Functional', description: 'Remember your settings and provide extra features.' },
  analytics: { title: 'Analytics', description: 'Help us understand how visitors use the website.' },
  marketing: { title: 'Marketing', description: 'Used to show and measure advertising.' },
  statistics: {
    title: 'Statistics',
    description: 'Statistics to improve our website, shared with no one but those helping us improve it. The law lets us use them without asking, but you can object: switch them off.',
  },
  appearance: {
    title: 'Appearance and preferences',
    description: 'Adapt how the website looks and works to your preferences. The law lets us use them without asking, but you can object: switch them off.',
  },
};

const CONSENT_CATEGORIES = ['functional', 'analytics', 'marketing'] as const;
const EXEMPTIONS = ['statistics', 'appearance'] as const;

const durationText = (c: Cookie): string => (c.duration === undefined ? 'not stated' : c.duration === 'session' ? 'until you close the browser' : c.duration);

function bannerCookie(policy: Policy, c: Cookie): BannerCookie {
  const recipient = c.recipient ? policy.recipients.find((r) => r.id === c.recipient)?.name : undefined;
  return { name: c.name, provider: c.provider ?? recipient ?? policy.organisation.name, purpose: c.purpose, duration: durationText(c) };
}

/** The banner's configuration from the declaration (without the per-request GPC flag). */
export function bannerConfig(loaded: LoadedPolicy): BannerConfig {
  const policy = loaded.policy;
  const group = (key: string, kind: GroupKind, list: Cookie[]): BannerGroup => ({ key, kind, ...GROUP_TEXT[key]!, cookies: list.map((c) => bannerCookie(policy, c)) });
  const necessary = group(
    'necessary',
    'necessary',
    policy.cookies.filter((c) => c.category === 'strictly-necessary'),
  );
  necessary.cookies.push({ name: CONSENT_COOKIE, provider: policy.organisation.name, purpose: 'Remembers your cookie choices and the anonymous id of their record.', duration: `${CHOICE_DAYS} days` });
  const groups: BannerGroup[] = [necessary];
  for (const key of CONSENT_CATEGORIES) {
    const list = policy.cookies.filter((c) => c.category === key && !c.exemption);
    if (list.length) groups.push(group(key, 'consent', list));
  }
  for (const key of EXEMPTIONS) {
    const list = policy.cookies.filter((c) => c.category !== 'strictly-necessary' && c.exemption === key);
    if (list.length) groups.push(group(key, 'exempt', list));
  }
  const shown = { org: policy.organisation.name, notice: policy.notice.website ?? null, cookie: CONSENT_COOKIE, maxAgeDays: CHOICE_DAYS, groups, script: scriptSource() };
  const bannerVersion = createHash('sha256').update(JSON.stringify(shown)).digest('hex').slice(0, 16);
  return { org: shown.org, notice: shown.notice, noticeVersion: loaded.hash, bannerVersion, cookie: CONSENT_COOKIE, maxAgeDays: CHOICE_DAYS, groups };
}

let minified: string | undefined;

/** The banner's code with its styles inlined, minified; `__STEWARD_CONFIG__` stands for the configuration. */
export function scriptSource(): string {
  if (minified !== undefined) return minified;
  const read = (f: string) => readFileSync(new URL(`./banner/${f}`, import.meta.url), 'utf8');
  const css = read('banner.css')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{}:;,>])\s*/g, '$1')
    .replace(/;}/g, '}')
    .trim();
  const js = read('banner.js').replace("'__STEWARD_CSS__'", JSON.stringify(css));
  minified = transformSync(js, { minify: true, target: 'es2019', legalComments: 'none' }).code;
  return minified;
}

/** The script served for one request: the code and its configuration. */
export function bannerScript(config: BannerConfig, gpc: boolean): string {
  // JSON inside a script: escape "<" so no "</script>" or "<!--" can appear.
  const json = JSON.stringify({ ...config, gpc }).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return scriptSource().replace('__STEWARD_CONFIG__', () => json);
}

/** The script and its styles as a browser receives them gzipped, in bytes. */
export function gzippedSize(script: string): number {
  return gzipSync(script, { level: 9 }).length;
}
