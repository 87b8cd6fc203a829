import { z } from 'zod';
import type { VersionKind } from './evaluation';

/**
 * What learning keeps in the repo, under `askdata/learning/`: one JSON file per model built and
 * per evaluation, never rewritten, so teammates' runs merge without conflicts and the learning
 * curve (accuracy against the number of approved pairs) can be drawn from them at any time.
 * Which model answers is the last evaluation's promotion; its tag is a hash of its recipe, so any
 * machine can rebuild the same model.
 */
const scoreSchema = z.object({ cases: z.number(), spider: z.number(), bird: z.number(), accuracy: z.number() });
const versionKinds = ['recall', 'base', 'specialised', 'adapter'] as const satisfies readonly VersionKind[];

export const modelRecordSchema = z.looseObject({
  version: z.literal(1),
  kind: z.enum(['specialised', 'adapter']),
  model: z.string().min(1),
  from: z.string().min(1),
  at: z.iso.datetime({ offset: true }),
  by: z.string().optional(),
  pairs: z.array(z.string()),
  left: z.array(z.string()).optional(),
  tokens: z.looseObject({ system: z.number(), messages: z.number(), numCtx: z.number() }).optional(),
  adapter: z.looseObject({ file: z.string(), digest: z.string(), architecture: z.string().optional() }).optional(),
});
export type ModelRecord = z.infer<typeof modelRecordSchema>;

export const evaluationRecordSchema = z.looseObject({
  version: z.literal(1),
  at: z.iso.datetime({ offset: true }),
  by: z.string().optional(),
  approvedPairs: z.number().int().nonnegative(),
  k: z.number().int().positive(),
  versions: z.array(z.object({
    version: z.string(),
    kind: z.enum(versionKinds),
    model: z.string().optional(),
    overall: scoreSchema,
    perTag: z.record(z.string(), scoreSchema),
    notes: z.array(z.string()),
  })),
  cases: z.array(z.object({
    pair: z.string(),
    tags: z.array(z.string()),
    fold: z.number(),
    version: z.string(),
    status: z.enum(['correct', 'wrong-result', 'failed', 'abstained', 'gold-failed']),
    spider: z.boolean(),
    bird: z.boolean(),
    sql: z.string().nullable(),
    detail: z.string().optional(),
  })),
  decision: z.looseObject({
    current: z.string(),
    candidate: z.string(),
    promote: z.boolean(),
    reason: z.string(),
    /** The model that answers from now on: the candidate's tag if promoted, else the current one (null: the base model). */
    model: z.string().nullable(),
  }).optional(),
});
export type EvaluationRecord = z.infer<typeof evaluationRecordSchema>;

export interface LearningRecords {
  models: ModelRecord[];
  evaluations: EvaluationRecord[];
  /** Files that could not be read, with why; skipped, never rewritten. */
  problems: Array<{ file: string; message: string }>;
}

export function parseRecord(file: string, text: string): { model: ModelRecord } | { evaluation: EvaluationRecord } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: `not JSON: ${(e as Error).message}` };
  }
  const isModel = /(^|\/)model-[^/]*\.json$/.test(file);
  const parsed = isModel ? modelRecordSchema.safeParse(value) : evaluationRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: `${issue.path.join('.') || '(file)'}: ${issue.message}` };
  }
  return isModel ? { model: parsed.data as ModelRecord } : { evaluation: parsed.data as EvaluationRecord };
}

/** The model that answers for askers who may see everything: the last promotion's, or none (the base model). */
export function promotedModel(records: Pick<LearningRecords, 'evaluations'>): string | null {
  const promoted = [...records.evaluations].sort((a, b) => a.at.localeCompare(b.at)).filter((e) => e.decision);
  return promoted.at(-1)?.decision?.model ?? null;
}

export interface CurvePoint {
  at: string;
  approvedPairs: number;
  accuracy: Partial<Record<VersionKind, number>>;
}

/** Accuracy against the number of approved pairs, one point per evaluation, oldest first. */
export function learningCurve(records: Pick<LearningRecords, 'evaluations'>): CurvePoint[] {
  return [...records.evaluations]
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((e) => ({ at: e.at, approvedPairs: e.approvedPairs, accuracy: Object.fromEntries(e.versions.filter((v) => v.overall.cases > 0).map((v) => [v.kind, v.overall.accuracy])) }));
}

/** `eval-2026-11-21T10-12-00-000Z.json`: sortable, and safe on every file system. */
export function recordFileName(kind: 'eval' | 'model', at: string, suffix = ''): string {
  return `${kind}-${at.replace(/[:.]/g, '-')}${suffix ? `-${suffix.replace(/[^A-Za-z0-9_-]+/g, '-')}` : ''}.json`;
}
