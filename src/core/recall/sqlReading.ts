import { isWord, tokenize, type Token } from '../sql/tokens';
import type { Measure, SqlReading, Unit } from './components';
import { contentTokens, nameTerms } from './questionText';

/*
 * The components of an approved pair's SQL, read from its tokens the way components.ts reads a
 * question: measures, grain and its buckets, grouping, ranking and limit, the terms it names,
 * negation and comparisons, and the tables it reads.
 */

const AGGREGATE_FN: Record<string, Measure> = { count: 'count', sum: 'sum', avg: 'avg', mean: 'avg', median: 'median', quantile: 'median', quantile_cont: 'median', percentile_cont: 'median', max: 'max', min: 'min', total: 'sum' };
const DATE_FN_UNITS: Record<string, Unit> = { day: 'day', dayofmonth: 'day', week: 'week', weekofyear: 'week', month: 'month', quarter: 'quarter', year: 'year' };

/** A date bucket of the query: `date_trunc('month', col)`, `month(col)`, `strftime('%Y-%m', col)`, outside WHERE. */
export interface BucketUse {
  unit: Unit;
  /** The token holding the unit: the string of date_trunc, or the function name. */
  token: Token;
  via: 'date_trunc' | 'function';
}

export function readSql(sql: string): SqlReading & { buckets: BucketUse[] } {
  const tokens = tokenize(sql);
  const measures = new Set<Measure>();
  const terms = new Set<string>();
  const literalWords = new Set<string>();
  const buckets: BucketUse[] = [];
  let grouped = false;
  let negated = false;
  let greater = false;
  let less = false;
  let distinct = false;
  let intersect = false;
  const aliases = new Map<string, Token[]>();
  const tables = new Set<string>();
  const tableOf = new Map<string, string>();
  let clause = '';
  const clauseAt: string[] = [];
  let depth = 0;
  const clauseStack: string[] = [];
  let itemStart = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text === '(') {
      clauseStack.push(clause);
      depth++;
    } else if (t.kind === 'punct' && t.text === ')') {
      depth = Math.max(0, depth - 1);
      clause = clauseStack.pop() ?? clause;
    }
    if (t.kind === 'word') {
      if (t.text === 'select') {
        clause = 'select';
        itemStart = i + 1;
      } else if (['from', 'where', 'having', 'qualify', 'limit', 'join', 'on'].includes(t.text)) clause = t.text;
      else if ((t.text === 'group' || t.text === 'order' || t.text === 'partition') && isWord(tokens[i + 1], 'by')) clause = t.text;
      else if (t.text === 'filter' && tokens[i + 1]?.text === '(') clause = 'filter';
    }
    clauseAt.push(clause);
    if (t.kind === 'string' || (t.kind === 'quoted' && /\s/.test(t.text))) {
      for (const w of contentTokens(t.text)) literalWords.add(w);
    }
    if (t.kind === 'quoted') for (const w of contentTokens(t.text)) literalWords.add(w);
    if (t.kind === 'word' || t.kind === 'quoted') {
      if (t.kind === 'word' && tokens[i + 1]?.text === '(') {
        const fn = AGGREGATE_FN[t.text];
        if (fn) measures.add(fn);
      }
      if (!isKeyword(t)) for (const w of nameTerms(t.raw.replace(/^["`]|["`]$/g, ''))) terms.add(w);
      if (!isKeyword(t) && isWord(tokens[i - 1], 'from', 'join')) {
        const table = t.raw.replace(/^["`]|["`]$/g, '');
        tables.add(table);
        const alias = isWord(tokens[i + 1], 'as') ? tokens[i + 2] : tokens[i + 1];
        if (alias && (alias.kind === 'word' || alias.kind === 'quoted') && !isKeyword(alias)) tableOf.set(alias.text.toLowerCase(), table);
      }
    }
    if (t.kind === 'word' && t.text === 'group' && isWord(tokens[i + 1], 'by')) grouped = true;
    if (t.kind === 'word' && t.text === 'distinct') distinct = true;
    if (t.kind === 'word' && t.text === 'intersect') intersect = true;
    if (t.kind === 'word' && ((t.text === 'not' && !isWord(tokens[i - 1], 'is')) || t.text === 'except')) negated = true;
    if (t.kind === 'punct' && (t.text === '!=' || t.text === '<>')) negated = true;
    if (t.kind === 'punct' && (t.text === '>' || t.text === '>=') && clause !== 'on') greater = true;
    if (t.kind === 'punct' && (t.text === '<' || t.text === '<=') && clause !== 'on') less = true;
    if (t.kind === 'punct' && t.text === '/' && (clause === 'select' || depth > 0)) measures.add('share');
    if (t.kind === 'word' && t.text === 'as' && clause === 'select' && (tokens[i + 1]?.kind === 'word' || tokens[i + 1]?.kind === 'quoted') && itemStart >= 0) {
      aliases.set(tokens[i + 1]!.text.toLowerCase(), tokens.slice(itemStart, i));
    }
    if (t.kind === 'punct' && t.text === ',' && clause === 'select' && depth === 0) itemStart = i + 1;
    if (clause === 'select' || clause === 'group') {
      const bucket = bucketAt(tokens, i);
      if (bucket) buckets.push(bucket);
    }
  }
  // The grain: the bucket of the SELECT or GROUP BY, or a plain date column grouped on (a day).
  let grain: Unit | undefined = buckets[0]?.unit;
  if (!grain && grouped) {
    const groupAt = tokens.findIndex((t, i) => isWord(t, 'group') && isWord(tokens[i + 1], 'by'));
    const keys = tokens.slice(groupAt + 2).filter((t) => t.kind === 'word' || t.kind === 'quoted');
    const firstKey = keys[0];
    const resolved = firstKey && /^\d+$/.test(firstKey.text) ? undefined : firstKey;
    if (resolved && /(^|_)(date|day)$/.test(resolved.text.toLowerCase())) grain = 'day';
    const select = tokens.findIndex((t) => isWord(t, 'select'));
    const firstItem = tokens[select + 1];
    if (!grain && firstKey && /^\d+$/.test(firstKey.text) && firstItem && /(^|_)(date|day)$/.test(firstItem.text.toLowerCase()) && tokens[select + 2]?.text !== '(') grain = 'day';
  }

  // ORDER BY: the first key, its direction, and the terms of what it is computed from.
  let direction: 'desc' | 'asc' | undefined;
  const orderTerms = new Set<string>();
  let orderByCount = false;
  const orderAt = lastIndex(tokens, (t, i) => isWord(t, 'order') && isWord(tokens[i + 1], 'by') && depthAt(tokens, i) === 0);
  if (orderAt >= 0) {
    let k = orderAt + 2;
    let d = 0;
    const key: Token[] = [];
    for (; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (t.text === '(') d++;
      if (t.text === ')') d--;
      if (d === 0 && (t.text === ',' || isWord(t, 'limit', 'desc', 'asc', 'nulls', 'offset'))) break;
      key.push(t);
    }
    direction = isWord(tokens[k], 'desc') ? 'desc' : 'asc';
    const expand = (ts: Token[]) => {
      for (const t of ts) {
        if (t.kind !== 'word' && t.kind !== 'quoted') {
          if (t.text === '*') for (const table of tables) for (const w of nameTerms(table)) orderTerms.add(w);
          continue;
        }
        if (isKeyword(t)) {
          if (t.text === 'count') orderByCount = true;
          continue;
        }
        const aliased = aliases.get(t.text.toLowerCase());
        for (const w of nameTerms(t.raw.replace(/^["`]|["`]$/g, ''))) orderTerms.add(w);
        if (aliased && aliased !== ts) expand(aliased);
      }
    };
    const position = key.length === 1 && /^\d+$/.test(key[0]!.text) ? Number(key[0]!.text) : undefined;
    if (position !== undefined) {
      const items = selectItems(tokens);
      if (items[position - 1]) expand(items[position - 1]!);
    } else expand(key);
  }
  const groupKeys: string[][] = [];
  const groupAt = lastIndex(tokens, (t, i) => isWord(t, 'group') && isWord(tokens[i + 1], 'by') && depthAt(tokens, i) === 0);
  if (groupAt >= 0) {
    const items = selectItems(tokens);
    let current: Token[] = [];
    const flush = () => {
      const position = current.length === 1 && /^\d+$/.test(current[0]!.text) ? Number(current[0]!.text) : undefined;
      const keyTokens = position !== undefined ? items[position - 1] ?? [] : current;
      const resolved = keyTokens.length === 1 && aliases.has(keyTokens[0]!.text.toLowerCase()) ? aliases.get(keyTokens[0]!.text.toLowerCase())! : keyTokens;
      // A qualified key (t2.name) names its table too: "each shop" is grouped by the shop's name.
      const ts = resolved.filter((t) => (t.kind === 'word' || t.kind === 'quoted') && !isKeyword(t)).flatMap((t, k, all) => {
        const raw = t.raw.replace(/^["`]|["`]$/g, '');
        const next = resolved[resolved.indexOf(t) + 1];
        return next?.text === '.' ? nameTerms(tableOf.get(t.text.toLowerCase()) ?? raw) : all.length > 0 ? nameTerms(raw) : [];
      });
      if (ts.length > 0) groupKeys.push(ts);
      current = [];
    };
    for (let k = groupAt + 2; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (isWord(t, 'having', 'order', 'limit', 'union', 'intersect', 'except', 'qualify', 'window')) break;
      if (t.text === ')' && depthAt(tokens, k) === 0) break;
      if (t.text === ',') flush();
      else current.push(t);
    }
    flush();
  }
  const outputTerms = new Set<string>();
  const outputSources = new Set<string>();
  const outputMeasures = new Set<Measure>();
  for (const item of selectItems(tokens)) {
    item.forEach((t, k) => {
      if (t.kind === 'word' && item[k + 1]?.text === '(' && AGGREGATE_FN[t.text]) outputMeasures.add(AGGREGATE_FN[t.text]!);
      if ((t.kind === 'word' || t.kind === 'quoted') && !isKeyword(t)) for (const w of nameTerms(t.raw.replace(/^["`]|["`]$/g, ''))) outputSources.add(w);
    });
    const names = item.filter((t, k) => (t.kind === 'word' || t.kind === 'quoted') && !isKeyword(t) && item[k + 1]?.text !== '.' && item[k + 1]?.text !== '(');
    // An aggregate's output is its alias, or nothing nameable.
    const aggregated = item.some((t, k) => t.kind === 'word' && item[k + 1]?.text === '(');
    const alias = isWord(item.at(-2), 'as') ? item.at(-1) : undefined;
    for (const t of alias ? [alias] : aggregated ? [] : names) for (const w of nameTerms(t.raw.replace(/^["`]|["`]$/g, ''))) outputTerms.add(w);
  }
  const limitAt = lastIndex(tokens, (t) => isWord(t, 'limit'));
  const limit = limitAt >= 0 && tokens[limitAt + 1]?.kind === 'number' ? Number(tokens[limitAt + 1]!.text) : undefined;
  return { measures, grain, grouped, direction: orderAt >= 0 ? direction : undefined, limit, terms, orderTerms, orderByCount, literalWords, groupKeys, outputTerms, outputSources, outputMeasures, negated, greater, less, distinct, intersect, tables, buckets };
}

const KEYWORDS = new Set([
  'select', 'from', 'where', 'group', 'by', 'order', 'having', 'limit', 'join', 'on', 'as', 'and', 'or', 'not', 'in', 'is', 'null', 'left', 'right', 'inner', 'outer',
  'full', 'cross', 'desc', 'asc', 'distinct', 'case', 'when', 'then', 'else', 'end', 'with', 'union', 'all', 'intersect', 'except', 'between', 'like', 'ilike',
  'count', 'sum', 'avg', 'min', 'max', 'round', 'coalesce', 'nullif', 'cast', 'interval', 'current_date', 'date_trunc', 'filter', 'over', 'partition', 'lag', 'lead',
  'true', 'false', 'exists', 'using', 'extract', 'strftime', 'date', 'now', 'decimal', 'integer', 'varchar', 'day', 'week', 'month', 'quarter', 'year', 'offset', 'nulls',
]);

function isKeyword(t: Token): boolean {
  return t.kind === 'word' && KEYWORDS.has(t.text);
}

function depthAt(tokens: readonly Token[], at: number): number {
  let d = 0;
  for (let i = 0; i < at; i++) {
    if (tokens[i]!.text === '(') d++;
    else if (tokens[i]!.text === ')') d = Math.max(0, d - 1);
  }
  return d;
}

function lastIndex<T>(xs: readonly T[], f: (x: T, i: number) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (f(xs[i]!, i)) return i;
  return -1;
}

/** The items of the last top-level SELECT list, as token runs. */
function selectItems(tokens: readonly Token[]): Token[][] {
  const at = lastIndex(tokens, (t, i) => isWord(t, 'select') && depthAt(tokens, i) === 0);
  const items: Token[][] = [];
  let current: Token[] = [];
  let d = 0;
  for (let i = at + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === '(') d++;
    if (t.text === ')') d--;
    if (d === 0 && isWord(t, 'from')) break;
    if (d === 0 && t.text === ',') {
      items.push(current);
      current = [];
      continue;
    }
    current.push(t);
  }
  items.push(current);
  return items;
}

/** A date bucket starting at token i, applied to a data column (not to current_date). */
function bucketAt(tokens: readonly Token[], i: number): BucketUse | undefined {
  const t = tokens[i]!;
  if (t.kind !== 'word' || tokens[i + 1]?.text !== '(' || tokens[i - 1]?.text === '.') return undefined;
  const arg = (k: number) => tokens[k];
  const onData = (k: number) => {
    const a = arg(k);
    return !!a && (a.kind === 'word' || a.kind === 'quoted') && !['current_date', 'now', 'today', 'current_timestamp'].includes(a.text.toLowerCase());
  };
  if ((t.text === 'date_trunc' || t.text === 'datetrunc') && arg(i + 2)?.kind === 'string' && arg(i + 3)?.text === ',' && onData(i + 4)) {
    const unit = DATE_FN_UNITS[arg(i + 2)!.text.toLowerCase()];
    return unit ? { unit, token: arg(i + 2)!, via: 'date_trunc' } : undefined;
  }
  const unit = DATE_FN_UNITS[t.text];
  if (unit && onData(i + 2) && (arg(i + 3)?.text === ')' || (arg(i + 3)?.text === '.' && arg(i + 5)?.text === ')'))) return { unit, token: t, via: 'function' };
  return undefined;
}
