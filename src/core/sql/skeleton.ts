import { RESERVED, tokenize } from './tokens';

const FUNCTIONS = new Set(['count', 'sum', 'avg', 'min', 'max', 'date_trunc', 'extract', 'strftime', 'date', 'coalesce', 'round', 'cast', 'lower', 'upper', 'length', 'abs']);

/**
 * A query with its names and values taken out: `select _ , count ( * ) from _ join _ on _ = _
 * group by _`. Two queries with the same skeleton do the same kind of thing to different data;
 * few-shot selection prefers examples whose skeleton matches the likely answer's.
 */
export function sqlSkeleton(sql: string): string[] {
  const out: string[] = [];
  for (const t of tokenize(sql)) {
    let s: string;
    if (t.kind === 'string' || t.kind === 'number') s = 'v';
    else if (t.kind === 'quoted') s = '_';
    else if (t.kind === 'word') s = RESERVED.has(t.text) || FUNCTIONS.has(t.text) ? t.text : '_';
    else s = t.text;
    // `a.b` is one name.
    if ((s === '_' && out.at(-1) === '.' && out.at(-2) === '_') || (s === '.' && out.at(-1) === '_')) {
      if (s === '_') out.pop();
      else out.push(s);
      continue;
    }
    out.push(s);
  }
  return out;
}

/** The skeleton as one string, for equality. */
export function skeletonKey(sql: string): string {
  return sqlSkeleton(sql).join(' ');
}

/** Dice similarity of two skeletons' token bigrams, 0–1. */
export function skeletonSimilarity(a: readonly string[], b: readonly string[]): number {
  const grams = (s: readonly string[]) => {
    const m = new Map<string, number>();
    for (let i = 0; i + 1 < s.length; i++) {
      const g = `${s[i]} ${s[i + 1]}`;
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    return m;
  };
  const ga = grams(a);
  const gb = grams(b);
  let common = 0;
  let total = 0;
  for (const [g, n] of ga) {
    common += Math.min(n, gb.get(g) ?? 0);
    total += n;
  }
  for (const n of gb.values()) total += n;
  return total === 0 ? (a.join() === b.join() ? 1 : 0) : (2 * common) / total;
}
