/**
 * Lint rules for retention: every purpose keeps its data no longer than necessary (storage
 * limitation, Art 5(1)(e)) and the notice states the period or the criteria that decide it
 * (Art 13(2)(a), Art 14(2)(a)); a processor deletes or returns the data at the end (Art 28(3)(g)).
 */
import { type LintRule, q } from './lint.types.js';
import { controllerPurposes, purposeLabel, storesNothing } from './lint.purposes.js';
import { isProcessorPurpose } from './declaration.facts.js';

export const RETENTION_RULES: readonly LintRule[] = [
  {
    id: 'retention-missing',
    severity: 'error',
    description: 'A purpose has no retention rule (Art 13(2)(a)).',
    fix: 'Add retention: the id of a rule in the retention list (e.g. "6 years after the contract ends").',
    check: (ctx) =>
      controllerPurposes(ctx).flatMap(([p, i]) =>
        p.retention || storesNothing(ctx, p)
          ? []
          : [{ path: ['purposes', i, 'retention'], message: `${purposeLabel(p)} does not say how long its data is kept; the notice must give the period or the criteria that decide it. Add a rule to the retention list (e.g. duration: 6 years, trigger: contract-ended) and set retention to its id.` }],
      ),
  },
  {
    id: 'processor-retention-missing',
    severity: 'warning',
    description: 'A purpose where you act as a processor has no retention rule (Art 28(3)(g)).',
    fix: 'Add a retention rule, usually "until the service for the client ends", then delete or return.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) =>
        isProcessorPurpose(p, ctx.policy) && !p.retention && !storesNothing(ctx, p)
          ? [{ path: ['purposes', i, 'retention'], message: `${purposeLabel(p)} holds data for a client but does not say when it is deleted. A processor must delete or return the data when the service ends (Art 28(3)(g)). Add a retention rule, e.g. until: service-ended.` }]
          : [],
      ),
  },
  {
    id: 'retention-trigger-missing',
    severity: 'error',
    description: 'A retention period has no starting event (neither trigger nor until).',
    fix: 'Add trigger (the event the period counts from, e.g. contract-ended) or until.',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        r.duration && !r.trigger && !r.until
          ? [{ path: ['retention', i, 'trigger'], message: `The retention rule ${q(r.id)} keeps data for ${r.duration} but does not say after what. Add trigger: the event the period counts from, e.g. contract-ended, account-closed, last-contact or collection.` }]
          : [],
      ),
  },
  {
    id: 'retention-open-ended',
    severity: 'error',
    description: 'A retention rule has no period, end event, criteria or review: data would be kept forever.',
    fix: 'Add duration (with trigger), until, or criteria describing how the period is decided.',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        !r.duration && !r.until && !r.criteria && !r.review_every
          ? [{ path: ['retention', i], message: `The retention rule ${q(r.id)} gives no period, no end event and no criteria, so the data would be kept indefinitely. Add duration with trigger (e.g. 6 years after contract-ended), until (e.g. until contract-ended), or criteria explaining how the period is decided.` }]
          : [],
      ),
  },
  {
    id: 'retention-criteria-only',
    severity: 'info',
    description: 'A retention rule has only criteria: Steward cannot delete automatically.',
    fix: 'Where you can, add a duration and trigger, or review_every so Steward schedules reviews.',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        !r.duration && !r.until && r.criteria && !r.review_every
          ? [{ path: ['retention', i, 'criteria'], message: `The retention rule ${q(r.id)} is described only by criteria. The law allows this, but Steward cannot compute an end date, so nothing will be deleted automatically. Add a duration and trigger if you can, or review_every so the records come up for review.` }]
          : [],
      ),
  },
  {
    id: 'retention-trigger-conflict',
    severity: 'warning',
    description: 'A retention rule has both trigger and until.',
    fix: 'Keep one: trigger ("N after the event") or until ("for the duration of …").',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        r.trigger && r.until
          ? [{ path: ['retention', i, 'until'], message: `The retention rule ${q(r.id)} has both trigger (${r.trigger}) and until (${r.until}), so it is unclear when the period starts. Use trigger for "N after an event", or until for "until an event (then N after it)".` }]
          : [],
      ),
  },
  {
    id: 'retention-unused',
    severity: 'info',
    description: 'A retention rule is declared but no purpose uses it.',
    fix: 'Set it as the retention of the purposes it applies to, or remove it.',
    check: ({ policy }) => {
      const used = new Set(policy.purposes.flatMap((p) => (p.retention ? [p.retention] : [])));
      return policy.retention.flatMap((r, i) =>
        used.has(r.id) ? [] : [{ path: ['retention', i], message: `No purpose uses the retention rule ${q(r.id)}, so it will never be applied. Set retention: ${r.id} on the purposes it covers, or remove it.` }],
      );
    },
  },
];
