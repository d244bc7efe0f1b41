/**
 * Plain-text helpers for the notice and the record of processing: tidying declared text, joining
 * lists in English, and writing dates, countries, addresses and contacts as words.
 */
import type { Address, Contact } from './policy.schema.js';

/** Collapses runs of whitespace: declaration text may come from YAML block scalars. */
export const clean = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Splits text on blank lines into paragraphs. */
export function paragraphs(text: string | undefined): string[] {
  return text === undefined ? [] : text.split(/\n\s*\n/).map(clean).filter(Boolean);
}

export const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
/** Lower-cases the first letter unless the word looks like an acronym ("ICO"). */
export const lowerFirst = (s: string): string => (/^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);
/** Lower-cases a leading article or possessive ("Our business customers"), never a name ("Acme Ltd"). */
export const lowerDeterminer = (s: string): string => s.replace(/^(The|Our|Their|A|An|Any|All|Some)\b/, (w) => w.toLowerCase());
export const endSentence = (s: string): string => (/[.!?)]$/.test(s) ? s : `${s}.`);

export function joinAnd(items: readonly string[]): string {
  return joinWith(items, 'and');
}
export function joinOr(items: readonly string[]): string {
  return joinWith(items, 'or');
}
function joinWith(items: readonly string[], word: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

export function isDefined<T>(value: T | undefined | null): value is T {
  return value !== undefined && value !== null;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "2026-03-01" → "1 March 2026", without going through a time zone. */
export function formatDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  const month = m === undefined ? undefined : MONTHS[m - 1];
  return y && month && d ? `${d} ${month} ${y}` : iso;
}

const COUNTRY_NAMES = new Intl.DisplayNames(['en-GB'], { type: 'region' });

export function countryName(code: string): string {
  try {
    return COUNTRY_NAMES.of(code) ?? code;
  } catch {
    return code;
  }
}

export function addressText(address: Address | undefined): string {
  if (address === undefined) return '';
  if (typeof address === 'string') return clean(address);
  return [...address.lines, address.town, address.county, address.postcode, address.country ? countryName(address.country) : undefined]
    .filter((part): part is string => Boolean(part))
    .map(clean)
    .join(', ');
}

/** A contact as one line of text, for the record of processing. */
export function contactText(contact: Contact | undefined): string {
  if (!contact) return '';
  return [
    contact.email,
    contact.phone,
    addressText(contact.address),
    contact.web,
    contact.contact_form && `contact form ${contact.contact_form}`,
    contact.live_chat && `live chat ${contact.live_chat}`,
  ]
    .filter((part): part is string => Boolean(part))
    .join('; ');
}
