import { callable, isObject, isUnknown, OPERATORS, textual, toText, Unknown, type JCallable, type JObject, type JValue } from './jinjaValues';

/**
 * The Python modules dbt puts in its Jinja context (`modules.re`, `modules.datetime`,
 * `modules.pytz`) and `run_started_at`, as far as dbt code uses them: package macros slugify
 * names with `re.sub`, models stamp rows with the run's time. Times are UTC; a time zone is
 * accepted and kept by name (the date of a run is what the code asks for).
 */

const construct = (what: string): Unknown => new Unknown({ kind: 'construct', what });
const num = (v: JValue | undefined, fallback = 0): number => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : fallback);
const pad = (n: number, width = 2): string => String(Math.trunc(Math.abs(n))).padStart(width, '0');

// ---- re ----

const RE_FLAGS: Record<string, number> = { I: 2, IGNORECASE: 2, L: 4, LOCALE: 4, M: 8, MULTILINE: 8, S: 16, DOTALL: 16, U: 32, UNICODE: 32, X: 64, VERBOSE: 64, A: 256, ASCII: 256 };

/** A Python pattern as a JavaScript one; undefined when JavaScript cannot express it. */
function jsRegex(pattern: string, flags: number, extra = ''): RegExp | undefined {
  let src = pattern;
  let f = flags;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    for (const c of inline[1]!) f |= { i: 2, m: 8, s: 16, x: 64 }[c as 'i'] ?? 0;
    src = src.slice(inline[0].length);
  }
  if (f & 64) src = stripVerbose(src);
  src = src.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\A/g, '^').replace(/\\Z/g, '$(?![\\s\\S])');
  let js = extra;
  if (f & 2) js += 'i';
  if (f & 8) js += 'm';
  if (f & 16) js += 's';
  try {
    return new RegExp(src, js);
  } catch {
    return undefined;
  }
}

/** re.VERBOSE: whitespace and `#` comments outside character classes mean nothing. */
function stripVerbose(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      out += c + (src[i + 1] ?? '');
      i++;
    } else if (inClass) {
      out += c;
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

function matchObject(m: RegExpExecArray): JObject {
  const group = (g: JValue | undefined): JValue => {
    if (g === undefined || g === 0) return m[0];
    if (typeof g === 'number') return m[g] ?? null;
    return m.groups?.[toText(g)] ?? null;
  };
  return textual(() => `<re.Match object; span=(${m.index}, ${m.index + m[0].length}), match='${m[0]}'>`, {
    group: callable((a) => (a.length > 1 ? a.map((g) => group(g)) : group(a[0]))),
    groups: callable((a) => m.slice(1).map((x) => x ?? a[0] ?? null)),
    groupdict: callable(() => Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, v ?? null]))),
    start: callable(() => m.index),
    end: callable(() => m.index + m[0].length),
    span: callable(() => [m.index, m.index + m[0].length]),
    string: m.input,
  });
}

/** Python's replacement template: `\1`, `\g<1>`, `\g<name>` and backslash escapes. */
function expandTemplate(repl: string, m: RegExpExecArray): string {
  return repl.replace(/\\(?:g<(\w+)>|(\d{1,2})|(.))/gs, (_all, g: string | undefined, d: string | undefined, esc: string | undefined) => {
    if (g !== undefined) return (/^\d+$/.test(g) ? m[Number(g)] : m.groups?.[g]) ?? '';
    if (d !== undefined) return m[Number(d)] ?? '';
    return ({ n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[esc!] ?? `\\${esc}`;
  });
}

type Op = (re: RegExp, args: JValue[], kwargs: Record<string, JValue>) => JValue;

const RE_OPS: Record<string, { at: number; flagsAt: number; run: Op }> = {
  match: { at: 1, flagsAt: 2, run: (re, a) => {
    const sticky = new RegExp(re.source, `${re.flags.replace('g', '')}y`);
    const m = sticky.exec(toText(a[0] ?? ''));
    return m ? matchObject(m) : null;
  } },
  fullmatch: { at: 1, flagsAt: 2, run: (re, a) => {
    const m = new RegExp(`^(?:${re.source})$`, re.flags.replace('g', '')).exec(toText(a[0] ?? ''));
    return m ? matchObject(m) : null;
  } },
  search: { at: 1, flagsAt: 2, run: (re, a) => {
    const m = new RegExp(re.source, re.flags.replace('g', '')).exec(toText(a[0] ?? ''));
    return m ? matchObject(m) : null;
  } },
  findall: { at: 1, flagsAt: 2, run: (re, a) => {
    const out: JValue[] = [];
    for (const m of toText(a[0] ?? '').matchAll(new RegExp(re.source, `${re.flags.replace('g', '')}g`))) {
      out.push(m.length <= 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((x) => x ?? ''));
    }
    return out;
  } },
  sub: { at: 2, flagsAt: 4, run: (re, a, k) => {
    const repl = a[0];
    const text = toText(a[1] ?? '');
    const count = num(a[2] ?? k.count, 0);
    let n = 0;
    const g = new RegExp(re.source, `${re.flags.replace('g', '')}g`);
    const out = text.replace(g, (...parts: unknown[]) => {
      const match = parts[0] as string;
      if (count > 0 && n >= count) return match;
      n++;
      const groupsLast = typeof parts[parts.length - 1] === 'object';
      const index = parts[parts.length - (groupsLast ? 3 : 2)] as number;
      const m = Object.assign([match, ...(parts.slice(1, parts.length - (groupsLast ? 3 : 2)) as string[])], { index, input: text, groups: groupsLast ? (parts[parts.length - 1] as Record<string, string>) : undefined }) as unknown as RegExpExecArray;
      if (typeof repl === 'string') return expandTemplate(repl, m);
      if (repl && typeof repl === 'object' && 'call' in repl) return toText((repl as JCallable).call([matchObject(m)], {}, ''));
      return toText(repl ?? '');
    });
    return out;
  } },
  split: { at: 1, flagsAt: 3, run: (re, a, k) => {
    const text = toText(a[0] ?? '');
    const max = num(a[1] ?? k.maxsplit, 0);
    const out: JValue[] = [];
    let last = 0;
    let n = 0;
    for (const m of text.matchAll(new RegExp(re.source, `${re.flags.replace('g', '')}g`))) {
      if (max > 0 && n >= max) break;
      if (m[0] === '' && m.index === last && m.index !== 0) continue;
      out.push(text.slice(last, m.index), ...m.slice(1).map((x) => x ?? null));
      last = m.index + m[0].length;
      n++;
    }
    out.push(text.slice(last));
    return out;
  } },
};

function reModule(): JObject {
  const compiled = (pattern: string, flags: number): JValue => {
    const re = jsRegex(pattern, flags);
    if (!re) return construct(`the Python regular expression ${JSON.stringify(pattern)}`);
    const members: JObject = { pattern, flags };
    for (const [name, op] of Object.entries(RE_OPS)) members[name] = callable((a, k) => op.run(re, a, k));
    return members;
  };
  const mod: JObject = { ...RE_FLAGS };
  for (const [name, op] of Object.entries(RE_OPS)) {
    mod[name] = callable((a, k) => {
      const pattern = a[0];
      if (isUnknown(pattern)) return pattern;
      const flags = num(a[op.flagsAt] ?? k.flags, 0);
      const re = isObject(pattern) && typeof pattern.pattern === 'string' ? jsRegex(pattern.pattern, num(pattern.flags) | flags) : jsRegex(toText(pattern ?? ''), flags);
      if (!re) return construct(`the Python regular expression ${JSON.stringify(toText(pattern ?? ''))}`);
      return op.run(re, a.slice(1), k);
    });
  }
  mod.compile = callable((a, k) => compiled(toText(a[0] ?? ''), num(a[1] ?? k.flags, 0)));
  mod.escape = callable((a) => toText(a[0] ?? '').replace(/[.*+?^${}()|[\]\\\-#&~\s]/g, '\\$&'));
  return mod;
}

// ---- datetime ----

const DAY = 86_400_000;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const MOMENT = Symbol('moment');
const DELTA = Symbol('delta');

/** A Python date or datetime: milliseconds since the epoch in UTC (plus microseconds). */
interface Moment {
  kind: 'date' | 'datetime';
  ms: number;
  micro: number;
  tz?: string;
}

function strftime(m: Moment, fmt: string): string {
  const d = new Date(m.ms);
  const y = d.getUTCFullYear();
  const start = Date.UTC(y, 0, 1);
  const yday = Math.floor((Date.UTC(y, d.getUTCMonth(), d.getUTCDate()) - start) / DAY) + 1;
  const h = d.getUTCHours();
  return fmt.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case 'Y': return String(y).padStart(4, '0');
      case 'y': return pad(y % 100);
      case 'm': return pad(d.getUTCMonth() + 1);
      case 'd': return pad(d.getUTCDate());
      case 'e': return String(d.getUTCDate()).padStart(2, ' ');
      case 'H': return pad(h);
      case 'I': return pad(h % 12 || 12);
      case 'p': return h < 12 ? 'AM' : 'PM';
      case 'M': return pad(d.getUTCMinutes());
      case 'S': return pad(d.getUTCSeconds());
      case 'f': return pad(d.getUTCMilliseconds() * 1000 + m.micro, 6);
      case 'j': return pad(yday, 3);
      case 'a': return DAYS[d.getUTCDay()]!.slice(0, 3);
      case 'A': return DAYS[d.getUTCDay()]!;
      case 'w': return String(d.getUTCDay());
      case 'u': return String(d.getUTCDay() || 7);
      case 'b': case 'h': return MONTHS[d.getUTCMonth()]!.slice(0, 3);
      case 'B': return MONTHS[d.getUTCMonth()]!;
      case 'z': return m.tz !== undefined ? '+0000' : '';
      case 'Z': return m.tz ?? '';
      case 'F': return `${String(y).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
      case 'T': return `${pad(h)}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
      case '%': return '%';
      default: return all;
    }
  });
}

function iso(m: Moment, sep = 'T'): string {
  const date = strftime(m, '%Y-%m-%d');
  if (m.kind === 'date') return date;
  const d = new Date(m.ms);
  const micro = d.getUTCMilliseconds() * 1000 + m.micro;
  return `${date}${sep}${strftime(m, '%H:%M:%S')}${micro ? `.${pad(micro, 6)}` : ''}${m.tz !== undefined ? '+00:00' : ''}`;
}

function moment(m: Moment): JObject {
  const d = new Date(m.ms);
  const members: JObject = {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    strftime: callable((a) => strftime(m, toText(a[0] ?? ''))),
    isoformat: callable((a) => iso(m, typeof a[0] === 'string' ? a[0] : 'T')),
    weekday: callable(() => (d.getUTCDay() + 6) % 7),
    isoweekday: callable(() => d.getUTCDay() || 7),
    timetuple: callable(() => [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]),
    replace: callable((_a, k) => {
      const next = new Date(m.ms);
      if (typeof k.year === 'number') next.setUTCFullYear(k.year);
      if (typeof k.month === 'number') next.setUTCMonth(k.month - 1);
      if (typeof k.day === 'number') next.setUTCDate(k.day);
      if (typeof k.hour === 'number') next.setUTCHours(k.hour);
      if (typeof k.minute === 'number') next.setUTCMinutes(k.minute);
      if (typeof k.second === 'number') next.setUTCSeconds(k.second);
      if (typeof k.microsecond === 'number') next.setUTCMilliseconds(Math.floor(k.microsecond / 1000));
      return moment({ ...m, ms: next.getTime(), micro: typeof k.microsecond === 'number' ? k.microsecond % 1000 : m.micro, ...('tzinfo' in k ? { tz: k.tzinfo === null ? undefined : toText(k.tzinfo) } : {}) });
    }),
  };
  if (m.kind === 'datetime') {
    Object.assign(members, {
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      microsecond: d.getUTCMilliseconds() * 1000 + m.micro,
      tzinfo: m.tz ?? null,
      date: callable(() => moment({ kind: 'date', ms: Math.floor(m.ms / DAY) * DAY, micro: 0 })),
      astimezone: callable((a) => moment({ ...m, tz: a[0] === undefined ? 'UTC' : toText(a[0]) })),
      timestamp: callable(() => m.ms / 1000 + m.micro / 1e6),
    });
  }
  const o = textual(() => (m.kind === 'date' ? iso(m) : iso(m, ' ')), members);
  Object.defineProperty(o, MOMENT, { value: m });
  Object.defineProperty(o, OPERATORS, { value: (op: string, other: JValue, right: boolean) => momentOp(m, op, other, right) });
  return o;
}


function momentOf(v: JValue): Moment | undefined {
  return v && typeof v === 'object' ? (v as { [MOMENT]?: Moment })[MOMENT] : undefined;
}
function deltaOf(v: JValue): number | undefined {
  return v && typeof v === 'object' ? (v as { [DELTA]?: number })[DELTA] : undefined;
}

function momentOp(m: Moment, op: string, other: JValue, right: boolean): JValue | undefined {
  const delta = deltaOf(other);
  if (delta !== undefined && (op === '+' || (op === '-' && !right))) return moment({ ...m, ms: m.ms + (op === '+' ? delta : -delta) });
  const o = momentOf(other);
  if (!o) return undefined;
  const [a, b] = right ? [o.ms, m.ms] : [m.ms, o.ms];
  switch (op) {
    case '-': return timedelta(a - b);
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '>': return a > b;
    case '<=': return a <= b;
    case '>=': return a >= b;
  }
  return undefined;
}

function timedelta(ms: number): JObject {
  const days = Math.floor(ms / DAY);
  const seconds = Math.floor((ms - days * DAY) / 1000);
  const text = () => {
    const h = Math.floor(seconds / 3600);
    const clock = `${h}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
    return days ? `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${clock}` : clock;
  };
  const o = textual(text, { days, seconds, microseconds: 0, total_seconds: callable(() => ms / 1000) });
  Object.defineProperty(o, DELTA, { value: ms });
  Object.defineProperty(o, OPERATORS, { value: (op: string, other: JValue, right: boolean) => {
    const d = deltaOf(other);
    if (d !== undefined) {
      const [a, b] = right ? [d, ms] : [ms, d];
      switch (op) {
        case '+': return timedelta(a + b);
        case '-': return timedelta(a - b);
        case '==': return a === b;
        case '<': return a < b;
        case '>': return a > b;
        case '<=': return a <= b;
        case '>=': return a >= b;
      }
    }
    if (typeof other === 'number' && op === '*') return timedelta(ms * other);
    const m = momentOf(other);
    if (m && op === '+') return moment({ ...m, ms: m.ms + ms });
    return undefined;
  } });
  return o;
}

function parseIso(text: string): Moment | undefined {
  const x = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!x) return undefined;
  const frac = (x[7] ?? '').padEnd(6, '0');
  const ms = Date.UTC(Number(x[1]), Number(x[2]) - 1, Number(x[3]), Number(x[4] ?? 0), Number(x[5] ?? 0), Number(x[6] ?? 0), Number(frac.slice(0, 3)));
  return { kind: x[4] ? 'datetime' : 'date', ms, micro: Number(frac.slice(3)), ...(x[8] ? { tz: 'UTC' } : {}) };
}

/** `strptime` for the directives dates are written with. */
function strptime(text: string, fmt: string): Moment | undefined {
  const parts: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0, f: 0 };
  let re = '';
  const order: string[] = [];
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c === '%' && i + 1 < fmt.length) {
      const d = fmt[++i]!;
      const width: Record<string, string> = { Y: '(\\d{4})', y: '(\\d{2})', m: '(\\d{1,2})', d: '(\\d{1,2})', H: '(\\d{1,2})', M: '(\\d{1,2})', S: '(\\d{1,2})', f: '(\\d{1,6})', '%': '%' };
      if (!width[d]) return undefined;
      re += width[d];
      if (d !== '%') order.push(d);
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const x = new RegExp(`^${re}$`).exec(text);
  if (!x) return undefined;
  order.forEach((d, k) => {
    const v = x[k + 1]!;
    if (d === 'y') parts.Y = 2000 + Number(v);
    else if (d === 'f') parts.f = Number(v.padEnd(6, '0'));
    else parts[d] = Number(v);
  });
  return { kind: 'datetime', ms: Date.UTC(parts.Y!, parts.m! - 1, parts.d, parts.H, parts.M, parts.S, Math.floor(parts.f! / 1000)), micro: parts.f! % 1000 };
}

function nowMoment(kind: 'date' | 'datetime', tz?: string): Moment {
  const ms = Date.now();
  return kind === 'date' ? { kind, ms: Math.floor(ms / DAY) * DAY, micro: 0 } : { kind, ms, micro: 0, ...(tz !== undefined ? { tz } : {}) };
}

function datetimeModule(): JObject {
  const fromParts = (kind: 'date' | 'datetime') => callable((a, k) => {
    const p = ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'].map((name, i) => num(a[i] ?? k[name], i < 3 ? 1 : 0));
    const [y, mo, d, h, mi, s, us] = p as [number, number, number, number, number, number, number];
    return moment({ kind, ms: Date.UTC(y, mo - 1, d, h, mi, s, Math.floor(us / 1000)), micro: us % 1000, ...(k.tzinfo ? { tz: toText(k.tzinfo) } : {}) });
  });
  const parsed = (m: Moment | undefined, what: string) => (m ? moment(m) : construct(what));
  const datetime = fromParts('datetime');
  datetime.members = {
    now: callable((a, k) => {
      const tz = a[0] ?? k.tz;
      return moment(nowMoment('datetime', tz === undefined || tz === null ? undefined : toText(tz)));
    }),
    utcnow: callable(() => moment(nowMoment('datetime'))),
    today: callable(() => moment(nowMoment('datetime'))),
    fromisoformat: callable((a) => parsed(parseIso(toText(a[0] ?? '')), `datetime.fromisoformat(${toText(a[0] ?? '')})`)),
    strptime: callable((a) => parsed(strptime(toText(a[0] ?? ''), toText(a[1] ?? '')), `datetime.strptime with ${toText(a[1] ?? '')}`)),
  };
  const date = fromParts('date');
  date.members = {
    today: callable(() => moment(nowMoment('date'))),
    fromisoformat: callable((a) => parsed(parseIso(toText(a[0] ?? '')), `date.fromisoformat(${toText(a[0] ?? '')})`)),
  };
  const delta = callable((a, k) => {
    const days = num(a[0] ?? k.days) + 7 * num(k.weeks);
    const ms = days * DAY + (num(a[1] ?? k.seconds) + 60 * num(k.minutes) + 3600 * num(k.hours)) * 1000 + num(k.milliseconds) + num(a[2] ?? k.microseconds) / 1000;
    return timedelta(ms);
  });
  return { datetime, date, timedelta: delta, timezone: { utc: 'UTC' }, MINYEAR: 1, MAXYEAR: 9999 };
}

/** dbt's `modules`: a fresh set per render (they hold no state, but callables are cheap). */
export function pythonModules(): JObject {
  return {
    re: reModule(),
    datetime: datetimeModule(),
    pytz: { timezone: callable((a) => toText(a[0] ?? 'UTC')), utc: 'UTC', UTC: 'UTC' },
    itertools: construct('modules.itertools'),
  };
}

/** dbt's `run_started_at`: the time of the run, in UTC. */
export function runStartedAt(): JObject {
  return moment(nowMoment('datetime', 'UTC'));
}
