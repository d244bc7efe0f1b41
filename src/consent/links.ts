/**
 * Signed links in marketing email: one-click unsubscribe (RFC 8058), consent renewal, and the
 * preference-page session. A token is base64url(JSON payload) "." MAC, the MAC under a key
 * derived from the keyring (Keyring.linkMac) with the link's kind as domain separation, so an
 * unsubscribe token can never be replayed as a renewal. Payloads carry our own ids (subject,
 * purpose, channel) and keyed hashes, never an address.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/config.js';
import type { Keyring } from '../crypto/keyring.js';

export type LinkKind = 'unsubscribe' | 'renew' | 'preferences';

/** 24 bytes of the 32-byte MAC: 192 bits, well beyond guessing, and shorter URLs. */
const MAC_CHARS = 32;

export function signToken(keyring: Keyring, kind: LinkKind, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${keyring.linkMac(kind, body).slice(0, MAC_CHARS)}`;
}

/** The payload of a token of this kind, or undefined if it was not made by us (or was altered). */
export function verifyToken(keyring: Keyring, kind: LinkKind, token: string): Record<string, unknown> | undefined {
  if (typeof token !== 'string' || token.length > 2048) return undefined;
  const dot = token.indexOf('.');
  if (dot < 1 || dot !== token.lastIndexOf('.')) return undefined;
  const body = token.slice(0, dot);
  const mac = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(keyring.linkMac(kind, body).slice(0, MAC_CHARS));
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface UnsubscribeClaim {
  subjectId: string;
  purpose: string;
  channel: string;
}

export const unsubscribeToken = (keyring: Keyring, c: UnsubscribeClaim): string => signToken(keyring, 'unsubscribe', { s: c.subjectId, p: c.purpose, c: c.channel });

export function readUnsubscribeToken(keyring: Keyring, token: string): UnsubscribeClaim | undefined {
  const p = verifyToken(keyring, 'unsubscribe', token);
  if (!p || typeof p.s !== 'string' || typeof p.p !== 'string' || typeof p.c !== 'string') return undefined;
  return { subjectId: p.s, purpose: p.p, channel: p.c };
}

export interface RenewClaim {
  subjectId: string;
  purpose: string;
  channels: string[];
  /** The link works until the consent would lapse. */
  expiresAt: string;
}

export const renewToken = (keyring: Keyring, c: RenewClaim): string => signToken(keyring, 'renew', { s: c.subjectId, p: c.purpose, c: c.channels, x: c.expiresAt });

export function readRenewToken(keyring: Keyring, token: string): RenewClaim | undefined {
  const p = verifyToken(keyring, 'renew', token);
  if (!p || typeof p.s !== 'string' || typeof p.p !== 'string' || !Array.isArray(p.c) || typeof p.x !== 'string') return undefined;
  if (!p.c.every((x) => typeof x === 'string')) return undefined;
  return { subjectId: p.s, purpose: p.p, channels: p.c as string[], expiresAt: p.x };
}

export const PUBLIC_PATHS = {
  unsubscribe: '/unsubscribe',
  renew: '/consent/renew',
  preferences: '/preferences',
} as const;

// The token goes in the query string: path parameters are capped in length by the router.
export const unsubscribeUrl = (baseUrl: string, token: string): string => `${baseUrl}${PUBLIC_PATHS.unsubscribe}?t=${token}`;
export const renewUrl = (baseUrl: string, token: string): string => `${baseUrl}${PUBLIC_PATHS.renew}?t=${token}`;

/**
 * The headers every marketing email carries (RFC 2369 List-Unsubscribe, RFC 8058 one-click):
 * mail clients show an unsubscribe button that POSTs "List-Unsubscribe=One-Click" to the link,
 * which withdraws the consent and suppresses the address without a sign-in.
 *   mailer.send({ to, subject, text, headers: marketingHeaders(rt, subjectId, 'newsletter') })
 */
export function marketingHeaders(rt: { keyring: Keyring; config: Pick<Config, 'baseUrl'> }, subjectId: string, purpose: string, channel = 'email'): Record<string, string> {
  const url = unsubscribeUrl(rt.config.baseUrl, unsubscribeToken(rt.keyring, { subjectId, purpose, channel }));
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}
