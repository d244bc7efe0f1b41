/**
 * Demo data for the quick start: a few made-up people for the declaration's relationships, so a
 * newcomer sees a working register. Only runs when the register is empty. Every value is
 * synthetic (example.com addresses, Ofcom's drama numbers 07700 900xxx).
 */
import type { Actor } from '../auth/roles.js';
import type { DataCategory } from '../policy/policy.schema.js';
import { categoryFields, type FieldDef } from '../register/fields.js';
import { createSubject } from '../register/register.service.js';
import { type RecordInput } from '../register/record.prepare.js';
import type { AppContext } from '../kernel/context.js';
import { registerIsEmpty } from '../register/register.repository.js';

const FIRST = ['Alex', 'Sam', 'Priya', 'Jordan', 'Morgan', 'Chris', 'Fatima', 'Owen', 'Niamh', 'Tom', 'Aisha', 'Ewan'];
const LAST = ['Example', 'Sample', 'Testington', 'Placeholder', 'Demo', 'Mockford'];

/** A made-up value for one field of a category, by the field's type (synthetic addresses and numbers only). */
function demoField(cat: DataCategory, f: FieldDef, i: number): string | undefined {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[i % LAST.length]!;
  const hint = `${f.id} ${f.label}`.toLowerCase();
  switch (f.type) {
    case 'email':
      return `${first}.${last}${i}@example.com`.toLowerCase();
    case 'phone':
      return `07700 900${String(100 + i).padStart(3, '0')}`;
    case 'name':
      return /first|given|forename/.test(hint) ? first : /sur|last|family/.test(hint) ? last : `${first} ${last}`;
    case 'postal-address':
      return `${i + 1} Demo Street, Exampletown`;
    case 'postcode':
      return `EX1 ${i % 9}AA`;
    case 'date':
      return `20${String(10 + (i % 15))}-0${1 + (i % 9)}-1${i % 9}`;
    case 'number':
      return String(i + 1);
    case 'money':
      return `${(i + 1) * 10}.00`;
    case 'url':
      return `https://example.com/${first.toLowerCase()}`;
    case 'reference':
      return `DEMO-${String(1000 + i)}`;
    default:
      if (f.implicit && /name/.test(cat.id)) return `${first} ${last}`;
      if (f.implicit && /address/.test(cat.id)) return `${i + 1} Demo Street, Exampletown, EX1 ${i % 9}AA`;
      return `Demo ${f.label.toLowerCase()} for ${first}`;
  }
}

/** Every field of the category filled with made-up values. */
function demoFields(cat: DataCategory, i: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of categoryFields(cat)) {
    const v = demoField(cat, f, i);
    if (v !== undefined) out[f.id] = v;
  }
  return out;
}

export async function seedDemo(ctx: AppContext, actor: Actor, count = 12): Promise<number> {
  if (!(await registerIsEmpty(ctx.database.db))) return 0;
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
      const fields = demoFields(cat, i);
      if (Object.keys(fields).length > 0) records.push({ category: cid, fields, purposes: [purpose.id], ...(purpose.sources?.[0] ? {} : { source: p.sources[0]?.id }) });
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
