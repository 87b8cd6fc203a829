import { JinjaSyntaxError, parseExpr, parseParams, parseTargets, type Expr } from './jinjaExpr';

/**
 * The parse half of the dbt Jinja renderer (jinja.ts renders): a file's text into tag and text
 * pieces, where Jinja's lexer would cut them, and those into a tree of nodes with each macro
 * definition and snapshot block found. Syntax problems are warnings with their line; parsing
 * never stops at one.
 */
export interface JinjaWarning {
  line: number;
  message: string;
}

export type MacroNode = { k: 'macro'; name: string; params: Array<{ name: string; default?: Expr }>; body: Node[]; line: number };

export type Node =
  | { k: 'text'; text: string }
  | { k: 'out'; src: string; line: number; expr?: Expr }
  | { k: 'if'; branches: Array<{ test?: Expr; body: Node[] }>; line: number }
  | { k: 'for'; targets: string[]; iter?: Expr; filter?: Expr; src: string; body: Node[]; empty: Node[]; line: number }
  | { k: 'set'; targets: string[]; value?: Expr; body?: Node[]; line: number }
  | MacroNode
  | { k: 'do'; expr?: Expr; line: number }
  | { k: 'callblock'; expr?: Expr; params: Array<{ name: string; default?: Expr }>; body: Node[]; line: number }
  | { k: 'filterblock'; filters: Expr[]; body: Node[]; line: number }
  | { k: 'with'; assigns: Array<{ targets: string[]; value?: Expr }>; body: Node[]; line: number }
  | { k: 'break' | 'continue'; line: number }
  | { k: 'unsupported'; what: string; line: number };

export interface Template {
  nodes: Node[];
  warnings: JinjaWarning[];
  macros: Map<string, MacroNode>;
  /** `{% snapshot name %}` blocks, in order: a snapshot file's nodes are named by them. */
  snapshots: Array<{ name: string; line: number }>;
}

type Piece = { k: 'text'; text: string } | { k: 'tag'; kind: '{{' | '{%'; code: string; line: number };

/**
 * Where a `}}` or `%}` closes the tag opened before `from`: as Jinja's lexer does, not inside a
 * string literal (a post-hook's `"{{ … }}"`) nor inside brackets (`{'a': {'b': 1}}`).
 */
function findClose(src: string, from: number, close: string): number {
  let quote = '';
  let depth = 0;
  for (let i = from; i < src.length - 1; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (depth === 0 && c === close[0] && src[i + 1] === close[1]) return i;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
  }
  // An unbalanced quote (broken code): Jinja would fail; the plain search at least finds the tag's end.
  return src.indexOf(close, from);
}

function scan(src: string, warnings: JinjaWarning[]): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let line = 1;
  let text = '';
  let trimNext = false;
  const lineAt = (from: number, to: number) => {
    for (let k = src.indexOf('\n', from); k >= 0 && k < to; k = src.indexOf('\n', k + 1)) line++;
  };
  while (i < src.length) {
    const next = findOpen(src, i);
    if (next < 0) {
      text += trimNext ? src.slice(i).replace(/^\s+/, '') : src.slice(i);
      trimNext = false;
      break;
    }
    let chunk = src.slice(i, next);
    if (trimNext) chunk = chunk.replace(/^\s+/, '');
    trimNext = false;
    const kind = src.slice(next, next + 2) as '{{' | '{%' | '{#';
    const leftTrim = src[next + 2] === '-';
    // `{%+` and `+%}` turn off lstrip/trim_blocks, which dbt never turns on: no effect.
    const leftPlus = src[next + 2] === '+';
    if (leftTrim) chunk = chunk.replace(/\s+$/, '');
    text += chunk;
    lineAt(i, next);
    const close = kind === '{{' ? '}}' : kind === '{%' ? '%}' : '#}';
    const end = kind === '{#' ? src.indexOf(close, next + 2) : findClose(src, next + 2, close);
    const tagLine = line;
    if (end < 0) {
      warnings.push({ line: tagLine, message: `${kind} is never closed with ${close}; the rest of the file is read as plain SQL` });
      text += src.slice(next);
      break;
    }
    lineAt(next, end + 2);
    i = end + 2;
    let code = src.slice(next + 2 + (leftTrim || leftPlus ? 1 : 0), end);
    if (code.endsWith('-')) {
      code = code.slice(0, -1);
      trimNext = true;
    } else if (code.endsWith('+')) code = code.slice(0, -1);
    if (kind === '{#') continue;
    if (kind === '{%' && /^\s*raw\s*$/.test(code)) {
      const endRaw = /\{%-?\s*endraw\s*-?%\}/.exec(src.slice(i));
      if (!endRaw) {
        warnings.push({ line: tagLine, message: '{% raw %} has no {% endraw %}' });
        text += src.slice(i);
        break;
      }
      text += src.slice(i, i + endRaw.index);
      lineAt(i, i + endRaw.index + endRaw[0].length);
      i += endRaw.index + endRaw[0].length;
      continue;
    }
    if (text) pieces.push({ k: 'text', text });
    text = '';
    pieces.push({ k: 'tag', kind, code: code.trim(), line: tagLine });
  }
  if (text) pieces.push({ k: 'text', text });
  return pieces;
}

function findOpen(src: string, from: number): number {
  for (let i = src.indexOf('{', from); i >= 0; i = src.indexOf('{', i + 1)) {
    const c = src[i + 1];
    if (c === '{' || c === '%' || c === '#') return i;
  }
  return -1;
}

const BLOCK_ENDS: Record<string, string> = { if: 'endif', for: 'endfor', macro: 'endmacro', call: 'endcall', filter: 'endfilter', set: 'endset', with: 'endwith', materialization: 'endmaterialization', test: 'endtest', data_test: 'enddata_test', docs: 'enddocs', snapshot: 'endsnapshot', block: 'endblock' };
/** Jinja statements that are valid but that this renderer does not evaluate. */
const JINJA_ONLY = new Set(['include', 'import', 'from', 'extends', 'autoescape', 'trans', 'pluralize', 'print']);
const ENDS = new Set(['elif', 'else', ...Object.values(BLOCK_ENDS)]);

export function parseTemplate(src: string): Template {
  const warnings: JinjaWarning[] = [];
  const pieces = scan(src, warnings);
  const macros = new Map<string, MacroNode>();
  const snapshots: Template['snapshots'] = [];
  let i = 0;
  const expr = (code: string, line: number): Expr | undefined => {
    try {
      return parseExpr(code);
    } catch (e) {
      if (!(e instanceof JinjaSyntaxError)) throw e;
      warnings.push({ line, message: `cannot read the Jinja expression "${oneLine(code)}": ${e.message}` });
      return undefined;
    }
  };
  // `1, 2` on the right of `{% set a, b = 1, 2 %}` is a tuple without brackets.
  const tupleExpr = (code: string, line: number): Expr | undefined => {
    try {
      return parseExpr(code, { tuple: true });
    } catch (e) {
      if (!(e instanceof JinjaSyntaxError)) throw e;
      warnings.push({ line, message: `cannot read the Jinja expression "${oneLine(code)}": ${e.message}` });
      return undefined;
    }
  };
  const params = (code: string, line: number) => {
    try {
      return parseParams(code);
    } catch (e) {
      if (!(e instanceof JinjaSyntaxError)) throw e;
      warnings.push({ line, message: `cannot read the macro parameters "${oneLine(code)}": ${e.message}` });
      return [];
    }
  };
  // Reads nodes until one of `stops` (a statement keyword) and returns it, or undefined at the end.
  const block = (stops: string[]): [Node[], { word: string; rest: string; line: number } | undefined] => {
    const nodes: Node[] = [];
    while (i < pieces.length) {
      const p = pieces[i++]!;
      if (p.k === 'text') {
        nodes.push({ k: 'text', text: p.text });
        continue;
      }
      if (p.kind === '{{') {
        nodes.push({ k: 'out', src: p.code, line: p.line, expr: expr(p.code, p.line) });
        continue;
      }
      const word = /^\w+/.exec(p.code)?.[0] ?? '';
      const rest = p.code.slice(word.length).trim();
      if (stops.includes(word)) return [nodes, { word, rest, line: p.line }];
      const node = statement(word, rest, p.line);
      if (node) nodes.push(node);
    }
    return [nodes, undefined];
  };
  const closed = (word: string, line: number, stop: unknown) => {
    if (!stop) warnings.push({ line, message: `{% ${word} %} is never closed with {% ${BLOCK_ENDS[word]} %}` });
  };
  const statement = (word: string, rest: string, line: number): Node | undefined => {
    switch (word) {
      case 'if': {
        const branches: Array<{ test?: Expr; body: Node[] }> = [];
        let test: Expr | undefined = expr(rest, line);
        for (;;) {
          const [body, stop] = block(['elif', 'else', 'endif']);
          branches.push({ test, body });
          if (!stop) {
            closed('if', line, stop);
            break;
          }
          if (stop.word === 'endif') break;
          test = stop.word === 'elif' ? expr(stop.rest, stop.line) : undefined;
        }
        return { k: 'if', branches, line };
      }
      case 'for': {
        const m = /^(.+?)\s+in\s+(.+?)(?:\s+if\s+(.+?))?(\s+recursive)?$/s.exec(rest);
        const [body, stop] = block(['else', 'endfor']);
        let empty: Node[] = [];
        if (stop?.word === 'else') [empty] = block(['endfor']);
        closed('for', line, stop);
        if (!m) {
          warnings.push({ line, message: `cannot read {% for ${oneLine(rest)} %}` });
          return { k: 'for', targets: [], src: rest, body, empty, line };
        }
        const filter = m[3] ? expr(m[3], line) : undefined;
        return { k: 'for', targets: parseTargets(m[1]!), iter: expr(m[2]!, line), ...(filter ? { filter } : {}), src: m[2]!.trim(), body, empty, line };
      }
      case 'set': {
        const eq = /(^|[^=!<>])=(?!=)/.exec(rest);
        if (eq) {
          const at = eq.index + eq[1]!.length;
          return { k: 'set', targets: parseTargets(rest.slice(0, at)), value: tupleExpr(rest.slice(at + 1).trim(), line), line };
        }
        const [body, stop] = block(['endset']);
        closed('set', line, stop);
        return { k: 'set', targets: parseTargets(rest.replace(/\|.*$/, '')), body, line };
      }
      case 'macro': {
        const m = /^(\w+)\s*\((.*)\)\s*$/s.exec(rest);
        const [body, stop] = block(['endmacro']);
        closed('macro', line, stop);
        if (!m) {
          warnings.push({ line, message: `cannot read {% macro ${oneLine(rest)} %}` });
          return undefined;
        }
        const node: MacroNode = { k: 'macro', name: m[1]!, params: params(m[2]!, line), body, line };
        macros.set(node.name, node);
        return node;
      }
      case 'call': {
        const m = /^(?:\((.*?)\)\s*)?(.*)$/s.exec(rest)!;
        const [body, stop] = block(['endcall']);
        closed('call', line, stop);
        return { k: 'callblock', expr: expr(m[2]!, line), params: m[1] ? params(m[1], line) : [], body, line };
      }
      case 'filter': {
        const [body, stop] = block(['endfilter']);
        closed('filter', line, stop);
        const filters = rest.split('|').map((f) => expr(`__body__|${f.trim()}`, line)).filter((f): f is Expr => !!f);
        return { k: 'filterblock', filters, body, line };
      }
      case 'with': {
        const [body, stop] = block(['endwith']);
        closed('with', line, stop);
        const assigns = rest ? splitTopLevel(rest).map((part) => {
          const eq = /(^|[^=!<>])=(?!=)/.exec(part);
          if (!eq) return { targets: [] };
          const at = eq.index + eq[1]!.length;
          return { targets: parseTargets(part.slice(0, at)), value: expr(part.slice(at + 1).trim(), line) };
        }) : [];
        return { k: 'with', assigns, body, line };
      }
      case 'materialization':
      case 'test':
      case 'data_test':
      case 'docs': {
        // Their bodies are not part of a model's query.
        const [, stop] = block([BLOCK_ENDS[word]!]);
        closed(word, line, stop);
        return undefined;
      }
      case 'snapshot':
      case 'block': {
        const [body, stop] = block([BLOCK_ENDS[word]!]);
        closed(word, line, stop);
        const name = /^\w+/.exec(rest)?.[0];
        if (word === 'snapshot' && name) snapshots.push({ name, line });
        return { k: 'if', branches: [{ body }], line };
      }
      case 'do':
        return { k: 'do', expr: expr(rest, line), line };
      case 'break':
      case 'continue':
        return { k: word, line };
      default:
        if (JINJA_ONLY.has(word)) return { k: 'unsupported', what: `{% ${word} %}`, line };
        if (ENDS.has(word)) warnings.push({ line, message: `{% ${word} %} has no matching opening tag` });
        else warnings.push({ line, message: `unknown Jinja statement {% ${word} %}; it is ignored` });
        return undefined;
    }
  };
  const [nodes] = block([]);
  return { nodes, warnings: warnings.sort((a, b) => a.line - b.line), macros, snapshots };
}

/** `a = 1, b = f(2, 3)`: split on the commas outside brackets and strings. */
function splitTopLevel(src: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(src.slice(start, i));
      start = i + 1;
    }
  }
  out.push(src.slice(start));
  return out.map((p) => p.trim()).filter(Boolean);
}

function oneLine(code: string): string {
  const s = code.replace(/\s+/g, ' ').trim();
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}
