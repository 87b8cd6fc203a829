import { JinjaReturn, parseTemplate, render, type JinjaWarning, type RenderEnvironment, type Template } from '../dbt/jinja';
import { callable, toText, UNKNOWN, type JValue } from '../dbt/jinjaExpr';

/** A `ref()` call as written: `ref('m')`, `ref('pkg', 'm')`, `ref('m', v=2)`. */
export interface RefCall {
  package?: string;
  name: string;
  version?: number;
}

export interface SourceCall {
  source: string;
  table: string;
}

export interface RenderedModel {
  /** The SQL with Jinja rendered; refs and sources are placeholders until the index resolves them. */
  sql: string;
  refs: RefCall[];
  sources: SourceCall[];
  /** What `config(...)` said. */
  config: Record<string, unknown>;
  /** Names passed to var() that had neither a project value nor a default. */
  missingVars: string[];
  warnings: JinjaWarning[];
}

/** Macros a project can call: its own, and its packages' under their package name. */
export interface MacroLibrary {
  /** Parsed macro files by package name (the project's own under its name). */
  packages: Map<string, Template[]>;
}

export interface RenderContext {
  projectName: string;
  vars: Record<string, unknown>;
  targetSchema: string;
  macros: MacroLibrary;
  /** The model's own name, for `{{ this }}`. */
  self: string;
}

/** Placeholders survive the SQL lexer as identifiers and are swapped for relation names later. */
const refPlaceholder = (i: number): string => `__askdata_ref_${i}__`;
const sourcePlaceholder = (i: number): string => `__askdata_src_${i}__`;
export const PLACEHOLDER = /__askdata_(ref|src)_(\d+)__/g;

export function renderModel(text: string, ctx: RenderContext): RenderedModel {
  const template = parseTemplate(text);
  const refs: RefCall[] = [];
  const sources: SourceCall[] = [];
  const config: Record<string, unknown> = {};
  const missingVars = new Set<string>();
  const warnings = [...template.warnings];
  const globals = new Map<string, JValue>();

  globals.set('ref', callable((args, kwargs) => {
    const strings = args.filter((a): a is string => typeof a === 'string');
    if (strings.length === 0) return UNKNOWN;
    const call: RefCall = strings.length >= 2 ? { package: strings[0], name: strings[1]! } : { name: strings[0]! };
    const v = kwargs.v ?? kwargs.version;
    if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) call.version = Number(v);
    const key = JSON.stringify(call);
    let i = refs.findIndex((r) => JSON.stringify(r) === key);
    if (i < 0) i = refs.push(call) - 1;
    return refPlaceholder(i);
  }));
  globals.set('source', callable((args) => {
    if (typeof args[0] !== 'string' || typeof args[1] !== 'string') return UNKNOWN;
    let i = sources.findIndex((s) => s.source === args[0] && s.table === args[1]);
    if (i < 0) i = sources.push({ source: args[0], table: args[1] }) - 1;
    return sourcePlaceholder(i);
  }));
  globals.set('config', callable((_args, kwargs) => {
    Object.assign(config, plain(kwargs));
    return '';
  }));
  globals.set('var', callable((args) => {
    const name = args[0];
    if (typeof name !== 'string') return UNKNOWN;
    if (name in ctx.vars) return fromPlain(ctx.vars[name]);
    if (args.length > 1) return args[1]!;
    missingVars.add(name);
    return UNKNOWN;
  }));
  globals.set('env_var', callable((args) => (args.length > 1 ? args[1]! : UNKNOWN)));
  globals.set('this', ctx.self);
  globals.set('target', { name: 'dev', schema: ctx.targetSchema, type: 'duckdb', database: UNKNOWN as unknown as JValue, threads: 1 });
  globals.set('project_name', ctx.projectName);
  // dbt parses with execute = false; models guard run_query() with it, so their fallback branch renders.
  globals.set('execute', false);
  globals.set('flags', {});
  globals.set('is_incremental', callable(() => false));
  globals.set('log', callable(() => ''));
  globals.set('print', callable(() => ''));
  globals.set('exceptions', { raise_compiler_error: callable(() => ''), warn: callable(() => '') });
  globals.set('return', callable((args) => {
    throw new JinjaReturn(args[0] ?? '');
  }));
  globals.set('range', callable((args) => {
    const nums = args.filter((a): a is number => typeof a === 'number');
    const [start, stop] = nums.length >= 2 ? [nums[0]!, nums[1]!] : [0, nums[0] ?? 0];
    return Array.from({ length: Math.max(0, Math.min(stop - start, 1000)) }, (_, k) => start + k);
  }));
  globals.set('modules', { datetime: UNKNOWN as unknown as JValue });
  for (const [name, value] of Object.entries(BUILTIN_NAMESPACES)) globals.set(name, value);

  const env: RenderEnvironment = { globals, macros: new Map() };
  addMacros(env, ctx.macros, ctx.projectName, globals);
  let sql: string;
  try {
    sql = render(template, env);
  } catch (e) {
    if (!(e instanceof JinjaReturn)) throw e;
    sql = toText(e.value);
  }
  return { sql, refs, sources, config, missingVars: [...missingVars], warnings };
}

function addMacros(env: RenderEnvironment, library: MacroLibrary, own: string, globals: Map<string, JValue>): void {
  env.namespaces = new Map();
  for (const [pkg, templates] of library.packages) {
    // A package's macros call each other by bare name, and the root project's by `pkg.name`.
    const pkgEnv: RenderEnvironment = { globals, macros: new Map(), namespaces: env.namespaces };
    for (const t of templates) for (const [name, node] of t.macros) pkgEnv.macros.set(name, { node, env: pkgEnv });
    env.namespaces.set(pkg, pkgEnv.macros);
    if (pkg === own) for (const [name, m] of pkgEnv.macros) env.macros.set(name, m);
  }
}

// Cross-database macros every dbt project leans on, rendered as the DuckDB SQL they produce, so
// that the model's SQL reads like what runs. Package code for them dispatches on the adapter,
// which we cannot do without dbt.
const sqlText = (v: JValue | undefined): string => (v === undefined || v === UNKNOWN ? '?' : Array.isArray(v) ? v.map(sqlText).join(', ') : toText(v));
const TYPES: Record<string, string> = { type_string: 'varchar', type_timestamp: 'timestamp', type_float: 'double', type_numeric: 'numeric(28, 6)', type_bigint: 'bigint', type_int: 'integer', type_boolean: 'boolean' };
const crossDb: Record<string, JValue> = {
  date_trunc: callable((a, k) => `date_trunc('${sqlText(a[0] ?? k.datepart)}', ${sqlText(a[1] ?? k.date)})`),
  dateadd: callable((a, k) => `(${sqlText(a[2] ?? k.from_date_or_timestamp)} + ${sqlText(a[1] ?? k.interval)} * interval 1 ${sqlText(a[0] ?? k.datepart)})`),
  datediff: callable((a, k) => `date_diff('${sqlText(a[2] ?? k.datepart)}', ${sqlText(a[0] ?? k.first_date)}, ${sqlText(a[1] ?? k.second_date)})`),
  current_timestamp: callable(() => 'current_timestamp'),
  safe_cast: callable((a, k) => `try_cast(${sqlText(a[0] ?? k.field)} as ${sqlText(a[1] ?? k.type)})`),
  concat: callable((a, k) => `concat(${sqlText(a[0] ?? k.fields)})`),
  hash: callable((a, k) => `md5(cast(${sqlText(a[0] ?? k.field)} as varchar))`),
  split_part: callable((a) => `split_part(${sqlText(a[0])}, ${sqlText(a[1])}, ${sqlText(a[2])})`),
  last_day: callable((a) => `last_day(${sqlText(a[0])})`),
  ...Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [k, callable(() => v)])),
};
const BUILTIN_NAMESPACES: Record<string, JValue> = {
  dbt: crossDb,
  dbt_utils: {
    ...crossDb,
    star: callable((a, k) => {
      const from = a[0] ?? k.from;
      const relationAlias = a[1] ?? k.relation_alias;
      return typeof relationAlias === 'string' ? `${relationAlias}.*` : typeof from === 'string' ? '*' : UNKNOWN;
    }),
    generate_surrogate_key: callable((a, k) => `md5(concat_ws('-', ${sqlText(a[0] ?? k.field_list)}))`),
    surrogate_key: callable((a) => `md5(concat_ws('-', ${sqlText(a.length === 1 ? a[0] : a)}))`),
  },
};

function plain(v: Record<string, JValue>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'symbol' ? undefined : x))) as Record<string, unknown>;
}

function fromPlain(v: unknown): JValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromPlain(x)]));
  return UNKNOWN;
}
