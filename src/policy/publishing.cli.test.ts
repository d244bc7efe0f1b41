import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { useCliWorkspace } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';
import { generateEnvKekValue } from '../crypto/kek.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/publishing');
const OLD = path.join(FIXTURES, 'policy-2018.yaml');
const CLEAN = path.join(FIXTURES, 'clean.yaml');

describe('steward policy render', () => {
  it('exits 1 without output while the declaration has errors, and --draft marks every page', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-render-'));
    try {
      const refused = await runCli(['policy', 'render', OLD], { cwd: dir });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('4 lint error(s)');
      const draft = await runCli(['policy', 'render', OLD, '--draft', '--format', 'md'], { cwd: dir });
      expect(draft.code).toBe(0);
      expect(draft.stdout).toContain('Draft — not published');
      expect(draft.stdout).toContain('Not stated: the lawful basis');
      const clean = await runCli(['policy', 'render', CLEAN], { cwd: dir });
      expect(clean.code).toBe(0);
      expect(clean.stdout).not.toContain('Draft — not published');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(dialects)('steward policy publish on %s', (kind) => {
  const ws = useCliWorkspace(kind, { prefix: 'publish' });
  const env = { STEWARD_MASTER_KEY: generateEnvKekValue() };
  const cli = (...args: string[]) => ws.run(args, env);

  it('refuses a declaration with errors unless forced with a reason, and lists the versions', async () => {
    const refused = await cli('policy', 'publish', OLD);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error [CONFLICT]');
    expect((await cli('policy', 'publish', OLD, '--force')).code).toBe(2);
    const none = await cli('policy', 'versions', '--policy', CLEAN);
    expect(none.stdout + none.stderr).toContain('nothing published yet');
    const clean = await cli('policy', 'publish', CLEAN);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/published: version [0-9a-f]{12}, effective 2026-01-01/);
    const forced = await cli('policy', 'publish', OLD, '--force', '--reason', 'Board decision 12');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('forced past 4 error(s); reason recorded: Board decision 12');
    const versions = await cli('policy', 'versions', '--json', '--policy', CLEAN);
    const list = JSON.parse(versions.stdout).versions;
    expect(list.map((v: { effectiveDate: string }) => v.effectiveDate)).toEqual(['2018-05-23', '2026-01-01']);
    expect(list[0].changes).toContain('Effective date changed from 2026-01-01 to 2018-05-23.');
  });
});
