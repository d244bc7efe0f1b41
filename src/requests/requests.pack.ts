/**
 * The subject access pack (Art 15) and the portability export (Art 20): every record as JSON and
 * CSV, file records as files, and a readable HTML letter with the supplementary information drawn
 * from the declaration (purposes and bases, categories, recipients, retention, sources, rights, the
 * right to complain). Pure: takes decrypted records, returns files.
 */
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { citeNotice, type NoticeCitation } from './requests.store.js';
import { rightsForPurpose } from '../policy/notice.facts.js';
import { lawfulBasisLabel, RECIPIENT_KIND_TEXT, retentionText, RIGHT_LABEL, type RightKey, SOURCE_KIND_TEXT } from '../policy/notice.wording.js';
import { escapeHtml } from '../shared/html.js';
import type { PackFile } from './requests.zip.js';
import type { PackType } from './requests.types.js';

export interface Redaction {
  recordId: string;
  /** Passages naming other people, replaced by "[redacted]". */
  find: string[];
}

export const REDACTED = '[redacted]';

/** Applies staff redactions of other people's data to free text; counts what was replaced. */
export function applyRedactions(records: readonly RecordView[], redactions: readonly Redaction[]): { records: RecordView[]; replaced: number } {
  const byRecord = new Map<string, string[]>();
  for (const r of redactions) byRecord.set(r.recordId, [...(byRecord.get(r.recordId) ?? []), ...r.find.filter((f) => f.length > 0)]);
  let replaced = 0;
  const cut = (s: string, finds: string[]): string => {
    let out = s;
    for (const f of finds) {
      const parts = out.split(f);
      replaced += parts.length - 1;
      out = parts.join(REDACTED);
    }
    return out;
  };
  const out = records.map((r) => {
    const finds = byRecord.get(r.id);
    if (!finds) return r;
    return {
      ...r,
      ...(r.text !== undefined ? { text: cut(r.text, finds) } : {}),
      ...(r.value !== undefined ? { value: cut(r.value, finds) } : {}),
      ...(r.fields ? { fields: r.fields.map((f) => ({ ...f, value: cut(f.value, finds) })) } : {}),
    };
  });
  return { records: out, replaced };
}

import { csvCell } from '../shared/csv.js';
import type { RecordView } from '../register/record.codec.js';

const CSV_HEAD = ['record', 'category', 'category_name', 'field', 'field_label', 'value', 'channel', 'file', 'purposes', 'lawful_bases', 'source', 'collected_at'];

/**
 * The lawful basis of each purpose in words, never blank: a purpose held only for a client (as
 * processor) says so, one the declaration gives no basis says that.
 */
function basesOf(policy: LoadedPolicy, r: RecordView): string {
  const purposes = new Map(policy.policy.purposes.map((p) => [p.id, p]));
  const processorRels = new Set(policy.policy.relationships.filter((x) => x.role === 'processor').map((x) => x.id));
  return r.purposes
    .map((p) => {
      if (p.basis) return lawfulBasisLabel(p.basis as Parameters<typeof lawfulBasisLabel>[0]);
      const declared = purposes.get(p.purpose);
      if (declared?.lawful_basis) return lawfulBasisLabel(declared.lawful_basis);
      return declared && declared.relationships.every((x) => processorRels.has(x)) ? 'held for our client, who decides the basis (we are their processor)' : 'not stated in our declaration';
    })
    .join('; ');
}

const purposeNames = (policy: LoadedPolicy, r: RecordView): string => {
  const names = new Map(policy.policy.purposes.map((p) => [p.id, p.name]));
  return r.purposes.map((p) => names.get(p.purpose) ?? p.purpose).join('; ');
};

/** One row per field value (a communication or a file: one row), labelled, with why and on what basis. */
export function recordsCsv(policy: LoadedPolicy, records: readonly RecordView[]): string {
  const names = new Map(policy.policy.data_categories.map((c) => [c.id, c.name]));
  const sources = new Map(policy.policy.sources.map((x) => [x.id, x.name]));
  const lines = [CSV_HEAD.join(',')];
  for (const r of records) {
    const tail = [purposeNames(policy, r), basesOf(policy, r), sources.get(r.source) ?? r.source, r.collectedAt];
    const values: Array<[string, string, string]> =
      r.kind === 'value'
        ? (r.fields ?? []).map((f) => [f.id, f.label, f.value])
        : r.kind === 'communication'
          ? [['text', 'Text', r.text ?? '']]
          : [['file', 'File', r.file?.name ?? '']];
    for (const [field, label, value] of values) {
      lines.push([r.id, r.category, names.get(r.category) ?? r.category, field, label, value, r.channel ?? '', r.file ? `files/${fileName(r)}` : '', ...tail].map(csvCell).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

const fileName = (r: RecordView): string => `${r.id}-${(r.file?.name ?? 'file').replace(/[^\w.-]+/g, '_').slice(0, 100)}`;

export function recordsJson(policy: LoadedPolicy, records: readonly RecordView[]): string {
  const names = new Map(policy.policy.data_categories.map((c) => [c.id, c.name]));
  const purposeName = new Map(policy.policy.purposes.map((p) => [p.id, p.name]));
  const sources = new Map(policy.policy.sources.map((x) => [x.id, x.name]));
  return JSON.stringify(
    records.map((r) => ({
      id: r.id,
      category: r.category,
      categoryName: names.get(r.category) ?? r.category,
      kind: r.kind,
      fields: r.fields?.map((f) => ({ id: f.id, label: f.label, value: f.value })),
      text: r.text,
      ...(r.channel ? { channel: r.channel } : {}),
      ...(r.file ? { file: `files/${fileName(r)}`, contentType: r.contentType } : {}),
      purposes: r.purposes.map((p) => ({ purpose: p.purpose, name: purposeName.get(p.purpose) ?? p.purpose, basis: p.basis })),
      lawfulBases: basesOf(policy, r),
      source: r.source,
      sourceName: sources.get(r.source) ?? r.source,
      collectedAt: r.collectedAt,
    })),
    null,
    2,
  );
}

/**
 * The person's own values, labelled by field and grouped by category, each record with why it is
 * held, on what basis, from where, who receives it and until when.
 */
function valuesHtml(policy: LoadedPolicy, records: readonly RecordView[]): string {
  const p = policy.policy;
  const e = escapeHtml;
  const purposes = new Map(p.purposes.map((x) => [x.id, x]));
  const recipients = new Map(p.recipients.map((r) => [r.id, r]));
  const sources = new Map(p.sources.map((s) => [s.id, s]));
  const rules = new Map(p.retention.map((r) => [r.id, r]));
  const out: string[] = [];
  for (const cat of p.data_categories) {
    const held = records.filter((r) => r.category === cat.id);
    if (held.length === 0) continue;
    const items = held.map((r) => {
      const shown =
        r.kind === 'value'
          ? `<table><tbody>${(r.fields ?? []).map((f) => `<tr><th scope="row">${e(f.label)}</th><td>${e(f.value)}</td></tr>`).join('')}</tbody></table>`
          : r.kind === 'communication'
            ? `<p>${e(r.channel ? `${r.channel}: ` : '')}${e(r.text ?? '')}</p>`
            : `<p>A file: <code>files/${e(fileName(r))}</code></p>`;
      const used = r.purposes.map((x) => purposes.get(x.purpose)).filter((x) => x !== undefined);
      const recs = [...new Set(used.flatMap((x) => x.recipients ?? []))].map((id) => recipients.get(id)).filter((x) => x !== undefined && x.categories?.includes(cat.id) !== false);
      const src = sources.get(r.source);
      const until = [...new Set(used.map((x) => retentionText(x.retention ? rules.get(x.retention) : undefined)))];
      return `<div class="record">${shown}<dl>
<dt>Why we hold it</dt><dd>${e(used.map((x) => x.name).join('; ') || 'not recorded')}</dd>
<dt>On what basis</dt><dd>${e(basesOf(policy, r))}</dd>
<dt>Where it came from</dt><dd>${src ? `${e(src.name)} (${e(SOURCE_KIND_TEXT[src.kind])})` : e(r.source)}, ${e(r.collectedAt.slice(0, 10))}</dd>
<dt>Who receives it</dt><dd>${recs.length ? recs.map((x) => e(x!.name)).join('; ') : 'No one outside the organisation'}</dd>
<dt>Until when</dt><dd>${e(until.join('; '))}</dd>
</dl></div>`;
    });
    out.push(`<section><h3>${e(cat.name)}</h3>${items.join('\n')}</section>`);
  }
  return out.join('\n');
}

/** The Art 15(1)(a)–(h) information for the purposes this person's records are held for. */
export function supplementaryHtml(policy: LoadedPolicy, records: readonly RecordView[], meta: { reference: string; organisation: string; today: string; notice?: NoticeCitation }): string {
  const p = policy.policy;
  const e = escapeHtml;
  const used = new Set(records.flatMap((r) => r.purposes.map((x) => x.purpose)));
  const purposes = p.purposes.filter((x) => used.has(x.id));
  const catName = new Map(p.data_categories.map((c) => [c.id, c.name]));
  const heldCats = new Set(records.map((r) => r.category));
  const recipients = new Map(p.recipients.map((r) => [r.id, r]));
  const sources = new Map(p.sources.map((s) => [s.id, s]));
  const rules = new Map(p.retention.map((r) => [r.id, r]));
  const rights = new Set<RightKey>();
  const sections = purposes.map((x) => {
    for (const k of rightsForPurpose(x, p)) rights.add(k);
    const cats = x.categories.filter((c) => heldCats.has(c)).map((c) => catName.get(c) ?? c);
    const recs = (x.recipients ?? []).map((id) => recipients.get(id)).filter((r) => r !== undefined);
    const srcs = [...new Set(records.filter((r) => r.purposes.some((y) => y.purpose === x.id)).map((r) => r.source))].map((id) => sources.get(id));
    return `<section><h3>${e(x.name)}</h3><dl>
<dt>Lawful basis</dt><dd>${x.lawful_basis ? e(lawfulBasisLabel(x.lawful_basis)) : 'Not stated'}${x.legitimate_interest ? `: ${e(x.legitimate_interest)}` : ''}</dd>
<dt>Your data used</dt><dd>${e(cats.join(', ') || 'none held')}</dd>
<dt>Who receives it</dt><dd>${recs.length ? recs.map((r) => `${e(r.name)} (${e(RECIPIENT_KIND_TEXT[r.kind])})`).join('; ') : 'No one outside the organisation'}</dd>
<dt>How long we keep it</dt><dd>${e(retentionText(x.retention ? rules.get(x.retention) : undefined))}</dd>
<dt>Where it came from</dt><dd>${srcs.map((s) => (s ? `${e(s.name)} (${e(SOURCE_KIND_TEXT[s.kind])})` : 'not recorded')).join('; ') || 'not recorded'}</dd>
${x.automated_decision ? `<dt>Automated decisions</dt><dd>${e(x.automated_decision.logic)} ${e(x.automated_decision.consequences)}</dd>` : ''}
</dl></section>`;
  });
  const transfers = p.recipients.filter((r) => r.countries?.some((c) => c !== 'GB') && purposes.some((x) => x.recipients?.includes(r.id)));
  const sa = p.organisation.supervisory_authority;
  return `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Your personal data: ${e(meta.organisation)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;line-height:1.5}dt{font-weight:600}dd{margin:0 0 .5rem 1rem}.record{border-left:3px solid #ccc;padding-left:1rem;margin:1rem 0}th{text-align:left;padding-right:1rem;font-weight:600}</style></head><body>
<h1>Your personal data held by ${e(meta.organisation)}</h1>
<p>Reference ${e(meta.reference)}, prepared ${e(meta.today)}. We hold ${records.length} records about you; each is in <code>records.json</code> and <code>records.csv</code> in this pack.</p>
<h2>The data we hold about you</h2>
${valuesHtml(policy, records)}
<h2>Why we use it, on what basis, who receives it and for how long</h2>
${sections.join('\n')}
${transfers.length ? `<h2>Transfers outside the UK</h2><ul>${transfers.map((r) => `<li>${e(r.name)}: ${e((r.countries ?? []).join(', '))}${r.safeguard ? `, under ${e(r.safeguard)}` : ''}${r.safeguard_copy ? ` (${e(r.safeguard_copy)})` : ''}</li>`).join('')}</ul>` : ''}
<h2>Your rights</h2><ul>${[...rights].map((k) => `<li>${e(RIGHT_LABEL[k])}</li>`).join('')}</ul>
<h2>Complaints</h2><p>You have the right to complain to the ${e(sa.name)}${sa.website ? ` (${e(sa.website)})` : ''}${sa.phone ? `, telephone ${e(sa.phone)}` : ''}.</p>
${meta.notice ? `<p>Our privacy notice in force when this pack was prepared: ${e(citeNotice(meta.notice))}.</p>` : ''}
</body></html>`;
}

export function packFiles(policy: LoadedPolicy, records: readonly RecordView[], meta: { reference: string; organisation: string; today: string; kind: PackType; notice?: NoticeCitation }, extra: readonly PackFile[] = []): PackFile[] {
  const files: PackFile[] = [
    { name: 'records.json', content: recordsJson(policy, records) },
    { name: 'records.csv', content: recordsCsv(policy, records) },
  ];
  if (meta.kind === 'access') files.push({ name: 'your-information.html', content: supplementaryHtml(policy, records, meta) });
  for (const r of records) if (r.file) files.push({ name: `files/${fileName(r)}`, content: r.file.data });
  files.push(...extra);
  files.push({
    name: 'README.txt',
    content: `${meta.kind === 'access' ? 'Your subject access pack' : 'Your data (portability)'} from ${meta.organisation}, reference ${meta.reference}, prepared ${meta.today}.\r\nrecords.json and records.csv hold the same records; ${meta.kind === 'access' ? 'your-information.html explains why we hold them and your rights.' : 'both are machine-readable formats you can give to another organisation.'}\r\n${meta.notice ? `Our privacy notice in force when this pack was prepared: ${citeNotice(meta.notice)}.\r\n` : ''}`,
  });
  return files;
}
