import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { declarationReference, undocumentedFields } from './policy.docs.js';
import { policyJsonSchema } from './policy.schema.js';

describe('declaration documentation', () => {
  it('documents every field', () => {
    expect(undocumentedFields()).toEqual([]);
  });

  it('is current: docs/declaration.md and schema/steward.schema.json match the schema (run "npm run docs")', () => {
    expect(readFileSync(new URL('../../docs/declaration.md', import.meta.url), 'utf8')).toBe(declarationReference());
    expect(JSON.parse(readFileSync(new URL('../../schema/steward.schema.json', import.meta.url), 'utf8'))).toEqual(policyJsonSchema());
  });

  it('names every top-level section of the format', () => {
    const doc = declarationReference();
    for (const key of ['organisation', 'notice', 'relationships', 'data_categories', 'sources', 'recipients', 'transfers', 'retention', 'purposes', 'cookies', 'rights']) {
      expect(doc).toContain(`| \`${key}\` |`);
    }
    expect(doc).toContain('## `purposes[].requirement`');
  });
});
