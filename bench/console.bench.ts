/**
 * The console's first load (BENCH_ONLY=console): the JavaScript and CSS, gzipped, that the browser
 * fetches before the sign-in and dashboard routes can show: the page, its entry script with every
 * chunk that script imports statically, and the stylesheet. Other routes load lazily and are not
 * counted. Also the dashboard's server time on SQLite (it reads no person or record, so the size
 * of the register does not enter into it). Builds the console first if console/dist is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { dashboard } from '../src/console/dashboard.service.js';
import { openRequest } from '../src/requests/requests.service.js';
import { actorWith, createTestRuntime } from '../test/support/runtime.js';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'console/dist');

/** Everything the page loads before any lazy route: entry, static imports, stylesheets. */
function firstLoadFiles(): string[] {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="\/console\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const seen = new Set<string>();
  const visit = (rel: string) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    if (!rel.endsWith('.js')) return;
    const code = readFileSync(path.join(dist, rel), 'utf8');
    // Static imports only ("import … from './x.js'" / "import './x.js'"); import() is lazy.
    for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+)["']/g)) visit(`assets/${m[1]}`);
  };
  for (const r of refs) visit(r);
  return [...seen];
}

export async function runConsoleBench(): Promise<Record<string, number | string>> {
  if (!existsSync(path.join(dist, 'index.html'))) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'console/vite.config.ts'], { cwd: root, stdio: 'inherit' });
  }
  const files = firstLoadFiles();
  const gz = (rel: string) => gzipSync(readFileSync(path.join(dist, rel)), { level: 9 }).length;
  const js = files.filter((f) => f.endsWith('.js')).reduce((n, f) => n + gz(f), 0);
  const css = files.filter((f) => f.endsWith('.css')).reduce((n, f) => n + gz(f), 0);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(`console first load: ${files.join(', ')}\n`);

  const rt = await createTestRuntime('sqlite');
  try {
    const dpo = actorWith('dpo');
    for (let i = 0; i < 200; i++) await openRequest(rt, dpo, { type: 'access', channel: 'letter', receivedOn: '2026-02-01', requester: { address: `${i} Bench Road` } });
    await dashboard(rt, dpo);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await dashboard(rt, dpo);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return {
      'first load JS+CSS gzipped, sign-in (goal <= 150 KB)': kb(js + css),
      'first load JS+CSS gzipped, dashboard (goal <= 150 KB)': kb(js + css),
      'of which CSS': kb(css),
      'dashboard data, server p50 ms (SQLite, 200 open requests)': Number(times[Math.floor(times.length / 2)]!.toFixed(2)),
    };
  } finally {
    await rt.close();
  }
}
