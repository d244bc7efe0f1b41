/**
 * Facts read from a declaration that the notice, the record of processing and the linter all need,
 * so that they cannot disagree about them: which entity is the controller, which categories a
 * purpose uses, and whether the organisation only acts as a processor for a purpose.
 */
import type { DataCategory, Entity, Policy, Purpose } from './policy.schema.js';

/** The entity named as controller, or the first one (a declaration has at least one). */
export function controllerEntity(policy: Policy): Entity {
  const entities = policy.organisation.entities;
  const chosen = entities.find((e) => e.id === policy.organisation.controller) ?? entities[0];
  if (!chosen) throw new Error('a declaration always has at least one entity');
  return chosen;
}

/** The data categories a purpose uses, in its order; ids that name no category are left out. */
export function categoriesOf(purpose: Purpose, policy: Policy): DataCategory[] {
  return purpose.categories.map((id) => policy.data_categories.find((c) => c.id === id)).filter((c): c is DataCategory => c !== undefined);
}

/**
 * A purpose we carry out only as a processor for a client: every relationship it covers is a
 * processor one (a purpose has at least one). For that data the client is the controller and owes
 * people the notice (Art 28; Arts 13 and 14 bind controllers).
 */
export function isProcessorPurpose(purpose: Purpose, policy: Policy): boolean {
  return purpose.relationships.length > 0 && purpose.relationships.every((id) => policy.relationships.find((r) => r.id === id)?.role === 'processor');
}
