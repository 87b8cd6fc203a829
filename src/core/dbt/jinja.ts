import { evaluate, isCallable, JinjaSyntaxError, parseExpr, parseTargets, toText, truthy, UNKNOWN, type Expr, type JValue } from './jinjaExpr';

/**
 * A tolerant renderer for the Jinja in dbt files. It renders what it can know without a database
 * (refs, sources, vars, literal loops, project macros) and keeps going past what it cannot: an
 * unknown macro becomes a comment in the SQL, an unbalanced block a warning with its line.
 * (A general Jinja engine stops at the first unknown name, which in dbt code is every other line.)
 */
export interface JinjaWarning {
  line: number;
  message: string;
}

type Node =
  | { k: 'text'; text: string }
  | { k: 'out'; src: string; line: number; expr?: Expr }
  | { k: 'if'; branches: Array<{ test?: Expr; body: Node[] }>; line: number }
  | { k: 'for'; targets: string[]; iter?: Expr; body: Node[]; empty: Node[]; line: number }
  | { k: 'set'; targets: string[]; value?: Expr; body?: Node[]; line: number }
  | { k: 'macro'; name: string; params: Array<{ name: string; default?: Expr }>; body: Node[]; line: number }
  | { k: 'call'; expr?: Expr; line: number }
  | { k: 'skip' };

export interface Template {
  nodes: Node[];
  warnings: JinjaWarning[];
  macros: Map<string, Extract<Node, { k: 'macro' }>>;
}

type Piece = { k: 'text'; text: string } | { k: 'tag'; kind: '{{' | '{%'; code: string; line: number };

function scan(src: string, warnings: JinjaWarning[]): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let line = 1;
  let text = '';
  let trimNext = false;
  const lineAt = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (src.charCodeAt(k) === 10) line++;
  };
  while (i < src.length) {
    const open = src.indexOf('{', i);
    const next = open < 0 ? -1 : findOpen(src, open);
    if (next < 0) {
      text += src.slice(i);
      break;
    }
    let chunk = src.slice(i, next);
    if (trimNext) chunk = chunk.replace(/^\s+/, '');
    trimNext = false;
    const kind = src.slice(next, next + 2) as '{{' | '{%' | '{#';
    const leftTrim = src[next + 2] === '-';
    if (leftTrim) chunk = chunk.replace(/\s+$/, '');
    text += chunk;
    lineAt(i, next);
    const close = kind === '{{' ? '}}' : kind === '{%' ? '%}' : '#}';
    const end = src.indexOf(close, next + 2);
    const tagLine = line;
    if (end < 0) {
      warnings.push({ line: tagLine, message: `${kind} is never closed with ${close}; the rest of the file is read as plain SQL` });
      text += src.slice(next);
      break;
    }
    lineAt(next, end + 2);
    i = end + 2;
    if (kind === '{#') continue;
    let code = src.slice(next + 2 + (leftTrim ? 1 : 0), end);
    if (code.endsWith('-')) {
      code = code.slice(0, -1);
      trimNext = true;
    }
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
  if (trimNext) text = text.replace(/^\s+/, '');
  if (text) pieces.push({ k: 'text', text });
  return pieces;
}

function findOpen(src: string, from: number): number {
  for (let i = from; i >= 0 && i < src.length; i = src.indexOf('{', i + 1)) {
    const c = src[i + 1];
    if (c === '{' || c === '%' || c === '#') return i;
  }
  return -1;
}

const BLOCK_ENDS: Record<string, string> = { if: 'endif', for: 'endfor', macro: 'endmacro', call: 'endcall', filter: 'endfilter', set: 'endset', materialization: 'endmaterialization', test: 'endtest', docs: 'enddocs', snapshot: 'endsnapshot', block: 'endblock' };

export function parseTemplate(src: string): Template {
  const warnings: JinjaWarning[] = [];
  const pieces = scan(src, warnings);
  const macros = new Map<string, Extract<Node, { k: 'macro' }>>();
  let i = 0;
  const expr = (code: string, line: number): Expr | undefined => {
    try {
      return parseExpr(code);
    } catch (e) {
      if (e instanceof JinjaSyntaxError) warnings.push({ line, message: `cannot read the Jinja expression "${code.slice(0, 60)}": ${e.message}` });
      else throw e;
      return undefined;
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
  const unclosed = (word: string, line: number) => warnings.push({ line, message: `{% ${word} %} is never closed with {% ${BLOCK_ENDS[word]} %}` });
  const statement = (word: string, rest: string, line: number): Node | undefined => {
    switch (word) {
      case 'if': {
        const branches: Array<{ test?: Expr; body: Node[] }> = [];
        let test: Expr | undefined = expr(rest, line);
        for (;;) {
          const [body, stop] = block(['elif', 'else', 'endif']);
          branches.push({ test, body });
          if (!stop) {
            unclosed('if', line);
            break;
          }
          if (stop.word === 'endif') break;
          test = stop.word === 'elif' ? expr(stop.rest, stop.line) : undefined;
        }
        return { k: 'if', branches, line };
      }
      case 'for': {
        const m = /^(.+?)\s+in\s+(.+?)(\s+if\s+.+)?$/s.exec(rest);
        const [body, stop] = block(['else', 'endfor']);
        let empty: Node[] = [];
        if (stop?.word === 'else') [empty] = block(['endfor']);
        if (!stop) unclosed('for', line);
        if (!m) warnings.push({ line, message: `cannot read {% for ${rest.slice(0, 40)} %}` });
        return { k: 'for', targets: m ? parseTargets(m[1]!) : [], iter: m ? expr(m[2]!, line) : undefined, body, empty, line };
      }
      case 'set': {
        const eq = rest.indexOf('=');
        if (eq >= 0 && rest[eq + 1] !== '=') return { k: 'set', targets: parseTargets(rest.slice(0, eq)), value: expr(rest.slice(eq + 1).trim(), line), line };
        const [body, stop] = block(['endset']);
        if (!stop) unclosed('set', line);
        return { k: 'set', targets: parseTargets(rest), body, line };
      }
      case 'macro': {
        const m = /^(\w+)\s*\((.*)\)\s*$/s.exec(rest);
        const [body, stop] = block(['endmacro']);
        if (!stop) unclosed('macro', line);
        if (!m) {
          warnings.push({ line, message: `cannot read {% macro ${rest.slice(0, 40)} %}` });
          return undefined;
        }
        const params = splitTopLevel(m[2]!).map((p) => {
          const [name, def] = p.split(/=(.*)/s).map((s) => s.trim());
          return { name: name!, default: def ? expr(def, line) : undefined };
        }).filter((p) => p.name);
        const node = { k: 'macro' as const, name: m[1]!, params, body, line };
        macros.set(node.name, node);
        return node;
      }
      case 'call':
      case 'filter':
      case 'materialization':
      case 'test':
      case 'docs':
      case 'block': {
        const [body, stop] = block([BLOCK_ENDS[word]!]);
        if (!stop) unclosed(word, line);
        // A snapshot or block body is SQL; call/filter/test/docs bodies are not part of the model's query.
        return word === 'block' ? { k: 'if', branches: [{ body }], line } : word === 'call' ? { k: 'call', expr: expr(rest.replace(/^\w+\s*::\s*/, ''), line), line } : { k: 'skip' };
      }
      case 'snapshot': {
        const [body, stop] = block(['endsnapshot']);
        if (!stop) unclosed('snapshot', line);
        return { k: 'if', branches: [{ body }], line };
      }
      case 'do':
        return { k: 'call', expr: expr(rest, line), line };
      case 'elif':
      case 'else':
      case 'endif':
      case 'endfor':
      case 'endmacro':
      case 'endset':
      case 'endcall':
      case 'endfilter':
      case 'endsnapshot':
      case 'endtest':
      case 'enddocs':
      case 'endblock':
      case 'endmaterialization':
        warnings.push({ line, message: `{% ${word} %} has no matching opening tag` });
        return undefined;
      case 'break':
      case 'continue':
      case 'extends':
      case 'include':
      case 'import':
      case 'from':
        return undefined;
      default:
        warnings.push({ line, message: `unknown Jinja statement {% ${word} %}; it is ignored` });
        return undefined;
    }
  };
  const [nodes] = block([]);
  return { nodes, warnings: warnings.sort((a, b) => a.line - b.line), macros };
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

export interface RenderEnvironment {
  /** Names every template sees: ref, source, config, var, this, target, adapter namespaces… */
  globals: Map<string, JValue>;
  /** Macros by name, and by `package.name`. */
  macros: Map<string, { node: Extract<Node, { k: 'macro' }>; env?: RenderEnvironment }>;
  /** `package.macro` calls; a global of the same name (an approximation of ours) wins per macro. */
  namespaces?: Map<string, RenderEnvironment['macros']>;
}

const MAX_DEPTH = 12;

/** Thrown by dbt's `return()` inside a macro; carries the macro's value out. */
export class JinjaReturn {
  constructor(readonly value: JValue) {}
}

/** Renders a parsed template; unknown output becomes a SQL comment holding the original Jinja. */
export function render(template: Template, env: RenderEnvironment): string {
  const out: string[] = [];
  const scope = new Map<string, JValue>();
  const lookupIn = (stack: Array<Map<string, JValue>>, e: RenderEnvironment) => (name: string): JValue => {
    for (let k = stack.length - 1; k >= 0; k--) if (stack[k]!.has(name)) return stack[k]!.get(name)!;
    const macro = e.macros.get(name);
    if (macro) return macroCallable(macro.node, macro.env ?? e);
    const namespace = e.namespaces?.get(name);
    const global = e.globals.get(name);
    if (namespace) {
      const members: Record<string, JValue> = global && typeof global === 'object' && !Array.isArray(global) && !isCallable(global) ? { ...(global as Record<string, JValue>) } : {};
      for (const [n, m] of namespace) if (!(n in members)) members[n] = macroCallable(m.node, m.env ?? e);
      return members;
    }
    return global !== undefined ? global : UNKNOWN;
  };
  let depth = 0;
  const macroCallable = (node: Extract<Node, { k: 'macro' }>, macroEnv: RenderEnvironment): JValue => ({
    call: (args: JValue[], kwargs: Record<string, JValue>): JValue => {
      // Recursive or deeply nested macros stop being expanded rather than hanging the index.
      if (depth >= MAX_DEPTH) return UNKNOWN;
      depth++;
      try {
        const frame = new Map<string, JValue>();
        node.params.forEach((p, k) => {
          const v = k < args.length ? args[k]! : p.name in kwargs ? kwargs[p.name]! : p.default ? evaluate(p.default, lookupIn([frame], macroEnv)) : UNKNOWN;
          frame.set(p.name, v);
        });
        frame.set('varargs', args.slice(node.params.length));
        frame.set('kwargs', kwargs);
        const sub: string[] = [];
        try {
          renderNodes(node.body, [frame], sub, macroEnv);
        } catch (e) {
          if (e instanceof JinjaReturn) return e.value;
          throw e;
        }
        return sub.join('');
      } finally {
        depth--;
      }
    },
  });
  const renderNodes = (nodes: Node[], stack: Array<Map<string, JValue>>, sink: string[], nodeEnv: RenderEnvironment): void => {
    const get = lookupIn(stack, nodeEnv);
    for (const node of nodes) {
      switch (node.k) {
        case 'text':
          sink.push(node.text);
          break;
        case 'out': {
          const v = node.expr ? evaluate(node.expr, get) : UNKNOWN;
          sink.push(v === UNKNOWN || isCallable(v) ? `/* {{ ${node.src.replace(/\*\//g, '* /')} }} */` : toText(v));
          break;
        }
        case 'if': {
          for (const b of node.branches) {
            const test = b.test ? evaluate(b.test, get) : true;
            // Unknown conditions take their branch: the first branch is usually the production path.
            if (test === UNKNOWN || truthy(test)) {
              renderNodes(b.body, stack, sink, nodeEnv);
              break;
            }
          }
          break;
        }
        case 'for': {
          const iter = node.iter ? evaluate(node.iter, get) : UNKNOWN;
          const items: JValue[] = Array.isArray(iter)
            ? iter
            : iter && typeof iter === 'object' && !isCallable(iter)
              ? Object.entries(iter).map(([k, v]) => [k, v])
              : [UNKNOWN];
          if (items.length === 0) renderNodes(node.empty, stack, sink, nodeEnv);
          items.forEach((item, index) => {
            const frame = new Map<string, JValue>();
            if (node.targets.length === 1) frame.set(node.targets[0]!, item);
            else node.targets.forEach((t, k) => frame.set(t, Array.isArray(item) ? (item[k] ?? UNKNOWN) : UNKNOWN));
            frame.set('loop', iter === UNKNOWN ? UNKNOWN : { index: index + 1, index0: index, first: index === 0, last: index === items.length - 1, length: items.length });
            renderNodes(node.body, [...stack, frame], sink, nodeEnv);
          });
          break;
        }
        case 'set': {
          let value: JValue;
          if (node.body) {
            const sub: string[] = [];
            renderNodes(node.body, stack, sub, nodeEnv);
            value = sub.join('');
          } else value = node.value ? evaluate(node.value, get) : UNKNOWN;
          const frame = stack[stack.length - 1] ?? scope;
          if (node.targets.length === 1) frame.set(node.targets[0]!, value);
          else node.targets.forEach((t, k) => frame.set(t, Array.isArray(value) ? (value[k] ?? UNKNOWN) : UNKNOWN));
          break;
        }
        case 'call':
          if (node.expr) evaluate(node.expr, get);
          break;
        case 'macro':
        case 'skip':
          break;
      }
    }
  };
  renderNodes(template.nodes, [scope], out, env);
  return out.join('');
}
