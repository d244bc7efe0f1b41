import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { preparedQuery } from './prepared.js';

describe.each(dialects)('queries compiled once on %s', (kind) => {
  let d: TestDatabase;
  beforeEach(async () => {
    d = await createTestDatabase(kind);
    await d.db
      .insertInto('key_state')
      .values([
        { name: 'a', value: '1' },
        { name: 'b', value: '2' },
        { name: 'c', value: '3' },
      ])
      .execute();
  });
  afterEach(async () => d.close());

  it('runs with each call’s own arguments, wherever the query uses them', async () => {
    // The second argument is used first in the SQL: parameters map by argument, not position.
    const between = preparedQuery(2, (db, from: string, to: string) =>
      db.selectFrom('key_state').select(['name', 'value']).where('name', '<=', to).where('name', '>=', from).orderBy('name'),
    );
    expect(await between(d.db, 'a', 'b')).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
    ]);
    expect(await between(d.db, 'b', 'c')).toEqual([
      { name: 'b', value: '2' },
      { name: 'c', value: '3' },
    ]);
    expect(await between(d.db, 'x', 'z')).toEqual([]);
  });

  it('uses an argument given twice in both places', async () => {
    const same = preparedQuery(1, (db, n: string) => db.selectFrom('key_state').select('value').where('name', '>=', n).where('name', '<=', n));
    expect(await same(d.db, 'c')).toEqual([{ value: '3' }]);
  });

  it('refuses a query with a value that is not one of its arguments', async () => {
    const fixed = preparedQuery(1, (db, n: string) => db.selectFrom('key_state').select('value').where('name', '=', n).where('value', '=', '1'));
    await expect(fixed(d.db, 'a')).rejects.toThrow(/every parameter/);
  });
});
