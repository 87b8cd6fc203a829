/**
 * A forgiving SQL lexer for reading structure out of queries we did not write (models, analyses,
 * saved queries). It never throws: whatever it cannot classify becomes a punctuation token, so a
 * half-rendered dbt model still yields its tables, joins and columns.
 */
export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct';

export interface Token {
  kind: TokenKind;
  /** The token's text; for `word` lower-cased, for `quoted` the unquoted name. */
  text: string;
  /** The text as written. */
  raw: string;
  start: number;
  /** 1-based line of the token's start. */
  line: number;
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = sql.length;
  const advanceLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (sql.charCodeAt(k) === 10) line++;
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      advanceLines(i, stop);
      i = stop;
      continue;
    }
    const start = i;
    const startLine = line;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < n) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      const stop = Math.min(j + 1, n);
      advanceLines(i, stop);
      const raw = sql.slice(start, stop);
      const inner = raw.slice(1, raw.endsWith(c) && raw.length > 1 ? -1 : undefined).split(c + c).join(c);
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text: inner, raw, start, line: startLine });
      i = stop;
      continue;
    }
    if (isIdentStart(sql.charCodeAt(i))) {
      let j = i + 1;
      while (j < n && isIdentPart(sql.charCodeAt(j))) j++;
      const raw = sql.slice(i, j);
      tokens.push({ kind: 'word', text: raw.toLowerCase(), raw, start, line: startLine });
      i = j;
      continue;
    }
    if (isDigit(sql.charCodeAt(i)) || (c === '.' && isDigit(sql.charCodeAt(i + 1)))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(sql.slice(i, i + 64))!;
      tokens.push({ kind: 'number', text: m[0], raw: m[0], start, line: startLine });
      i += m[0].length;
      continue;
    }
    const two = sql.slice(i, i + 2);
    const op = ['<=', '>=', '<>', '!=', '::', '||', '->', '=>'].includes(two) ? two : c;
    tokens.push({ kind: 'punct', text: op, raw: op, start, line: startLine });
    i += op.length;
  }
  return tokens;
}

// Character tests by code: the lexer runs over every model in the workspace.
function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isIdentStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 0xc0;
}

function isIdentPart(code: number): boolean {
  return isIdentStart(code) || isDigit(code) || code === 36;
}

/** Is the token this keyword (case-insensitive, unquoted)? */
export function isWord(t: Token | undefined, ...words: string[]): boolean {
  return !!t && t.kind === 'word' && words.includes(t.text);
}

/** Is the token a name: an unquoted word that is not a reserved word, or a quoted identifier. */
export function isName(t: Token | undefined): boolean {
  return !!t && (t.kind === 'quoted' || (t.kind === 'word' && !RESERVED.has(t.text)));
}

/** Index of the token that closes the parenthesis opened at `open`, or the last index. */
export function matchingParen(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!.text;
    if (tokens[i]!.kind !== 'punct') continue;
    if (t === '(') depth++;
    else if (t === ')' && --depth === 0) return i;
  }
  return tokens.length - 1;
}

// Words that end an alias-less relation or start a clause, so that `from orders where` does not
// read `where` as the alias of `orders`.
export const RESERVED = new Set([
  'select', 'from', 'where', 'group', 'order', 'by', 'having', 'limit', 'offset', 'union', 'intersect', 'except',
  'join', 'inner', 'left', 'right', 'full', 'outer', 'cross', 'natural', 'on', 'using', 'as', 'and', 'or', 'not',
  'in', 'is', 'null', 'like', 'ilike', 'between', 'case', 'when', 'then', 'else', 'end', 'with', 'recursive',
  'distinct', 'all', 'qualify', 'window', 'over', 'partition', 'lateral', 'asc', 'desc', 'nulls', 'first', 'last',
  'values', 'returning', 'fetch', 'semi', 'anti', 'asof', 'positional', 'pivot', 'unpivot', 'true', 'false', 'exists',
  'cast', 'interval', 'filter', 'within', 'any', 'some', 'escape', 'similar', 'glob', 'materialized', 'rows', 'range',
  'preceding', 'following', 'unbounded', 'current', 'row', 'only', 'ties', 'collate', 'sample', 'tablesample',
]);
