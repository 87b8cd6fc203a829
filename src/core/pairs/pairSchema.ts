import { z } from 'zod';

/**
 * The pair file contract (ARCHITECTURE.md, "Files in the user's repo"). Objects are loose so that fields a newer version of Ask Data,
 * or a person, added survive a read–modify–write by this one.
 */

/** Highest pair-file format this build understands; a file may omit `version` (it means 1). */
export const PAIR_FORMAT_VERSION = 1;

export const pairStatuses = ['pending', 'approved', 'rejected'] as const;
export type PairStatus = (typeof pairStatuses)[number];

const timestamp = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-11-20T10:12:00Z' });
// Messages name no field: the reporter puts the field's path in front of them.
const nonEmpty = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is missing' : 'must be text') }).trim().min(1, 'must not be empty');

export const signOffSchema = z.looseObject({
  by: nonEmpty(),
  at: timestamp,
});

export const historyEventSchema = z.looseObject({
  at: timestamp,
  event: nonEmpty(),
  by: z.string().optional(),
  model: z.string().optional(),
  text: z.string().optional(),
});

export const resultSummarySchema = z.looseObject({
  rows: z.number().int().nonnegative(),
  columns: z.array(z.string()),
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must look like sha256:<64 hex digits>').optional(),
});

export const pairFileSchema = z
  .looseObject({
    version: z.number().int().positive().max(PAIR_FORMAT_VERSION, {
      error: `this file uses a newer pair format than this Ask Data understands (max ${PAIR_FORMAT_VERSION}); update the extension`,
    }).optional(),
    question: nonEmpty(),
    sql: nonEmpty(),
    status: z.enum(pairStatuses, { error: (issue) => (issue.input === undefined ? 'is missing' : `must be one of ${pairStatuses.join(', ')}`) }),
    tags: z.array(nonEmpty()).optional(),
    tables: z.array(nonEmpty()).optional(),
    database: z.string().optional(),
    synthetic: z.boolean().optional(),
    approved: signOffSchema.optional(),
    rejected: signOffSchema.extend({ reason: z.string().optional() }).optional(),
    /** What the approver saw run, or `unverified`: approved deliberately without it having run (no database to run on). */
    result: z.union([resultSummarySchema, z.literal('unverified')], { error: 'must be { rows, columns, fingerprint } or unverified' }).optional(),
    history: z.array(historyEventSchema).optional(),
  })
  .superRefine((pair, ctx) => {
    if (pair.status === 'approved' && !pair.approved) {
      ctx.addIssue({ code: 'custom', path: ['approved'], message: 'an approved pair needs `approved: { by, at }` saying who approved it and when' });
    }
  });

export type PairFile = z.infer<typeof pairFileSchema>;
export type HistoryEvent = z.infer<typeof historyEventSchema>;
export type ResultSummary = z.infer<typeof resultSummarySchema>;
/** What an approval records: the result, or that it was approved without running. */
export type RecordedResult = ResultSummary | 'unverified';
