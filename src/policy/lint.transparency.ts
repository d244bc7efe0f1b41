/**
 * Lint rules for what the notice must tell people (Arts 13 and 14): whether they must provide the
 * data (Art 13(2)(e)), where it comes from (Art 14(1)(d), 14(2)(f)), automated decisions (Art 22)
 * and who receives it (Art 13(1)(e)).
 */
import { type LintRule, q } from './lint.types.js';
import { controllerPurposes, purposeLabel } from './lint.purposes.js';

export const TRANSPARENCY_RULES: readonly LintRule[] = [
  {
    id: 'requirement-missing',
    severity: 'warning',
    description: 'Data collected from the person, but the purpose does not say whether providing it is required (Art 13(2)(e)).',
    fix: 'Add requirement: { kind: contract-prerequisite | contractual | statutory | optional, consequence: … }.',
    check: (ctx) =>
      controllerPurposes(ctx).flatMap(([p, i]) =>
        !p.requirement && (p.sources ?? []).some((s) => ctx.sources.get(s)?.kind === 'data-subject')
          ? [{ path: ['purposes', i, 'requirement'], message: `${purposeLabel(p)} collects data from the person, so the notice must say whether they have to provide it and what happens if they don't (Art 13(2)(e)). Add requirement with kind (statutory, contractual, contract-prerequisite or optional) and consequence, e.g. "we cannot deliver the service".` }]
          : [],
      ),
  },
  {
    id: 'sources-missing',
    severity: 'warning',
    description: 'A purpose lists no sources, so the notice cannot say where the data comes from.',
    fix: 'Add sources: the ids of the sources (the person themselves, a client, a credit reference agency …).',
    check: (ctx) =>
      controllerPurposes(ctx).flatMap(([p, i]) =>
        (p.sources ?? []).length === 0
          ? [{ path: ['purposes', i, 'sources'], message: `${purposeLabel(p)} does not say where its data comes from. The notice must say whether it is collected from the person (Art 13) or name the source (Art 14). Add sources listing the ids of declared sources.` }]
          : [],
      ),
  },
  {
    id: 'public-source-not-flagged',
    severity: 'info',
    description: 'A public source is not marked publicly_accessible (Art 14(2)(f)).',
    fix: 'Set publicly_accessible: true on the source, or change its kind.',
    check: ({ policy }) =>
      policy.sources.flatMap((s, i) =>
        (s.kind === 'public-register' || s.kind === 'public-source') && !s.publicly_accessible
          ? [{ path: ['sources', i, 'publicly_accessible'], message: `The source ${q(s.name)} is of kind ${s.kind} but not marked publicly accessible; the notice must say when data came from a public source. Set publicly_accessible: true, or pick another kind.` }]
          : [],
      ),
  },
  {
    id: 'source-unused',
    severity: 'info',
    description: 'A source is declared but no purpose uses it.',
    fix: 'Add the source to the purposes whose data comes from it, or remove it.',
    check: ({ policy }) => {
      const used = new Set(policy.purposes.flatMap((p) => p.sources ?? []));
      return policy.sources.flatMap((s, i) =>
        used.has(s.id) ? [] : [{ path: ['sources', i], message: `No purpose uses the source ${q(s.name)}, so the notice will not mention it. Add "${s.id}" to the sources of the purposes it feeds, or remove it.` }],
      );
    },
  },
  {
    id: 'automated-decision-safeguards-missing',
    severity: 'warning',
    description: 'An automated decision does not say how to get a human review (Art 22).',
    fix: 'Add automated_decision.safeguards: how to ask for a person to review or contest the decision.',
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.automated_decision && !p.automated_decision.safeguards
          ? [{ path: ['purposes', i, 'automated_decision'], message: `${purposeLabel(p)} makes automated decisions but does not say how people can get a human to review or contest them. Add automated_decision.safeguards.` }]
          : [],
      ),
  },
  {
    id: 'recipient-unused',
    severity: 'info',
    description: 'A recipient is declared but no purpose, transfer or cookie refers to it.',
    fix: 'Add the recipient to the purposes that share data with it, or remove it.',
    check: ({ policy }) => {
      const used = new Set([
        ...policy.purposes.flatMap((p) => p.recipients ?? []),
        ...policy.transfers.flatMap((t) => (t.recipient ? [t.recipient] : [])),
        ...policy.cookies.flatMap((c) => (c.recipient ? [c.recipient] : [])),
      ]);
      return policy.recipients.flatMap((r, i) =>
        used.has(r.id) ? [] : [{ path: ['recipients', i], message: `No purpose says why data goes to ${q(r.name)}. Add "${r.id}" to the recipients of the purposes that share data with it, or remove it.` }],
      );
    },
  },
];
