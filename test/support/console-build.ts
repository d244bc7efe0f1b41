/**
 * vitest globalSetup: the browser suites drive the built console, so build it once when it is
 * missing (a fresh clone that ran `npm test` before `npm start`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '../..');
  if (existsSync(path.join(root, 'console/dist/index.html'))) return;
  execFileSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'console/vite.config.ts'], { cwd: root, stdio: 'inherit' });
}
