/**
 * What leaves the server about subjects and records: every field listed here, nothing else.
 */
import { z } from 'zod';
import type { RecordView } from './record.codec.js';
import type { SubjectSummary } from './register.repository.js';
import type { SubjectView } from './register.read.js';

export const recordResponse = z.object({
  id: z.string(),
  category: z.string(),
  kind: z.enum(['value', 'communication', 'file']),
  purposes: z.array(z.object({ purpose: z.string(), basis: z.string().nullable() })),
  source: z.string(),
  collectedAt: z.string(),
  recordedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  contentType: z.string().nullable(),
  size: z.number(),
  /** The labelled field values of a "value" record, in declared order. */
  fields: z.array(z.object({ id: z.string(), label: z.string(), type: z.string(), value: z.string() })).optional(),
  /** The primary field's value (the identifier, or the single field). */
  value: z.string().optional(),
  text: z.string().optional(),
  channel: z.string().optional(),
  file: z.object({ name: z.string(), base64: z.string() }).optional(),
});

export const subjectResponse = z.object({
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  restricted: z.boolean(),
  erasedAt: z.string().nullable(),
  relationships: z.array(
    z.object({
      relationship: z.string(),
      role: z.string(),
      onBehalfOf: z.string().nullable(),
      subscriberType: z.string().nullable(),
      startedAt: z.string(),
      endedAt: z.string().nullable(),
    }),
  ),
  records: z.array(recordResponse),
  withheld: z.array(z.object({ category: z.string(), count: z.number() })),
});

export const summaryResponse = z.object({ id: z.string(), restricted: z.boolean(), createdAt: z.string(), relationships: z.array(z.string()) });

export function presentRecord(r: RecordView): z.infer<typeof recordResponse> {
  return {
    id: r.id,
    category: r.category,
    kind: r.kind,
    purposes: r.purposes,
    source: r.source,
    collectedAt: r.collectedAt,
    recordedBy: r.recordedBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    contentType: r.contentType,
    size: r.size,
    ...(r.fields ? { fields: r.fields.map((f) => ({ id: f.id, label: f.label, type: f.type, value: f.value })) } : {}),
    ...(r.value !== undefined ? { value: r.value } : {}),
    ...(r.text !== undefined ? { text: r.text } : {}),
    ...(r.channel !== undefined ? { channel: r.channel } : {}),
    ...(r.file ? { file: { name: r.file.name, base64: r.file.data.toString('base64') } } : {}),
  };
}

export function presentSubject(s: SubjectView): z.infer<typeof subjectResponse> {
  return {
    id: s.id,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    restricted: s.restricted,
    erasedAt: s.erasedAt,
    relationships: s.relationships.map((r) => ({ ...r })),
    records: s.records.map(presentRecord),
    withheld: s.withheld,
  };
}

export const presentSummary = (s: SubjectSummary): z.infer<typeof summaryResponse> => ({
  id: s.id,
  restricted: s.restricted,
  createdAt: s.createdAt,
  relationships: s.relationships,
});
