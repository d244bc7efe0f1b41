/**
 * The subject access pack (Art 15) and the portability export (Art 20): every record as JSON and
 * CSV, file records as files, and a readable HTML letter with the supplementary information drawn
 * from the declaration (purposes and bases, categories, recipients, retention, sources, rights, the
 * right to complain). Pure: takes decrypted records, returns files.
 */
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { citeNotice, type NoticeCitation } from './requests.store.js';
import { lawfulBasisLabel, RECIPIENT_KIND_TEXT, retentionText, RIGHT_LABEL, rightsForPurpose, SOURCE_KIND_TEXT, type RightKey } from '../policy/notice.model.js';
import type { RecordView } from '../register/register.service.js';
import { escapeHtml } from '../shared/html.js';
import type { PackFile } from './requests.zip.js';

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
    return { ...r, ...(r.text !== undefined ? { text: cut(r.text, finds) } : {}), ...(r.value !== undefined ? { value: cut(r.value, finds) } : {}) };
  });
  return { records: out, replaced };
}

import { csvCell } from '../shared/csv.js';
export { csvCell };

const CSV_HEAD = ['id', 'category', 'category_name', 'kind', 'value', 'text', 'channel', 'file', 'purposes', 'lawful_bases', 'source', 'collected_at'];

export function recordsCsv(policy: LoadedPolicy, records: readonly RecordView[]): string {
  const names = new Map(policy.policy.data_categories.map((c) => [c.id, c.name]));
  const lines = [CSV_HEAD.join(',')];
  for (const r of records) {
    lines.push(
      [
        r.id,
        r.category,
        names.get(r.category) ?? r.category,
        r.kind,
        r.value ?? '',
        r.text ?? '',
        r.channel ?? '',
        r.file ? `files/${fileName(r)}` : '',
        r.purposes.map((p) => p.purpose).join('; '),
        r.purposes.map((p) => p.basis ?? '').join('; '),
        r.source,
        r.collectedAt,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

const fileName = (r: RecordView): string => `${r.id}-${(r.file?.name ?? 'file').replace(/[^\w.-]+/g, '_').slice(0, 100)}`;

export function recordsJson(policy: LoadedPolicy, records: readonly RecordView[]): string {
  const names = new Map(policy.policy.data_categories.map((c) => [c.id, c.name]));
  return JSON.stringify(
    records.map((r) => ({
      id: r.id,
      category: r.category,
      categoryName: names.get(r.category) ?? r.category,
      kind: r.kind,
      ...(r.value !== undefined ? { value: r.value } : {}),
      ...(r.text !== undefined ? { text: r.text } : {}),
      ...(r.channel ? { channel: r.channel } : {}),
      ...(r.file ? { file: `files/${fileName(r)}`, contentType: r.contentType } : {}),
      purposes: r.purposes,
      source: r.source,
      collectedAt: r.collectedAt,
    })),
    null,
    2,
  );
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
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;line-height:1.5}dt{font-weight:600}dd{margin:0 0 .5rem 1rem}</style></head><body>
<h1>Your personal data held by ${e(meta.organisation)}</h1>
<p>Reference ${e(meta.reference)}, prepared ${e(meta.today)}. We hold ${records.length} records about you; each is in <code>records.json</code> and <code>records.csv</code> in this pack.</p>
<h2>Why we use it, on what basis, who receives it and for how long</h2>
${sections.join('\n')}
${transfers.length ? `<h2>Transfers outside the UK</h2><ul>${transfers.map((r) => `<li>${e(r.name)}: ${e((r.countries ?? []).join(', '))}${r.safeguard ? `, under ${e(r.safeguard)}` : ''}${r.safeguard_copy ? ` (${e(r.safeguard_copy)})` : ''}</li>`).join('')}</ul>` : ''}
<h2>Your rights</h2><ul>${[...rights].map((k) => `<li>${e(RIGHT_LABEL[k])}</li>`).join('')}</ul>
<h2>Complaints</h2><p>You have the right to complain to the ${e(sa.name)}${sa.website ? ` (${e(sa.website)})` : ''}${sa.phone ? `, telephone ${e(sa.phone)}` : ''}.</p>
${meta.notice ? `<p>Our privacy notice in force when this pack was prepared: ${e(citeNotice(meta.notice))}.</p>` : ''}
</body></html>`;
}

export function packFiles(policy: LoadedPolicy, records: readonly RecordView[], meta: { reference: string; organisation: string; today: string; kind: 'access' | 'portability'; notice?: NoticeCitation }, extra: readonly PackFile[] = []): PackFile[] {
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
