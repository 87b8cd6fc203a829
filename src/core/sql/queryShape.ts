import { isName, isWord, matchingParen, tokenize, type Token } from './tokens';

/**
 * What a query does, read lexically from any dialect: the relations it reads, its CTEs and output
 * columns, and the habits worth teaching a model (join keys, filters, aggregations, date buckets).
 * An approximation by design: it must work on half-rendered dbt models, where a parser would
 * give up. Safety never relies on it; the guard uses the database's own parser.
 */
export interface QueryShape {
  ctes: Array<{ name: string; output: OutputItem[] }>;
  /** The final SELECT's columns (the first branch of a set operation). */
  output: OutputItem[];
  /** Relations read, with CTE names resolved away where a CTE reads a single relation. */
  relations: string[];
  joins: JoinUse[];
  filters: FilterUse[];
  aggregations: AggregationUse[];
  dateBuckets: DateBucketUse[];
}

export type OutputItem = { name: string } | { star: true; relation?: string };

export interface ColumnRef {
  /** The relation the column belongs to, when the query says (through an alias or a single FROM). */
  relation?: string;
  column: string;
}

export interface JoinUse {
  left: ColumnRef & { relation: string };
  right: ColumnRef & { relation: string };
  kind: string;
  line: number;
}

export interface FilterUse extends ColumnRef {
  op: string;
  value?: string;
}

export interface AggregationUse extends ColumnRef {
  fn: string;
}

export interface DateBucketUse extends ColumnRef {
  unit: string;
  via: string;
}

const CLAUSE_END = new Set(['where', 'group', 'having', 'qualify', 'order', 'limit', 'offset', 'window', 'union', 'intersect', 'except', 'fetch', 'returning']);
const JOIN_WORDS = new Set(['join', 'inner', 'left', 'right', 'full', 'outer', 'cross', 'natural', 'semi', 'anti', 'asof', 'positional', 'lateral']);
const AGGREGATES = new Set(['sum', 'avg', 'min', 'max', 'count', 'median', 'stddev', 'stddev_samp', 'variance', 'count_if', 'sum_if', 'avg_if', 'approx_count_distinct', 'string_agg', 'group_concat', 'list', 'array_agg', 'quantile', 'quantile_cont', 'percentile_cont', 'mode', 'any_value', 'arg_max', 'arg_min', 'total', 'bool_or', 'bool_and']);
const DATE_PARTS = new Set(['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'dayofweek', 'dow', 'isodow', 'doy', 'dayofyear', 'epoch', 'yearweek', 'isoyear']);

interface Scope {
  /** alias (or bare name) → relation name, lower case; CTE references keep the CTE's name. */
  aliases: Map<string, string>;
  order: string[];
}

export function queryShape(sql: string): QueryShape {
  const tokens = tokenize(sql);
  const shape: QueryShape = { ctes: [], output: [], relations: [], joins: [], filters: [], aggregations: [], dateBuckets: [] };
  const cteBase = new Map<string, string | undefined>();
  const relations = new Set<string>();
  const reader = new ShapeReader(tokens, shape, cteBase, relations);
  // The last statement is the one a model materialises; earlier ones (dbt hooks rendered inline, a
  // `set` statement) still contribute their habits.
  const statements = splitStatements(tokens);
  statements.forEach(([a, b], i) => {
    const output = reader.query(a, b, true);
    if (i === statements.length - 1) shape.output = output;
  });
  const resolve = (name: string): string | undefined => (cteBase.has(name) ? cteBase.get(name) : name);
  shape.relations = [...relations].filter((r) => !cteBase.has(r)).sort();
  shape.joins = shape.joins.flatMap((j) => {
    const left = resolve(j.left.relation);
    const right = resolve(j.right.relation);
    return left && right && left !== right ? [{ ...j, left: { ...j.left, relation: left }, right: { ...j.right, relation: right } }] : [];
  });
  for (const use of [...shape.filters, ...shape.aggregations, ...shape.dateBuckets]) {
    if (use.relation) use.relation = resolve(use.relation);
  }
  return shape;
}

function splitStatements(tokens: Token[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  let depth = 0;
  tokens.forEach((t, i) => {
    if (t.kind !== 'punct') return;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth = Math.max(0, depth - 1);
    else if (t.text === ';' && depth === 0) {
      if (i > start) out.push([start, i]);
      start = i + 1;
    }
  });
  if (tokens.length > start) out.push([start, tokens.length]);
  return out;
}

class ShapeReader {
  /** For each `(`, the index of its `)` (or the last token): found once, not per lookup. */
  private readonly closes: Int32Array;

  constructor(
    private readonly t: Token[],
    private readonly shape: QueryShape,
    private readonly cteBase: Map<string, string | undefined>,
    private readonly relations: Set<string>,
  ) {
    this.closes = new Int32Array(t.length).fill(t.length - 1);
    const open: number[] = [];
    t.forEach((tok, i) => {
      if (tok.kind !== 'punct') return;
      if (tok.text === '(') open.push(i);
      else if (tok.text === ')' && open.length) this.closes[open.pop()!] = i;
    });
  }

  private close(i: number): number {
    return this.closes[i] ?? this.t.length - 1;
  }

  /** Reads a query expression in [a, b); returns its output columns. */
  query(a: number, b: number, topLevel = false): OutputItem[] {
    const t = this.t;
    let i = a;
    while (i < b && t[i]!.text === '(' && this.close(i) === b - 1) {
      a = i + 1;
      b = b - 1;
      i = a;
    }
    if (isWord(t[i], 'with')) {
      i++;
      if (isWord(t[i], 'recursive')) i++;
      while (i < b && isName(t[i])) {
        const name = t[i]!.text.toLowerCase();
        i++;
        if (t[i]?.text === '(') i = this.close(i) + 1;
        if (!isWord(t[i], 'as')) break;
        i++;
        if (isWord(t[i], 'not')) i++;
        if (isWord(t[i], 'materialized')) i++;
        if (t[i]?.text !== '(') break;
        const close = this.close(i);
        this.cteBase.set(name, undefined);
        const scopes: Scope[] = [];
        const output = this.queryWithScopes(i + 1, close, scopes);
        if (topLevel) this.shape.ctes.push({ name, output });
        const read = scopes.flatMap((s) => s.order.map((alias) => s.aliases.get(alias)!));
        const distinct = [...new Set(read)];
        this.cteBase.set(name, distinct.length === 1 ? (this.cteBase.has(distinct[0]!) ? this.cteBase.get(distinct[0]!) : distinct[0]) : undefined);
        i = close + 1;
        if (t[i]?.text === ',') i++;
        else break;
      }
    }
    return this.queryWithScopes(i, b, []);
  }

  private queryWithScopes(a: number, b: number, scopes: Scope[]): OutputItem[] {
    let output: OutputItem[] | undefined;
    for (let i = a; i < b; i++) {
      const tok = this.t[i]!;
      if (tok.kind === 'punct' && tok.text === '(') {
        const close = Math.min(this.close(i), b - 1);
        // Subqueries anywhere (FROM, IN, EXISTS, scalar) still show how the team queries.
        if (isWord(this.t[i + 1], 'select', 'with')) this.query(i + 1, close);
        i = close;
        continue;
      }
      if (isWord(tok, 'select')) {
        const scope: Scope = { aliases: new Map(), order: [] };
        const [items, end] = this.select(i, b, scope);
        scopes.push(scope);
        output ??= items;
        i = end - 1;
      }
    }
    return output ?? [];
  }

  /** One SELECT … FROM … WHERE … block starting at `s`; returns its items and where it ends. */
  private select(s: number, b: number, scope: Scope): [OutputItem[], number] {
    const t = this.t;
    let i = s + 1;
    if (isWord(t[i], 'distinct')) {
      i++;
      if (isWord(t[i], 'on') && t[i + 1]?.text === '(') i = this.close(i + 1) + 1;
    } else if (isWord(t[i], 'all')) i++;
    const listStart = i;
    i = this.skipTo(i, b, (tok) => isWord(tok, 'from') || inSet(tok, CLAUSE_END));
    const listEnd = i;
    if (isWord(t[i], 'from')) i = this.from(i + 1, b, scope);
    const items = this.selectList(listStart, listEnd, scope);
    this.scan(listStart, listEnd, scope);
    while (i < b && !isWord(t[i], 'union', 'intersect', 'except', 'select')) {
      const clause = t[i]!;
      const end = this.skipTo(i + 1, b, (tok) => inSet(tok, CLAUSE_END) || isWord(tok, 'select'));
      if (isWord(clause, 'where', 'having', 'qualify')) this.predicates(i + 1, end, scope);
      this.scan(i + 1, end, scope);
      i = end;
    }
    return [items, i];
  }

  /** Next index in [i, b) at paren depth 0 where `stop` holds, or b. */
  private skipTo(i: number, b: number, stop: (t: Token) => boolean): number {
    for (; i < b; i++) {
      const tok = this.t[i]!;
      if (tok.kind === 'punct' && tok.text === '(') {
        i = this.close(i);
        continue;
      }
      if (stop(tok)) return i;
    }
    return b;
  }

  private from(i: number, b: number, scope: Scope): number {
    const t = this.t;
    let joinKind = 'from';
    while (i < b) {
      const tok = t[i]!;
      if (inSet(tok, CLAUSE_END) || isWord(tok, 'select') || tok.text === ')') return i;
      if (tok.text === ',') {
        joinKind = 'cross';
        i++;
        continue;
      }
      if (inSet(tok, JOIN_WORDS)) {
        const words: string[] = [];
        while (inSet(t[i], JOIN_WORDS)) words.push(t[i++]!.text);
        joinKind = words.filter((w) => w !== 'outer' && w !== 'join').join(' ') || 'inner';
        continue;
      }
      // One FROM item: a name, a subquery, or a table function; then an optional alias.
      let relation: string | undefined;
      if (tok.text === '(') {
        const close = this.close(i);
        if (isWord(t[i + 1], 'select', 'with')) this.query(i + 1, close);
        i = close + 1;
      } else if (isName(tok) || tok.kind === 'word') {
        const parts = [tok.text];
        i++;
        while (t[i]?.text === '.' && (isName(t[i + 1]) || t[i + 1]?.kind === 'word')) {
          parts.push(t[i + 1]!.text);
          i += 2;
        }
        if (t[i]?.text === '(') {
          i = this.close(i) + 1; // table function
        } else {
          relation = parts[parts.length - 1]!.toLowerCase();
          this.relations.add(relation);
        }
      } else {
        i++;
        continue;
      }
      if (isWord(t[i], 'as')) i++;
      let alias = relation;
      if (isName(t[i]) && !inSet(t[i], JOIN_WORDS)) {
        alias = t[i]!.text.toLowerCase();
        i++;
        if (t[i]?.text === '(') i = this.close(i) + 1; // column aliases
      }
      // USING names columns of what is already joined; lexically we cannot tell which relation has
      // them, and the first one (the FROM's base, usually the fact table) is the best guess.
      const previous = scope.order[0];
      if (alias && relation) {
        scope.aliases.set(alias, relation);
        scope.order.push(alias);
      }
      if (isWord(t[i], 'on')) {
        const end = this.skipTo(i + 1, b, (x) => inSet(x, JOIN_WORDS) || inSet(x, CLAUSE_END) || x.text === ',' || x.text === ')');
        this.joinCondition(i + 1, end, scope, joinKind);
        this.predicates(i + 1, end, scope);
        i = end;
      } else if (isWord(t[i], 'using') && t[i + 1]?.text === '(') {
        const close = this.close(i + 1);
        const line = t[i]!.line;
        for (let k = i + 2; k < close; k++) {
          const col = t[k]!;
          if (!isName(col) || !relation || !previous) continue;
          const leftRelation = scope.aliases.get(previous)!;
          this.shape.joins.push({ left: { relation: leftRelation, column: col.text.toLowerCase() }, right: { relation, column: col.text.toLowerCase() }, kind: joinKind, line });
        }
        i = close + 1;
      }
    }
    return i;
  }

  private joinCondition(a: number, b: number, scope: Scope, kind: string): void {
    for (let i = a; i < b; i++) {
      const left = this.columnAt(i, scope);
      if (!left || this.t[left.next]?.text !== '=') continue;
      const right = this.columnAt(left.next + 1, scope);
      if (!right || !left.ref.relation || !right.ref.relation) continue;
      this.shape.joins.push({ left: left.ref as JoinUse['left'], right: right.ref as JoinUse['right'], kind, line: this.t[i]!.line });
      i = right.next - 1;
    }
  }

  /** `alias.column` or a bare column at i; bare columns belong to the scope's only relation. */
  private columnAt(i: number, scope: Scope): { ref: ColumnRef; next: number } | undefined {
    const t = this.t;
    if (!isName(t[i])) return undefined;
    if (t[i + 1]?.text === '(') return undefined;
    if (t[i + 1]?.text === '.' && isName(t[i + 2])) {
      const qualifier = t[i]!.text.toLowerCase();
      return { ref: { relation: scope.aliases.get(qualifier), column: t[i + 2]!.text.toLowerCase() }, next: i + 3 };
    }
    if (t[i - 1]?.text === '.') return undefined;
    const only = scope.order.length === 1 ? scope.aliases.get(scope.order[0]!) : undefined;
    return { ref: { relation: only, column: t[i]!.text.toLowerCase() }, next: i + 1 };
  }

  private predicates(a: number, b: number, scope: Scope): void {
    const t = this.t;
    for (let i = a; i < b; i++) {
      if (t[i - 1]?.text === '.' || (i > a && !isWord(t[i - 1], 'and', 'or', 'not', 'where', 'on') && t[i - 1]?.text !== '(')) continue;
      const col = this.columnAt(i, scope);
      if (!col) continue;
      const opTok = t[col.next];
      if (!opTok) continue;
      let op: string | undefined;
      let valueAt = col.next + 1;
      if (opTok.kind === 'punct' && ['=', '<', '>', '<=', '>=', '<>', '!='].includes(opTok.text)) op = opTok.text;
      else if (isWord(opTok, 'in', 'like', 'ilike', 'between')) op = opTok.text;
      else if (isWord(opTok, 'is')) {
        op = isWord(t[col.next + 1], 'not') ? 'is not null' : 'is null';
        valueAt = -1;
      } else if (isWord(opTok, 'not') && isWord(t[col.next + 1], 'in', 'like', 'ilike', 'between')) {
        op = `not ${t[col.next + 1]!.text}`;
        valueAt = col.next + 2;
      }
      if (!op) continue;
      const v = valueAt >= 0 ? t[valueAt] : undefined;
      const value = v && (v.kind === 'string' || v.kind === 'number' || isWord(v, 'true', 'false')) ? v.raw : v?.text === '(' ? literalList(t, valueAt) : undefined;
      // Column-to-column comparisons are join keys, not filters.
      if (value === undefined && valueAt >= 0 && isName(v)) continue;
      this.shape.filters.push({ ...col.ref, op, ...(value !== undefined ? { value } : {}) });
    }
  }

  /** Aggregations and date bucketing anywhere in [a, b). */
  private scan(a: number, b: number, scope: Scope): void {
    const t = this.t;
    for (let i = a; i < b; i++) {
      const fn = t[i]!;
      if (fn.text === '(' && isWord(t[i + 1], 'select', 'with')) {
        const close = this.close(i);
        this.query(i + 1, close);
        i = close;
        continue;
      }
      if (fn.kind !== 'word' || t[i + 1]?.text !== '(' || t[i - 1]?.text === '.') continue;
      const close = Math.min(this.close(i + 1), b);
      let k = i + 2;
      if (AGGREGATES.has(fn.text)) {
        if (isWord(t[k], 'distinct')) k++;
        const col = this.columnAt(k, scope);
        const name = col && (t[col.next]?.text === ')' || t[col.next]?.text === ',') ? col.ref : t[k]?.text === '*' ? { column: '*' } : undefined;
        if (name) this.shape.aggregations.push({ fn: fn.text + (isWord(t[i + 2], 'distinct') ? ' distinct' : ''), ...name });
      }
      const bucket = this.dateBucket(fn, i + 2, close, scope);
      if (bucket) this.shape.dateBuckets.push(bucket);
    }
  }

  private dateBucket(fn: Token, a: number, close: number, scope: Scope): DateBucketUse | undefined {
    const t = this.t;
    const unitOf = (tok: Token | undefined) => (tok && (tok.kind === 'string' || tok.kind === 'word') && DATE_PARTS.has(tok.text.toLowerCase()) ? tok.text.toLowerCase() : undefined);
    const colIn = (from: number) => {
      for (let k = from; k < close; k++) {
        const col = this.columnAt(k, scope);
        if (col) return col.ref;
      }
      return undefined;
    };
    if (['date_trunc', 'datetrunc', 'date_part', 'datepart', 'time_bucket'].includes(fn.text)) {
      const unit = unitOf(t[a]) ?? (t[a]?.kind === 'string' ? /(\d+\s*)?(\w+)/.exec(t[a].text)?.[2]?.replace(/s$/, '') : undefined);
      const col = colIn(a + 1);
      return unit && col ? { unit, via: fn.text, ...col } : undefined;
    }
    if (fn.text === 'extract') {
      const unit = unitOf(t[a]);
      const col = colIn(a + 2);
      return unit && col ? { unit, via: 'extract', ...col } : undefined;
    }
    if (fn.text === 'strftime') {
      const format = [t[a], t[close - 1]].find((x) => x?.kind === 'string')?.text ?? '';
      const unit = /%d/.test(format) ? 'day' : /%m/.test(format) ? 'month' : /%W|%V|%U/.test(format) ? 'week' : /%Y/.test(format) ? 'year' : undefined;
      const col = colIn(a);
      return unit && col ? { unit, via: 'strftime', ...col } : undefined;
    }
    if (DATE_PARTS.has(fn.text) && close - a <= 3) {
      const col = colIn(a);
      return col ? { unit: fn.text, via: fn.text, ...col } : undefined;
    }
    return undefined;
  }

  private selectList(a: number, b: number, scope: Scope): OutputItem[] {
    const t = this.t;
    const items: OutputItem[] = [];
    let start = a;
    for (let i = a; i <= b; i++) {
      if (i < b && t[i]!.text === '(') {
        i = this.close(i);
        continue;
      }
      if (i < b && t[i]!.text !== ',') continue;
      if (i > start) items.push(this.item(start, i, scope));
      start = i + 1;
    }
    return items;
  }

  private item(a: number, b: number, scope: Scope): OutputItem {
    const t = this.t;
    const last = t[b - 1]!;
    if (last.text === '*') {
      const qualifier = b - a >= 3 && t[b - 2]!.text === '.' ? t[b - 3]!.text.toLowerCase() : undefined;
      const relation = qualifier ? scope.aliases.get(qualifier) : scope.order.length === 1 ? scope.aliases.get(scope.order[0]!) : undefined;
      return relation ? { star: true, relation } : { star: true };
    }
    if (isWord(t[b - 2], 'as') || (b - a >= 2 && isName(last) && t[b - 2]!.text !== '.' && !isWord(t[b - 2], ...ENDS_EXPRESSION_NOT))) {
      return { name: last.text.toLowerCase() };
    }
    if (b - a === 1 && isName(last)) return { name: last.text.toLowerCase() };
    if (b - a === 3 && t[a + 1]!.text === '.' && isName(last)) return { name: last.text.toLowerCase() };
    return { name: '' };
  }
}

/** Is the token an unquoted word in the set? (isWord with a spread set allocates on every call.) */
function inSet(t: Token | undefined, words: ReadonlySet<string>): boolean {
  return !!t && t.kind === 'word' && words.has(t.text);
}

// A bare trailing word after these is part of the expression, not an alias (`x is not null`).
const ENDS_EXPRESSION_NOT = ['is', 'not', 'and', 'or', 'then', 'else', 'when', 'case', 'interval', 'in', 'like', 'distinct', 'by'];

function literalList(t: Token[], open: number): string | undefined {
  const close = matchingParen(t, open);
  const values = t.slice(open + 1, close).filter((x) => x.text !== ',');
  return values.length > 0 && values.every((v) => v.kind === 'string' || v.kind === 'number') ? `(${values.map((v) => v.raw).join(', ')})` : undefined;
}
