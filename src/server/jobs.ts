/**
 * The periodic work `steward serve` does on its own: retention sweeps and reminders. Each feature
 * owns its job's logic; this file only says how often each runs.
 */
import { sendBreachReminders } from '../breaches/breaches.reminders.js';
import { sendComplaintReminders } from '../complaints/complaints.reminders.js';
import { consentRenewalJob } from '../consent/renewal.service.js';
import { purgeExpiredPacks } from '../requests/requests.fulfil.js';
import { sendRequestReminders } from '../requests/requests.reminders.js';
import { runRetention } from '../retention/retention.service.js';
import { systemActor, type Runtime } from '../runtime/runtime.js';
import type { Job } from './scheduler.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function serverJobs(rt: Runtime): Job[] {
  return [
    {
      name: 'retention',
      everyMs: 24 * HOUR,
      leaseMs: 2 * HOUR,
      run: async (now) => {
        const r = await runRetention(rt, systemActor('retention'), now);
        return `deleted ${r.deleted}, anonymised ${r.anonymised}`;
      },
    },
    {
      name: 'request-reminders',
      everyMs: HOUR,
      run: async (now) => {
        const r = await sendRequestReminders(rt, now);
        return JSON.stringify(r).slice(0, 200);
      },
    },
    {
      name: 'request-pack-purge',
      everyMs: HOUR,
      run: async (now) => {
        const r = await purgeExpiredPacks(rt, systemActor('request-pack-purge'), now);
        return `purged ${r.purged} expired packs`;
      },
    },
    consentRenewalJob(rt),
    {
      name: 'complaint-reminders',
      everyMs: HOUR,
      run: async (now) => {
        const r = await sendComplaintReminders(rt, now);
        return JSON.stringify(r).slice(0, 200);
      },
    },
    {
      name: 'breach-reminders',
      everyMs: 15 * MINUTE,
      run: async (now) => {
        const r = await sendBreachReminders(rt, now);
        return JSON.stringify(r).slice(0, 200);
      },
    },
  ];
}
