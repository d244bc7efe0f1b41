/**
 * The house's rules, checked on the source itself (docs/architecture.md):
 * - no import cycle between files (type-only imports count: a cycle of types is still a knot);
 * - no file over 500 lines, outside tests and generated code;
 * - the register's tables are read and written only inside src/register/;
 * - HTTP route files never import the server that mounts them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const GENERATED = new Set(['console/src/lib/api-types.ts']);
const REGISTER_TABLES = ['subjects', 'subject_keys', 'subject_relationships', 'records', 'record_purposes', 'blind_indexes'];
const MAX_LINES = 500;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(path.join(ROOT, d), { withFileTypes: true })) {
      const rel = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'dist') walk(rel);
      } else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !GENERATED.has(rel)) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

const SERVER = sourceFiles('src');
const CONSOLE = sourceFiles('console/src');

/** The files a file imports (static imports and re-exports, type-only included), as paths from the root. */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*'(\.[^']+)'|(?:^|\n)\s*import\s*'(\.[^']+)'/g)) {
    const spec = (m[1] ?? m[2])!;
    const base = path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '');
    const hit = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((c) => known.has(c));
    if (hit) out.push(hit);
  }
  return out;
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
function cycles(files: readonly string[]): string[][] {
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, importsOf(f, known)]));
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || edges.get(v)!.includes(v)) found.push(scc.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

describe('the house', () => {
  it('has no import cycle between files', () => {
    expect(cycles(SERVER)).toEqual([]);
    expect(cycles(CONSOLE)).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines outside tests and generated code`, () => {
    const long = [...SERVER, ...CONSOLE]
      .map((f) => ({ f, lines: readFileSync(path.join(ROOT, f), 'utf8').split('\n').length }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.f}: ${x.lines}`);
    expect(long).toEqual([]);
  });

  it("keeps the register's tables behind the register's door", () => {
    const query = new RegExp(String.raw`\b(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin|mergeInto)\(\s*\[?\s*'(?:${REGISTER_TABLES.join('|')})(?:\s+as\s+\w+)?'`);
    const rawSql = new RegExp(String.raw`\b(?:from|join|into|update)\s+(?:${REGISTER_TABLES.join('|')})\b`, 'i');
    const outside = SERVER.filter((f) => !f.startsWith('src/register/') && !f.startsWith('src/db/migrations/'));
    const offenders = outside.filter((f) => {
      const text = readFileSync(path.join(ROOT, f), 'utf8');
      return query.test(text) || text.split('\n').some((line) => line.includes('sql`') && rawSql.test(line));
    });
    expect(offenders).toEqual([]);
  });

  it("lets no feature query another feature's tables", () => {
    // The tables each folder owns: the core ones by hand, the rest where their types are declared.
    const owner = new Map<string, string>([
      ...REGISTER_TABLES.map((t) => [t, 'register'] as const),
      ['users', 'auth'],
      ['api_tokens', 'auth'],
      ['audit_log', 'audit'],
      ['policy_versions', 'policy'],
    ]);
    // key_state holds a few named values, each read and written only by the code that owns its
    // name (the keyring's index root and current KEK version, the audit chain's head).
    const shared = new Set(['key_state']);
    // The audience check's scan of a million blind-index entries reads each holder's consent state
    // in the same pass (src/register/identifier-scans.ts says so in its header).
    const allowed = new Set(['src/register/identifier-scans.ts -> consent_state (consent)']);
    const folderOf = (f: string) => f.split('/')[1]!;
    for (const f of SERVER) {
      const text = readFileSync(path.join(ROOT, f), 'utf8');
      const block = /declare module '[./]+db\/tables\.js' \{\s*interface Tables \{([^}]*)\}/.exec(text);
      for (const m of block?.[1]?.matchAll(/^\s*(\w+):/gm) ?? []) owner.set(m[1]!, folderOf(f));
    }
    expect(owner.size).toBeGreaterThan(30);
    const query = /\b(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin)\(\s*'(\w+)/g;
    const crossings = SERVER.filter((f) => !f.startsWith('src/db/migrations/')).flatMap((f) =>
      [...readFileSync(path.join(ROOT, f), 'utf8').matchAll(query)]
        .map((m) => m[1]!)
        .filter((t) => !shared.has(t) && owner.has(t) && owner.get(t) !== folderOf(f))
        .map((t) => `${f} -> ${t} (${owner.get(t)})`),
    );
    expect([...new Set(crossings)].filter((c) => !allowed.has(c))).toEqual([]);
  });

  it('lets no route file import the server that mounts it', () => {
    const importers = SERVER.filter((f) => f !== 'src/server/app.ts' && importsOf(f, new Set(SERVER)).includes('src/server/app.ts'));
    expect(importers.filter((f) => !f.startsWith('src/server/'))).toEqual([]);
  });

  it('finds what it looks for (the checks above are not vacuous)', () => {
    expect(SERVER.length).toBeGreaterThan(150);
    expect(importsOf('src/server/app.ts', new Set(SERVER))).toContain('src/auth/auth.http.ts');
    expect(cycles(['src/server/app.ts', 'src/server/api.ts'])).toEqual([]);
  });
});
