/**
 * The declaration in force (GET /api/v1/policy), read once: the names of categories, purposes and
 * relationships, so pages show "Name and contact details" rather than an id. Only names and ids
 * are read from it; what may be done is always the API's decision.
 */
import { api, call } from './api-client';

export interface Named {
  id: string;
  name: string;
}
export interface Declaration {
  organisation: string;
  categories: (Named & { identifier?: string; storage?: string; fields: (Named & { type: string })[] })[];
  purposes: (Named & { relationships: string[]; categories: string[]; sources: string[] })[];
  relationships: Named[];
  sources: Named[];
}

let cached: Promise<Declaration> | undefined;

const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Record<string, unknown>[]) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function getDeclaration(): Promise<Declaration> {
  cached ??= call(api.GET('/api/v1/policy')).then((p) => {
    const d = p.declaration;
    return {
      organisation: p.organisation,
      categories: list(d.data_categories).map((c) => ({
        id: str(c.id),
        name: str(c.name) || str(c.id),
        identifier: str(c.identifier) || undefined,
        storage: str(c.storage) || undefined,
        // A category without fields holds one free-text value, named after the category.
        fields: list(c.fields).length ? list(c.fields).map((f) => ({ id: str(f.id), name: str(f.label) || str(f.id), type: str(f.type) || 'text' })) : [{ id: 'value', name: str(c.name) || str(c.id), type: 'free-text' }],
      })),
      purposes: list(d.purposes).map((c) => ({ id: str(c.id), name: str(c.name) || str(c.id), relationships: strs(c.relationships), categories: strs(c.categories), sources: strs(c.sources) })),
      relationships: list(d.relationships).map((c) => ({ id: str(c.id), name: str(c.name) || str(c.id) })),
      sources: list(d.sources).map((c) => ({ id: str(c.id), name: str(c.name) || str(c.id) })),
    };
  });
  cached.catch(() => (cached = undefined));
  return cached;
}

export const nameOf = (items: Named[] | undefined, id: string): string => items?.find((i) => i.id === id)?.name ?? id;
