/**
 * Jinja expressions as dbt models use them: literals, names, attribute access, calls with keyword
 * arguments, filters, comparisons and boolean logic. Anything we cannot know without running dbt
 * (a database query, an adapter method) evaluates to UNKNOWN rather than failing.
 */
export const UNKNOWN: unique symbol = Symbol('unknown');
export type JValue = string | number | boolean | null | JValue[] | { [k: string]: JValue } | JCallable | typeof UNKNOWN;
export interface JCallable {
  call(args: JValue[], kwargs: Record<string, JValue>, source: string): JValue;
}

export type Expr =
  | { t: 'lit'; v: JValue }
  | { t: 'name'; name: string }
  | { t: 'attr'; obj: Expr; name: string }
  | { t: 'index'; obj: Expr; key: Expr }
  | { t: 'call'; fn: Expr; args: Expr[]; kwargs: Array<[string, Expr]>; src: string }
  | { t: 'list'; items: Expr[] }
  | { t: 'dict'; items: Array<[Expr, Expr]> }
  | { t: 'unary'; op: string; e: Expr }
  | { t: 'bin'; op: string; l: Expr; r: Expr }
  | { t: 'filter'; e: Expr; name: string; args: Expr[] }
  | { t: 'cond'; test: Expr; then: Expr; else?: Expr };

export class JinjaSyntaxError extends Error {}

type Tok = { k: 'str' | 'num' | 'name' | 'op'; v: string; at: number };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else v += src[j++];
      }
      if (j >= src.length) throw new JinjaSyntaxError('unterminated string');
      out.push({ k: 'str', v, at: i });
      i = j + 1;
      continue;
    }
    const num = /^\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ k: 'num', v: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (name) {
      out.push({ k: 'name', v: name[0], at: i });
      i += name[0].length;
      continue;
    }
    const op = ['==', '!=', '<=', '>=', '//', '**'].find((o) => src.startsWith(o, i)) ?? c;
    if (!'()[]{},.:|=<>+-*/%~!'.includes(op[0]!)) throw new JinjaSyntaxError(`unexpected character ${c}`);
    out.push({ k: 'op', v: op, at: i });
    i += op.length;
  }
  return out;
}

export function parseExpr(src: string): Expr {
  const p = new Parser(src, lex(src));
  const e = p.expr();
  p.end();
  return e;
}

/** `a, b = value` and `x in items`: the parts of set and for statements. */
export function parseTargets(src: string): string[] {
  return src.split(',').map((s) => s.trim()).filter((s) => /^[A-Za-z_]\w*$/.test(s));
}

class Parser {
  private i = 0;
  constructor(private readonly src: string, private readonly toks: Tok[]) {}

  end(): void {
    if (this.i < this.toks.length) throw new JinjaSyntaxError(`unexpected ${this.toks[this.i]!.v}`);
  }

  private peek(v?: string): Tok | undefined {
    const t = this.toks[this.i];
    return v === undefined || t?.v === v ? t : undefined;
  }

  private take(v: string): void {
    if (this.toks[this.i]?.v !== v) throw new JinjaSyntaxError(`expected ${v}`);
    this.i++;
  }

  expr(): Expr {
    const e = this.or();
    if (this.peek('if') && this.peek()!.k === 'name') {
      this.i++;
      const test = this.or();
      let other: Expr | undefined;
      if (this.peek('else')) {
        this.i++;
        other = this.expr();
      }
      return { t: 'cond', test, then: e, else: other };
    }
    return e;
  }

  /** One left-associative level of binary operators: `next (op next)*`. */
  private binaryLevel(ops: readonly string[], next: () => Expr): Expr {
    let l = next();
    for (let t = this.peek(); t && t.k !== 'str' && ops.includes(t.v); t = this.peek()) {
      this.i++;
      l = { t: 'bin', op: t.v, l, r: next() };
    }
    return l;
  }

  private or(): Expr {
    return this.binaryLevel(['or'], () => this.and());
  }

  private and(): Expr {
    return this.binaryLevel(['and'], () => this.not());
  }

  private not(): Expr {
    if (this.peek('not')) {
      this.i++;
      return { t: 'unary', op: 'not', e: this.not() };
    }
    return this.compare();
  }

  private compare(): Expr {
    let l = this.concat();
    for (;;) {
      const t = this.peek();
      if (t && ['==', '!=', '<', '>', '<=', '>='].includes(t.v) && t.k === 'op') {
        this.i++;
        l = { t: 'bin', op: t.v, l, r: this.concat() };
      } else if (t?.v === 'in' || (t?.v === 'not' && this.toks[this.i + 1]?.v === 'in')) {
        this.i += t.v === 'in' ? 1 : 2;
        const r = this.concat();
        l = t.v === 'in' ? { t: 'bin', op: 'in', l, r } : { t: 'unary', op: 'not', e: { t: 'bin', op: 'in', l, r } };
      } else if (t?.v === 'is') {
        this.i++;
        const negate = !!this.peek('not');
        if (negate) this.i++;
        const test = this.toks[this.i++]?.v ?? '';
        const e: Expr = { t: 'bin', op: 'is', l, r: { t: 'lit', v: test } };
        l = negate ? { t: 'unary', op: 'not', e } : e;
      } else return l;
    }
  }

  private concat(): Expr {
    return this.binaryLevel(['~'], () => this.additive());
  }

  private additive(): Expr {
    return this.binaryLevel(['+', '-'], () => this.multiplicative());
  }

  private multiplicative(): Expr {
    return this.binaryLevel(['*', '/', '//', '%', '**'], () => this.unary());
  }

  private unary(): Expr {
    if (this.peek('-')) {
      this.i++;
      return { t: 'unary', op: '-', e: this.unary() };
    }
    return this.filtered();
  }

  private filtered(): Expr {
    let e = this.postfix();
    while (this.peek('|')) {
      this.i++;
      const name = this.toks[this.i++];
      if (name?.k !== 'name') throw new JinjaSyntaxError('expected a filter name');
      const args = this.peek('(') ? this.callArgs().args : [];
      e = { t: 'filter', e, name: name.v, args };
    }
    return e;
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.peek('.')) {
        this.i++;
        const name = this.toks[this.i++];
        if (name?.k !== 'name') throw new JinjaSyntaxError('expected a name after .');
        e = { t: 'attr', obj: e, name: name.v };
      } else if (this.peek('[')) {
        this.i++;
        const key = this.expr();
        this.take(']');
        e = { t: 'index', obj: e, key };
      } else if (this.peek('(')) {
        const start = this.toks[this.i]!.at;
        const { args, kwargs, end } = this.callArgs();
        e = { t: 'call', fn: e, args, kwargs, src: this.src.slice(start, end) };
      } else return e;
    }
  }

  private callArgs(): { args: Expr[]; kwargs: Array<[string, Expr]>; end: number } {
    this.take('(');
    const args: Expr[] = [];
    const kwargs: Array<[string, Expr]> = [];
    while (!this.peek(')')) {
      if (this.i >= this.toks.length) throw new JinjaSyntaxError('unclosed (');
      const t = this.toks[this.i]!;
      if (t.k === 'name' && this.toks[this.i + 1]?.v === '=') {
        this.i += 2;
        kwargs.push([t.v, this.expr()]);
      } else args.push(this.expr());
      if (this.peek(',')) this.i++;
      else if (!this.peek(')')) throw new JinjaSyntaxError('expected , or )');
    }
    const end = this.toks[this.i]!.at + 1;
    this.i++;
    return { args, kwargs, end };
  }

  private primary(): Expr {
    const t = this.toks[this.i++];
    if (!t) throw new JinjaSyntaxError('unexpected end of expression');
    if (t.k === 'str') {
      let v = t.v;
      while (this.peek()?.k === 'str') v += this.toks[this.i++]!.v; // adjacent literals concatenate
      return { t: 'lit', v };
    }
    if (t.k === 'num') return { t: 'lit', v: Number(t.v) };
    if (t.k === 'name') {
      if (t.v === 'true' || t.v === 'True') return { t: 'lit', v: true };
      if (t.v === 'false' || t.v === 'False') return { t: 'lit', v: false };
      if (t.v === 'none' || t.v === 'None') return { t: 'lit', v: null };
      return { t: 'name', name: t.v };
    }
    if (t.v === '(') {
      const e = this.expr();
      if (this.peek(',')) {
        const items = [e];
        while (this.peek(',')) {
          this.i++;
          if (this.peek(')')) break;
          items.push(this.expr());
        }
        this.take(')');
        return { t: 'list', items };
      }
      this.take(')');
      return e;
    }
    if (t.v === '[') {
      const items: Expr[] = [];
      while (!this.peek(']')) {
        items.push(this.expr());
        if (this.peek(',')) this.i++;
        else if (!this.peek(']')) throw new JinjaSyntaxError('expected , or ]');
      }
      this.i++;
      return { t: 'list', items };
    }
    if (t.v === '{') {
      const items: Array<[Expr, Expr]> = [];
      while (!this.peek('}')) {
        const k = this.expr();
        this.take(':');
        items.push([k, this.expr()]);
        if (this.peek(',')) this.i++;
        else if (!this.peek('}')) throw new JinjaSyntaxError('expected , or }');
      }
      this.i++;
      return { t: 'dict', items };
    }
    throw new JinjaSyntaxError(`unexpected ${t.v}`);
  }
}

export type Scope = Map<string, JValue>;

export function evaluate(e: Expr, scope: (name: string) => JValue): JValue {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'name':
      return scope(e.name);
    case 'attr': {
      const o = evaluate(e.obj, scope);
      if (o && typeof o === 'object' && !Array.isArray(o) && !isCallable(o)) return e.name in o ? o[e.name]! : UNKNOWN;
      if (typeof o === 'string' && STRING_METHODS[e.name]) return STRING_METHODS[e.name]!(o);
      return UNKNOWN;
    }
    case 'index': {
      const o = evaluate(e.obj, scope);
      const k = evaluate(e.key, scope);
      if (Array.isArray(o) && typeof k === 'number') return o[k] ?? UNKNOWN;
      if (o && typeof o === 'object' && !isCallable(o) && typeof k === 'string') return (o as Record<string, JValue>)[k] ?? UNKNOWN;
      return UNKNOWN;
    }
    case 'call': {
      const fn = evaluate(e.fn, scope);
      if (!isCallable(fn)) return UNKNOWN;
      const kwargs: Record<string, JValue> = {};
      for (const [k, v] of e.kwargs) kwargs[k] = evaluate(v, scope);
      return fn.call(e.args.map((a) => evaluate(a, scope)), kwargs, e.src);
    }
    case 'list':
      return e.items.map((x) => evaluate(x, scope));
    case 'dict': {
      const o: Record<string, JValue> = {};
      for (const [k, v] of e.items) {
        const key = evaluate(k, scope);
        if (typeof key === 'string') o[key] = evaluate(v, scope);
      }
      return o;
    }
    case 'unary': {
      const v = evaluate(e.e, scope);
      if (v === UNKNOWN) return UNKNOWN;
      return e.op === 'not' ? !truthy(v) : typeof v === 'number' ? -v : UNKNOWN;
    }
    case 'cond': {
      const test = evaluate(e.test, scope);
      if (test === UNKNOWN) return evaluate(e.then, scope);
      return truthy(test) ? evaluate(e.then, scope) : e.else ? evaluate(e.else, scope) : '';
    }
    case 'filter':
      return applyFilter(e.name, evaluate(e.e, scope), e.args.map((a) => evaluate(a, scope)));
    case 'bin':
      return binary(e.op, e.l, e.r, scope);
  }
}

function binary(op: string, le: Expr, re: Expr, scope: (name: string) => JValue): JValue {
  const l = evaluate(le, scope);
  if (op === 'and') return l === UNKNOWN ? UNKNOWN : truthy(l) ? evaluate(re, scope) : l;
  if (op === 'or') return l === UNKNOWN ? UNKNOWN : truthy(l) ? l : evaluate(re, scope);
  const r = evaluate(re, scope);
  if (op === 'is') {
    if (r === 'none') return l === UNKNOWN ? UNKNOWN : l === null;
    if (r === 'defined') return l !== UNKNOWN;
    if (r === 'string') return l === UNKNOWN ? UNKNOWN : typeof l === 'string';
    return UNKNOWN;
  }
  if (l === UNKNOWN || r === UNKNOWN) return UNKNOWN;
  switch (op) {
    case '==':
      return JSON.stringify(l) === JSON.stringify(r);
    case '!=':
      return JSON.stringify(l) !== JSON.stringify(r);
    case 'in':
      return Array.isArray(r) ? r.some((x) => JSON.stringify(x) === JSON.stringify(l)) : typeof r === 'string' && typeof l === 'string' ? r.includes(l) : r && typeof r === 'object' && typeof l === 'string' ? l in r : UNKNOWN;
    case '~':
      return toText(l) + toText(r);
    case '+':
      return typeof l === 'number' && typeof r === 'number' ? l + r : Array.isArray(l) && Array.isArray(r) ? [...l, ...r] : typeof l === 'string' && typeof r === 'string' ? l + r : UNKNOWN;
  }
  if (typeof l !== 'number' || typeof r !== 'number') return UNKNOWN;
  switch (op) {
    case '<': return l < r;
    case '>': return l > r;
    case '<=': return l <= r;
    case '>=': return l >= r;
    case '-': return l - r;
    case '*': return l * r;
    case '/': return l / r;
    case '//': return Math.floor(l / r);
    case '%': return l % r;
    case '**': return l ** r;
  }
  return UNKNOWN;
}

const STRING_METHODS: Record<string, (s: string) => JValue> = {
  upper: (s) => callable(() => s.toUpperCase()),
  lower: (s) => callable(() => s.toLowerCase()),
  strip: (s) => callable(() => s.trim()),
  split: (s) => callable((args) => s.split(typeof args[0] === 'string' ? args[0] : /\s+/)),
  replace: (s) => callable((args) => (typeof args[0] === 'string' && typeof args[1] === 'string' ? s.split(args[0]).join(args[1]) : UNKNOWN)),
};

export function callable(fn: (args: JValue[], kwargs: Record<string, JValue>, source: string) => JValue): JCallable {
  return { call: fn };
}

export function isCallable(v: JValue): v is JCallable {
  return !!v && typeof v === 'object' && 'call' in v && typeof (v as JCallable).call === 'function';
}

function applyFilter(name: string, v: JValue, args: JValue[]): JValue {
  if (name === 'default' || name === 'd') return v === UNKNOWN || v === null ? (args[0] ?? '') : v;
  if (v === UNKNOWN) return UNKNOWN;
  switch (name) {
    case 'upper': return toText(v).toUpperCase();
    case 'lower': return toText(v).toLowerCase();
    case 'trim': return toText(v).trim();
    case 'string': return toText(v);
    case 'int': return Number.parseInt(toText(v), 10);
    case 'length': case 'count': return Array.isArray(v) ? v.length : typeof v === 'string' ? v.length : UNKNOWN;
    case 'join': return Array.isArray(v) ? v.map(toText).join(typeof args[0] === 'string' ? args[0] : '') : UNKNOWN;
    case 'first': return Array.isArray(v) ? (v[0] ?? UNKNOWN) : UNKNOWN;
    case 'last': return Array.isArray(v) ? (v[v.length - 1] ?? UNKNOWN) : UNKNOWN;
    case 'list': return Array.isArray(v) ? v : typeof v === 'string' ? [...v] : UNKNOWN;
    case 'replace': return typeof args[0] === 'string' && typeof args[1] === 'string' ? toText(v).split(args[0]).join(args[1]) : UNKNOWN;
    case 'as_bool': return truthy(v);
    case 'as_number': return Number(v);
    case 'as_text': return toText(v);
  }
  return UNKNOWN;
}

export function truthy(v: JValue): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return isCallable(v) || Object.keys(v).length > 0;
  return !!v;
}

export function toText(v: JValue): string {
  if (v === UNKNOWN) return '';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : toText(x))).join(', ')}]`;
  if (typeof v === 'object') return isCallable(v) ? '' : JSON.stringify(v);
  return String(v);
}
