/**
 * The ICO report as it leaves the server as JSON: the Art 33(3) items, each listed, checked
 * against the schema on the way out.
 */
import { z } from 'zod';
import { clockResponse, contactPointResponse } from './breaches.presenter.js';
import type { IcoReport } from './breaches.report.js';

const ukTime = z.object({ utc: z.string(), uk: z.string() });
const decisionOut = z.object({ decision: z.string(), reason: z.string(), decidedBy: z.string(), at: ukTime }).nullable();

/** The ICO report as JSON: the Art 33(3) items, each listed. */
export const icoReportResponse = z.object({
  kind: z.literal('ico-breach-report'),
  phase: z.enum(['initial', 'update', 'final']),
  reference: z.string(),
  breachId: z.string(),
  title: z.string(),
  generatedAt: ukTime,
  asOf: ukTime,
  version: z.number(),
  controller: z.object({
    name: z.string(),
    legalName: z.string(),
    companyNumber: z.string().nullable(),
    icoRegistration: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    address: z.string().nullable(),
  }),
  contactPoint: contactPointResponse,
  timeline: z.object({
    occurredAt: ukTime.nullable(),
    occurredUntil: ukTime.nullable(),
    awareAt: ukTime,
    howDiscovered: z.string().nullable(),
    containedAt: ukTime.nullable(),
    deadline: ukTime,
    firstReportedAt: ukTime.nullable(),
    late: z.boolean(),
    hoursLate: z.number().nullable(),
    delayReason: z.string().nullable(),
  }),
  clock: clockResponse,
  nature: z.object({
    description: z.string().nullable(),
    types: z.array(z.object({ id: z.string(), meaning: z.string() })),
    systems: z.array(z.string()),
    dataCategories: z.array(
      z.object({ id: z.string(), name: z.string(), specialCategory: z.string().nullable(), criminalOffence: z.boolean(), people: z.number().nullable(), records: z.number().nullable() }),
    ),
    subjectCategories: z.array(z.object({ id: z.string(), name: z.string(), people: z.number().nullable() })),
    approximatePeople: z.number().nullable(),
    approximateRecords: z.number().nullable(),
    peopleInRegister: z.number().nullable(),
    recordsInRegister: z.number().nullable(),
  }),
  likelyConsequences: z.string().nullable(),
  measures: z.object({ taken: z.string().nullable(), proposed: z.string().nullable() }),
  riskAssessment: z
    .object({ level: z.string(), reasons: z.string(), exemptions: z.array(z.object({ id: z.string(), meaning: z.string() })), assessedAt: ukTime })
    .nullable(),
  decisions: z.object({ ico: decisionOut, people: decisionOut }),
  peopleTold: z.object({
    email: z.object({ sent: z.number(), failed: z.number(), noAddress: z.number() }),
    post: z.object({ exported: z.number() }),
    notYetTold: z.number(),
    lastAt: ukTime.nullable(),
  }),
  previousReports: z.array(z.object({ phase: z.string(), submittedAt: ukTime, icoReference: z.string().nullable(), late: z.boolean() })),
  missing: z.array(z.string()),
});

export const presentIcoReport = (r: IcoReport): z.infer<typeof icoReportResponse> => icoReportResponse.parse(r);
