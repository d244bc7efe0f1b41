import { readdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/support/databases.js';
import { migrate } from './database.js';
import { migrationNames } from './migrations/index.js';

describe.each(dialects)('database contract on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t.dispose());

  it('applies every migration once, and again is a no-op', async () => {
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(t.db);
    expect(migrationNames().length).toBeGreaterThanOrEqual(2);
    expect(applied.rows.map((r) => r.name)).toEqual(migrationNames());
    expect(await migrate(t)).toEqual([]);
  });

  it('lists every migration file, in the order their names sort', () => {
    const dir = path.join(import.meta.dirname, 'migrations');
    const files = readdirSync(dir).filter((f) => /^\d{8}_\d{4}_[a-z0-9_]+\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, ''));
    expect(migrationNames()).toEqual([...files].sort());
  });

  it('auto-numbers ids and round-trips text exactly', async () => {
    const hostile = `O'Brien "quoted" \\ ; drop table x; -- 😀 \u0000`.replace('\u0000', '');
    await t.db
      .insertInto('policy_versions')
      .values({ hash: 'h1', effective_date: '2026-01-01', file_name: 'a.yaml', organisation: hostile, content: '{}', first_loaded_at: '2026-01-01T00:00:00.000Z' })
      .execute();
    await t.db
      .insertInto('policy_versions')
      .values({ hash: 'h2', effective_date: '2026-01-01', file_name: 'a.yaml', organisation: 'x', content: '{}', first_loaded_at: '2026-01-01T00:00:00.000Z' })
      .execute();
    const rows = await t.db.selectFrom('policy_versions').select(['id', 'organisation']).orderBy('id').execute();
    expect(rows.map((r) => typeof r.id)).toEqual(['number', 'number']);
    expect(rows[1]!.id).toBeGreaterThan(rows[0]!.id);
    expect(rows[0]!.organisation).toBe(hostile);
  });

  it('enforces unique constraints', async () => {
    await expect(
      t.db
        .insertInto('policy_versions')
        .values({ hash: 'h1', effective_date: '2026-01-01', file_name: 'a.yaml', organisation: 'x', content: '{}', first_loaded_at: 'x' })
        .execute(),
    ).rejects.toThrow();
  });

  it('runs a job under its lock and rolls back on failure', async () => {
    const r = await t.adapter.withJobLock(t.db, 'test-job', async (trx) => {
      const n = await trx.selectFrom('policy_versions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(n.n);
    });
    expect(r).toEqual({ acquired: true, value: 2 });
    await expect(
      t.adapter.withJobLock(t.db, 'test-job', async (trx) => {
        await trx.deleteFrom('policy_versions').execute();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const left = await t.db.selectFrom('policy_versions').select('id').execute();
    expect(left).toHaveLength(2);
  });
});
