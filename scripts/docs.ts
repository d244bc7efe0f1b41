// Regenerates the files derived from the declaration schema: the field reference and the JSON Schema.
import { writeFileSync } from 'node:fs';
import { declarationReference } from '../src/policy/policy.docs.js';
import { policyJsonSchema } from '../src/policy/policy.schema.js';

writeFileSync(new URL('../docs/declaration.md', import.meta.url), declarationReference());
writeFileSync(new URL('../schema/steward.schema.json', import.meta.url), `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
console.log('wrote docs/declaration.md and schema/steward.schema.json');
