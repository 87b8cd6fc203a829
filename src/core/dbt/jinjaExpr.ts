import { applyFilter, attribute, equal, isCallable, isObject, isUndefined, isUnknown, item, MAX_TEXT, operate, percentFormat, slice, toText, truthy, UNKNOWN, Unknown, type JValue } from './jinjaValues';

/**
 * Jinja expressions as dbt code writes them, parsed with Jinja's precedence: literals, names,
 * attributes, subscripts and slices, calls with keyword arguments and `*args` / `**kwargs`,
 * filters, tests, comparisons, boolean logic and conditional expressions.
 */
export type Expr =
  | { t: 'lit'; v: JValue }
  | { t: 'name'; name: string }
  | { t: 'attr'; obj: Expr; name: string }
  | { t: 'index'; obj: Expr; key: Expr }
  | { t: 'slice'; obj: Expr; start?: Expr; stop?: Expr; step?: Expr }
  | { t: 'call'; fn: Expr; args: Expr[]; kwargs: Array<[string, Expr]>; spread?: Expr; kwspread?: Expr; src: string }
  | { t: 'list'; items: Expr[] }
  | { t: 'dict'; items: Array<[Expr, Expr]> }
  | { t: 'unary'; op: string; e: Expr }
  | { t: 'bin'; op: string; l: Expr; r: Expr }
  | { t: 'filter'; e: Expr; name: string; args: Expr[]; kwargs: Array<[string, Expr]> }
  | { t: 'test'; e: Expr; name: string; args: Expr[]; negate: boolean }
  | { t: 'cond'; test: Expr; then: Expr; else?: Expr };

export class JinjaSyntaxError extends Error {}

type Tok = { k: 'str' | 'num' | 'name' | 'op'; v: string; at: number };

const OPS2 = ['==', '!=', '<=', '>=', '//', '**'];
const OPS1 = '()[]{},.:|=<>+-*/%~';

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    const code = src.charCodeAt(i);
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let v = '';
      while (j < n && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < n) {
          const e = src[j + 1]!;
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e === '\\' || e === "'" || e === '"' ? e : `\\${e}`;
          j += 2;
        } else v += src[j++];
      }
      if (j >= n) throw new JinjaSyntaxError('unterminated string');
      out.push({ k: 'str', v, at: i });
      i = j + 1;
      continue;
    }
    if (code >= 48 && code <= 57) {
      const m = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 40))!;
      out.push({ k: 'num', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (c === '_' || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code > 127 && /\p{L}/u.test(c))) {
      // Python's identifiers, which Jinja's are, may be any letters.
      let j = i + 1;
      while (j < n && (/\w/.test(src[j]!) || (src.charCodeAt(j) > 127 && /[\p{L}\p{N}]/u.test(src[j]!)))) j++;
      out.push({ k: 'name', v: src.slice(i, j), at: i });
      i = j;
      continue;
    }
    const two = src.slice(i, i + 2);
    const op = OPS2.includes(two) ? two : c;
    if (op.length === 1 && !OPS1.includes(op)) throw new JinjaSyntaxError(`unexpected character ${c}`);
    out.push({ k: 'op', v: op, at: i });
    i += op.length;
  }
  return out;
}

/** `tuple`: a bare `a, b` is a tuple, as on the right of `{% set x, y = a, b %}`. */
export function parseExpr(src: string, options: { tuple?: boolean } = {}): Expr {
  const p = new Parser(src, lex(src));
  const e = options.tuple ? p.tuple() : p.expr();
  p.end();
  return e;
}

/** `a, b` in `{% set a, b = … %}` and `{% for k, v in … %}`; `ns.attr` for namespace assignment. */
export function parseTargets(src: string): string[] {
  return src.split(',').map((s) => s.trim().replace(/^\(|\)$/g, '').trim()).filter((s) => /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$/.test(s));
}

/** A macro's parameters: names with optional defaults. */
export function parseParams(src: string): Array<{ name: string; default?: Expr }> {
  const p = new Parser(src, lex(src));
  return p.params();
}

const COMPARE = new Set(['==', '!=', '<', '>', '<=', '>=']);

class Parser {
  private i = 0;
  constructor(private readonly src: string, private readonly toks: Tok[]) {}

  end(): void {
    if (this.i < this.toks.length) throw new JinjaSyntaxError(`unexpected ${this.toks[this.i]!.v}`);
  }

  /** An operator token (never a string literal that happens to read like one). */
  private op(v: string): boolean {
    const t = this.toks[this.i];
    return !!t && t.k === 'op' && t.v === v;
  }

  private word(v: string): boolean {
    const t = this.toks[this.i];
    return !!t && t.k === 'name' && t.v === v;
  }

  private take(v: string): void {
    const t = this.toks[this.i];
    if (!t || t.k === 'str' || t.v !== v) throw new JinjaSyntaxError(`expected ${v}${t ? ` before ${t.v}` : ''}`);
    this.i++;
  }

  params(): Array<{ name: string; default?: Expr }> {
    const out: Array<{ name: string; default?: Expr }> = [];
    while (this.i < this.toks.length) {
      const t = this.toks[this.i++]!;
      if (t.k !== 'name') throw new JinjaSyntaxError(`expected a parameter name, not ${t.v}`);
      let def: Expr | undefined;
      if (this.op('=')) {
        this.i++;
        def = this.expr();
      }
      out.push({ name: t.v, ...(def ? { default: def } : {}) });
      if (this.op(',')) this.i++;
      else break;
    }
    this.end();
    return out;
  }

  tuple(): Expr {
    const first = this.expr();
    if (!this.op(',')) return first;
    const items = [first];
    while (this.op(',')) {
      this.i++;
      if (this.i >= this.toks.length) break;
      items.push(this.expr());
    }
    return { t: 'list', items };
  }

  expr(): Expr {
    const e = this.or();
    if (this.word('if')) {
      this.i++;
      const test = this.or();
      let other: Expr | undefined;
      if (this.word('else')) {
        this.i++;
        other = this.expr();
      }
      return { t: 'cond', test, then: e, ...(other ? { else: other } : {}) };
    }
    return e;
  }

  /**
   * One left-associative level of binary operators: `next (op next)*`. Keywords (`and`, `or`) are
   * names, symbols are operators; a string literal never counts as either.
   */
  private level(ops: readonly string[], next: () => Expr): Expr {
    let l = next();
    for (let t = this.toks[this.i]; t && t.k !== 'str' && t.k !== 'num' && ops.includes(t.v); t = this.toks[this.i]) {
      this.i++;
      l = { t: 'bin', op: t.v, l, r: next() };
    }
    return l;
  }

  private or(): Expr {
    return this.level(['or'], () => this.and());
  }

  private and(): Expr {
    return this.level(['and'], () => this.not());
  }

  private not(): Expr {
    if (this.word('not')) {
      this.i++;
      return { t: 'unary', op: 'not', e: this.not() };
    }
    return this.compare();
  }

  private compare(): Expr {
    let l = this.math1();
    // Python chains comparisons: `a < b < c` is `a < b and b < c`.
    let last: Expr | undefined;
    for (;;) {
      const t = this.toks[this.i];
      if (t && t.k === 'op' && COMPARE.has(t.v)) {
        this.i++;
        const r = this.math1();
        const cmp: Expr = { t: 'bin', op: t.v, l: last ?? l, r };
        l = last ? { t: 'bin', op: 'and', l, r: cmp } : cmp;
        last = r;
      } else if (this.word('in')) {
        this.i++;
        l = { t: 'bin', op: 'in', l, r: this.math1() };
      } else if (this.word('not') && this.toks[this.i + 1]?.k === 'name' && this.toks[this.i + 1]?.v === 'in') {
        this.i += 2;
        l = { t: 'unary', op: 'not', e: { t: 'bin', op: 'in', l, r: this.math1() } };
      } else return l;
    }
  }

  // Jinja's precedence: + and - bind looser than ~, which binds looser than * / // %, then **.
  private math1(): Expr {
    return this.level(['+', '-'], () => this.concat());
  }

  private concat(): Expr {
    return this.level(['~'], () => this.math2());
  }

  private math2(): Expr {
    return this.level(['*', '/', '//', '%'], () => this.pow());
  }

  private pow(): Expr {
    return this.level(['**'], () => this.unary());
  }

  private unary(): Expr {
    if (this.op('-') || this.op('+')) {
      const op = this.toks[this.i++]!.v;
      const e = this.unary();
      return op === '-' ? { t: 'unary', op: '-', e } : e;
    }
    return this.filtered(this.postfix(this.primary()));
  }

  /** Filters and tests bind tighter than any operator: `x|length > 0`, `x is not none and y`. */
  private filtered(e: Expr): Expr {
    for (;;) {
      if (this.op('|')) {
        this.i++;
        const name = this.dottedName('a filter name');
        const { args, kwargs } = this.op('(') ? this.callArgs() : { args: [], kwargs: [] };
        e = this.postfix({ t: 'filter', e, name, args, kwargs });
      } else if (this.word('is')) {
        this.i++;
        const negate = this.word('not');
        if (negate) this.i++;
        const t = this.toks[this.i];
        if (!t || (t.k !== 'name' && !(t.k === 'op' && COMPARE.has(t.v)))) throw new JinjaSyntaxError('expected a test name after is');
        this.i++;
        let args: Expr[] = [];
        if (this.op('(')) args = this.callArgs().args;
        else if (this.startsOperand()) args = [this.primaryPostfix()];
        e = { t: 'test', e, name: t.v, args, negate };
      } else return e;
    }
  }

  /** `x is divisibleby 3`, `x is sameas none`: a test argument without parentheses. */
  private startsOperand(): boolean {
    const t = this.toks[this.i];
    if (!t) return false;
    if (t.k === 'str' || t.k === 'num') return true;
    return t.k === 'name' && !['and', 'or', 'else', 'if', 'in', 'is', 'not'].includes(t.v);
  }

  private primaryPostfix(): Expr {
    return this.postfix(this.primary());
  }

  private dottedName(what: string): string {
    const t = this.toks[this.i++];
    if (t?.k !== 'name') throw new JinjaSyntaxError(`expected ${what}`);
    let name = t.v;
    while (this.op('.') && this.toks[this.i + 1]?.k === 'name') {
      name += `.${this.toks[this.i + 1]!.v}`;
      this.i += 2;
    }
    return name;
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.op('.')) {
        this.i++;
        const name = this.toks[this.i++];
        if (name?.k !== 'name' && name?.k !== 'num') throw new JinjaSyntaxError('expected a name after .');
        e = name.k === 'num' ? { t: 'index', obj: e, key: { t: 'lit', v: Number(name.v) } } : { t: 'attr', obj: e, name: name.v };
      } else if (this.op('[')) {
        this.i++;
        e = this.subscript(e);
      } else if (this.op('(')) {
        const start = this.toks[this.i]!.at;
        const { args, kwargs, spread, kwspread, end } = this.callArgs();
        e = { t: 'call', fn: e, args, kwargs, ...(spread ? { spread } : {}), ...(kwspread ? { kwspread } : {}), src: this.src.slice(start, end) };
      } else return e;
    }
  }

  /** After `[`: an index, or a slice `a:b:c` with any part left out. */
  private subscript(obj: Expr): Expr {
    const part = () => (this.op(':') || this.op(']') ? undefined : this.expr());
    const start = part();
    if (!this.op(':')) {
      this.take(']');
      if (!start) throw new JinjaSyntaxError('empty subscript');
      return { t: 'index', obj, key: start };
    }
    this.i++;
    const stop = part();
    let step: Expr | undefined;
    if (this.op(':')) {
      this.i++;
      step = part();
    }
    this.take(']');
    return { t: 'slice', obj, ...(start ? { start } : {}), ...(stop ? { stop } : {}), ...(step ? { step } : {}) };
  }

  private callArgs(): { args: Expr[]; kwargs: Array<[string, Expr]>; spread?: Expr; kwspread?: Expr; end: number } {
    this.take('(');
    const args: Expr[] = [];
    const kwargs: Array<[string, Expr]> = [];
    let spread: Expr | undefined;
    let kwspread: Expr | undefined;
    while (!this.op(')')) {
      if (this.i >= this.toks.length) throw new JinjaSyntaxError('unclosed (');
      const t = this.toks[this.i]!;
      if (this.op('**')) {
        this.i++;
        kwspread = this.expr();
      } else if (this.op('*')) {
        this.i++;
        spread = this.expr();
      } else if (t.k === 'name' && this.toks[this.i + 1]?.k === 'op' && this.toks[this.i + 1]?.v === '=') {
        this.i += 2;
        kwargs.push([t.v, this.expr()]);
      } else args.push(this.expr());
      if (this.op(',')) this.i++;
      else if (!this.op(')')) throw new JinjaSyntaxError(`expected , or ) before ${this.toks[this.i]?.v ?? 'the end'}`);
    }
    const end = this.toks[this.i]!.at + 1;
    this.i++;
    return { args, kwargs, ...(spread ? { spread } : {}), ...(kwspread ? { kwspread } : {}), end };
  }

  private primary(): Expr {
    const t = this.toks[this.i++];
    if (!t) throw new JinjaSyntaxError('unexpected end of expression');
    if (t.k === 'str') {
      let v = t.v;
      while (this.toks[this.i]?.k === 'str') v += this.toks[this.i++]!.v; // adjacent literals concatenate
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
      if (this.op(')')) {
        this.i++;
        return { t: 'list', items: [] };
      }
      const e = this.expr();
      if (this.op(',')) {
        const items = [e];
        while (this.op(',')) {
          this.i++;
          if (this.op(')')) break;
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
      while (!this.op(']')) {
        items.push(this.expr());
        if (this.op(',')) this.i++;
        else if (!this.op(']')) throw new JinjaSyntaxError('expected , or ]');
      }
      this.i++;
      return { t: 'list', items };
    }
    if (t.v === '{') {
      const items: Array<[Expr, Expr]> = [];
      while (!this.op('}')) {
        const k = this.expr();
        this.take(':');
        items.push([k, this.expr()]);
        if (this.op(',')) this.i++;
        else if (!this.op('}')) throw new JinjaSyntaxError('expected , or }');
      }
      this.i++;
      return { t: 'dict', items };
    }
    throw new JinjaSyntaxError(`unexpected ${t.v}`);
  }
}

export type Lookup = (name: string) => JValue;

export function evaluate(e: Expr, scope: Lookup): JValue {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'name':
      return scope(e.name);
    case 'attr':
      return attribute(evaluate(e.obj, scope), e.name);
    case 'index':
      return item(evaluate(e.obj, scope), evaluate(e.key, scope));
    case 'slice':
      return slice(evaluate(e.obj, scope), e.start && evaluate(e.start, scope), e.stop && evaluate(e.stop, scope), e.step && evaluate(e.step, scope));
    case 'call': {
      const fn = evaluate(e.fn, scope);
      const args = e.args.map((a) => evaluate(a, scope));
      // Calling a name nothing defines: a macro that is missing. Its arguments were still evaluated: a ref() there is lineage.
      if (isUnknown(fn) || isUndefined(fn)) {
        for (const [, v] of e.kwargs) evaluate(v, scope);
        return isUndefined(fn) ? new Unknown({ kind: 'macro', what: fn.name }) : fn;
      }
      if (!isCallable(fn)) return UNKNOWN;
      if (e.spread) {
        const extra = evaluate(e.spread, scope);
        if (Array.isArray(extra)) args.push(...extra);
        else if (isUnknown(extra)) return extra;
      }
      const kwargs: Record<string, JValue> = {};
      if (e.kwspread) {
        const extra = evaluate(e.kwspread, scope);
        if (isObject(extra)) Object.assign(kwargs, extra);
        else if (isUnknown(extra)) return extra;
      }
      for (const [k, v] of e.kwargs) kwargs[k] = evaluate(v, scope);
      return fn.call(args, kwargs, e.src);
    }
    case 'list':
      return e.items.map((x) => evaluate(x, scope));
    case 'dict': {
      const o: Record<string, JValue> = {};
      for (const [k, v] of e.items) {
        const key = evaluate(k, scope);
        if (!isUnknown(key)) o[toText(key)] = evaluate(v, scope);
      }
      return o;
    }
    case 'unary': {
      const v = evaluate(e.e, scope);
      if (isUnknown(v)) return v;
      if (isUndefined(v)) return e.op === 'not' ? true : UNKNOWN;
      return e.op === 'not' ? !truthy(v) : typeof v === 'number' ? -v : UNKNOWN;
    }
    case 'cond': {
      const test = evaluate(e.test, scope);
      // An unknown condition takes the first branch, as `if` blocks do.
      if (isUnknown(test)) return evaluate(e.then, scope);
      return truthy(test) ? evaluate(e.then, scope) : e.else ? evaluate(e.else, scope) : '';
    }
    case 'filter': {
      const kwargs: Record<string, JValue> = {};
      for (const [k, v] of e.kwargs) kwargs[k] = evaluate(v, scope);
      const v = evaluate(e.e, scope);
      const out = applyFilter(e.name, v, e.args.map((a) => evaluate(a, scope)), kwargs, runTest);
      if (out !== undefined) return out;
      // dbt lets a macro serve as a filter only through its own filters; anything else is unknown.
      return new Unknown({ kind: 'construct', what: `the Jinja filter |${e.name}` });
    }
    case 'test': {
      const v = runTest(e.name, evaluate(e.e, scope), e.args.map((a) => evaluate(a, scope)));
      return isUnknown(v) ? v : e.negate ? !v : v;
    }
    case 'bin':
      return binary(e.op, e.l, e.r, scope);
  }
}

function runTest(name: string, v: JValue, args: JValue[]): JValue {
  if (name === 'defined' || name === 'undefined') {
    // A value that exists but comes from the database is defined; a missing name is not.
    const defined = !isUndefined(v) && !(isUnknown(v) && v.reason?.kind === 'name');
    return name === 'defined' ? defined : !defined;
  }
  if (isUnknown(v)) return v;
  if (isUndefined(v)) return name === 'none' || name === 'string' || name === 'mapping' ? false : UNKNOWN;
  const a = args[0];
  switch (name) {
    case 'none': return v === null;
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'float': return typeof v === 'number' && !Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'true': return v === true;
    case 'false': return v === false;
    case 'mapping': return isObject(v);
    case 'sequence': case 'iterable': return Array.isArray(v) || typeof v === 'string' || isObject(v);
    case 'callable': return isCallable(v);
    case 'lower': return typeof v === 'string' && v === v.toLowerCase();
    case 'upper': return typeof v === 'string' && v === v.toUpperCase();
    case 'even': return typeof v === 'number' && v % 2 === 0;
    case 'odd': return typeof v === 'number' && v % 2 === 1;
    case 'divisibleby': return typeof v === 'number' && typeof a === 'number' && v % a === 0;
    case 'eq': case 'equalto': case '==': case 'sameas': return a !== undefined && equal(v, a);
    case 'ne': case '!=': return a !== undefined && !equal(v, a);
    case 'lt': case '<': case 'lessthan': return typeof v === 'number' && typeof a === 'number' && v < a;
    case 'gt': case '>': case 'greaterthan': return typeof v === 'number' && typeof a === 'number' && v > a;
    case 'le': case '<=': return typeof v === 'number' && typeof a === 'number' && v <= a;
    case 'ge': case '>=': return typeof v === 'number' && typeof a === 'number' && v >= a;
    case 'in': return a !== undefined ? contains(a, v) : UNKNOWN;
  }
  return new Unknown({ kind: 'construct', what: `the Jinja test "is ${name}"` });
}

function contains(container: JValue, v: JValue): JValue {
  if (isUnknown(container)) return container;
  if (isUndefined(container)) return false;
  if (Array.isArray(container)) return container.some((x) => equal(x, v));
  if (typeof container === 'string') return typeof v === 'string' ? container.includes(v) : UNKNOWN;
  if (isObject(container)) return Object.prototype.hasOwnProperty.call(container, toText(v));
  return UNKNOWN;
}

function binary(op: string, le: Expr, re: Expr, scope: Lookup): JValue {
  const l = evaluate(le, scope);
  if (op === 'and') return isUnknown(l) ? l : truthy(l) ? evaluate(re, scope) : l;
  if (op === 'or') {
    if (isUnknown(l)) return l;
    return truthy(l) ? l : evaluate(re, scope);
  }
  const r = evaluate(re, scope);
  if (op === '~') return isUnknown(l) ? l : isUnknown(r) ? r : toText(l) + toText(r);
  if (isUnknown(l)) return l;
  if (isUnknown(r)) return r;
  if (isUndefined(l) || isUndefined(r)) return op === '==' ? isUndefined(l) && isUndefined(r) : op === '!=' ? !(isUndefined(l) && isUndefined(r)) : op === 'in' ? contains(r, l) : UNKNOWN;
  const own = operate(op, l, r);
  if (own !== undefined) return own;
  if (op === '%' && typeof l === 'string') return percentFormat(l, r);
  switch (op) {
    case '==':
      return equal(l, r);
    case '!=':
      return !equal(l, r);
    case 'in':
      return contains(r, l);
    case '+':
      if (typeof l === 'number' && typeof r === 'number') return l + r;
      if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      return UNKNOWN;
    case '*':
      if ((typeof l === 'string' || Array.isArray(l)) && typeof r === 'number') {
        if (l.length * r > MAX_TEXT) return new Unknown({ kind: 'limit', what: `a value of more than ${MAX_TEXT.toLocaleString('en')} characters or items` });
        return typeof l === 'string' ? l.repeat(Math.max(0, r)) : Array.from({ length: Math.max(0, r) }, () => l).flat();
      }
      break;
  }
  const x = typeof l === 'boolean' ? Number(l) : l;
  const y = typeof r === 'boolean' ? Number(r) : r;
  if (typeof x === 'string' && typeof y === 'string') {
    switch (op) {
      case '<': return x < y;
      case '>': return x > y;
      case '<=': return x <= y;
      case '>=': return x >= y;
    }
  }
  if (typeof x !== 'number' || typeof y !== 'number') return UNKNOWN;
  switch (op) {
    case '<': return x < y;
    case '>': return x > y;
    case '<=': return x <= y;
    case '>=': return x >= y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '//': return Math.floor(x / y);
    case '%': return ((x % y) + y) % y;
    case '**': return x ** y;
  }
  return UNKNOWN;
}

