import { isErrorClass, isRepairable, type ErrorClass } from '../../protocol/errorClasses';
import { ExecutionError } from '../execution/errors';
import { canonicalJson } from '../execution/fingerprint';
import type { ResultColumn, ResultRow } from '../execution/result';
import type { GroundingContext, Grounding } from '../grounding/grounding';
import type { Adaptation } from '../recall/adapt';
import type { Difference, MatchedComponent } from '../recall/match';
import { assumptionsIn, type RecallResult, type RejectedNote } from '../recall/recall';
import { buildChat, extractSql, type ChatMessage, type NearPair, type Turn } from './prompt';

/**
 * From a question to an answer the person can judge: the SQL, where it came from, what it
 * assumed, and what it returned — or why there is no answer. A model's SQL is always guarded and
 * run before it is shown, and repaired (at most twice) from the error it caused. Without a model,
 * or when a question is near-identical to an approved one, the recall engine answers.
 */

/** A chat model: Ollama in the product, anything with this shape in tests. */
export interface ChatModel {
  readonly name: string;
  chat(messages: ChatMessage[], options?: { signal?: AbortSignal; onToken?: (text: string) => void; temperature?: number; seed?: number }): Promise<string>;
}

/** Why a model failed, in a form the answer can carry (see the Ollama adapter's error kinds). */
export interface ModelFailure extends Error {
  kind: string;
}

/** Runs one query for the asker, guarded and with their access policies; throws ExecutionError. */
export type QueryRunner = (sql: string, signal?: AbortSignal) => Promise<RunSummary>;

export interface RunSummary {
  columns: ResultColumn[];
  /** The first rows (a page), for display. */
  rows: ResultRow[];
  rowCount: number;
  /** True when more rows exist than were counted. */
  capped: boolean;
}

export type AnswerEngine = 'auto' | 'ollama' | 'recall';
export type AnswerStep = 'grounding' | 'recall' | 'generating' | 'running' | 'repairing';

export interface AnswerOptions {
  engine: AnswerEngine;
  /** The model, when one is reachable and pulled. */
  model?: ChatModel;
  /** Why there is no model, said in answers that needed one. */
  modelUnavailable?: string;
  /** Earlier turns of this question: feedback the person gave ("not quite right"). */
  turns?: readonly Turn[];
  /** Self-consistency: this many samples, voted by result (default 1). */
  samples?: number;
  signal?: AbortSignal;
  onStep?: (step: AnswerStep, detail?: string) => void;
  onToken?: (text: string) => void;
}

export interface AnswerError {
  class: ErrorClass;
  message: string;
}

export interface AnswerAttempt {
  sql: string | null;
  error?: AnswerError;
}

export interface Answer {
  question: string;
  sql: string | null;
  source: 'recall' | 'model' | null;
  model: string | null;
  /** For recall: the approved pair answered from, and how close it was. */
  pair: { id: string; file: string; similarity: number } | null;
  adaptations: Adaptation[];
  examples: Array<{ id: string; file: string; score: number }>;
  assumptions: string[];
  /** Why recall answered or not: the components it matched, or what differs from the nearest pair. */
  match: { matched: MatchedComponent[]; differences: Difference[]; nearest: { id: string; file: string; question: string; similarity: number } | null } | null;
  /** A rejected pair asking (nearly) the same question, with the reason it was rejected. */
  rejected: Omit<RejectedNote, 'sql'> | null;
  abstained: boolean;
  reason: string | null;
  result: RunSummary | null;
  error: AnswerError | null;
  /** Every query tried, in order (repairs included). */
  attempts: AnswerAttempt[];
  grounding: Grounding;
}

export const MAX_REPAIRS = 2;

export async function answerQuestion(question: string, context: GroundingContext, run: QueryRunner, options: AnswerOptions): Promise<Answer> {
  options.onStep?.('grounding');
  const grounding = context.ground(question);
  const base: Answer = {
    question,
    sql: null,
    source: null,
    model: null,
    pair: null,
    adaptations: [],
    examples: grounding.examples.map((e) => ({ id: e.id, file: e.file, score: e.score })),
    assumptions: [],
    match: null,
    rejected: null,
    abstained: false,
    reason: null,
    result: null,
    error: null,
    attempts: [],
    grounding,
  };
  const hasFeedback = (options.turns ?? []).some((t) => t.kind === 'feedback');
  const useModel = options.engine === 'ollama' || (options.engine === 'auto' && !!options.model);
  if (options.engine === 'ollama' && !options.model) {
    return { ...base, abstained: true, reason: options.modelUnavailable ?? 'No model is configured.', error: { class: 'model-unavailable', message: options.modelUnavailable ?? 'No model is configured.' } };
  }

  options.onStep?.('recall');
  const recalled = context.recall.answer(question);
  base.match = matchOf(recalled);
  if (recalled.rejected) {
    const { sql: _sql, ...note } = recalled.rejected;
    base.rejected = note;
  }
  // Auto mode skips the model only when every component matched as it is; `--engine ollama` always asks it.
  const recallFirst = !useModel || (options.engine === 'auto' && !hasFeedback && !recalled.abstained && recalled.exact);
  if (recallFirst) {
    if (recalled.abstained) {
      const why = !useModel && options.engine === 'auto' && options.modelUnavailable ? ` ${options.modelUnavailable}` : '';
      return { ...base, source: 'recall', abstained: true, reason: `${recalled.reason}${why}` };
    }
    const answer: Answer = {
      ...base,
      sql: recalled.sql,
      source: 'recall',
      pair: { id: recalled.pair.id, file: recalled.pair.file, similarity: recalled.similarity },
      adaptations: recalled.adaptations,
      assumptions: recalled.assumptions,
    };
    options.onStep?.('running');
    try {
      answer.result = await run(recalled.sql, options.signal);
      answer.attempts = [{ sql: recalled.sql }];
    } catch (e) {
      // An approved pair that no longer runs: the schema moved under it. Say so; never repair it silently.
      answer.error = errorOf(e);
      answer.attempts = [{ sql: recalled.sql, error: answer.error }];
    }
    return answer;
  }

  const model = options.model!;
  try {
    return await generate(question, grounding, model, run, options, base, nearPairOf(recalled));
  } catch (e) {
    const failure: AnswerError = { class: modelFailureClass(e, options.signal), message: (e as Error).message };
    if (options.engine === 'auto' && !recalled.abstained && failure.class !== 'cancelled') {
      // The model failed; the approved pair still answers, and the answer says why it was used.
      options.onStep?.('running');
      const answer: Answer = { ...base, sql: recalled.sql, source: 'recall', pair: { id: recalled.pair.id, file: recalled.pair.file, similarity: recalled.similarity }, adaptations: recalled.adaptations, assumptions: recalled.assumptions, reason: `${model.name} failed (${failure.message}); answered from the nearest approved pair.` };
      try {
        answer.result = await run(recalled.sql, options.signal);
      } catch (err) {
        answer.error = errorOf(err);
      }
      return answer;
    }
    return { ...base, model: model.name, source: 'model', abstained: true, reason: failure.message, error: failure };
  }
}

/** The components matched (a recall answer) or the differences from the nearest pair (an abstention). */
function matchOf(r: RecallResult): Answer['match'] {
  if (!r.abstained) return { matched: r.matched, differences: [], nearest: { id: r.pair.id, file: r.pair.file, question: r.pair.question, similarity: r.similarity } };
  return { matched: [], differences: r.differences ?? [], nearest: r.nearest ? { id: r.nearest.pair.id, file: r.nearest.pair.file, question: r.nearest.pair.question, similarity: r.nearest.similarity } : null };
}

/** The approved pair nearest the question, for the model: its top example, with what differs said. */
function nearPairOf(r: RecallResult): NearPair | undefined {
  if (!r.abstained) {
    const adapted = r.adaptations.map((a) => `${a.from} → ${a.to}`);
    return { id: r.pair.id, question: r.pair.question, sql: r.pair.sql, differences: adapted.length ? [`only these literals differ: ${adapted.join(', ')}`] : [] };
  }
  if (!r.nearest || !r.differences?.length) return undefined;
  return { id: r.nearest.pair.id, question: r.nearest.pair.question, sql: r.nearest.pair.sql, differences: r.differences.map((d) => `the approved query ${d.pair}; this question asks ${d.asked}`) };
}

async function generate(question: string, grounding: Grounding, model: ChatModel, run: QueryRunner, options: AnswerOptions, base: Answer, near?: NearPair): Promise<Answer> {
  const turns: Turn[] = [...(options.turns ?? [])];
  const attempts: AnswerAttempt[] = [];
  const samples = Math.max(1, Math.min(options.samples ?? 1, 8));
  for (let round = 0; round <= MAX_REPAIRS; round++) {
    options.onStep?.(round === 0 ? 'generating' : 'repairing', round === 0 ? model.name : `attempt ${round + 1} of ${MAX_REPAIRS + 1}`);
    const messages = buildChat(grounding, question, turns, near);
    const candidates: Array<{ sql: string; result?: RunSummary; error?: AnswerError & { compact: string } }> = [];
    for (let s = 0; s < samples; s++) {
      const reply = await model.chat(messages, { signal: options.signal, onToken: s === 0 ? options.onToken : undefined, ...(s > 0 ? { temperature: 0.7, seed: s } : {}) });
      const sql = extractSql(reply);
      if (!sql) {
        candidates.push({ sql: '', error: { class: 'no-sql', message: `${model.name} answered without a SQL query.`, compact: 'Your reply contained no SQL query. Reply with one query in a ```sql block.' } });
        continue;
      }
      options.onStep?.('running');
      try {
        candidates.push({ sql, result: await run(sql, options.signal) });
      } catch (e) {
        const err = errorOf(e);
        candidates.push({ sql, error: { ...err, compact: e instanceof ExecutionError ? e.compact : err.message } });
      }
    }
    const chosen = vote(candidates);
    for (const c of candidates) attempts.push({ sql: c.sql || null, ...(c.error ? { error: { class: c.error.class, message: c.error.message } } : {}) });
    if (chosen.result) {
      return { ...base, sql: chosen.sql, source: 'model', model: model.name, assumptions: assumptionsIn(chosen.sql), result: chosen.result, attempts };
    }
    // Stopped by the person: the answer is that it was stopped, whatever the last query failed with.
    const error = options.signal?.aborted && chosen.error?.class !== 'cancelled' ? { class: 'cancelled' as const, message: 'Stopped.' } : chosen.error;
    if (error && !isRepairable(error.class)) {
      // No rewrite can fix these (a policy, nothing to run on, a person who stopped it): say so as it is.
      return { ...base, sql: chosen.sql || null, source: 'model', model: model.name, assumptions: chosen.sql ? assumptionsIn(chosen.sql) : [], error: strip(error), attempts };
    }
    if (round < MAX_REPAIRS) turns.push({ kind: 'repair', sql: chosen.sql || '-- (no query)', errorClass: chosen.error!.class, message: chosen.error!.compact });
  }
  const last = attempts.at(-1)!;
  return { ...base, sql: last.sql, source: 'model', model: model.name, assumptions: last.sql ? assumptionsIn(last.sql) : [], error: last.error ?? null, attempts };
}

/** The answer most samples agree on (by result), the first sample breaking ties; a result beats an error. */
function vote<T extends { sql: string; result?: RunSummary; error?: unknown }>(candidates: readonly T[]): T {
  const ok = candidates.filter((c) => c.result);
  if (ok.length === 0) return candidates[0]!;
  const key = (r: RunSummary) => canonicalJson([r.rowCount, [...r.rows.map((row) => canonicalJson(row))].sort()]);
  const counts = new Map<string, number>();
  for (const c of ok) counts.set(key(c.result!), (counts.get(key(c.result!)) ?? 0) + 1);
  return ok.reduce((best, c) => (counts.get(key(c.result!))! > counts.get(key(best.result!))! ? c : best), ok[0]!);
}

function errorOf(e: unknown): AnswerError {
  if (e instanceof ExecutionError) return { class: e.errorClass, message: e.message };
  return { class: 'runtime', message: (e as Error).message ?? String(e) };
}

/**
 * A model that failed because this request was stopped is `cancelled`, told by the request's own
 * signal, never by the error's wording; any other failure is classed by the model's kind.
 */
function modelFailureClass(e: unknown, signal: AbortSignal | undefined): ErrorClass {
  if (signal?.aborted) return 'cancelled';
  const kind = (e as Partial<ModelFailure>).kind;
  const named = kind ? `model-${kind}` : 'model';
  return isErrorClass(named) ? named : 'model';
}

function strip(e: AnswerError): AnswerError {
  return { class: e.class, message: e.message };
}
