/**
 * Lint rules for fields inside categories (issue 13): the deprecated category-level identifier,
 * categories that would hold several things in one value, and identifier fields that cannot be
 * searched. Run by LINT_RULES (policy.lint.ts).
 */
import { list, q } from './lint.types.js';
import type { LintRule } from './lint.types.js';

/** Examples that are separate columns in any contact spreadsheet. */
const PERSONAL_DETAIL = /\b(name|surname|e-?mail|phone|telephone|mobile|landline|address|postcode|date of birth)\b/i;

export const FIELD_RULES: readonly LintRule[] = [
  {
    id: 'category-identifier-deprecated',
    severity: 'warning',
    description: 'A data category sets `identifier`, which is replaced by identifier fields.',
    fix: 'Declare fields for the category and mark the searchable one with identifier: true (e.g. an email field of type email).',
    check: ({ policy }) =>
      policy.data_categories.flatMap((c, i) =>
        c.identifier
          ? [
              {
                path: ['data_categories', i, 'identifier'],
                message: `The category ${q(c.name)} sets identifier: ${c.identifier}. This still works (the category is one ${c.identifier} field) but is deprecated: declare its fields and mark the searchable one, e.g. fields: [{ id: email, label: Email, type: email, identifier: true }].`,
              },
            ]
          : [],
      ),
  },
  {
    id: 'category-fields-suggested',
    severity: 'info',
    description: 'A stored category lists several details of a person (name, email, phone, address …) as examples but declares no fields, so each record holds them as one unlabelled value.',
    fix: 'Declare fields for the items it holds, each with a label and a type (e.g. name, email, phone, postal-address).',
    check: ({ policy }) =>
      policy.data_categories.flatMap((c, i) =>
        !c.fields?.length && c.storage === 'stored' && c.examples.filter((e) => PERSONAL_DETAIL.test(e)).length >= 2
          ? [
              {
                path: ['data_categories', i],
                message: `The category ${q(c.name)} holds ${list(c.examples.map(q))} but declares no fields, so a person's record of it is one unlabelled value. Declare fields (id, label, type) so the register, imports and access packs can tell them apart.`,
              },
            ]
          : [],
      ),
  },
];
