/**
 * The purposes a record is held for become rows (record_purposes), so that retention finds the
 * records of a purpose with an indexed join instead of a LIKE over the JSON in records.purposes,
 * which depended on JSON.stringify's key order. The JSON column stays as the record's own list
 * (its order, each purpose's basis); the register's repository writes both in one transaction.
 * Existing records get their rows from their JSON here.
 */
import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

const PAGE = 5000;

export async function up(db: Kysely<any>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('record_purposes')
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('basis', 'text')
    .addPrimaryKeyConstraint('record_purposes_pk', ['record_id', 'purpose'])
    .execute();
  await db.schema.createIndex('record_purposes_by_purpose').on('record_purposes').columns(['purpose', 'record_id']).execute();

  const perInsert = Math.max(1, Math.floor(adapter.maxParameters / 3));
  let after = '';
  for (;;) {
    const rows = (await db.selectFrom('records').select(['id', 'purposes']).where('id', '>', after).orderBy('id').limit(PAGE).execute()) as Array<{ id: string; purposes: string }>;
    if (rows.length === 0) break;
    const out = new Map<string, { record_id: string; purpose: string; basis: string | null }>();
    for (const r of rows) {
      const list = JSON.parse(r.purposes) as unknown;
      // An early register stored bare purpose ids: read with no basis.
      for (const p of Array.isArray(list) ? (list as Array<string | { purpose?: string; basis?: string | null }>) : []) {
        const purpose = typeof p === 'string' ? p : p?.purpose;
        if (!purpose) continue;
        out.set(`${r.id}\u0000${purpose}`, { record_id: r.id, purpose, basis: typeof p === 'string' ? null : (p.basis ?? null) });
      }
    }
    const values = [...out.values()];
    for (let i = 0; i < values.length; i += perInsert) await db.insertInto('record_purposes').values(values.slice(i, i + perInsert)).execute();
    after = rows[rows.length - 1]!.id;
  }
}
