/**
 * The one place a ZIP is made. jszip is present in node_modules (through exceljs) but not yet a
 * declared dependency: it must be added to package.json before release (see the report). Kept
 * behind this function so the library can be swapped without touching the pack.
 */
import JSZip from 'jszip';

export interface PackFile {
  name: string;
  content: string | Buffer;
}

/** A ZIP of the files, deflated; a fixed date so the same pack gives the same bytes. */
export async function zipFiles(files: readonly PackFile[]): Promise<Buffer> {
  const zip = new JSZip();
  const date = new Date('2000-01-01T00:00:00Z');
  for (const f of files) zip.file(f.name, f.content, { date });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

export async function unzipFiles(data: Buffer): Promise<Map<string, Buffer>> {
  const zip = await JSZip.loadAsync(data);
  const out = new Map<string, Buffer>();
  for (const [name, entry] of Object.entries(zip.files)) if (!entry.dir) out.set(name, await entry.async('nodebuffer'));
  return out;
}
