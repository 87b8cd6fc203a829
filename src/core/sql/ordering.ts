import { isWord, tokenize, type Token } from './tokens';

/**
 * Which output columns a query's outermost ORDER BY sorts on, as indices into `columns` (the
 * result's column names), so that a comparison can let rows that tie on them come in any order:
 * the database may return ties in a different order on every run (DuckDB does, under parallel
 * aggregation). Undefined when the query has no outermost ORDER BY, or when a sort key is not an
 * output column (then nothing tells ties apart, and order is compared strictly).
 */
export function orderKeyColumns(sql: string, columns: readonly string[]): number[] | undefined {
  const tokens = tokenize(sql);
  const depth = depths(tokens);
  const top = (i: number) => depth[i] === 0;
  let orderAt = -1;
  for (let i = 0; i + 1 < tokens.length; i++) if (top(i) && isWord(tokens[i], 'order') && isWord(tokens[i + 1], 'by')) orderAt = i;
  if (orderAt < 0) return undefined;
  let end = orderAt + 2;
  while (end < tokens.length && !(top(end) && (isWord(tokens[end], 'limit', 'offset', 'fetch') || tokens[end]!.text === ';'))) end++;
  const items = splitTopLevel(tokens, depth, orderAt + 2, end).map((item) => stripDirection(tokens, item));
  const selectItems = outermostSelectList(tokens, depth, orderAt);
  const keys: number[] = [];
  for (const [a, b] of items) {
    const key = resolveKey(tokens, a, b, columns, selectItems);
    if (key === undefined) return undefined;
    keys.push(key);
  }
  return keys.length ? keys : undefined;
}

function depths(tokens: readonly Token[]): number[] {
  let d = 0;
  return tokens.map((t) => {
    if (t.kind === 'punct' && t.text === ')') d = Math.max(0, d - 1);
    const here = d;
    if (t.kind === 'punct' && t.text === '(') d++;
    return here;
  });
}

function splitTopLevel(tokens: readonly Token[], depth: readonly number[], a: number, b: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = a;
  for (let i = a; i < b; i++) {
    if (depth[i] === 0 && tokens[i]!.kind === 'punct' && tokens[i]!.text === ',') {
      out.push([start, i]);
      start = i + 1;
    }
  }
  if (b > start) out.push([start, b]);
  return out;
}

function stripDirection(tokens: readonly Token[], [a, b]: [number, number]): [number, number] {
  while (b > a && isWord(tokens[b - 1], 'asc', 'desc', 'first', 'last', 'nulls')) b--;
  return [a, b];
}

/** The select items of the first top-level SELECT before `before`, each without its alias. */
function outermostSelectList(tokens: readonly Token[], depth: readonly number[], before: number): Array<{ expr: string; alias?: string }> | undefined {
  let s = -1;
  for (let i = 0; i < before; i++) {
    if (depth[i] === 0 && isWord(tokens[i], 'select')) {
      s = i;
      break;
    }
  }
  if (s < 0) return undefined;
  let a = s + 1;
  while (isWord(tokens[a], 'distinct', 'all')) a++;
  let b = a;
  while (b < before && !(depth[b] === 0 && isWord(tokens[b], 'from', 'where', 'group', 'having', 'qualify', 'window', 'union', 'intersect', 'except', 'order', 'limit'))) b++;
  return splitTopLevel(tokens, depth, a, b).map(([x, y]) => {
    const last = tokens[y - 1];
    const hasAs = y - x >= 3 && isWord(tokens[y - 2], 'as');
    const bareAlias = !hasAs && y - x >= 2 && last && (last.kind === 'word' || last.kind === 'quoted') && !isOperator(tokens[y - 2]);
    if (hasAs) return { expr: text(tokens, x, y - 2), alias: last!.text.toLowerCase() };
    if (bareAlias) return { expr: text(tokens, x, y - 1), alias: last.text.toLowerCase() };
    return { expr: text(tokens, x, y) };
  });
}

function isOperator(t: Token | undefined): boolean {
  return !t || (t.kind === 'punct' && t.text !== ')') || isWord(t, 'and', 'or', 'not', 'is', 'in', 'like', 'between', 'case', 'when', 'then', 'else', 'distinct');
}

function text(tokens: readonly Token[], a: number, b: number): string {
  return tokens.slice(a, b).map((t) => (t.kind === 'word' ? t.text : t.raw)).join(' ');
}

function resolveKey(tokens: readonly Token[], a: number, b: number, columns: readonly string[], select: Array<{ expr: string; alias?: string }> | undefined): number | undefined {
  if (b - a === 1 && tokens[a]!.kind === 'number') {
    const n = Number(tokens[a]!.text);
    return Number.isInteger(n) && n >= 1 && n <= columns.length ? n - 1 : undefined;
  }
  const isRef = (b - a === 1 || (b - a === 3 && tokens[a + 1]!.text === '.')) && (tokens[b - 1]!.kind === 'word' || tokens[b - 1]!.kind === 'quoted');
  if (isRef) {
    const name = tokens[b - 1]!.text.toLowerCase();
    const matches = columns.flatMap((c, i) => (c.toLowerCase() === name ? [i] : []));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) return undefined;
  }
  // An expression written out again (`order by sum(x) desc` over `sum(x) as total`).
  if (!select || select.length !== columns.length) return undefined;
  const expr = text(tokens, a, b);
  const at = select.findIndex((s) => s.expr === expr);
  return at >= 0 && select.findIndex((s, i) => i > at && s.expr === expr) < 0 ? at : undefined;
}
