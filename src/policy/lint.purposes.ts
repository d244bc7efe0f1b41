/**
 * What the rule groups ask of a purpose: how messages name it, whether the organisation is its
 * controller (and so owes people a notice, Arts 13 and 14) or only a client's processor (Art 28),
 * whether it stores anything, and whether it relies on consent.
 */
import { categoriesOf, isProcessorPurpose } from './declaration.facts.js';
import { q, type LintContext } from './lint.types.js';
import type { Purpose } from './policy.schema.js';

export const purposeLabel = (p: Purpose): string => `The purpose ${q(p.name)}`;

/** Nothing used by the purpose is ever stored, so there is nothing to delete. */
export const storesNothing = (ctx: LintContext, p: Purpose): boolean => categoriesOf(p, ctx.policy).every((c) => c.storage === 'never');

/** Purposes for which the organisation is the controller and so owes people a notice, with their index. */
export const controllerPurposes = (ctx: LintContext): Array<[Purpose, number]> =>
  ctx.policy.purposes.map((p, i): [Purpose, number] => [p, i]).filter(([p]) => !isProcessorPurpose(p, ctx.policy));

/** Consent as the Art 6 basis, or explicit consent as the Art 9 condition. */
export const usesConsent = (p: Purpose): boolean => p.lawful_basis === 'consent' || p.special_condition === 'explicit-consent';
