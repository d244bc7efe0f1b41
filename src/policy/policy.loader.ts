/**
 * Reads a declaration: YAML with source positions → schema validation → cross-reference checks.
 * Every problem is reported with the file, line and column it comes from.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { StewardError, type ErrorDetail } from '../shared/errors.js';
import { policySchema, type Policy } from './policy.schema.js';

/** A declaration larger than this is not a privacy policy; refuse it before parsing. */
export const MAX_POLICY_BYTES = 2 * 1024 * 1024;

export type PolicyPath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  column: number;
}

export interface LoadedPolicy {
  policy: Policy;
  file: string;
  /** sha256 of the validated declaration in canonical JSON: the notice's version. */
  hash: string;
  /** The line and column of a path in the file (or of its nearest existing ancestor). */
  locate(path: PolicyPath): Position | undefined;
}

export const formatPath = (path: PolicyPath): string =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');

function locator(doc: Document, counter: LineCounter): (path: PolicyPath) => Position | undefined {
  return (path) => {
    // The last segment may name a key that exists but whose value is empty: point at the key.
    const parent = path.length === 0 ? undefined : path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
      const valueNode = pair?.value;
      if (!(isNode(valueNode) && valueNode.range) && isScalar(pair?.key) && pair.key.range) {
        const { line, col } = counter.linePos(pair.key.range[0]);
        return { line, column: col };
      }
    }
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const { line, col } = counter.linePos(node.range[0]);
        return { line, column: col };
      }
    }
    return undefined;
  };
}

function detail(file: string, path: PolicyPath, message: string, at: Position | undefined): ErrorDetail {
  const where = at ? `${file}:${at.line}:${at.column}` : file;
  const p = formatPath(path);
  return { path: p, message: `${where}: ${p ? `${p}: ` : ''}${message}`, ...(at ?? {}) };
}

/** Turns a Zod issue into words a non-programmer can act on. */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see docs/declaration.md)`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return issue.message;
    case 'too_big':
      if (issue.origin === 'string') return `is too long (at most ${String(issue.maximum)} characters)`;
      return issue.message;
    case 'invalid_type':
      if (issue.message.includes('received undefined')) return `is required (expected ${issue.expected})`;
      return `expected ${issue.expected}`;
    default:
      return issue.message;
  }
}

export function parsePolicy(textSource: string, file = 'steward.yaml'): LoadedPolicy {
  if (Buffer.byteLength(textSource) > MAX_POLICY_BYTES) {
    throw new StewardError('POLICY_UNREADABLE', `${file} is larger than ${MAX_POLICY_BYTES} bytes; a declaration should be far smaller`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(textSource, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => {
      const { line, col } = counter.linePos(e.pos[0]);
      return { message: `${file}:${line}:${col}: ${e.message.split('\n')[0]}`, line, column: col };
    });
    throw new StewardError('POLICY_PARSE_ERROR', `${file} is not valid YAML`, details);
  }
  const locate = locator(doc, counter);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new StewardError('POLICY_PARSE_ERROR', `${file} is not valid YAML`, [{ message: `${file}: ${(e as Error).message}` }]);
  }
  if (raw === null || raw === undefined) {
    throw new StewardError('POLICY_INVALID', `${file} is empty`, [{ message: `${file}:1:1: the declaration is empty; run "steward init" for a starter file` }]);
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    const details = parsed.error.issues.flatMap((issue) => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        // One finding per unknown key, pointing at the key itself.
        return issue.keys.map((key) =>
          detail(file, [...path, key], `unknown field "${key}" (check the spelling; see docs/declaration.md)`, locate([...path, key])),
        );
      }
      return [detail(file, path, describeIssue(issue), locate(path))];
    });
    throw new StewardError('POLICY_INVALID', `${file} does not match the declaration format`, details);
  }
  const policy = parsed.data;
  const refErrors = checkReferences(policy).map((r) => detail(file, r.path, r.message, locate(r.path)));
  if (refErrors.length > 0) {
    throw new StewardError('POLICY_INVALID', `${file} refers to entries that do not exist`, refErrors);
  }
  return { policy, file, hash: policyHash(policy), locate };
}

export async function loadPolicy(file: string): Promise<LoadedPolicy> {
  let content: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    if (info.size > MAX_POLICY_BYTES) {
      throw new StewardError('POLICY_UNREADABLE', `${file} is larger than ${MAX_POLICY_BYTES} bytes; a declaration should be far smaller`);
    }
    content = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof StewardError) throw e;
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new StewardError('POLICY_UNREADABLE', `${file} ${why}; pass --policy FILE or run "steward init"`);
  }
  return parsePolicy(content, file);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const policyHash = (policy: Policy): string => createHash('sha256').update(canonical(policy)).digest('hex');

interface RefProblem {
  path: PolicyPath;
  message: string;
}

/** Ids must be unique within their list, and every reference must name an existing entry. */
export function checkReferences(policy: Policy): RefProblem[] {
  const problems: RefProblem[] = [];
  const index = (list: ReadonlyArray<{ id: string }>, key: string): Set<string> => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      if (seen.has(item.id)) problems.push({ path: [key, i, 'id'], message: `the id "${item.id}" is used twice in ${key}` });
      seen.add(item.id);
    });
    return seen;
  };
  const entities = new Set<string>();
  policy.organisation.entities.forEach((e, i) => {
    if (entities.has(e.id)) problems.push({ path: ['organisation', 'entities', i, 'id'], message: `the id "${e.id}" is used twice` });
    entities.add(e.id);
  });
  const relationships = index(policy.relationships, 'relationships');
  const categories = index(policy.data_categories, 'data_categories');
  policy.data_categories.forEach((c, ci) => {
    const seen = new Set<string>();
    c.fields?.forEach((f, fi) => {
      if (seen.has(f.id)) problems.push({ path: ['data_categories', ci, 'fields', fi, 'id'], message: `the field id "${f.id}" is used twice in "${c.id}"` });
      seen.add(f.id);
    });
  });
  const sources = index(policy.sources, 'sources');
  const recipients = index(policy.recipients, 'recipients');
  const retention = index(policy.retention, 'retention');
  const purposes = index(policy.purposes, 'purposes');
  index(policy.cookies, 'cookies');
  const transfers = index(policy.transfers, 'transfers');
  index(policy.assessments, 'assessments');

  const ref = (set: Set<string>, value: string | undefined, path: PolicyPath, what: string): void => {
    if (value !== undefined && !set.has(value)) {
      problems.push({ path, message: `"${value}" is not a declared ${what}` });
    }
  };
  const refs = (set: Set<string>, values: readonly string[] | undefined, path: PolicyPath, what: string): void =>
    values?.forEach((v, i) => ref(set, v, [...path, i], what));

  ref(entities, policy.organisation.controller, ['organisation', 'controller'], 'entity');
  policy.organisation.entities.forEach((e, i) => {
    ref(entities, e.parent, ['organisation', 'entities', i, 'parent'], 'entity');
    if (e.parent === e.id) problems.push({ path: ['organisation', 'entities', i, 'parent'], message: 'an entity cannot be its own parent' });
  });
  policy.purposes.forEach((p, i) => {
    const at = ['purposes', i];
    refs(relationships, p.relationships, [...at, 'relationships'], 'relationship');
    refs(categories, p.categories, [...at, 'categories'], 'data category');
    refs(sources, p.sources, [...at, 'sources'], 'source');
    refs(recipients, p.recipients, [...at, 'recipients'], 'recipient');
    ref(retention, p.retention, [...at, 'retention'], 'retention rule');
  });
  policy.relationships.forEach((r, i) => {
    refs(purposes, r.default_purposes, ['relationships', i, 'default_purposes'], 'purpose');
    r.default_purposes?.forEach((pid, j) => {
      const p = policy.purposes.find((x) => x.id === pid);
      if (p && !p.relationships.includes(r.id)) problems.push({ path: ['relationships', i, 'default_purposes', j], message: `the purpose "${pid}" is not for the relationship "${r.id}" (add it to the purpose's relationships, or remove it here)` });
    });
  });
  policy.recipients.forEach((r, i) => refs(categories, r.categories, ['recipients', i, 'categories'], 'data category'));
  policy.transfers.forEach((t, i) => ref(recipients, t.recipient, ['transfers', i, 'recipient'], 'recipient'));
  policy.cookies.forEach((c, i) => ref(recipients, c.recipient, ['cookies', i, 'recipient'], 'recipient'));
  policy.assessments.forEach((a, i) => {
    refs(purposes, a.purposes, ['assessments', i, 'purposes'], 'purpose');
    refs(recipients, a.recipients, ['assessments', i, 'recipients'], 'recipient');
    refs(transfers, a.transfers, ['assessments', i, 'transfers'], 'transfer');
  });
  return problems;
}
