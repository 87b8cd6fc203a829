import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { WorkspaceFiles } from '../src/adapters/workspaceFiles';
import { renderModel, type MacroLibrary } from '../src/core/index/dbtRender';
import { parseTemplate, type MacroNode } from '../src/core/dbt/jinja';
import { loadYamlLenient } from '../src/core/dbt/yamlText';
import { optionalDbtCorpus } from '../test/support/dbtCorpus';
import type { Result } from './result';

/**
 * The renderer choice, measured: Ask Data's own dbt-aware renderer against general Jinja engines
 * for JavaScript, each given the same dbt context (ref, source, config, var, target, adapter with
 * dispatch, return, the project's and packages' macros as the engine can take them), on the model
 * files of the real dbt corpus. Per engine: files rendered without an error and without Jinja
 * left in the SQL, the literal ref() calls of each file it found, and time.
 *
 * The engines are not dependencies of Ask Data: `npm install --no-save nunjucks @huggingface/jinja
 * minijinja-js` first; an engine that is not installed is skipped.
 */
interface Engine {
  name: string;
  /** Renders a model; `refs` collects what ref() was called with. Throws what the engine throws. */
  render(text: string, pkg: string, refs: Set<string>): string;
}

interface Project {
  root: string;
  rootName: string;
  /** Macro file texts by package. */
  macros: Map<string, string[]>;
  vars: Record<string, unknown>;
  models: Array<{ file: string; text: string; pkg: string }>;
}

class DbtReturn {
  constructor(readonly value: unknown) {}
}

/** The dbt context every engine gets, as plain JavaScript. */
function context(project: Project, refs: Set<string>, dispatch: (name: string, ns: string | undefined) => unknown): Record<string, unknown> {
  const ref = (...a: unknown[]) => {
    const name = String(a.length > 1 ? a[1] : a[0]);
    refs.add(name.toLowerCase());
    return `__ref_${name}__`;
  };
  const source = (s: unknown, t: unknown) => `__src_${String(s)}_${String(t)}__`;
  const config = () => '';
  return {
    ref,
    source,
    config,
    builtins: { ref, source, config },
    var: (n: string, d?: unknown) => (n in project.vars ? project.vars[n] : d),
    env_var: (_n: string, d?: unknown) => d ?? '',
    is_incremental: () => false,
    execute: true,
    target: { name: 'dev', schema: 'main', type: 'duckdb' },
    this: 'self',
    log: () => '',
    print: () => '',
    exceptions: { raise_compiler_error: (m: unknown) => { throw new Error(String(m)); }, warn: () => '' },
    run_query: () => null,
    load_result: () => null,
    statement: () => '',
    return: (v: unknown) => { throw new DbtReturn(v); },
    adapter: { dispatch, quote: (x: unknown) => `"${String(x)}"`, get_columns_in_relation: () => [], get_relation: () => null },
    dbt: { type_string: () => 'varchar', type_timestamp: () => 'timestamp', type_int: () => 'integer', type_numeric: () => 'numeric', type_float: () => 'double', current_timestamp: () => 'current_timestamp', date_trunc: (p: unknown, d: unknown) => `date_trunc('${String(p)}', ${String(d)})`, dateadd: (p: unknown, n: unknown, d: unknown) => `(${String(d)} + interval (${String(n)}) ${String(p)})`, datediff: (a: unknown, b: unknown, p: unknown) => `date_diff('${String(p)}', ${String(a)}, ${String(b)})` },
  };
}

/** The engines are optional: loaded by a name the type checker does not resolve, typed by what is used here. */
const optional = (name: string): Promise<unknown> => import(name).catch(() => undefined);
interface NunjucksModule { Environment: new (loader: unknown, options: unknown) => { renderString(src: string, ctx: unknown): string } }
interface HfModule { Template: new (src: string) => { render(ctx: unknown): string } }
interface MinijinjaModule { Environment: new () => { addTemplate(name: string, src: string): void; renderStr(src: string, ctx: unknown): string } }

const macroNames = (text: string) => [...text.matchAll(/\{%-?\s*macro\s+(\w+)\s*\(/g)].map((m) => m[1]!);

async function nunjucksEngine(project: Project): Promise<Engine | undefined> {
  const nunjucks = (await optional('nunjucks')) as NunjucksModule | undefined;
  if (!nunjucks) return undefined;
  const templates = new Map<string, string>();
  for (const [pkg, texts] of project.macros) templates.set(`macros:${pkg}`, texts.join('\n'));
  const loader = { getSource: (name: string) => ({ src: templates.get(name) ?? '', path: name, noCache: false }) };
  const env = new nunjucks.Environment(loader, { autoescape: false });
  const imports = (pkg: string) => [...project.macros.keys()].map((p) => `{% import "macros:${p}" as ${p} %}`).join('') + (macroNames(templates.get(`macros:${project.rootName}`) ?? '').length ? `{% from "macros:${project.rootName}" import ${macroNames(templates.get(`macros:${project.rootName}`) ?? '').join(', ')} %}` : '') + (pkg !== project.rootName && macroNames(templates.get(`macros:${pkg}`) ?? '').length ? `{% from "macros:${pkg}" import ${macroNames(templates.get(`macros:${pkg}`) ?? '').join(', ')} %}` : '');
  return {
    name: 'nunjucks',
    render(text, pkg, refs) {
      const dispatch = (name: string, ns: string | undefined) => (...args: unknown[]) => {
        const target = ns ?? project.rootName;
        const which = ['duckdb', 'default'].map((p) => `${p}__${name}`).find((m) => macroNames(templates.get(`macros:${target}`) ?? '').includes(m));
        if (!which) throw new Error(`dispatch: no ${name} in ${target}`);
        return env.renderString(`{% import "macros:${target}" as m %}{{ m.${which}(${args.map((_, i) => `a${i}`).join(', ')}) }}`, { ...context(project, refs, dispatch), ...Object.fromEntries(args.map((a, i) => [`a${i}`, a])) });
      };
      return env.renderString(imports(pkg) + text, context(project, refs, dispatch));
    },
  };
}

async function huggingfaceEngine(project: Project): Promise<Engine | undefined> {
  const hf = (await optional('@huggingface/jinja')) as HfModule | undefined;
  if (!hf) return undefined;
  const own = (pkg: string) => [...(project.macros.get(project.rootName) ?? []), ...(pkg !== project.rootName ? (project.macros.get(pkg) ?? []) : [])].join('\n');
  return {
    name: '@huggingface/jinja',
    render(text, pkg, refs) {
      // No imports: a package's macros are reached through an object whose members render them.
      const namespaces: Record<string, unknown> = {};
      const call = (p: string, name: string) => (...args: unknown[]) => new hf.Template(`${(project.macros.get(p) ?? []).join('\n')}{{ ${name}(${args.map((_, i) => `a${i}`).join(', ')}) }}`).render({ ...ctx, ...Object.fromEntries(args.map((a, i) => [`a${i}`, a])) });
      const dispatch = (name: string, ns: string | undefined) => {
        const target = ns ?? project.rootName;
        const which = ['duckdb', 'default'].map((p) => `${p}__${name}`).find((m) => (project.macros.get(target) ?? []).some((t) => macroNames(t).includes(m)));
        if (!which) throw new Error(`dispatch: no ${name} in ${target}`);
        return call(target, which);
      };
      const ctx: Record<string, unknown> = context(project, refs, dispatch);
      for (const [p, texts] of project.macros) namespaces[p] = Object.fromEntries(texts.flatMap(macroNames).map((m) => [m, call(p, m)]));
      Object.assign(ctx, namespaces);
      return new hf.Template(own(pkg) + text).render(ctx);
    },
  };
}

async function minijinjaEngine(project: Project): Promise<Engine | undefined> {
  const mj = (await optional('minijinja-js')) as MinijinjaModule | undefined;
  if (!mj) return undefined;
  return {
    name: 'minijinja-js',
    render(text, pkg, refs) {
      const env = new mj.Environment();
      for (const [p, texts] of project.macros) env.addTemplate(`macros:${p}`, texts.join('\n'));
      const names = (p: string) => macroNames((project.macros.get(p) ?? []).join('\n'));
      const imports = [...project.macros.keys()].map((p) => `{% import "macros:${p}" as ${p} %}`).join('') + [project.rootName, pkg].filter((p, i, l) => l.indexOf(p) === i && names(p).length).map((p) => `{% from "macros:${p}" import ${names(p).join(', ')} %}`).join('');
      const dispatch = (name: string, ns: string | undefined) => (...args: unknown[]) => {
        const target = ns ?? project.rootName;
        const which = ['duckdb', 'default'].map((p) => `${p}__${name}`).find((m) => names(target).includes(m));
        if (!which) throw new Error(`dispatch: no ${name} in ${target}`);
        return env.renderStr(`{% import "macros:${target}" as m %}{{ m.${which}(${args.map((_, i) => `a${i}`).join(', ')}) }}`, { ...context(project, refs, dispatch), ...Object.fromEntries(args.map((a, i) => [`a${i}`, a])) });
      };
      return env.renderStr(imports + text, context(project, refs, dispatch));
    },
  };
}

function askdataEngine(project: Project): Engine {
  const packages = new Map<string, Map<string, MacroNode>>();
  for (const [pkg, texts] of project.macros) {
    const m = new Map<string, MacroNode>();
    for (const t of texts) for (const [name, node] of parseTemplate(t).macros) m.set(name, node);
    packages.set(pkg, m);
  }
  const library: MacroLibrary = { packages, dispatch: {}, notInstalled: new Set() };
  return {
    name: 'Ask Data (hand-written)',
    render(text, pkg, refs) {
      const r = renderModel(text, { rootProject: project.rootName, package: pkg, vars: project.vars, target: { name: 'dev', schema: 'main', type: 'duckdb' }, macros: library, self: 'self' });
      for (const x of r.refs) refs.add(x.name.toLowerCase());
      return r.sql;
    },
  };
}

/**
 * dbt takes test, materialization, snapshot and docs blocks out of macro files before Jinja sees
 * them; a general engine is given the files the same way, so that it fails only where Jinja does.
 */
function withoutDbtBlocks(text: string): string {
  return text.replace(/\{%-?\s*(test|data_test|materialization|docs|snapshot)\b[\s\S]*?\{%-?\s*end\1\s*-?%\}/g, '');
}

async function loadProject(dir: string): Promise<Project | undefined> {
  const scan = new WorkspaceFiles(dir);
  await scan.scan();
  const index = scan.indexer.build();
  const root = index.projects.find((p) => !p.package);
  if (!root) return undefined;
  const macros = new Map<string, string[]>();
  const models: Project['models'] = [];
  const nameOf = (file: string) => index.projects.filter((p) => p.root === '' || file.startsWith(`${p.root}/`)).sort((a, b) => b.root.length - a.root.length)[0]?.name ?? root.name;
  for (const [file, f] of scan.indexer.allFiles()) {
    if (f.kind === 'macro') (macros.get(nameOf(file)) ?? macros.set(nameOf(file), []).get(nameOf(file))!).push(withoutDbtBlocks(f.text));
    else if (f.kind === 'sql' && f.role === 'model' && !f.disabled) models.push({ file, text: await fs.readFile(path.join(dir, file), 'utf8'), pkg: nameOf(file) });
  }
  for (const p of index.projects) if (!macros.has(p.name)) macros.set(p.name, []);
  const rootYaml = loadYamlLenient(await fs.readFile(path.join(dir, 'dbt_project.yml'), 'utf8')).data as { vars?: Record<string, unknown> };
  return { root: dir, rootName: root.name, macros, vars: rootYaml.vars ?? {}, models };
}

export async function benchRenderers(): Promise<Result[]> {
  const corpus = await optionalDbtCorpus('renderers');
  if (!corpus) return [];
  const { root, projects } = corpus;
  const totals = new Map<string, { files: number; clean: number; errors: number; refsWritten: number; refsFound: number; ms: number; firstErrors: string[] }>();
  try {
    for (const dir of projects) {
      const project = await loadProject(dir);
      if (!project) continue;
      const engines = [askdataEngine(project), await nunjucksEngine(project), await huggingfaceEngine(project), await minijinjaEngine(project)].filter((e): e is Engine => !!e);
      for (const engine of engines) {
        const t = totals.get(engine.name) ?? totals.set(engine.name, { files: 0, clean: 0, errors: 0, refsWritten: 0, refsFound: 0, ms: 0, firstErrors: [] }).get(engine.name)!;
        for (const m of project.models) {
          const written = new Set([...m.text.replace(/\{#[\s\S]*?#\}/g, '').matchAll(/\bref\(\s*['"]([\w.-]+)['"]\s*(?:,\s*['"]([\w.-]+)['"])?/g)].map((x) => (x[2] ?? x[1])!.toLowerCase()));
          const refs = new Set<string>();
          t.files++;
          t.refsWritten += written.size;
          const started = performance.now();
          try {
            const sql = engine.render(m.text, m.pkg, refs);
            if (!/\{\{|\{%|\}\}|%\}/.test(sql)) t.clean++;
          } catch (e) {
            t.errors++;
            if (t.firstErrors.length < 40 && !t.firstErrors.some((x) => x.startsWith(`${path.basename(dir)}/`))) t.firstErrors.push(`${path.basename(dir)}/${m.file}: ${String((e as Error)?.message ?? e).replace(/\s+/g, ' ').slice(0, 200)}`);
          }
          t.ms += performance.now() - started;
          for (const w of written) if (refs.has(w)) t.refsFound++;
        }
      }
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
  const out: Result[] = [];
  for (const [name, t] of totals) {
    out.push({ name: `renderer ${name}: model files rendered, no error, no Jinja left`, value: t.clean / t.files, unit: 'x', detail: { ...t } });
    out.push({ name: `renderer ${name}: literal ref() calls found`, value: t.refsWritten ? t.refsFound / t.refsWritten : 0, unit: 'x' });
    out.push({ name: `renderer ${name}: time for ${t.files} model files`, value: t.ms, unit: 'ms' });
  }
  return out;
}
