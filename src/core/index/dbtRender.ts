import { createHash } from 'node:crypto';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { dbtBuiltins, dispatchPrefixes } from '../dbt/dbtBuiltins';
import { JinjaReturn, parseTemplate, Renderer, type JinjaWarning, type MacroNode, type RenderProblem, type Template } from '../dbt/jinja';
import { callable, fromPlain, isCallable, isObject, isUnknown, MISSING, plain, TEXT, toText, Undefined, Unknown, UNKNOWN, type JCallable, type JObject, type JValue, type UnknownReason } from '../dbt/jinjaValues';
import { pythonModules, runStartedAt } from '../dbt/pyModules';
import type { WarningKind } from '../dbt/warnings';

/** A `ref()` call as written: `ref('m')`, `ref('pkg', 'm')`, `ref('m', v=2)`. */
export interface RefCall {
  package?: string;
  name: string;
  version?: number;
  /** The name could not be known (it comes from a query, a missing var…): an unresolved ref, said by the render's warning. */
  unknown?: true;
  /** The line of the file's tag that made the call (a macro's call is reported where it was called). */
  line: number;
}

export interface SourceCall {
  source: string;
  table: string;
  line: number;
}

export interface RenderWarning extends JinjaWarning {
  kind: WarningKind;
}

export interface RenderedModel {
  /** The SQL with Jinja rendered; refs and sources are placeholders until the index resolves them. */
  sql: string;
  refs: RefCall[];
  sources: SourceCall[];
  /** What `config(...)` said. */
  config: Record<string, unknown>;
  warnings: RenderWarning[];
  /** Places left unrendered because they cannot be known without dbt, each counted once. */
  unrendered: number;
  /** Of those, calls into packages that packages.yml lists but are not installed (the packages.yml warning says it). */
  missingPackageCalls: number;
}

/** Macros a project can call: its own and its packages', and how adapter.dispatch searches them. */
export interface MacroLibrary {
  /** Macros by package name (the root project's under its name). */
  packages: Map<string, Map<string, MacroNode>>;
  /** The root project's `dispatch:` config: namespace → packages to search, in order. */
  dispatch: Record<string, string[]>;
  /** Packages packages.yml lists that are not installed. */
  notInstalled: Set<string>;
}

export interface TargetInfo {
  name: string;
  schema: string;
  /** The profile's adapter type: duckdb, snowflake, bigquery, postgres… */
  type: string;
  database?: string;
}

export interface RenderContext {
  /** The root project's name. */
  rootProject: string;
  /** The package the file is in (the root project's name for its own files). */
  package: string;
  /** The vars this package sees, precedence already applied. */
  vars: Record<string, unknown>;
  target: TargetInfo;
  macros: MacroLibrary;
  /** The model's own name, for `{{ this }}` and `model`. */
  self: string;
  /**
   * The node's config from dbt_project.yml (dbt's default materialization included), which
   * `config.get()` and `model.config` see beneath the file's own config() calls.
   */
  config?: Record<string, unknown>;
  /** The environment env_var() reads: given for profile values, which dbt renders with it; model files render without. */
  env?: Readonly<Record<string, string | undefined>>;
  /** For descriptions: dbt's doc(), a docs block's text by (package, name), undefined when there is none. */
  docs?: (pkg: string | undefined, name: string) => string | undefined;
}

/** Placeholders survive the SQL lexer as identifiers and are swapped for relation names later. */
const refPlaceholder = (i: number): string => `__askdata_ref_${i}__`;
const sourcePlaceholder = (i: number): string => `__askdata_src_${i}__`;
// Case-blind: `{% filter upper %}` or `| lower` around a ref changes the placeholder's case too.
export const PLACEHOLDER = /__askdata_(ref|src)_(\d+)__/gi;
/** How an output the renderer could not tell is left in the text (see Renderer). */
export const UNRENDERED_OUTPUT = /\/\* \{\{ [\s\S]*? \}\} \*\//g;

const database = (what: string): Unknown => new Unknown({ kind: 'database', what });
const runtime = (what: string): Unknown => new Unknown({ kind: 'runtime', what });

export function renderModel(text: string, ctx: RenderContext): RenderedModel {
  return new ModelRender(ctx).run(parseTemplate(text));
}

export function renderTemplate(template: Template, ctx: RenderContext): RenderedModel {
  return new ModelRender(ctx).run(template);
}

/**
 * A profiles.yml value (`schema: "{{ env_var('DBT_SCHEMA', 'dbt_' ~ env_var('USER')) }}"`) as dbt
 * renders it with the environment; undefined when it cannot be rendered (a variable that is not set).
 */
export function renderProfileValue(text: string, env: Readonly<Record<string, string | undefined>>, type = 'duckdb'): string | undefined {
  if (!/\{[{%]/.test(text)) return text;
  const r = renderModel(text, { rootProject: '', package: '', vars: {}, target: { name: '', schema: '', type }, macros: { packages: new Map(), dispatch: {}, notInstalled: new Set() }, self: '', env });
  const value = r.sql.trim();
  return r.unrendered || r.warnings.length || !value ? undefined : value;
}

/** Renders one file: dbt's context, name resolution by package, and what could not be rendered. */
class ModelRender {
  private readonly refs: RefCall[] = [];
  private readonly sources: SourceCall[] = [];
  private readonly config: Record<string, unknown> = {};
  private readonly missingVars = new Map<string, number>();
  private readonly raised: Array<{ line: number; message: string; macro?: string }> = [];
  private readonly globals = new Map<string, JValue>();
  private readonly namespaces = new Map<string, JValue>();
  private readonly renderer: Renderer;
  private readonly builtins: Record<string, JValue>;
  private readonly varTemplates = new Map<string, JValue>();

  constructor(private readonly ctx: RenderContext) {
    this.renderer = new Renderer((name, pkg) => this.resolve(name, pkg));
    this.builtins = dbtBuiltins(ctx.target.type);
    this.setGlobals();
  }

  run(template: Template): RenderedModel {
    let sql: string;
    try {
      sql = this.renderer.render(template, this.ctx.package);
    } catch (e) {
      if (!(e instanceof JinjaReturn)) throw e;
      sql = toText(e.value);
    }
    const warnings: RenderWarning[] = template.warnings.map((w) => ({ ...w, kind: 'jinja-syntax' }));
    const { warnings: problems, unrendered, missingPackageCalls } = this.describe(this.renderer.problems);
    warnings.push(...problems);
    for (const [name, line] of this.missingVars) warnings.push({ line, kind: 'missing-var', message: `var('${name}') has no value in dbt_project.yml and no default: dbt stops here. Set it under vars: in dbt_project.yml (or pass --vars)` });
    for (const r of this.raised) warnings.push({ line: r.line, kind: 'compiler-error', message: `dbt stops here${r.macro ? ` (in macro ${r.macro})` : ''} with the error: ${r.message.replace(/\s+/g, ' ').trim().slice(0, 300)}` });
    return { sql, refs: this.refs, sources: this.sources, config: this.config, warnings: warnings.sort((a, b) => a.line - b.line), unrendered, missingPackageCalls };
  }

  /** A macro of a package, as a value. */
  private macroOf(pkg: string, name: string): JValue | undefined {
    const node = this.ctx.macros.packages.get(pkg)?.get(name);
    return node ? this.renderer.macro(node, pkg) : undefined;
  }

  /**
   * dbt's lookup for a bare name: the running package's macros, then the root project's (which is
   * how a project overrides `ref`), then dbt's context, then package namespaces, then dbt's own macros.
   */
  private resolve(name: string, pkg: string | undefined): JValue {
    const own = pkg ? this.macroOf(pkg, name) : undefined;
    if (own) return own;
    const root = this.macroOf(this.ctx.rootProject, name);
    if (root) return root;
    const g = this.globals.get(name) ?? STATIC_GLOBALS.get(name);
    if (g !== undefined) return g;
    if (name === 'this') {
      const self = this.relation(this.ctx.self, this.ctx.self, this.ctx.target.schema);
      this.globals.set('this', self);
      return self;
    }
    const ns = this.namespace(name);
    if (ns !== undefined) return ns;
    const b = this.builtins[name];
    if (b !== undefined) return b;
    return new Undefined(name);
  }

  /** `dbt_utils` in `dbt_utils.star(…)`: the package's macros, or why there are none. */
  private namespace(name: string): JValue | undefined {
    const known = this.namespaces.get(name);
    if (known !== undefined) return known;
    let value: JValue | undefined;
    if (name === 'dbt') value = this.packageObject('dbt', this.builtins);
    else if (this.ctx.macros.packages.has(name)) value = this.packageObject(name, {});
    else if (this.ctx.macros.notInstalled.has(name)) value = new Unknown({ kind: 'package', what: name });
    if (value !== undefined) this.namespaces.set(name, value);
    return value;
  }

  private packageObject(pkg: string, extra: Record<string, JValue>): JValue {
    const macros = this.ctx.macros.packages.get(pkg);
    const members: JObject = { ...extra };
    if (macros) for (const m of macros.keys()) Object.defineProperty(members, m, { enumerable: true, configurable: true, get: () => this.macroOf(pkg, m)! });
    Object.defineProperty(members, MISSING, { value: (m: string) => new Unknown({ kind: 'macro', what: `${pkg}.${m}` }) });
    return members;
  }

  /** adapter.dispatch: `<adapter>__name`, then its parents', then `default__name`, in the configured packages. */
  private dispatch(macroName: string, namespace: string | undefined): JValue {
    const type = this.ctx.target.type;
    const prefixes = dispatchPrefixes(type);
    const configured = namespace ? this.ctx.macros.dispatch[namespace] : undefined;
    const installed = namespace !== undefined && this.ctx.macros.packages.has(namespace) && namespace !== this.ctx.rootProject;
    const order: Array<string | undefined> = configured?.length ? configured : installed ? [this.ctx.rootProject, namespace] : [undefined];
    for (const pkg of order) {
      for (const prefix of prefixes) {
        const name = `${prefix}__${macroName}`;
        const found = pkg === undefined ? this.globalMacro(name) : this.macroOf(pkg, name);
        if (found) return found;
      }
      if ((pkg === undefined || pkg === 'dbt') && this.builtins[macroName]) return this.builtins[macroName];
    }
    if (namespace && this.ctx.macros.notInstalled.has(namespace)) return new Unknown({ kind: 'package', what: namespace });
    return new Unknown({ kind: 'macro', what: `${namespace ? `${namespace}.` : ''}${prefixes.map((p) => `${p}__${macroName}`).join(' / ')} (adapter.dispatch)` });
  }

  private globalMacro(name: string): JValue | undefined {
    return this.macroOf(this.ctx.package, name) ?? this.macroOf(this.ctx.rootProject, name) ?? this.builtins[name];
  }

  private relation(text: string, name: string, schema: JValue): JObject {
    return new Relation(text, { database: this.ctx.target.database ?? null, schema, identifier: name, name, table: name, type: 'table', is_table: true, is_view: false, is_cte: false, metadata: RELATION_METADATA });
  }

  /**
   * adapter.get_relation() for a source or model this file already named (fivetran's union_data looks
   * its source up this way): the relation it finds when the table exists, which is the path that matters.
   */
  private knownRelation(schema: JValue | undefined, identifier: JValue | undefined): JValue | undefined {
    if (typeof identifier !== 'string') return undefined;
    const id = identifier.toLowerCase();
    const inSchema = typeof schema === 'string' ? this.sources.filter((x) => x.source.toLowerCase() === schema.toLowerCase()) : [];
    // The identifier may come from a var the source's properties also use: one source of that schema is the one.
    const only = inSchema.length === 1 ? this.sources.indexOf(inSchema[0]!) : -1;
    const s = only >= 0 ? only : this.sources.findIndex((x) => x.table.toLowerCase() === id && (typeof schema !== 'string' || x.source.toLowerCase() === schema.toLowerCase()));
    if (s >= 0) return this.relation(sourcePlaceholder(s), this.sources[s]!.table, this.sources[s]!.source);
    const r = this.refs.findIndex((x) => x.name.toLowerCase() === id);
    return r >= 0 ? this.relation(refPlaceholder(r), this.refs[r]!.name, this.ctx.target.schema) : undefined;
  }

  private ref(args: JValue[], kwargs: Record<string, JValue>): JValue {
    const strings = args.filter((a): a is string => typeof a === 'string');
    const unknown = args.find((a) => isUnknown(a) || a instanceof Undefined);
    if (unknown !== undefined || strings.length === 0) {
      // A ref whose model cannot be known here is still a ref: counted as unresolved, and said where it renders.
      this.refs.push({ name: '', unknown: true, line: this.renderer.here().line });
      return isUnknown(unknown) ? unknown : unknown instanceof Undefined ? new Unknown({ kind: 'name', what: unknown.name }) : UNKNOWN;
    }
    const call: RefCall = strings.length >= 2 ? { package: strings[0], name: strings[1]!, line: 0 } : { name: strings[0]!, line: 0 };
    const v = kwargs.v ?? kwargs.version;
    if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) call.version = Number(v);
    let i = this.refs.findIndex((r) => r.name === call.name && r.package === call.package && r.version === call.version);
    if (i < 0) i = this.refs.push({ ...call, line: this.renderer.here().line }) - 1;
    return this.relation(refPlaceholder(i), call.name, this.ctx.target.schema);
  }

  private source(args: JValue[]): JValue {
    const [s, t] = args;
    if (typeof s !== 'string' || typeof t !== 'string') return UNKNOWN;
    let i = this.sources.findIndex((x) => x.source === s && x.table === t);
    if (i < 0) i = this.sources.push({ source: s, table: t, line: this.renderer.here().line }) - 1;
    return this.relation(sourcePlaceholder(i), t, s);
  }

  private var(args: JValue[]): JValue {
    const name = args[0];
    if (typeof name !== 'string') return UNKNOWN;
    if (Object.prototype.hasOwnProperty.call(this.ctx.vars, name)) {
      const raw = this.ctx.vars[name];
      // dbt renders a var's value when it is Jinja: `project: "{{ ref('stg_project') }}"`.
      if (typeof raw === 'string' && /\{[{%]/.test(raw)) {
        const known = this.varTemplates.get(name);
        if (known !== undefined) return known;
        this.varTemplates.set(name, UNKNOWN); // a var that refers to itself renders as unknown
        const value = this.renderer.render(parseTemplate(raw), this.ctx.package);
        this.varTemplates.set(name, value);
        return value;
      }
      return fromPlain(raw);
    }
    if (args.length > 1) return args[1]!;
    if (!this.missingVars.has(name)) this.missingVars.set(name, this.renderer.here().line);
    return new Undefined(`var('${name}')`);
  }

  private setGlobals(): void {
    const g = this.globals;
    const ctx = this.ctx;
    const ref = callable((a, k) => this.ref(a, k));
    const source = callable((a) => this.source(a));
    // config(materialized='table'), or config({'materialized': 'table'}) as dbt also takes it.
    // What config.get() and model.config see: the file's own config() over what dbt_project.yml gives the node.
    const effective = (): Record<string, unknown> => ({ ...ctx.config, ...this.config });
    const config = callable((a, k) => {
      if (isObject(a[0])) Object.assign(this.config, plain(a[0]) as Record<string, unknown>);
      Object.assign(this.config, plain(k) as Record<string, unknown>);
      return '';
    }, {
      get: callable((a) => {
        const all = effective();
        return typeof a[0] === 'string' && a[0] in all ? fromPlain(all[a[0]]) : (a[1] ?? null);
      }),
      require: callable((a) => {
        const all = effective();
        return typeof a[0] === 'string' && a[0] in all ? fromPlain(all[a[0]]) : UNKNOWN;
      }),
      set: callable((a) => {
        if (typeof a[0] === 'string') this.config[a[0]] = plain(a[1] ?? null);
        return '';
      }),
      meta_get: callable((a) => a[1] ?? null),
      persist_relation_docs: callable(() => false),
      persist_column_docs: callable(() => false),
    });
    g.set('ref', ref);
    g.set('source', source);
    g.set('config', config);
    g.set('builtins', { ref, source, config });
    g.set('var', callable((a) => this.var(a), { has_var: callable((a) => typeof a[0] === 'string' && Object.prototype.hasOwnProperty.call(ctx.vars, a[0])) }));
    g.set('env_var', callable((a) => {
      const set = ctx.env?.[toText(a[0] ?? '')];
      if (set !== undefined) return set;
      return a.length > 1 ? a[1]! : runtime(`env_var('${toText(a[0] ?? '')}'), which has no default (Ask Data does not read the environment),`);
    }));

    const model: JObject = { name: ctx.self, alias: ctx.self, package_name: ctx.package, resource_type: 'model', unique_id: `model.${ctx.package}.${ctx.self}`, schema: ctx.target.schema, database: ctx.target.database ?? null };
    Object.defineProperty(model, 'config', { enumerable: true, get: () => fromPlain(effective()) });
    g.set('model', model);
    g.set('target', { name: ctx.target.name, schema: ctx.target.schema, type: ctx.target.type, database: ctx.target.database ?? null, threads: 1, profile_name: ctx.rootProject });
    g.set('project_name', ctx.rootProject);
    const docs = ctx.docs;
    if (docs) {
      g.set('doc', callable((a) => {
        const [first, second] = a.map((x) => toText(x));
        return (second === undefined ? docs(undefined, first ?? '') : docs(first, second)) ?? '';
      }));
    }
    // dbt's own naming macros, which a project's generate_schema_name override often calls.
    const schemaFor = (custom: JValue | undefined) => (typeof custom === 'string' && custom.trim() ? `${ctx.target.schema}_${custom.trim()}` : ctx.target.schema);
    // dbt's naming macros are `adapter.dispatch(name, 'dbt')`: a `default__` in the project or a listed package replaces the default.
    const naming = (name: string, fallback: JCallable['call']) => callable((a, k, src) => {
      const found = this.dispatch(name, 'dbt');
      return isCallable(found) ? found.call(a, k, src) : fallback(a, k, src);
    });
    g.set('generate_schema_name', naming('generate_schema_name', (a) => schemaFor(a[0])));
    g.set('default__generate_schema_name', callable((a) => schemaFor(a[0])));
    g.set('generate_schema_name_for_env', callable((a) => (ctx.target.name === 'prod' && typeof a[0] === 'string' && a[0].trim() ? a[0].trim() : ctx.target.schema)));
    const aliasFor = (custom: JValue | undefined, node: JValue | undefined) => (typeof custom === 'string' && custom.trim() ? custom.trim() : isObject(node) && typeof node.name === 'string' ? node.name : ctx.self);
    g.set('generate_alias_name', naming('generate_alias_name', (a) => aliasFor(a[0], a[1])));
    g.set('default__generate_alias_name', callable((a) => aliasFor(a[0], a[1])));
    g.set('schema', ctx.target.schema);
    g.set('database', ctx.target.database ?? null);
    // What runs is what matters: code under `{% if execute %}` renders, and each database query in it is an unknown that is said.
    g.set('execute', true);
    g.set('exceptions', {
      raise_compiler_error: callable((a) => this.raise(toText(a[0] ?? ''))),
      warn: callable(() => ''),
      raise_not_implemented: callable((a) => this.raise(toText(a[0] ?? 'not implemented'))),
    });
    g.set('adapter', this.adapter());
    g.set('api', {
      Relation: {
        create: callable((_a, k) => {
          const identifier = typeof k.identifier === 'string' ? k.identifier : undefined;
          const refIndex = identifier === undefined ? -1 : this.refs.findIndex((r) => r.name.toLowerCase() === identifier.toLowerCase());
          if (refIndex >= 0) return this.relation(refPlaceholder(refIndex), identifier!, k.schema ?? null);
          const parts = [k.schema, identifier].filter((p): p is string => typeof p === 'string');
          return identifier ? this.relation(parts.join('.'), identifier, k.schema ?? null) : UNKNOWN;
        }),
      },
      Column: callable((a) => ({ name: a[0] ?? UNKNOWN, data_type: a[1] ?? UNKNOWN, dtype: a[1] ?? UNKNOWN })),
    });
  }

  /** dbt stops compiling here; unless we only guessed our way into the branch that raises. */
  private raise(message: string): JValue {
    const { guessing, ...where } = this.renderer.here();
    if (!guessing) this.raised.push({ ...where, message });
    return '';
  }

  private adapter(): JValue {
    const quoteChar = ['bigquery', 'spark', 'databricks'].includes(this.ctx.target.type) ? '`' : '"';
    const queries = (name: string) => callable(() => database(`adapter.${name}()`));
    return {
      dispatch: callable((a, k) => {
        const name = a[0] ?? k.macro_name;
        const ns = a[1] ?? k.macro_namespace;
        return typeof name === 'string' ? this.dispatch(name, typeof ns === 'string' ? ns : undefined) : UNKNOWN;
      }),
      quote: callable((a) => `${quoteChar}${toText(a[0] ?? '')}${quoteChar}`),
      type: callable(() => this.ctx.target.type),
      get_columns_in_relation: queries('get_columns_in_relation'),
      get_relation: callable((a, k) => this.knownRelation(k.schema ?? a[1], k.identifier ?? a[2]) ?? database('adapter.get_relation()')),
      get_missing_columns: queries('get_missing_columns'),
      list_relations_without_caching: queries('list_relations_without_caching'),
      list_schemas: queries('list_schemas'),
      check_schema_exists: queries('check_schema_exists'),
      get_columns_in_table: queries('get_columns_in_table'),
      already_exists: queries('already_exists'),
      execute: queries('execute'),
      config: { quoting: {} },
    };
  }

  /** Turns what the renderer could not render into warnings that say what is missing and what to do. */
  private describe(problems: RenderProblem[]): { warnings: RenderWarning[]; unrendered: number; missingPackageCalls: number } {
    const warnings: RenderWarning[] = [];
    const groups = new Map<string, RenderProblem[]>();
    let unrendered = 0;
    let missingPackageCalls = 0;
    for (const p of problems) {
      unrendered++;
      const reason: UnknownReason | undefined = p.reason;
      if (reason?.kind === 'package') {
        missingPackageCalls++;
        continue; // said once, on the packages.yml line that lists it
      }
      if (reason?.kind === 'name' && reason.what.startsWith('var(')) continue; // said as missing-var
      // One cause, one warning: the first place it shows, and where else.
      const key = `${reason?.kind ?? 'none'}\0${reason?.what ?? p.src}\0${p.where}`;
      const group = groups.get(key);
      if (group) group.push(p);
      else groups.set(key, [p]);
    }
    for (const [first, ...rest] of groups.values()) {
      const w = this.warningFor(first!);
      const lines = [...new Set(rest.map((p) => p.line).filter((l) => l !== first!.line))];
      if (rest.length) w.message += lines.length ? ` (also on line${lines.length > 1 ? 's' : ''} ${lines.join(', ')})` : ` (${rest.length + 1} places)`;
      warnings.push(w);
    }
    return { warnings, unrendered, missingPackageCalls };
  }

  private warningFor(p: RenderProblem): RenderWarning {
    const where = p.macro ? ` (in macro ${p.macro})` : '';
    const effect = p.where === 'loop' ? `what depends on it (the loop \`${p.src}\`${where}) is left out of the rendered SQL` : p.where === 'statement' ? 'it is skipped' : `\`{{ ${oneLine(p.src)} }}\`${where} is left as a comment in the rendered SQL`;
    const r = p.reason;
    if (!r) return { line: p.line, kind: 'unsupported', message: `Ask Data's renderer cannot tell the value here, so ${effect}` };
    switch (r.kind) {
      case 'runtime':
        return { line: p.line, kind: 'needs-dbt', message: `${r.what} is known only when dbt runs, so ${effect}. Run \`dbt compile\` and Ask Data reads the compiled SQL from target/manifest.json` };
      case 'database':
        return { line: p.line, kind: 'needs-dbt', message: `${r.what} is known only when dbt runs against the database, so ${effect}. Run \`dbt compile\` and Ask Data reads the compiled SQL from target/manifest.json` };
      case 'macro': {
        const dot = r.what.indexOf('.');
        const pkg = dot > 0 ? r.what.slice(0, dot) : undefined;
        const missing = [...this.ctx.macros.notInstalled];
        const hint = pkg && this.ctx.macros.packages.has(pkg)
          ? `package ${pkg} has no such macro (a newer or older version of it may): check its version in packages.yml`
          : missing.length
            ? `it may come from ${missing.join(', ')}, which packages.yml lists but is not installed: run \`dbt deps\``
            : 'define it in the project\'s macros, or add the package that has it to packages.yml and run `dbt deps`';
        return { line: p.line, kind: 'undefined-macro', message: `calls ${r.what}${where}, which nothing in the project or its installed packages defines (dbt stops here), so ${effect}; ${hint}` };
      }
      case 'name':
        return { line: p.line, kind: 'undefined-name', message: `\`${r.what}\`${where} is not defined, so ${effect}` };
      case 'package':
        return { line: p.line, kind: 'package-not-installed', message: `calls package ${r.what}, which is not installed: run \`dbt deps\`` };
      case 'construct':
        return { line: p.line, kind: 'unsupported', message: `uses ${r.what}, which Ask Data's renderer does not evaluate, so ${effect}` };
      case 'recursion':
        return { line: p.line, kind: 'compiler-error', message: `${r.what} calls macros more than 100 deep (a macro that keeps calling itself?): dbt stops with a recursion error, so ${effect}` };
      case 'limit':
        return { line: p.line, kind: 'unsupported', message: `needs ${r.what}, more than Ask Data renders (a macro or loop that does not end?), so ${effect}` };
    }
  }
}

/**
 * `{% call statement(…) %}` and `{% call set_sql_header(config) %}`: the body goes to the database
 * (a query, a header before the model), not into the model's SQL — but the refs and sources it
 * names are what the model reads, so it is rendered for them and its text dropped.
 */
function renderCallerOnly(_a: JValue[], k: Record<string, JValue>): JValue {
  if (isCallable(k.caller)) k.caller.call([], {}, 'caller()');
  return '';
}

/** dbt's and Jinja's names that hold no state of one render: made once. */
const STATIC_GLOBALS = ((): Map<string, JValue> => {
  const g = new Map<string, JValue>();
  g.set('flags', { FULL_REFRESH: false, WHICH: 'compile', STORE_FAILURES: false });
  g.set('invocation_id', '00000000-0000-0000-0000-000000000000');
  g.set('dbt_version', '1.8.0');
  g.set('invocation_args_dict', {});
  g.set('selected_resources', []);
  g.set('context', new Unknown({ kind: 'construct', what: 'the `context` variable' }));
  g.set('graph', runtime('the `graph` variable'));
  // The time of this run, as dbt has it (UTC).
  g.set('run_started_at', runStartedAt());
  // dbt's own macros a model may call: headers and relations of the run.
  g.set('set_sql_header', callable(renderCallerOnly));
  g.set('load_relation', callable(() => database('load_relation()')));
  g.set('load_cached_relation', callable(() => database('load_cached_relation()')));
  g.set('get_columns_in_query', callable(() => database('get_columns_in_query()')));
  g.set('is_incremental', callable(() => false));
  g.set('should_full_refresh', callable(() => true));
  g.set('log', callable(() => ''));
  g.set('print', callable(() => ''));
  g.set('run_query', callable(() => database('run_query()')));
  g.set('statement', callable(renderCallerOnly));
  g.set('load_result', callable((a) => database(`load_result('${toText(a[0] ?? '')}')`)));
  g.set('return', callable((a) => {
    throw new JinjaReturn(a[0] ?? '');
  }));
  g.set('modules', pythonModules());
  // Jinja's and dbt's plain functions.
  g.set('range', callable((a) => {
    const nums = a.filter((x): x is number => typeof x === 'number');
    const [start, stop, step] = nums.length >= 2 ? [nums[0]!, nums[1]!, nums[2] ?? 1] : [0, nums[0] ?? 0, 1];
    const out: number[] = [];
    for (let x = start; step > 0 ? x < stop : x > stop; x += step) if (out.push(x) >= 10_000) break;
    return out;
  }));
  g.set('namespace', callable((a, k) => ({ ...(isObject(a[0]) ? a[0] : {}), ...k })));
  g.set('dict', callable((a, k) => ({ ...(isObject(a[0]) ? a[0] : {}), ...k })));
  g.set('list', callable((a) => (Array.isArray(a[0]) ? [...a[0]] : typeof a[0] === 'string' ? [...a[0]] : isObject(a[0]) ? Object.keys(a[0]) : [])));
  g.set('set', callable((a) => (Array.isArray(a[0]) ? a[0].filter((x, i, l) => l.findIndex((y) => toText(y) === toText(x)) === i) : [])));
  g.set('zip', callable((a) => {
    const lists = a.filter((x): x is JValue[] => Array.isArray(x));
    const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]!));
  }));
  g.set('tojson', callable((a) => JSON.stringify(plain(a[0] ?? null))));
  g.set('fromjson', callable((a) => {
    try {
      return fromPlain(JSON.parse(toText(a[0] ?? '')));
    } catch {
      return a[1] ?? UNKNOWN;
    }
  }));
  g.set('fromyaml', callable((a) => {
    try {
      return fromPlain(parseYaml(toText(a[0] ?? '')));
    } catch {
      return a[1] ?? UNKNOWN;
    }
  }));
  g.set('toyaml', callable((a) => stringifyYaml(plain(a[0] ?? null))));
  g.set('local_md5', callable((a) => createHash('md5').update(toText(a[0] ?? '')).digest('hex')));
  return g;
})();

const RELATION_METADATA: JObject = { type: 'BaseRelation' };
const SAME_RELATION = new Set(['include', 'quote', 'incorporate', 'replace_path', 'render']);

/**
 * What ref(), source() and `this` return: a Relation that renders as its name (a placeholder the
 * index resolves), with dbt's attributes; its methods return it (or its name) unchanged.
 */
class Relation {
  readonly #text: string;
  [k: string]: JValue;
  constructor(text: string, fields: JObject) {
    this.#text = text;
    Object.assign(this, fields);
  }
  [TEXT](): string {
    return this.#text;
  }
  [MISSING](name: string): JValue {
    if (name === 'render') return callable(() => this.#text);
    return SAME_RELATION.has(name) ? callable(() => this) : new Undefined(name);
  }
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}

export { isCallable, isUnknown };
