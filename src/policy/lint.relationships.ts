/**
 * Lint rules for relationships, and whether the organisation is their controller or a processor:
 * a processor acts only on its client's documented instructions (Art 28(3)(a)), and one that uses
 * the data for its own ends becomes its controller (Art 28(10)).
 */
import { type LintRule, list, q } from './lint.types.js';
import { purposeLabel } from './lint.purposes.js';

export const RELATIONSHIP_RULES: readonly LintRule[] = [
  {
    id: 'processor-client-missing',
    severity: 'warning',
    description: 'A processor relationship does not say on whose behalf the data is processed.',
    fix: 'Add on_behalf_of to the relationship, naming the client (the controller).',
    check: ({ policy }) =>
      policy.relationships.flatMap((r, i) =>
        r.role === 'processor' && !r.on_behalf_of
          ? [{ path: ['relationships', i, 'on_behalf_of'], message: `For ${q(r.name)} you act as a processor, but the declaration does not say for whom. Add on_behalf_of naming the client whose instructions you follow; that client is the controller and answers to these people.` }]
          : [],
      ),
  },
  {
    id: 'processor-data-own-purpose',
    severity: 'warning',
    description: 'Data held as a processor is also used for the organisation\'s own purposes.',
    fix: 'Take the processor relationship out of the purpose, or declare the relationship with role: controller.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        const processorRels = p.relationships.filter((r) => ctx.relationships.get(r)?.role === 'processor');
        if (processorRels.length === 0) return [];
        const mixed = processorRels.length < p.relationships.length;
        if (!mixed && !p.direct_marketing) return [];
        const names = processorRels.map((r) => q(ctx.relationships.get(r)?.name ?? r));
        const why = p.direct_marketing ? 'for your own marketing' : 'alongside data you control, for your own ends';
        return [
          {
            path: ['purposes', i, 'relationships'],
            message: `${purposeLabel(p)} uses the data of ${list(names)}, which you hold as a processor on a client's behalf, ${why}. A processor may only act on its client's instructions; using the data for yourself makes you its controller, with a lawful basis and notice of your own. Remove the relationship from this purpose, or declare it as role: controller.`,
          },
        ];
      }),
  },
  {
    id: 'relationship-unused',
    severity: 'info',
    description: 'A relationship is declared but no purpose uses it.',
    fix: 'Add the relationship to the purposes that use its data, or remove it.',
    check: ({ policy }) => {
      const used = new Set(policy.purposes.flatMap((p) => p.relationships));
      return policy.relationships.flatMap((r, i) =>
        used.has(r.id) ? [] : [{ path: ['relationships', i], message: `No purpose uses the data of ${q(r.name)}, so records of these people cannot be tied to a purpose and lawful basis. Add "${r.id}" to the relationships of the purposes that use it, or remove it.` }],
      );
    },
  },
];
