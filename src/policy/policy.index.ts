/**
 * The declaration as lookups by id, built once per loaded declaration: what every feature asks of
 * it (is this a declared category, purpose, relationship, source?).
 */
import type { LoadedPolicy } from './policy.loader.js';
import type { DataCategory, Policy } from './policy.schema.js';

export interface PolicyIndex {
  categories: Map<string, DataCategory>;
  purposes: Map<string, Policy['purposes'][number]>;
  relationships: Map<string, Policy['relationships'][number]>;
  sources: Set<string>;
}

const indexCache = new WeakMap<LoadedPolicy, PolicyIndex>();
export function policyIndex(loaded: LoadedPolicy): PolicyIndex {
  let idx = indexCache.get(loaded);
  if (!idx) {
    const p = loaded.policy;
    idx = {
      categories: new Map(p.data_categories.map((c) => [c.id, c])),
      purposes: new Map(p.purposes.map((x) => [x.id, x])),
      relationships: new Map(p.relationships.map((r) => [r.id, r])),
      sources: new Set(p.sources.map((s) => s.id)),
    };
    indexCache.set(loaded, idx);
  }
  return idx;
}

