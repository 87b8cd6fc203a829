/**
 * The values Jinja expressions in dbt code compute with, and the Python methods and Jinja filters
 * dbt code calls on them. What cannot be known without running dbt (a database query, a macro of a
 * package that is not installed) is an Unknown that remembers why, so that a warning can say it.
 */
export class Unknown {
  constructor(readonly reason?: UnknownReason) {}
}

/** Why a value cannot be known: what is missing, where, and what the user can do about it. */
export interface UnknownReason {
  /**
   * database: a query dbt runs; runtime: what only a dbt run has (its environment, its graph);
   * recursion: macros nested past any real depth; limit: more work than the renderer allows a tag.
   */
  kind: 'database' | 'runtime' | 'macro' | 'package' | 'name' | 'construct' | 'recursion' | 'limit';
  /** e.g. "run_query()", "dbt_utils.star", "the variable `cols`". */
  what: string;
}

/** An unknown without a recorded reason (an operation on values that do not fit). */
export const UNKNOWN = new Unknown();

/**
 * Jinja's undefined: a name or attribute that is known not to exist. Unlike an Unknown it is a
 * value dbt renders too — as empty text, false, an empty loop — so it renders the same way here.
 */
export class Undefined {
  constructor(readonly name: string) {}
}

export type JValue = string | number | boolean | null | JValue[] | JObject | JCallable | Unknown | Undefined;

export function isUndefined(v: unknown): v is Undefined {
  return v instanceof Undefined;
}
export interface JObject {
  [k: string]: JValue;
}
export interface JCallable {
  call(args: JValue[], kwargs: Record<string, JValue>, source: string): JValue;
  /** Attributes of a callable object (`config.get`, `adapter.dispatch`…). */
  members?: Record<string, JValue>;
}

/** Objects that render as text other than their attributes (a Relation renders as its name). */
export const TEXT = Symbol('text');
/** Objects that say why an attribute they lack is missing (a package namespace: the macro is not defined). */
export const MISSING = Symbol('missing');
/** Objects with their own arithmetic and comparisons (Python dates): `(op, other, right)`, undefined when they have none for it. */
export const OPERATORS = Symbol('operators');
export type Operators = (op: string, other: JValue, right: boolean) => JValue | undefined;

/** `l op r` when either side defines it (a date minus a timedelta), else undefined. */
export function operate(op: string, l: JValue, r: JValue): JValue | undefined {
  const own = l && typeof l === 'object' ? (l as { [OPERATORS]?: Operators })[OPERATORS] : undefined;
  const result = own?.(op, r, false);
  if (result !== undefined) return result;
  const theirs = r && typeof r === 'object' ? (r as { [OPERATORS]?: Operators })[OPERATORS] : undefined;
  return theirs?.(op, l, true);
}

/** The longest text an expression may build (`'x' * 10**9` would exhaust memory). */
export const MAX_TEXT = 10_000_000;
export type Textual = JObject & { [TEXT]: () => string };

export function textual(text: () => string, members: Record<string, JValue>): JObject {
  const o = { ...members } as Textual;
  Object.defineProperty(o, TEXT, { value: text, enumerable: false });
  return o;
}

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

export function callable(fn: JCallable['call'], members?: Record<string, JValue>): JCallable {
  return members ? { call: fn, members } : { call: fn };
}

export function isCallable(v: unknown): v is JCallable {
  return !!v && typeof v === 'object' && typeof (v as JCallable).call === 'function';
}

export function isObject(v: unknown): v is JObject {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !isCallable(v) && !isUnknown(v) && !isUndefined(v);
}

export function truthy(v: JValue): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isUnknown(v) || isUndefined(v)) return false;
  if (v && typeof v === 'object') return isCallable(v) || TEXT in v || Object.keys(v).length > 0;
  return !!v;
}

/** As `{{ v }}` renders it: Python's str() of the value. */
export function toText(v: JValue): string {
  if (isUnknown(v) || isUndefined(v)) return '';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (typeof v === 'object') {
    if (isCallable(v)) return '';
    const o = v as Partial<Textual>;
    return o[TEXT] ? o[TEXT]() : `{${Object.entries(v).map(([k, x]) => `'${k}': ${repr(x)}`).join(', ')}}`;
  }
  return String(v);
}

function repr(v: JValue): string {
  return typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : toText(v);
}

export function equal(a: JValue, b: JValue): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b);
  if (typeof b === 'number' && typeof a === 'boolean') return b === Number(a);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]!));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k]!, b[k]!));
  }
  return false;
}

const str = (v: JValue | undefined, fallback = ''): string => (typeof v === 'string' ? v : v === undefined ? fallback : toText(v));

/** Python `str.format` with `{}` and `{0}` and `{name}`. */
function format(s: string, args: JValue[], kwargs: Record<string, JValue>): string {
  let next = 0;
  return s.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, key: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const k = key ?? '';
    const v = k === '' ? args[next++] : /^\d+$/.test(k) ? args[Number(k)] : kwargs[k];
    return v === undefined ? m : toText(v);
  });
}

/**
 * Python's `format % args`: `%s`, `%d`, `%05.1f`, `%-3s`, `%x`, `%%`, `%(name)s`. A list stands for
 * Python's tuple when the format takes that many values.
 */
export function percentFormat(format: string, args: JValue): JValue {
  const specs = format.match(/%(\([^)]*\))?[-+ 0#]*(\*|\d+)?(\.(\*|\d+))?[diouxXeEfFgGcrsa%]/g) ?? [];
  const taking = specs.filter((x) => x !== '%%').length;
  const list = Array.isArray(args) && (args.length === taking || taking !== 1) ? args : [args];
  let next = 0;
  let failed = false;
  const out = format.replace(/%(\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g, (_all, _k, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, type: string) => {
    if (type === '%') return '%';
    const value = key !== undefined ? (isObject(args) ? args[key] : undefined) : list[next++];
    if (value === undefined) {
      failed = true;
      return '';
    }
    const w = width === '*' ? Number(list[next - 1]) : width ? Number(width) : 0;
    const p = precision === undefined ? undefined : Number(precision);
    let text: string;
    const n = typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : Number(toText(value));
    switch (type) {
      case 'd': case 'i': case 'u': text = String(Math.trunc(n)); break;
      case 'f': case 'F': text = n.toFixed(p ?? 6); break;
      case 'e': case 'E': text = n.toExponential(p ?? 6).replace(/e([+-])(\d)$/, 'e$10$2'); break;
      case 'g': case 'G': text = String(Number(n.toPrecision(p || 6))); break;
      case 'x': text = Math.trunc(n).toString(16); break;
      case 'X': text = Math.trunc(n).toString(16).toUpperCase(); break;
      case 'o': text = Math.trunc(n).toString(8); break;
      case 'c': text = typeof value === 'number' ? String.fromCharCode(value) : toText(value); break;
      case 'r': case 'a': text = repr(value); break;
      default: text = toText(value); if (p !== undefined) text = text.slice(0, p);
    }
    if ('dieEfFgGxXo'.includes(type) && Number.isNaN(n)) failed = true;
    if (type === 'E' || type === 'G') text = text.toUpperCase();
    if (flags.includes('+') && 'diufFeEgG'.includes(type) && n >= 0) text = `+${text}`;
    else if (flags.includes(' ') && 'diufFeEgG'.includes(type) && n >= 0) text = ` ${text}`;
    if (text.length < w) {
      if (flags.includes('-')) text = text.padEnd(w);
      else if (flags.includes('0') && 'diufFeEgGxXo'.includes(type)) {
        const sign = /^[+\- ]/.test(text) ? text[0]! : '';
        text = sign + text.slice(sign.length).padStart(w - sign.length, '0');
      } else text = text.padStart(w);
    }
    return text;
  });
  return failed ? new Unknown({ kind: 'construct', what: `the Python format ${JSON.stringify(format)} with these values` }) : out;
}

function strip(s: string, chars: JValue | undefined, side: 'both' | 'left' | 'right'): string {
  const set = typeof chars === 'string' ? chars : ' \t\n\r\f\v';
  let a = 0;
  let b = s.length;
  if (side !== 'right') while (a < b && set.includes(s[a]!)) a++;
  if (side !== 'left') while (b > a && set.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

const STRING_METHODS: Record<string, (s: string, a: JValue[], k: Record<string, JValue>) => JValue> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s),
  strip: (s, a) => strip(s, a[0], 'both'),
  lstrip: (s, a) => strip(s, a[0], 'left'),
  rstrip: (s, a) => strip(s, a[0], 'right'),
  split: (s, a, k) => splitText(s, a[0] ?? k.sep, a[1] ?? k.maxsplit, false),
  rsplit: (s, a, k) => splitText(s, a[0] ?? k.sep, a[1] ?? k.maxsplit, true),
  splitlines: (s) => s.split(/\r\n|\r|\n/).filter((l, i, all) => l !== '' || i < all.length - 1),
  partition: (s, a) => {
    const i = s.indexOf(str(a[0]));
    return i < 0 ? [s, '', ''] : [s.slice(0, i), str(a[0]), s.slice(i + str(a[0]).length)];
  },
  rpartition: (s, a) => {
    const i = s.lastIndexOf(str(a[0]));
    return i < 0 ? ['', '', s] : [s.slice(0, i), str(a[0]), s.slice(i + str(a[0]).length)];
  },
  replace: (s, a) => {
    const parts = s.split(str(a[0]));
    const count = typeof a[2] === 'number' && a[2] >= 0 ? a[2] : parts.length;
    return parts.slice(0, count + 1).join(str(a[1])) + (count + 1 < parts.length ? str(a[0]) + parts.slice(count + 1).join(str(a[0])) : '');
  },
  ljust: (s, a) => s.padEnd(Number(a[0] ?? 0), str(a[1], ' ') || ' '),
  rjust: (s, a) => s.padStart(Number(a[0] ?? 0), str(a[1], ' ') || ' '),
  center: (s, a) => {
    const w = Number(a[0] ?? 0);
    const fill = str(a[1], ' ') || ' ';
    if (w <= s.length) return s;
    const left = Math.floor((w - s.length) / 2) + ((w - s.length) % 2 && s.length % 2 ? 1 : 0);
    return fill.repeat(left) + s + fill.repeat(w - s.length - left);
  },
  removeprefix: (s, a) => (s.startsWith(str(a[0])) ? s.slice(str(a[0]).length) : s),
  removesuffix: (s, a) => (str(a[0]) && s.endsWith(str(a[0])) ? s.slice(0, -str(a[0]).length) : s),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  isalnum: (s) => /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  istitle: (s) => /[A-Za-z]/.test(s) && s === STRING_METHODS.title!(s, [], {}),
  isidentifier: (s) => /^[\p{L}_][\p{L}\p{N}_]*$/u.test(s),
  startswith: (s, a) => (Array.isArray(a[0]) ? a[0].some((p) => s.startsWith(str(p))) : s.startsWith(str(a[0]))),
  endswith: (s, a) => (Array.isArray(a[0]) ? a[0].some((p) => s.endsWith(str(p))) : s.endsWith(str(a[0]))),
  find: (s, a) => s.indexOf(str(a[0]), typeof a[1] === 'number' ? a[1] : 0),
  rfind: (s, a) => s.lastIndexOf(str(a[0])),
  index: (s, a) => s.indexOf(str(a[0]), typeof a[1] === 'number' ? a[1] : 0),
  count: (s, a) => (str(a[0]) ? s.split(str(a[0])).length - 1 : s.length + 1),
  join: (s, a) => (Array.isArray(a[0]) ? a[0].map(toText).join(s) : UNKNOWN),
  format: (s, a, k) => format(s, a, k),
  isdigit: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^[A-Za-z]+$/.test(s),
  isupper: (s) => s !== s.toLowerCase() && s === s.toUpperCase(),
  islower: (s) => s !== s.toUpperCase() && s === s.toLowerCase(),
  zfill: (s, a) => s.padStart(Number(a[0] ?? 0), '0'),
};

/** Python's str.split / rsplit, with maxsplit. */
function splitText(s: string, sep: JValue | undefined, max: JValue | undefined, fromRight: boolean): JValue[] {
  const limit = typeof max === 'number' && max >= 0 ? max : -1;
  const parts = typeof sep === 'string' && sep !== '' ? s.split(sep) : s.trim().split(/\s+/).filter(Boolean);
  if (limit < 0 || parts.length <= limit + 1) return parts;
  const joiner = typeof sep === 'string' && sep !== '' ? sep : ' ';
  return fromRight ? [parts.slice(0, parts.length - limit).join(joiner), ...parts.slice(parts.length - limit)] : [...parts.slice(0, limit), parts.slice(limit).join(joiner)];
}

const LIST_METHODS: Record<string, (l: JValue[], a: JValue[]) => JValue> = {
  append: (l, a) => (l.push(a[0] ?? null), null),
  extend: (l, a) => (Array.isArray(a[0]) && l.push(...a[0]), null),
  insert: (l, a) => (l.splice(Number(a[0] ?? 0), 0, a[1] ?? null), null),
  pop: (l, a) => (l.length ? (l.splice(a[0] === undefined ? l.length - 1 : Number(a[0]), 1)[0] ?? null) : UNKNOWN),
  remove: (l, a) => {
    const i = l.findIndex((x) => equal(x, a[0] ?? null));
    if (i >= 0) l.splice(i, 1);
    return null;
  },
  index: (l, a) => l.findIndex((x) => equal(x, a[0] ?? null)),
  count: (l, a) => l.filter((x) => equal(x, a[0] ?? null)).length,
  copy: (l) => [...l],
  reverse: (l) => (l.reverse(), null),
  sort: (l) => (l.sort(compare), null),
};

const DICT_METHODS: Record<string, (d: JObject, a: JValue[], k: Record<string, JValue>) => JValue> = {
  get: (d, a) => (str(a[0]) in d ? d[str(a[0])]! : (a[1] ?? null)),
  items: (d) => Object.entries(d).map(([k, v]) => [k, v]),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  update: (d, a, k) => (Object.assign(d, isObject(a[0]) ? a[0] : {}, k), null),
  pop: (d, a) => {
    const key = str(a[0]);
    const v = key in d ? d[key]! : (a[1] ?? UNKNOWN);
    delete d[key];
    return v;
  },
  setdefault: (d, a) => (str(a[0]) in d ? d[str(a[0])]! : (d[str(a[0])] = a[1] ?? null)),
  copy: (d) => ({ ...d }),
};

/** `obj.name`: an attribute, a key, or a method bound to the object. */
export function attribute(o: JValue, name: string): JValue {
  // `cols.append` on an undefined `cols`: say which name, with the attribute.
  if (isUnknown(o)) return o;
  if (isUndefined(o)) return new Undefined(`${o.name}.${name}`);
  if (typeof o === 'string') {
    const m = STRING_METHODS[name];
    return m ? callable((a, k) => m(o, a, k)) : new Undefined(name);
  }
  if (Array.isArray(o)) {
    const m = LIST_METHODS[name];
    return m ? callable((a) => m(o, a)) : new Undefined(name);
  }
  if (isCallable(o)) return o.members && name in o.members ? o.members[name]! : new Undefined(name);
  if (o && typeof o === 'object') {
    if (Object.prototype.hasOwnProperty.call(o, name)) return o[name]!;
    const missing = (o as { [MISSING]?: (name: string) => JValue })[MISSING];
    if (missing) return missing.call(o, name);
    const m = DICT_METHODS[name];
    if (m) return callable((a, k) => m(o, a, k));
    return new Undefined(name);
  }
  return new Undefined(name);
}

export function item(o: JValue, key: JValue): JValue {
  if (isUnknown(o)) return o;
  if (isUnknown(key)) return key;
  if (isUndefined(o)) return o;
  if (Array.isArray(o) || typeof o === 'string') {
    if (typeof key !== 'number') return new Undefined(toText(key));
    const i = key < 0 ? o.length + key : key;
    return o[i] ?? new Undefined(String(key));
  }
  if (isObject(o)) {
    const k = toText(key);
    return Object.prototype.hasOwnProperty.call(o, k) ? o[k]! : new Undefined(k);
  }
  return new Undefined(toText(key));
}

export function slice(o: JValue, start: JValue | undefined, stop: JValue | undefined, step: JValue | undefined): JValue {
  if (isUnknown(o)) return o;
  if (typeof o !== 'string' && !Array.isArray(o)) return UNKNOWN;
  const n = o.length;
  const at = (v: JValue | undefined, fallback: number) => (typeof v === 'number' ? (v < 0 ? Math.max(0, n + v) : Math.min(n, v)) : fallback);
  const s = typeof step === 'number' && step !== 0 ? step : 1;
  // A string slices by characters and stays a string; a list slices to a list.
  const every = <T>(items: T[]) => items.filter((_, i) => i % Math.abs(s) === 0);
  if (typeof o === 'string') {
    const chars = s < 0 ? [...o].reverse() : [...o.slice(at(start, 0), at(stop, n))];
    return s < 0 ? chars.join('') : every(chars).join('');
  }
  if (s < 0) return [...o].reverse();
  const part = o.slice(at(start, 0), at(stop, n));
  return s === 1 ? part : every(part);
}

export function compare(a: JValue, b: JValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = toText(a);
  const y = toText(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const attrPath = (v: JValue, path: string): JValue => path.split('.').reduce<JValue>((o, p) => attribute(o, p), v);

/**
 * Jinja's built-in filters as dbt code uses them. `callFilter` lets `map('lower')` call another
 * filter; undefined means there is no such filter.
 */
export function applyFilter(name: string, v: JValue, args: JValue[], kwargs: Record<string, JValue>, tests: (name: string, v: JValue, args: JValue[]) => JValue): JValue | undefined {
  // A value only the database knows stays unknown: a default would pretend to know it.
  if (name === 'default' || name === 'd') return isUndefined(v) || (isUnknown(v) && v.reason?.kind === 'name') || (args[1] === true && !truthy(v)) ? (args[0] ?? '') : v;
  const f = FILTERS[name];
  if (!f) return undefined;
  if (isUnknown(v)) return v;
  return f(isUndefined(v) ? (['list', 'length', 'count', 'join', 'first', 'last', 'map', 'select', 'reject', 'selectattr', 'rejectattr', 'sort', 'unique', 'sum', 'batch', 'items'].includes(name) ? [] : '') : v, args, kwargs, tests);
}

type Filter = (v: JValue, a: JValue[], k: Record<string, JValue>, tests: (name: string, v: JValue, args: JValue[]) => JValue) => JValue;
const asList = (v: JValue): JValue[] | undefined => (Array.isArray(v) ? v : typeof v === 'string' ? [...v] : isObject(v) ? Object.keys(v) : isUndefined(v) ? [] : undefined);
const listFilter = (fn: (l: JValue[], a: JValue[], k: Record<string, JValue>, tests: Parameters<Filter>[3]) => JValue): Filter => (v, a, k, t) => {
  const l = asList(v);
  return l ? fn(l, a, k, t) : UNKNOWN;
};
const selector = (keep: boolean, byAttr: boolean): Filter => listFilter((l, a, _k, tests) => {
  const out: JValue[] = [];
  for (const x of l) {
    const subject = byAttr ? attrPath(x, str(a[0])) : x;
    const testName = byAttr ? a[1] : a[0];
    const verdict = testName === undefined ? truthy(subject) : tests(str(testName), subject, a.slice(byAttr ? 2 : 1));
    if (isUnknown(verdict)) return verdict;
    if (!!verdict === keep) out.push(x);
  }
  return out;
});

const FILTERS: Record<string, Filter> = {
  upper: (v) => toText(v).toUpperCase(),
  lower: (v) => toText(v).toLowerCase(),
  title: (v) => STRING_METHODS.title!(toText(v), [], {}),
  capitalize: (v) => STRING_METHODS.capitalize!(toText(v), [], {}),
  trim: (v, a) => strip(toText(v), a[0], 'both'),
  string: (v) => (isUnknown(v) ? v : toText(v)),
  int: (v, a) => {
    const n = Number.parseInt(toText(v), 10);
    return Number.isNaN(n) ? (a[0] ?? 0) : n;
  },
  float: (v, a) => {
    const n = Number.parseFloat(toText(v));
    return Number.isNaN(n) ? (a[0] ?? 0) : n;
  },
  abs: (v) => (typeof v === 'number' ? Math.abs(v) : UNKNOWN),
  round: (v, a) => (typeof v === 'number' ? Number(v.toFixed(Number(a[0] ?? 0))) : UNKNOWN),
  length: (v) => (isUnknown(v) ? v : (asList(v)?.length ?? UNKNOWN)),
  count: (v) => (isUnknown(v) ? v : (asList(v)?.length ?? UNKNOWN)),
  join: listFilter((l, a, k) => l.map((x) => toText(typeof k.attribute === 'string' ? attrPath(x, k.attribute) : x)).join(str(a[0]))),
  first: listFilter((l) => l[0] ?? UNKNOWN),
  last: listFilter((l) => l[l.length - 1] ?? UNKNOWN),
  list: (v) => (isUnknown(v) ? v : (asList(v) ?? UNKNOWN)),
  unique: listFilter((l) => l.filter((x, i) => l.findIndex((y) => equal(x, y)) === i)),
  sort: listFilter((l, a, k) => {
    const key = typeof k.attribute === 'string' ? k.attribute : undefined;
    const sorted = [...l].sort((x, y) => compare(key ? attrPath(x, key) : x, key ? attrPath(y, key) : y));
    return a[0] === true || k.reverse === true ? sorted.reverse() : sorted;
  }),
  reverse: (v) => (typeof v === 'string' ? [...v].reverse().join('') : Array.isArray(v) ? [...v].reverse() : UNKNOWN),
  replace: (v, a) => toText(v).split(str(a[0])).join(str(a[1])),
  map: listFilter((l, a, k, tests) => {
    if (typeof k.attribute === 'string') return l.map((x) => attrPath(x, k.attribute as string));
    const name = str(a[0]);
    return l.map((x) => applyFilter(name, x, a.slice(1), {}, tests) ?? UNKNOWN);
  }),
  select: selector(true, false),
  reject: selector(false, false),
  selectattr: selector(true, true),
  rejectattr: selector(false, true),
  sum: listFilter((l, _a, k) => l.reduce<number>((s, x) => s + Number(typeof k.attribute === 'string' ? attrPath(x, k.attribute) : x), 0)),
  min: listFilter((l) => (l.length ? [...l].sort(compare)[0]! : UNKNOWN)),
  max: listFilter((l) => (l.length ? [...l].sort(compare)[l.length - 1]! : UNKNOWN)),
  batch: listFilter((l, a) => {
    const n = Math.max(1, Number(a[0] ?? 1));
    const out: JValue[] = [];
    for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n));
    return out;
  }),
  items: (v) => (isObject(v) ? Object.entries(v).map(([k, x]) => [k, x]) : UNKNOWN),
  dictsort: (v) => (isObject(v) ? Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, x]) : UNKNOWN),
  indent: (v, a) => toText(v).split('\n').join(`\n${' '.repeat(Number(a[0] ?? 4))}`),
  wordcount: (v) => toText(v).split(/\s+/).filter(Boolean).length,
  truncate: (v, a) => toText(v).slice(0, Number(a[0] ?? 255)),
  center: (v, a) => STRING_METHODS.center!(toText(v), [a[0] ?? 80], {}),
  format: (v, a, k) => percentFormat(toText(v), Object.keys(k).length ? k : a),
  attr: (v, a) => attribute(v, str(a[0])),
  groupby: listFilter((l, a, k) => {
    const key = str(a[0] ?? k.attribute);
    const groups = new Map<string, { grouper: JValue; list: JValue[] }>();
    for (const x of [...l].sort((p, q) => compare(attrPath(p, key), attrPath(q, key)))) {
      const g = attrPath(x, key);
      const id = toText(g);
      (groups.get(id) ?? groups.set(id, { grouper: g, list: [] }).get(id)!).list.push(x);
    }
    return [...groups.values()].map((g) => [g.grouper, g.list]);
  }),
  slice: listFilter((l, a) => {
    const n = Math.max(1, Number(a[0] ?? 1));
    const per = Math.floor(l.length / n);
    const extra = l.length % n;
    const out: JValue[] = [];
    for (let i = 0, at = 0; i < n; i++) {
      const size = per + (i < extra ? 1 : 0);
      out.push(l.slice(at, at + size));
      at += size;
    }
    return out;
  }),
  forceescape: (v) => v,
  pprint: (v) => (typeof v === 'string' ? repr(v) : toText(v)),
  safe: (v) => v,
  e: (v) => v,
  escape: (v) => v,
  striptags: (v) => toText(v).replace(/<[^>]*>/g, ''),
  tojson: (v) => JSON.stringify(plain(v)),
  as_bool: (v) => (typeof v === 'string' ? /^(true|1|yes)$/i.test(v.trim()) : truthy(v)),
  as_number: (v) => Number(v),
  as_text: (v) => toText(v),
  as_native: (v) => v,
};

/** A Jinja value as JSON-able data (configs, tojson); unknowns and callables are dropped. */
export function plain(v: JValue): unknown {
  if (isUnknown(v) || isUndefined(v) || isCallable(v)) return undefined;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    if (TEXT in v) return toText(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = plain(x);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return v;
}

/** JSON-able data (YAML vars) as Jinja values. */
export function fromPlain(v: unknown): JValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (Array.isArray(v)) return v.map(fromPlain);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromPlain(x)]));
  return UNKNOWN;
}

