import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiTypesFile, generateApiTypes } from '../../scripts/console-api-types.js';

describe("the console's API types", () => {
  it('match the OpenAPI document the server publishes (run npm run console:api-types after changing a route)', async () => {
    const fresh = await generateApiTypes();
    expect(fresh === readFileSync(apiTypesFile, 'utf8'), 'console/src/lib/api-types.ts is out of date: run npm run console:api-types').toBe(true);
  }, 120_000);
});
