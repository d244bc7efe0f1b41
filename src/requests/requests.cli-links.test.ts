/**
 * `steward requests fulfil` mails a download link: it must use the configured public address
 * (found on the way to the console, issue 14: the CLI derived http://127.0.0.1:8080 from its own
 * defaults while the server listened on 8181), and without one it says so and sends nothing.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');

describe.each(dialects)('steward requests fulfil and the link it mails, on %s', (kind) => {
  const ws = useCliWorkspace(kind, { prefix: 'rql', policy: POLICY });
  const cli = (args: string[], env: Record<string, string> = {}) => ws.run(args, env);
  const outbox = () => (existsSync(path.join(ws.dir, 'data/outbox')) ? readdirSync(path.join(ws.dir, 'data/outbox')).map((f) => readFileSync(path.join(ws.dir, 'data/outbox', f), 'utf8')) : []);

  beforeAll(async () => {
    writeFileSync(path.join(ws.dir, 'people.csv'), 'email-address,name\nlinked@example.com,Linked Person\n');
    const imported = await cli(['subjects', 'import', 'people.csv', '--relationship', 'customer']);
    expect(imported.code, imported.stderr).toBe(0);
  });

  it('refuses to mail a pack link without a public address, then uses the one given', async () => {
    const o = await cli(['requests', 'open', '--type', 'access', '--email', 'linked@example.com', '--received', '2026-03-02', '--json']);
    expect(o.code, o.stderr).toBe(0);
    const ref = JSON.parse(o.stdout).reference as string;
    expect((await cli(['requests', 'verify', ref, '--evidence', 'passport', '--evidence', 'utility-bill'])).code).toBe(0);
    const candidates = { candidates: JSON.parse((await cli(['requests', 'match', ref, '--json'])).stdout) as { id: string }[] };
    expect(candidates.candidates).toHaveLength(1);
    expect((await cli(['requests', 'match', ref, '--confirm', candidates.candidates[0]!.id])).code).toBe(0);

    const mailsBefore = outbox().length;
    const refused = await cli(['requests', 'fulfil', ref]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('no public address is configured');
    expect(refused.stderr).toContain('--base-url');
    expect(outbox().length).toBe(mailsBefore);

    const done = await cli(['requests', 'fulfil', ref, '--json'], { STEWARD_BASE_URL: 'http://127.0.0.1:8181' });
    expect(done.code, done.stderr).toBe(0);
    const mails = outbox().slice(mailsBefore);
    const letter = mails.find((m) => m.includes('linked@example.com'))!;
    // Quoted-printable may fold long lines; unfold before looking for the link.
    const text = letter.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    expect(text).toContain('http://127.0.0.1:8181/api/v1/privacy/requests/download?t=');
    expect(text).not.toContain(':8080/');
  });
});
