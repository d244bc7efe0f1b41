/**
 * The periodic work `steward serve` does on its own: retention sweeps and reminders. Each feature
 * owns its job's logic; this file only says how often each runs.
 */
import { sendReviewReminders } from '../accountability/reviews.service.js';
import type { Logger } from 'pino';
import { auditCheckpointJob } from '../audit/audit.checkpoint.js';
import { sendBreachReminders } from '../breaches/breaches.reminders.js';
import { sendComplaintReminders } from '../complaints/complaints.reminders.js';
import { consentRenewalJob } from '../consent/renewal.service.js';
import { purgeExpiredPacks } from '../requests/requests.pack-links.js';
import { sendRequestReminders } from '../requests/requests.reminders.js';
import { runRetention } from '../retention/retention.run.js';
import { type Runtime } from '../kernel/runtime.js';
import type { Job } from '../kernel/scheduler.js';
import { mirrorLedger } from '../backup/erasure-ledger.js';
import { appendAudit } from '../audit/audit.service.js';
import { writeTx } from '../db/transactions.js';
import { systemActor } from '../kernel/actors.js';
import { consentConditions } from '../consent/consent.conditions.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function serverJobs(rt: Runtime, logger: Logger | false = false): Job[] {
  return [
    auditCheckpointJob(rt, logger),
    {
      name: 'retention',
      everyMs: 24 * HOUR,
      leaseMs: 2 * HOUR,
      run: async (now) => {
        const r = await runRetention(rt, systemActor('retention'), now, { conditions: consentConditions });
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
      // Erasure ledger entries a crash left unmirrored reach their file; key-encryption-key
      // epochs past the backup retention are retired, so backups that old can no longer be opened.
      name: 'key-epochs',
      everyMs: 24 * HOUR,
      run: async (now) => {
        const m = await mirrorLedger(rt);
        const r = await rt.keyring.retireEpochs(rt.database.db, now, rt.config.backupRetentionDays);
        if (r.retired.length > 0) {
          await writeTx(rt, (trx) => appendAudit(trx, rt, systemActor('key-epochs'), [{ action: 'keys.retire', details: { retired: r.retired, current: r.current } }]));
        }
        return `mirrored ${m.appended} ledger entries; retired epochs ${r.retired.join(', ') || 'none'}${r.due.length ? `; due in the key source: ${r.due.join(', ')}` : ''}`;
      },
    },
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
    {
      name: 'accountability-reviews',
      everyMs: 24 * HOUR,
      run: async (now) => {
        const r = await sendReviewReminders(rt, now);
        return r.warning ?? `${r.due} due within 30 days; sent ${r.sent.length}, failed ${r.failed.length}`;
      },
    },
  ];
}
