/**
 * The field reference (docs/declaration.md), generated from the schema's own descriptions so the
 * documentation cannot drift from the format. `npm run docs` rewrites it; a test checks it is current.
 */
import { policyJsonSchema } from './policy.schema.js';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  default?: unknown;
  pattern?: string;
  minItems?: number;
};

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' or ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'object') return 'mapping';
  if (s.type === 'integer') return 'whole number';
  if (s.type === 'string' && s.pattern === '^[a-z0-9][a-z0-9-]*$') return 'id';
  return String(s.type ?? 'value');
}

/** The object schema inside a field, if it has one (directly, as list items, or as an alternative). */
function objectOf(s: JsonSchema): JsonSchema | undefined {
  if (s.type === 'object' && s.properties) return s;
  if (s.type === 'array' && s.items) return objectOf(s.items);
  return s.anyOf?.map(objectOf).find(Boolean);
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function undocumentedFields(): string[] {
  const missing: string[] = [];
  const walk = (s: JsonSchema, path: string) => {
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const p = path ? `${path}.${k}` : k;
      const inner = objectOf(v);
      if (!v.description && !inner?.description) missing.push(p);
      if (inner) walk(inner, p);
    }
  };
  walk(policyJsonSchema() as JsonSchema, '');
  return missing;
}

export function declarationReference(): string {
  const root = policyJsonSchema() as JsonSchema;
  const out: string[] = [
    '# The declaration: field reference',
    '',
    '<!-- Generated from src/policy/policy.schema.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    'A Steward declaration is a YAML file (default `./steward.yaml`). `steward init` writes a commented starter;',
    '`steward policy check` validates it and explains what is missing; `steward policy schema` prints the JSON Schema',
    'for editor completion (add `# yaml-language-server: $schema=./steward.schema.json` at the top of the file).',
    '',
    'Durations are written like `6 years`, `3 months`, `28 days` or ISO 8601 (`P6Y`). Ids are lower-case with dashes.',
    'Every mapping is strict: an unknown (misspelt) field is an error pointing at its line.',
    '',
  ];
  const section = (title: string, s: JsonSchema, path: string) => {
    out.push(`## \`${path}\``, '');
    const desc = s.description ?? '';
    if (desc) out.push(desc, '');
    out.push('| field | type | required | default | meaning |', '| --- | --- | --- | --- | --- |');
    const nested: Array<[string, JsonSchema, string]> = [];
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const inner = objectOf(v);
      const required = (s.required ?? []).includes(k) && v.default === undefined ? 'yes' : '';
      const def = v.default === undefined ? '' : `\`${JSON.stringify(v.default)}\``;
      const meaning = v.description ?? inner?.description ?? '';
      out.push(`| \`${k}\` | ${cell(typeOf(v))} | ${required} | ${cell(def)} | ${cell(meaning)} |`);
      if (inner) nested.push([k, inner, `${path === 'top level' ? '' : `${path}.`}${k}${v.type === 'array' ? '[]' : ''}`]);
    }
    out.push('');
    for (const [k, inner, p] of nested) section(k, inner, p);
  };
  section('declaration', root, 'top level');
  return `${out.join('\n')}\n`;
}
