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

export function spiderEqual(gold: ComparableResult, predicted: ComparableResult, ordered: boolean): boolean {
  const g = gold.rows.map((r) => r.map(cell));
  const p = predicted.rows.map((r) => r.map(cell));
  if (g.length === 0 && p.length === 0) return true;
  if (g.length !== p.length) return false;
  const width = g[0]?.length ?? 0;
  if ((p[0]?.length ?? 0) !== width || p.some((r) => r.length !== width) || g.some((r) => r.length !== width)) return false;

  // Candidate gold columns for each predicted column: same values (as a sequence if ordered, else
  // as a multiset). This prunes the permutations to try to almost always exactly one.
  const goldColumns = Array.from({ length: width }, (_, j) => g.map((r) => r[j]!));
  const predColumns = Array.from({ length: width }, (_, j) => p.map((r) => r[j]!));
  const key = (col: string[]) => (ordered ? col.join('\u0000') : [...col].sort().join('\u0000'));
  const goldKeys = goldColumns.map(key);
  const candidates = predColumns.map((col) => {
    const k = key(col);
    return goldKeys.flatMap((gk, j) => (gk === k ? [j] : []));
  });
  if (candidates.some((c) => c.length === 0)) return false;

  const goldRows = ordered ? g.map((r) => r.join('\u0001')) : multiset(g.map((r) => r.join('\u0001')));
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
      return ordered ? rows.every((r, k) => r === (goldRows as string[])[k]) : sameMultiset(goldRows as Map<string, number>, multiset(rows));
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

function multiset(xs: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function sameMultiset(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, n] of a) if (b.get(k) !== n) return false;
  return true;
}
