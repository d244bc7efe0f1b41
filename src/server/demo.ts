/**
 * Demo data for the quick start: a few made-up people for the declaration's relationships, so a
 * newcomer sees a working register. Only runs when the register is empty. Every value is
 * synthetic (example.com addresses, Ofcom's drama numbers 07700 900xxx).
 */
import type { Actor } from '../auth/roles.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { createSubject, type RecordInput, type RegisterContext } from '../register/register.service.js';

const FIRST = ['Alex', 'Sam', 'Priya', 'Jordan', 'Morgan', 'Chris', 'Fatima', 'Owen', 'Niamh', 'Tom', 'Aisha', 'Ewan'];
const LAST = ['Example', 'Sample', 'Testington', 'Placeholder', 'Demo', 'Mockford'];

function demoValue(cat: DataCategory, i: number): string | undefined {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[i % LAST.length]!;
  if (cat.identifier === 'email') return `${first}.${last}${i}@example.com`.toLowerCase();
  if (cat.identifier === 'phone') return `07700 900${String(100 + i).padStart(3, '0')}`;
  if (cat.identifier) return `DEMO-${String(1000 + i)}`;
  if (/name/.test(cat.id)) return `${first} ${last}`;
  if (/address/.test(cat.id)) return `${i + 1} Demo Street, Exampletown, EX1 ${i % 9}AA`;
  return `Demo ${cat.name.toLowerCase()} for ${first}`;
}

export async function seedDemo(ctx: RegisterContext, actor: Actor, count = 12): Promise<number> {
  const any = await ctx.database.db.selectFrom('subjects').select('id').limit(1).executeTakeFirst();
  if (any) return 0;
  const p = ctx.policy.policy;
  const byId = new Map(p.data_categories.map((c) => [c.id, c]));
  let made = 0;
  for (let i = 0; i < count; i++) {
    const purpose = p.purposes[i % p.purposes.length]!;
    const relationship = purpose.relationships[0]!;
    const records: RecordInput[] = [];
    for (const cid of purpose.categories) {
      const cat = byId.get(cid);
      if (!cat || cat.storage !== 'stored' || cat.special_category || cat.criminal_offence) continue;
      const value = demoValue(cat, i);
      if (value) records.push({ category: cid, value, purposes: [purpose.id], ...(purpose.sources?.[0] ? {} : { source: p.sources[0]?.id }) });
    }
    if (records.length === 0 || (!purpose.sources?.length && !p.sources.length)) continue;
    try {
      await createSubject(ctx, actor, { relationships: [{ relationship }], records });
      made++;
    } catch {
      // A purpose whose declaration is incomplete (the linter says why) gets no demo people.
    }
  }
  return made;
}
