/** Row types of the cookie consent log (see db/tables.ts). */

export type CookieConsentMethod = 'banner' | 'settings' | 'gpc';
export type CookieConsentOutcome = 'accept-all' | 'reject-all' | 'custom';

export interface CookieConsentsTable {
  id: string;
  consent_id: string;
  recorded_at: string;
  day: string;
  method: CookieConsentMethod;
  outcome: CookieConsentOutcome;
  choices: string;
  gpc: number;
  notice_version: string;
  banner_version: string;
  ua_hash: string | null;
  origin: string | null;
}

export interface CookieConsentChoicesTable {
  record_id: string;
  day: string;
  category: string;
  granted: number;
}

declare module '../db/tables.js' {
  interface Tables {
    cookie_consents: CookieConsentsTable;
    cookie_consent_choices: CookieConsentChoicesTable;
  }
}
