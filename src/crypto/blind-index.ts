/**
 * Blind indexes: exact-match search over encrypted values. The index of a value is
 * HMAC-SHA-256(fieldKey, normalised value), with a per-field key derived from a root key by
 * HKDF-SHA-256 (info `steward-blind-index:<field>:v<version>`). The version is stored beside the
 * digest so that keys can be changed and rows re-indexed gradually.
 *
 * Normalisation decides what "the same value" means: e-mail addresses are NFKC, trimmed and
 * lower-cased (the domain in its ASCII form); phone numbers become E.164. A value that is not a
 * plausible e-mail address or phone number gets no index (undefined) rather than a wrong one.
 *
 * The suppression list uses the same HMAC under a key derived with info `steward-suppression`.
 * That key has no version: a suppression must keep matching for as long as the list exists, so
 * the root key it is derived from must never change.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { StewardError } from '../shared/errors.js';

export type IdentifierKind = 'email' | 'phone' | 'other';

export const INDEX_KEY_BYTES = 32;
/** Root keys shorter than this are refused. */
export const MIN_ROOT_KEY_BYTES = 32;

const EMPTY_SALT = Buffer.alloc(0);

function assertRootKey(rootKey: Buffer): void {
  if (!Buffer.isBuffer(rootKey) || rootKey.length < MIN_ROOT_KEY_BYTES) {
    throw new StewardError('CONFIG_INVALID', `A blind-index root key must be at least ${MIN_ROOT_KEY_BYTES} bytes`);
  }
}

/** The HMAC key for one field and key version: HKDF-SHA-256, info `steward-blind-index:<field>:v<version>`. */
export function deriveIndexKey(rootKey: Buffer, field: string, version: number): Buffer {
  assertRootKey(rootKey);
  if (typeof field !== 'string' || field.length === 0) throw new StewardError('INTERNAL', 'A blind-index field name must not be empty');
  if (!Number.isInteger(version) || version < 1) throw new StewardError('INTERNAL', 'A blind-index key version must be a positive integer');
  return Buffer.from(hkdfSync('sha256', rootKey, EMPTY_SALT, `steward-blind-index:${field}:v${version}`, INDEX_KEY_BYTES));
}

/** The HMAC key for the suppression list: HKDF-SHA-256, info `steward-suppression`. */
export function deriveSuppressionKey(rootKey: Buffer): Buffer {
  assertRootKey(rootKey);
  return Buffer.from(hkdfSync('sha256', rootKey, EMPTY_SALT, 'steward-suppression', INDEX_KEY_BYTES));
}

/** HMAC-SHA-256 of an already-normalised value, as 64 hex characters. */
export function blindIndex(key: Buffer, normalisedValue: string): string {
  return createHmac('sha256', key).update(normalisedValue, 'utf8').digest('hex');
}

/** The suppression list's keyed hash: the same primitive as blindIndex, under the suppression key. */
export function keyedHash(key: Buffer, value: string): string {
  return blindIndex(key, value);
}

// ——— E-mail ———

const LOCAL_ATOM = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * Trim, NFKC, lower-case; the domain in its ASCII (punycode) form, so `bücher.de` and
 * `xn--bcher-kva.de` index alike. Returns undefined for anything that is not a plausible
 * address: no single '@', quoted or dotted-badly local parts, display names, IP literals, a
 * domain without a dot or with a numeric top-level label.
 */
export function normaliseEmail(input: string): string | undefined {
  if (typeof input !== 'string') return undefined;
  const s = input.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
  if (s.length < 3 || s.length > 254) return undefined;
  const at = s.indexOf('@');
  if (at < 1 || at !== s.lastIndexOf('@')) return undefined;
  const local = s.slice(0, at);
  const rawDomain = s.slice(at + 1);
  if (local.length > 64 || !LOCAL_ATOM.test(local)) return undefined;
  if (rawDomain.length === 0 || /[\s[\]]/.test(rawDomain)) return undefined;
  const domain = /^[\x21-\x7e]+$/.test(rawDomain) ? rawDomain : domainToASCII(rawDomain);
  if (!domain || domain.length > 253) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => DNS_LABEL.test(l) || /^xn--[a-z0-9-]+$/.test(l))) return undefined;
  if (!TLD.test(labels[labels.length - 1] ?? '')) return undefined;
  const out = `${local}@${domain}`;
  return out.length <= 254 ? out : undefined;
}

// ——— Phone ———

interface CountryPlan {
  /** Country calling code. */
  cc: string;
  /** National trunk prefix, dropped in E.164 ('' where there is none). */
  trunk: string;
  /** The prefix dialled to call abroad from this country. */
  intl: string;
  /** Length of the national significant number. */
  min: number;
  max: number;
  /** What a national significant number may look like. */
  pattern: RegExp;
  /** The trunk prefix may be omitted in national format (NANP). */
  trunkOptional?: boolean;
}

/**
 * Numbering plans for default countries and for checking international numbers. Deliberately
 * small; international numbers from other countries are accepted on generic E.164 rules.
 */
const PLANS = {
  GB: { cc: '44', trunk: '0', intl: '00', min: 9, max: 10, pattern: /^[1235789]/ },
  IE: { cc: '353', trunk: '0', intl: '00', min: 7, max: 9, pattern: /^[1-9]/ },
  US: { cc: '1', trunk: '1', intl: '011', min: 10, max: 10, pattern: /^[2-9]\d{2}[2-9]/, trunkOptional: true },
  CA: { cc: '1', trunk: '1', intl: '011', min: 10, max: 10, pattern: /^[2-9]\d{2}[2-9]/, trunkOptional: true },
  FR: { cc: '33', trunk: '0', intl: '00', min: 9, max: 9, pattern: /^[1-9]/ },
  DE: { cc: '49', trunk: '0', intl: '00', min: 6, max: 13, pattern: /^[1-9]/ },
  NL: { cc: '31', trunk: '0', intl: '00', min: 9, max: 9, pattern: /^[1-9]/ },
  BE: { cc: '32', trunk: '0', intl: '00', min: 8, max: 9, pattern: /^[1-9]/ },
  ES: { cc: '34', trunk: '', intl: '00', min: 9, max: 9, pattern: /^[5-9]/ },
  IT: { cc: '39', trunk: '', intl: '00', min: 6, max: 11, pattern: /^[03]/ },
  PT: { cc: '351', trunk: '', intl: '00', min: 9, max: 9, pattern: /^[29]/ },
  CH: { cc: '41', trunk: '0', intl: '00', min: 9, max: 9, pattern: /^[1-9]/ },
  AT: { cc: '43', trunk: '0', intl: '00', min: 4, max: 13, pattern: /^[1-9]/ },
  DK: { cc: '45', trunk: '', intl: '00', min: 8, max: 8, pattern: /^[2-9]/ },
  SE: { cc: '46', trunk: '0', intl: '00', min: 7, max: 10, pattern: /^[1-9]/ },
  NO: { cc: '47', trunk: '', intl: '00', min: 8, max: 8, pattern: /^[2-9]/ },
  PL: { cc: '48', trunk: '', intl: '00', min: 9, max: 9, pattern: /^[1-9]/ },
  AU: { cc: '61', trunk: '0', intl: '0011', min: 9, max: 9, pattern: /^[2-578]/ },
  NZ: { cc: '64', trunk: '0', intl: '00', min: 8, max: 10, pattern: /^[2-9]/ },
  IN: { cc: '91', trunk: '0', intl: '00', min: 10, max: 10, pattern: /^[1-9]/ },
} as const satisfies Record<string, CountryPlan>;

export type PhoneCountry = keyof typeof PLANS;
export const PHONE_COUNTRIES = Object.keys(PLANS) as PhoneCountry[];

const PLAN_BY_CC = new Map<string, CountryPlan>();
for (const plan of Object.values(PLANS) as CountryPlan[]) if (!PLAN_BY_CC.has(plan.cc)) PLAN_BY_CC.set(plan.cc, plan);

/** Country calling codes are prefix-free: the first 1–3 digits that name a known plan win. */
function planForInternational(digits: string): CountryPlan | undefined {
  for (let n = 1; n <= 3; n++) {
    const plan = PLAN_BY_CC.get(digits.slice(0, n));
    if (plan) return plan;
  }
  return undefined;
}

const nsnFits = (plan: CountryPlan, nsn: string): boolean =>
  nsn.length >= plan.min && nsn.length <= plan.max && plan.pattern.test(nsn);

/**
 * A phone number in E.164 (`+441727812222`), or undefined when it is not plausible.
 * Accepts national numbers of `defaultCountry` ('01727 812222', '07700 900123'), and
 * international ones with '+' or the default country's international prefix ('0044…'),
 * including the British '+44 (0)1727 812222'. Spaces, dashes, dots, slashes and brackets are
 * ignored; letters (extensions, vanity numbers) make a number implausible.
 */
export function normalisePhone(input: string, defaultCountry: PhoneCountry = 'GB'): string | undefined {
  const home: CountryPlan | undefined = (PLANS as Record<string, CountryPlan>)[defaultCountry];
  if (!home) throw new StewardError('CONFIG_INVALID', `Unsupported default phone country "${String(defaultCountry)}"`);
  if (typeof input !== 'string') return undefined;
  let s = input.normalize('NFKC').trim();
  if (/^tel:/i.test(s)) s = s.slice(4);
  if (s.length === 0 || s.length > 40) return undefined;
  if (!/^\+?[\d\s().\-/]+$/.test(s)) return undefined;
  if ((s.match(/\(/g) ?? []).length !== (s.match(/\)/g) ?? []).length) return undefined;
  const plus = s.startsWith('+');
  const isInternational = plus || s.replace(/\D/g, '').startsWith(home.intl);
  // "+44 (0)1727…": the bracketed trunk prefix is not dialled from abroad.
  let digits = (isInternational ? s.replace(/\(\s*0\s*\)/, ' ') : s).replace(/\D/g, '');

  let international: string | undefined;
  if (plus) international = digits;
  else if (digits.startsWith(home.intl)) international = digits.slice(home.intl.length);

  if (international !== undefined) {
    digits = international;
    if (digits.length === 0 || digits.startsWith('0')) return undefined;
    const plan = planForInternational(digits);
    if (!plan) return digits.length >= 7 && digits.length <= 15 ? `+${digits}` : undefined;
    let nsn = digits.slice(plan.cc.length);
    // "+44 01727…": a trunk prefix written after the country code by mistake.
    if (plan.trunk === '0' && nsn.startsWith('0') && nsnFits(plan, nsn.slice(1))) nsn = nsn.slice(1);
    return nsnFits(plan, nsn) && plan.cc.length + nsn.length <= 15 ? `+${plan.cc}${nsn}` : undefined;
  }

  let nsn: string;
  if (home.trunk && digits.startsWith(home.trunk) && (!home.trunkOptional || digits.length === home.trunk.length + home.max)) {
    nsn = digits.slice(home.trunk.length);
  } else if (!home.trunk || home.trunkOptional) {
    nsn = digits;
  } else {
    return undefined; // a national number without its trunk prefix is ambiguous
  }
  return nsnFits(home, nsn) ? `+${home.cc}${nsn}` : undefined;
}

// ——— Identifiers ———

/**
 * Normalises an identifier of a kind. 'other' identifiers (customer numbers, usernames) are NFKC
 * with surrounding whitespace trimmed and inner runs of whitespace collapsed; case is kept.
 */
export function normaliseIdentifier(
  kind: IdentifierKind,
  value: string,
  opts: { defaultCountry?: PhoneCountry } = {},
): string | undefined {
  if (typeof value !== 'string') return undefined;
  switch (kind) {
    case 'email':
      return normaliseEmail(value);
    case 'phone':
      return normalisePhone(value, opts.defaultCountry ?? 'GB');
    case 'other': {
      const s = value.normalize('NFKC').trim().replace(/\s+/g, ' ');
      return s.length > 0 && s.length <= 1024 ? s : undefined;
    }
    default:
      throw new StewardError('INTERNAL', `Unknown identifier kind "${String(kind)}"`);
  }
}

// ——— Indexer ———

export interface BlindIndexEntry {
  version: number;
  /** 64 hex characters. */
  digest: string;
}

export interface BlindIndexerOptions {
  /** The key version new indexes are made with. Default 1. */
  version?: number;
  /** For national phone numbers. Default 'GB'. */
  defaultCountry?: PhoneCountry;
}

/** Normalises and indexes values, caching the derived key of each field and version. */
export class BlindIndexer {
  readonly version: number;
  readonly defaultCountry: PhoneCountry;
  readonly #root: Buffer;
  readonly #keys = new Map<string, Buffer>();
  #suppressionKey: Buffer | undefined;

  constructor(rootKey: Buffer, opts: BlindIndexerOptions = {}) {
    assertRootKey(rootKey);
    this.#root = Buffer.from(rootKey);
    this.version = opts.version ?? 1;
    if (!Number.isInteger(this.version) || this.version < 1) throw new StewardError('CONFIG_INVALID', 'A blind-index key version must be a positive integer');
    this.defaultCountry = opts.defaultCountry ?? 'GB';
  }

  /** The derived key for a field and version (cached). */
  keyFor(field: string, version: number = this.version): Buffer {
    const cacheKey = `${version}\u0000${field}`;
    let key = this.#keys.get(cacheKey);
    if (!key) {
      key = deriveIndexKey(this.#root, field, version);
      this.#keys.set(cacheKey, key);
    }
    return key;
  }

  normalise(kind: IdentifierKind, value: string): string | undefined {
    return normaliseIdentifier(kind, value, { defaultCountry: this.defaultCountry });
  }

  /** The index of a value under the current version; undefined if the value does not normalise. */
  index(field: string, kind: IdentifierKind, value: string): BlindIndexEntry | undefined {
    return this.indexAt(field, kind, value, this.version);
  }

  /** The index of a value under a given version. */
  indexAt(field: string, kind: IdentifierKind, value: string, version: number): BlindIndexEntry | undefined {
    const normalised = this.normalise(kind, value);
    if (normalised === undefined) return undefined;
    return { version, digest: blindIndex(this.keyFor(field, version), normalised) };
  }

  /** Indexes under several versions, to search while rows are being re-indexed. */
  candidates(field: string, kind: IdentifierKind, value: string, versions: readonly number[]): BlindIndexEntry[] {
    const normalised = this.normalise(kind, value);
    if (normalised === undefined) return [];
    return versions.map((version) => ({ version, digest: blindIndex(this.keyFor(field, version), normalised) }));
  }

  /** The suppression list's keyed hash of an identifier; undefined if it does not normalise. */
  suppressionHash(kind: IdentifierKind, value: string): string | undefined {
    const normalised = this.normalise(kind, value);
    if (normalised === undefined) return undefined;
    this.#suppressionKey ??= deriveSuppressionKey(this.#root);
    return keyedHash(this.#suppressionKey, normalised);
  }
}
