import { createHash } from 'node:crypto';
import { birdEqual, hasOrderBy, spiderEqual } from '../execution/compare';
import type { ResultRow } from '../execution/result';
import { orderKeyColumns } from '../sql/ordering';

/**
 * Execution accuracy on held-out approved pairs (ARCHITECTURE.md, "Learning"): k folds, so that every pair is
 * answered by a version that did not see it; Spider's comparison (order only with ORDER BY,
 * multiset rows, column order ignored) and BIRD's set comparison; per query type (pair tags)
 * and per model version. The same numbers decide whether a candidate is promoted.
 */

/** recall: the deterministic engine; base: the base model with examples; specialised and adapter: built models. */
export type VersionKind = 'recall' | 'base' | 'specialised' | 'adapter';

export interface CaseResult {
  /** The pair's file, relative to the project. */
  pair: string;
  tags: string[];
  fold: number;
  version: string;
  status: 'correct' | 'wrong-result' | 'failed' | 'abstained' | 'gold-failed';
  spider: boolean;
  bird: boolean;
  sql: string | null;
  /** The error or the reason for abstaining. */
  detail?: string;
}

export interface Score {
  cases: number;
  spider: number;
  bird: number;
  /** spider / cases, 0 when there are no cases. */
  accuracy: number;
}

export interface VersionReport {
  version: string;
  kind: VersionKind;
  /** The Ollama model (for fold-built versions, the recipe's base and what was added). */
  model?: string;
  overall: Score;
  perTag: Record<string, Score>;
  /** Why some cases could not be judged or the version was not run. */
  notes: string[];
}

/**
 * Deterministic folds: pairs are ordered by a hash of their id and dealt round robin, so the
 * same pairs land in the same fold on every machine and a new pair moves no other.
 */
export function kFolds<T extends { id: string }>(pairs: readonly T[], k: number): T[][] {
  const n = Math.max(1, Math.min(k, pairs.length));
  const folds: T[][] = Array.from({ length: n }, () => []);
  const order = [...pairs].sort((a, b) => hashOf(a.id).localeCompare(hashOf(b.id)));
  order.forEach((p, i) => folds[i % n]!.push(p));
  return pairs.length === 0 ? [] : folds;
}

function hashOf(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export interface GoldResult {
  sql: string;
  /** The result's column names: they tell which columns the gold query sorts on. */
  columns: readonly string[];
  rows: readonly ResultRow[];
}

/**
 * Whether a predicted result counts as the gold one, by both benchmarks' rules. Rows that tie on
 * the gold query's sort keys may come in any order: the approved SQL itself returns them in a
 * different order from run to run.
 */
export function judge(gold: GoldResult, predicted: { rows: readonly ResultRow[] }): { spider: boolean; bird: boolean } {
  const ordered = hasOrderBy(gold.sql) && (orderKeyColumns(gold.sql, gold.columns) ?? true);
  return { spider: spiderEqual(gold, predicted, ordered), bird: birdEqual(gold, predicted) };
}

export function score(cases: readonly CaseResult[]): Score {
  const judged = cases.filter((c) => c.status !== 'gold-failed');
  const spider = judged.filter((c) => c.spider).length;
  return { cases: judged.length, spider, bird: judged.filter((c) => c.bird).length, accuracy: judged.length === 0 ? 0 : round3(spider / judged.length) };
}

export function versionReport(version: string, kind: VersionKind, cases: readonly CaseResult[], model?: string, notes: string[] = []): VersionReport {
  const mine = cases.filter((c) => c.version === version);
  const tags = [...new Set(mine.flatMap((c) => (c.tags.length ? c.tags : ['(untagged)'])))].sort();
  const perTag: Record<string, Score> = {};
  for (const t of tags) perTag[t] = score(mine.filter((c) => (c.tags.length ? c.tags.includes(t) : t === '(untagged)')));
  const goldFailed = mine.filter((c) => c.status === 'gold-failed').length;
  return {
    version,
    kind,
    ...(model ? { model } : {}),
    overall: score(mine),
    perTag,
    notes: [...notes, ...(goldFailed ? [`${goldFailed} approved pair${goldFailed === 1 ? '' : 's'} no longer run (see askdata test) and were not scored`] : [])],
  };
}

/** A candidate replaces the current version only if it is not worse on the same held-out pairs. */
export function promotion(current: VersionReport, candidate: VersionReport): { promote: boolean; reason: string } {
  const c = candidate.overall;
  const b = current.overall;
  if (c.cases === 0) return { promote: false, reason: `${candidate.version} answered no held-out pair, so there is nothing to judge it by.` };
  const pct = (s: Score) => `${(s.accuracy * 100).toFixed(1)}% (${s.spider}/${s.cases})`;
  if (c.accuracy >= b.accuracy) return { promote: true, reason: `${candidate.version} ${pct(c)} is not worse than ${current.version} ${pct(b)}.` };
  return { promote: false, reason: `${candidate.version} ${pct(c)} is worse than ${current.version} ${pct(b)}; the current model stays.` };
}

/**
 * Which version the evaluated candidate is judged against, and the verdict; undefined when either
 * was not evaluated. A specialised model that already answers is the same recipe as a rebuild
 * with today's pairs, which held-out folds cannot tell apart from it: the rebuild must still be no
 * worse than the base model, and then replaces the old build. `strict` (an adapter) promotes only
 * a candidate that is better, not merely as good.
 */
export function promotionDecision(reports: readonly VersionReport[], kinds: { candidate: VersionKind; current: VersionKind; strict: boolean }): { candidate: VersionReport; incumbent: VersionReport; promote: boolean; reason: string } | undefined {
  const candidate = reports.find((r) => r.kind === kinds.candidate);
  const incumbent = reports.find((r) => r.kind === (kinds.current === kinds.candidate ? 'base' : kinds.current));
  if (!candidate || !incumbent || candidate === incumbent) return undefined;
  const decision = promotion(incumbent, candidate);
  const promote = decision.promote && (!kinds.strict || candidate.overall.accuracy > incumbent.overall.accuracy);
  const reason = decision.promote && !promote ? `${decision.reason.replace(/ is not worse than /, ' is no better than ')} An adapter is used only when it is better.` : decision.reason;
  return { candidate, incumbent, promote, reason };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
