/**
 * Signed checkpoints of the audit chain: the head (entry count and hash) with a MAC under the
 * chain's key, written to the service log and mailed to the privacy contact once a day (a
 * scheduled job, so one instance sends it however many share the database). Kept by the
 * organisation outside the database, a checkpoint lets `steward audit verify --checkpoint` prove
 * the log still holds every entry up to it, even if the witness file went with the server.
 */
import type { Logger } from 'pino';
import type { Runtime } from '../kernel/runtime.js';
import type { Job } from '../kernel/scheduler.js';
import { StewardError } from '../shared/errors.js';
import { anchorMac, auditCount, GENESIS, readVerifiedHead, type AuditAnchor, type AuditProblem } from './audit.service.js';
import { privacyOfficerEmail } from '../policy/contacts.js';

const FORMAT = 'steward-audit-checkpoint';

export interface AuditCheckpoint {
  format: typeof FORMAT;
  count: number;
  hash: string;
  at: string;
  mac: string;
}

/** A checkpoint of the chain's head as committed now. Refuses to vouch for a head whose MAC fails. */
export async function createCheckpoint(rt: Pick<Runtime, 'database' | 'keyring' | 'witness'>, now: Date): Promise<AuditCheckpoint> {
  const head = await readVerifiedHead(rt.database.db, rt.keyring);
  if (!head && (await auditCount(rt.database.db)) > 0) {
    throw new StewardError('CONFLICT', 'the audit chain head checkpoint is missing or altered: run `steward audit verify`');
  }
  const count = head?.count ?? 0;
  const hash = head?.hash ?? GENESIS;
  const at = now.toISOString();
  if (head) rt.witness?.advance(head);
  return { format: FORMAT, count, hash, at, mac: anchorMac(rt.keyring, 'checkpoint', count, hash, at) };
}

/** Reads a checkpoint given to `audit verify` (its JSON); an anchor, or why it is not genuine. */
export function checkpointAnchor(text: string, keyring: Runtime['keyring']): { anchor?: AuditAnchor; problem?: AuditProblem } {
  let c: Partial<AuditCheckpoint>;
  try {
    c = JSON.parse(text) as Partial<AuditCheckpoint>;
  } catch {
    throw new StewardError('VALIDATION_FAILED', '--checkpoint: not a checkpoint (expected its JSON, as mailed)');
  }
  if (c?.format !== FORMAT || typeof c.count !== 'number' || !Number.isInteger(c.count) || typeof c.hash !== 'string' || typeof c.at !== 'string' || typeof c.mac !== 'string') {
    throw new StewardError('VALIDATION_FAILED', '--checkpoint: not a checkpoint (expected its JSON, as mailed)');
  }
  if (c.mac !== anchorMac(keyring, 'checkpoint', c.count, c.hash, c.at)) {
    return { problem: { kind: 'anchor-invalid', seq: null, message: `the checkpoint of ${c.at} does not carry a valid MAC for this database` } };
  }
  return { anchor: { source: `the checkpoint of ${c.at}`, count: c.count, hash: c.hash, at: c.at } };
}

const DAY = 24 * 60 * 60_000;

/** The daily job: a checkpoint to the log and to the privacy contact. */
export function auditCheckpointJob(rt: Runtime, logger: Logger | false = false): Job {
  return {
    name: 'audit-checkpoint',
    everyMs: DAY,
    run: async (now) => {
      const checkpoint = await createCheckpoint(rt, now);
      const json = JSON.stringify(checkpoint);
      if (logger) logger.info({ auditCheckpoint: checkpoint }, 'audit checkpoint');
      const to = privacyOfficerEmail(rt.policy.policy);
      if (to) {
        await rt.mailer.send({
          to,
          subject: `Steward audit checkpoint ${checkpoint.at.slice(0, 10)}: ${checkpoint.count} entries`,
          text: [
            `The audit trail held ${checkpoint.count} entries at ${checkpoint.at}.`,
            '',
            'Keep this message. To prove later that no entry up to this one has been removed or',
            'rolled back, run:',
            '',
            `  steward audit verify --checkpoint '${json}'`,
            '',
            json,
            '',
          ].join('\n'),
          headers: { 'X-Steward-Audit-Checkpoint': String(checkpoint.count) },
        });
      }
      return `checkpoint at entry ${checkpoint.count}${to ? ' mailed' : ''}`;
    },
  };
}
