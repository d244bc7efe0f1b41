/**
 * The consent feature's answer to retention's `unless marketing-consent` (retention asks through
 * RetentionConditions and knows nothing of consent): a consent that counts at the time in the
 * consent register (not withdrawn, not lapsed; a child's with a parent's), or a consent-given
 * life event with no consent-withdrawn after it. Either keeps the data: a wrong keep can be
 * corrected, a wrong deletion cannot. Open contracts are answered from life events alone.
 */
import { eventConditions, type RetentionConditions } from '../retention/conditions.js';
import { consentStates } from './consent.service.js';

const CHUNK = 2000;

export const consentConditions: RetentionConditions = {
  subjectsWithMarketingConsent: async (db, ids, at) => {
    const out = await eventConditions.subjectsWithMarketingConsent(db, ids, at);
    for (let i = 0; i < ids.length; i += CHUNK) {
      for (const s of await consentStates(db, ids.slice(i, i + CHUNK), at.toISOString())) if (s.status === 'active') out.add(s.subjectId);
    }
    return out;
  },
  subjectsWithOpenContract: (db, ids, at) => eventConditions.subjectsWithOpenContract(db, ids, at),
};
