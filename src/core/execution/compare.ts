import { canonicalJson } from './fingerprint';
import type { ResultRow } from './result';

/**
 * Execution-accuracy comparison as the text-to-SQL field scores it.
 *
 * Spider: row order matters only when the gold query has ORDER BY, otherwise rows compare as a
 * multiset (duplicates count); column order and names are ignored — any permutation of the
 * predicted columns that makes the results equal passes; two empty results are equal; values
 * must match exactly.
 *
 * BIRD: `set(pred) == set(gold)` — order and duplicates ignored, column order significant.
 */
export interface ComparableResult {
  rows: readonly ResultRow[];
}

/** Whether Spider's scorer would treat `sql` as ordered: it looks for ORDER BY in the query. */
export function hasOrderBy(sql: string): boolean {
  const text = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/'(?:[^']|'')*'/g, "''");
  return /\border\s+by\b/i.test(text);
}

/**
 * `ordered`: false for a multiset comparison; true for Spider's ordered one; or the gold columns
 * the gold query sorts on (see `orderKeyColumns`), for an ordered comparison in which rows that
 * tie on those columns may come in any order, as the database itself may return them.
 */
export function spiderEqual(gold: ComparableResult, predicted: ComparableResult, ordered: boolean | readonly number[]): boolean {
  const g = gold.rows.map((r) => r.map(cell));
  const p = predicted.rows.map((r) => r.map(cell));
  if (g.length === 0 && p.length === 0) return true;
  if (g.length !== p.length) return false;
  const width = g[0]?.length ?? 0;
  if ((p[0]?.length ?? 0) !== width || p.some((r) => r.length !== width) || g.some((r) => r.length !== width)) return false;
  if (Array.isArray(ordered) && ordered.some((k) => k < 0 || k >= width)) ordered = true;
  // Runs of consecutive gold rows that compare as multisets: every row alone when strictly
  // ordered, rows tied on the sort keys together, the whole result when unordered.
  const runs = ordered === false ? [g.length] : ordered === true ? g.map(() => 1) : tieRuns(g, ordered);

  // Candidate gold columns for each predicted column: same values, run by run. This prunes the
  // permutations to try to almost always exactly one.
  const goldColumns = Array.from({ length: width }, (_, j) => g.map((r) => r[j]!));
  const predColumns = Array.from({ length: width }, (_, j) => p.map((r) => r[j]!));
  const key = (col: string[]) => byRuns(col, runs);
  const goldKeys = goldColumns.map(key);
  const candidates = predColumns.map((col) => {
    const k = key(col);
    return goldKeys.flatMap((gk, j) => (gk === k ? [j] : []));
  });
  if (candidates.some((c) => c.length === 0)) return false;

  const goldRows = byRuns(g.map((r) => r.join('\u0001')), runs);
  const used = new Array<boolean>(width).fill(false);
  const mapping = new Array<number>(width);
  const search = (i: number): boolean => {
    if (i === width) {
      // Predicted rows rearranged into gold column order.
      const rows = p.map((r) => {
        const out = new Array<string>(width);
        for (let j = 0; j < width; j++) out[mapping[j]!] = r[j]!;
        return out.join('\u0001');
      });
      return byRuns(rows, runs) === goldRows;
    }
    for (const j of candidates[i]!) {
      if (used[j]) continue;
      used[j] = true;
      mapping[i] = j;
      if (search(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  return search(0);
}

export function birdEqual(gold: ComparableResult, predicted: ComparableResult): boolean {
  const g = new Set(gold.rows.map((r) => r.map(cell).join('\u0001')));
  const p = new Set(predicted.rows.map((r) => r.map(cell).join('\u0001')));
  return g.size === p.size && [...g].every((r) => p.has(r));
}

function cell(v: unknown): string {
  return canonicalJson(v);
}

/** Lengths of the runs of consecutive rows with equal values in the key columns. */
function tieRuns(rows: readonly string[][], keys: readonly number[]): number[] {
  const runs: number[] = [];
  let previous: string | undefined;
  for (const r of rows) {
    const k = keys.map((j) => r[j]).join('\u0001');
    if (runs.length && k === previous) runs[runs.length - 1]!++;
    else runs.push(1);
    previous = k;
  }
  return runs;
}

/** One text for a sequence read run by run, each run as a sorted multiset. */
function byRuns(xs: readonly string[], runs: readonly number[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const n of runs) {
    const run = xs.slice(at, at + n);
    parts.push((n > 1 ? run.sort() : run).join('\u0000'));
    at += n;
  }
  return parts.join('\u0002');
}
