/**
 * Lint rules for data categories: data declared never stored but used, payment card data kept
 * against PCI DSS, reference-only data with no holder, categories nobody may read and categories no
 * purpose uses (data minimisation, Art 5(1)(c)).
 */
import { type LintRule, q } from './lint.types.js';
import { purposeLabel } from './lint.purposes.js';
import { isProcessorPurpose } from './declaration.facts.js';

const CARD_DATA = /\b(card numbers?|card details|(payment|credit|debit) cards?|cvv2?|cvc2?|cv2|card security codes?|PAN|primary account numbers?)\b/i;

export const CATEGORY_RULES: readonly LintRule[] = [
  {
    id: 'never-stored-category-used',
    severity: 'error',
    description: 'A purpose uses a data category declared with storage: never.',
    fix: 'Remove the category from the purpose, or use a reference-only category (a payment token, the last four digits).',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        // As a processor the data stays in the client's systems (a device under repair, their cloud).
        if (isProcessorPurpose(p, ctx.policy)) return [];
        return p.categories.flatMap((c, j) => {
          const cat = ctx.categories.get(c);
          return cat?.storage === 'never'
            ? [{ path: ['purposes', i, 'categories', j], message: `${purposeLabel(p)} uses ${q(cat.name)}, which the declaration says is never stored, so Steward would refuse every record it needs. If the purpose only needs to refer to it, declare a separate category with storage: reference-only (for cards: the payment provider's token and the last four digits) and use that here.` }]
            : [];
        });
      }),
  },
  {
    id: 'card-data-stored',
    severity: 'warning',
    description: 'A category that looks like payment card data is stored.',
    fix: 'Set storage: never for card numbers and CVV, and keep only a provider token (storage: reference-only).',
    check: ({ policy }) =>
      policy.data_categories.flatMap((c, i) =>
        c.storage === 'stored' && [c.name, ...c.examples].some((t) => CARD_DATA.test(t))
          ? [{ path: ['data_categories', i, 'storage'], message: `${q(c.name)} looks like payment card data and is stored. PCI DSS forbids keeping the card security code (CVV) after authorisation, even encrypted, and storing full card numbers needs PCI DSS controls Steward does not provide. Declare card numbers and CVV with storage: never, and keep only the payment provider's token and the last four digits in a category with storage: reference-only.` }]
          : [],
      ),
  },
  {
    id: 'reference-holder-missing',
    severity: 'info',
    description: 'A reference-only category is not received by any recipient that holds the original.',
    fix: 'Add the category to the categories of the recipient that holds the data (e.g. the payment provider).',
    check: ({ policy }) => {
      const held = new Set(policy.recipients.flatMap((r) => r.categories ?? []));
      return policy.data_categories.flatMap((c, i) =>
        c.storage === 'reference-only' && !held.has(c.id)
          ? [{ path: ['data_categories', i, 'storage'], message: `Only a reference to ${q(c.name)} is kept, but no recipient is declared as holding the data itself. Add "${c.id}" to the categories of the recipient that does (for example your payment provider), so the notice can say who has it.` }]
          : [],
      );
    },
  },
  {
    id: 'restricted-roles-empty',
    severity: 'warning',
    description: 'restricted_to_roles is an empty list, so nobody could read the category.',
    fix: 'List the roles that may read it (e.g. [dpo]) or remove restricted_to_roles.',
    check: ({ policy }) =>
      policy.data_categories.flatMap((c, i) =>
        c.restricted_to_roles && c.restricted_to_roles.length === 0
          ? [{ path: ['data_categories', i, 'restricted_to_roles'], message: `${q(c.name)} is restricted to an empty list of roles, so no one could read it, not even to answer an access request. List the roles that may, e.g. restricted_to_roles: [dpo].` }]
          : [],
      ),
  },
  {
    id: 'category-unused',
    severity: 'info',
    description: 'A stored data category is declared but no purpose uses it.',
    fix: 'Add the category to the purposes that use it, or remove it.',
    check: ({ policy }) => {
      const used = new Set(policy.purposes.flatMap((p) => p.categories));
      return policy.data_categories.flatMap((c, i) =>
        used.has(c.id) || c.storage === 'never'
          ? []
          : [{ path: ['data_categories', i], message: `No purpose uses ${q(c.name)}, so there is no lawful basis for holding it. Add "${c.id}" to the purposes that use it, or remove it.` }],
      );
    },
  },
];
