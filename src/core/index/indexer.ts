import { classifySqlFile, DbtProjectError, parseDbtProject, parsePackagesFile, type PackageSpec } from '../dbt/dbtProject';
import { parseDocsBlocks } from '../dbt/docsBlocks';
import { parseTemplate, type MacroNode, type Template } from '../dbt/jinja';
import { isPropertiesText, parseProperties } from '../dbt/properties';
import { queryShape } from '../sql/queryShape';
import { baseName, folderConfig, isDisabled, join, relationName, relative, splitCsvHeader } from './dbtConfig';
import { renderModel, renderTemplate, UNRENDERED_OUTPUT, type MacroLibrary, type RenderContext } from './dbtRender';
import type { WarningKind } from '../dbt/warnings';
import { ArtifactError, parseCatalog, parseManifest } from './manifest';
import { overriddenRelation, overridesNaming, renderConfigValues } from './configRender';
import { Merge } from './merge';
import { pythonModel } from './pythonModel';
import { hashText, INDEX_FORMAT, type FileWarning, type Fragment, type IndexCache, type IndexWarning, type LiveCatalog, type NodeNaming, type ProjectState, type TargetSettings, type WorkspaceIndex } from './types';

/**
 * Keeps the per-file results of the workspace index and merges them on demand. Pure: the caller
 * hands in file contents (see adapters/workspaceFiles.ts). Work is per file, so a change re-reads
 * one file and re-merges; the per-file results are what the cache keeps.
 */
export class WorkspaceIndexer {
  private readonly projects = new Map<string, ProjectState>();
  private readonly files = new Map<string, Fragment>();
  private readonly problems = new Map<string, IndexWarning[]>();
  private readonly macroTemplates = new Map<string, Template>();
  private readonly envKeys = new Map<string, string>();
  private readonly libraries = new Map<string, MacroLibrary>();
  /** Relation names made by the project's naming overrides, by node: they are rendered once. */
  private readonly namings = new Map<string, string>();
  private built: WorkspaceIndex | undefined;
  /** The merge behind `built`, kept so that a one-file edit can patch it. */
  private merge: Merge | undefined;
  /** Per-file results still in the cache, read only when something needs them (a warm start that changes nothing never does). */
  private pending: (() => Record<string, Fragment>) | undefined;
  private cachedPaths: Set<string> | undefined;
  private readonly lazyArtifacts = new Map<string, { manifest: string | undefined; catalog: string | undefined }>();

  /** A `dbt_project.yml` at `root` ('' for the workspace root); undefined text removes the project. */
  setProject(root: string, text: string | undefined, target: Partial<TargetSettings> | string = {}): void {
    this.materialize();
    this.built = undefined;
    this.envKeys.clear();
    this.libraries.clear();
    this.namings.clear();
    if (text === undefined) {
      this.projects.delete(root);
      return;
    }
    const t: TargetSettings = typeof target === 'string' ? { schema: target, type: 'duckdb', name: 'dev' } : { schema: target.schema ?? 'main', type: (target.type || 'duckdb').toLowerCase(), name: target.name ?? 'dev', ...(target.database ? { database: target.database } : {}) };
    const previous = this.projects.get(root);
    const state: ProjectState = { root, hash: hashText(`${text}\0${JSON.stringify(t)}`), target: t, artifactWarnings: previous?.artifactWarnings ?? [] };
    if (previous?.manifest) state.manifest = previous.manifest;
    if (previous?.catalog) state.catalog = previous.catalog;
    if (previous?.live) state.live = previous.live;
    if (previous?.liveHash) state.liveHash = previous.liveHash;
    try {
      state.layout = parseDbtProject(text);
    } catch (e) {
      state.error = { file: join(root, 'dbt_project.yml'), line: e instanceof DbtProjectError ? (e.line ?? 1) : 1, message: `${(e as Error).message}; fix it so that Ask Data can read the project`, kind: 'invalid-project' };
    }
    this.projects.set(root, state);
  }

  /** dbt's artifacts for the project at `root`; undefined clears them. Bad artifacts are warned about and ignored. */
  setArtifacts(root: string, manifest: string | undefined, catalog: string | undefined): void {
    const state = this.projects.get(root);
    if (!state) return;
    const artifactsHash = manifest === undefined && catalog === undefined ? undefined : hashText(`${manifest ?? ''}\0${catalog ?? ''}`);
    if (artifactsHash === state.artifactsHash) {
      // The artifacts the index was built from (a warm start reads them again): parsed only if a merge needs them.
      if (artifactsHash !== undefined && !state.manifest && !state.artifactWarnings.length) this.lazyArtifacts.set(root, { manifest, catalog });
      return;
    }
    this.materialize();
    this.built = undefined;
    if (artifactsHash) state.artifactsHash = artifactsHash;
    else delete state.artifactsHash;
    this.parseArtifacts(state, manifest, catalog);
  }

  private parseArtifacts(state: ProjectState, manifest: string | undefined, catalog: string | undefined): void {
    state.artifactWarnings = [];
    delete state.manifest;
    delete state.catalog;
    const warn = (file: string, message: string) => state.artifactWarnings.push({ file: join(state.root, file), line: 1, message, kind: 'artifact' });
    if (manifest !== undefined) {
      try {
        state.manifest = parseManifest(manifest);
      } catch (e) {
        if (!(e instanceof ArtifactError)) throw e;
        warn('target/manifest.json', `${e.message}; using the file parse instead`);
      }
    }
    if (catalog !== undefined && state.manifest) {
      try {
        state.catalog = parseCatalog(catalog);
      } catch (e) {
        if (!(e instanceof ArtifactError)) throw e;
        warn('target/catalog.json', e.message);
      }
    }
  }

  /** The project's database as it is now (tables, columns, sample values). */
  setLiveCatalog(root: string, live: LiveCatalog | undefined): void {
    let state = this.projects.get(root);
    if (!state) {
      // A project without dbt (askdata.yml naming a database) still has a catalog.
      state = { root, hash: '', target: { schema: 'main', type: 'duckdb', name: 'dev' }, artifactWarnings: [] };
      this.projects.set(root, state);
    }
    const liveHash = live ? hashText(JSON.stringify(live)) : undefined;
    if (live) state.live = live;
    else delete state.live;
    // The same database as when the index was built: the index stands.
    if (liveHash === state.liveHash) return;
    this.materialize();
    this.built = undefined;
    if (liveHash) state.liveHash = liveHash;
    else delete state.liveHash;
  }

  /** A file's content (undefined when it was deleted). Only the files `wants` names matter. */
  setFile(path: string, text: string | undefined): void {
    this.materialize();
    const known = this.files.get(path);
    const project = this.projectOf(path);
    const hash = text === undefined ? undefined : hashText(text);
    if (known && known.hash === hash && !this.problems.has(path) && (known.kind !== 'sql' || known.envKey === this.envKey(project?.root))) return;
    const last = this.problems.has(path) ? undefined : this.built;
    this.built = undefined;
    this.problems.delete(path);
    if (text === undefined || hash === undefined) {
      if (known && shapesRendering(known)) this.forgetMacros();
      this.files.delete(path);
      return;
    }
    const fragment = this.fragment(path, text, hash, project);
    if (shapesRendering(fragment) || (known && shapesRendering(known))) this.forgetMacros();
    this.files.set(path, fragment);
    // Editing a model's body leaves the relations as they were: patch the last index instead of re-merging.
    if (last && this.merge && known?.kind === 'sql' && fragment.kind === 'sql') this.built = this.merge.patch(path, known, fragment);
  }

  /** A file the reader could not index (binary, too big, not UTF-8, a symlink loop): reported, not parsed. */
  setProblem(path: string, warning: Omit<IndexWarning, 'file' | 'kind'>): void {
    this.materialize();
    this.built = undefined;
    this.files.delete(path);
    this.problems.set(path, [{ file: path, ...warning, kind: 'unreadable' }]);
  }

  /** True while the index is exactly the cache it was loaded from (nothing changed): there is nothing to write back. */
  unchangedSinceCache(): boolean {
    return this.pending !== undefined && this.built !== undefined;
  }

  /** Is this path one the index reads? */
  static wants(path: string): boolean {
    return /\.(sql|ya?ml|csv|md|py)$/i.test(path) || /(^|\/)target\/(manifest|catalog)\.json$/.test(path);
  }

  /** Does the index read this path, now that the projects are known? Python files only as dbt Python models. */
  reads(path: string): boolean {
    if (!WorkspaceIndexer.wants(path)) return false;
    if (!/\.py$/i.test(path)) return true;
    const project = this.projectOf(path);
    return !!project?.layout && classifySqlFile(project.layout, relative(project.root, path)).kind === 'model';
  }

  /** SQL files rendered with macros or vars that have since changed; re-read and pass them to setFile. */
  staleFiles(): string[] {
    if (this.pending) return []; // nothing changed since the cache was written
    const out: string[] = [];
    for (const [path, f] of this.files) {
      if (f.kind === 'sql' && f.envKey !== this.envKey(this.projectOf(path)?.root)) out.push(path);
    }
    return out;
  }

  paths(): string[] {
    if (this.pending && this.cachedPaths) return [...this.cachedPaths];
    return [...this.files.keys(), ...this.problems.keys()];
  }

  /** Has this path been indexed, or reported as unreadable? */
  knows(path: string): boolean {
    if (this.pending && this.cachedPaths) return this.cachedPaths.has(path);
    return this.files.has(path) || this.problems.has(path);
  }

  /** Is this a file other files render with (a macro, a packages.yml)? Index these first. */
  shapesRendering(path: string): boolean {
    const project = this.projectOf(path);
    if (!project?.layout) return false;
    const rel = relative(project.root, path);
    return /^(packages|dependencies)\.ya?ml$/.test(rel) || (/\.sql$/i.test(path) && classifySqlFile(project.layout, rel).kind === 'macro');
  }

  toCache(): IndexCache {
    this.materialize();
    return {
      format: INDEX_FORMAT,
      projects: [...this.projects.values()].filter((p) => p.hash).map((p) => ({ root: p.root, hash: p.hash, ...(p.liveHash ? { liveHash: p.liveHash } : {}), ...(p.artifactsHash ? { artifactsHash: p.artifactsHash } : {}) })),
      files: Object.fromEntries(this.files),
      problems: Object.fromEntries(this.problems),
      paths: this.paths(),
      ...(this.built ? { built: this.built } : {}),
    };
  }

  /**
   * Restores per-file results. Projects must be set first (their dbt_project.yml is re-read, it is
   * small); a cache made from other project files, or another format, is ignored wholesale. `files`
   * may be a function: it is called only once something needs the per-file results.
   */
  loadCache(cache: unknown): boolean {
    const c = cache as IndexCache | undefined;
    if (!c || c.format !== INDEX_FORMAT || !c.files || !Array.isArray(c.projects)) return false;
    const now = new Map([...this.projects.values()].filter((p) => p.hash).map((p) => [p.root, p.hash]));
    if (c.projects.length !== now.size || c.projects.some((p) => now.get(p.root) !== p.hash)) return false;
    for (const p of c.projects) {
      const state = this.projects.get(p.root)!;
      if (p.liveHash) state.liveHash = p.liveHash;
      if (p.artifactsHash) state.artifactsHash = p.artifactsHash;
    }
    this.files.clear();
    for (const [path, w] of Object.entries(c.problems ?? {})) this.problems.set(path, w);
    if (typeof c.files === 'function' && Array.isArray(c.paths)) {
      this.pending = c.files;
      this.cachedPaths = new Set(c.paths);
    } else for (const [path, f] of Object.entries(typeof c.files === 'function' ? c.files() : c.files)) this.files.set(path, f);
    this.forgetMacros();
    // Any change after this (a file, artifacts, the database) drops it and merges afresh.
    this.built = c.built?.format === INDEX_FORMAT ? c.built : undefined;
    this.merge = undefined;
    return true;
  }

  build(): WorkspaceIndex {
    if (!this.built) {
      this.materialize();
      this.merge = new Merge(this);
      this.built = this.merge.run();
    }
    return this.built;
  }

  private materialize(): void {
    for (const [root, a] of this.lazyArtifacts) {
      const state = this.projects.get(root);
      if (state) this.parseArtifacts(state, a.manifest, a.catalog);
    }
    this.lazyArtifacts.clear();
    const load = this.pending;
    if (!load) return;
    this.pending = undefined;
    this.cachedPaths = undefined;
    for (const [path, f] of Object.entries(load())) if (!this.files.has(path)) this.files.set(path, f);
  }

  // ---- internals shared with the merge ----

  /** @internal */ allProjects(): ProjectState[] {
    return [...this.projects.values()].filter((p) => !this.insidePackage(p)).sort((a, b) => a.root.localeCompare(b.root));
  }

  /** @internal */ allFiles(): Map<string, Fragment> {
    this.materialize();
    return this.files;
  }

  /** @internal */ allProblems(): IndexWarning[] {
    return [...this.problems.values()].flat();
  }

  /** @internal */ problemPaths(): string[] {
    return [...this.problems.keys()];
  }

  /** The innermost dbt project holding `path`; a package's own test project (integration_tests) is not one dbt loads. */
  /** @internal */ projectOf(path: string): ProjectState | undefined {
    let best: ProjectState | undefined;
    for (const p of this.projects.values()) {
      if (!p.hash) continue;
      if ((p.root === '' || path.startsWith(p.root + '/')) && (!best || p.root.length > best.root.length)) best = p;
    }
    while (best && this.insidePackage(best)) best = this.parentOf(best);
    return best;
  }

  /** The package name when `project` is installed in another project's packages folder. */
  /** @internal */ packageOf(project: ProjectState): string | undefined {
    const host = this.hostOf(project);
    return host ? (project.layout?.name ?? project.root.slice(project.root.lastIndexOf('/') + 1)) : undefined;
  }

  /** The project whose packages folder holds `project`. */
  private hostOf(project: ProjectState): ProjectState | undefined {
    for (const p of this.projects.values()) {
      if (p === project || !p.layout) continue;
      const dir = join(p.root, p.layout.packagesPath);
      if (project.root.startsWith(dir + '/') && !project.root.slice(dir.length + 1).includes('/')) return p;
    }
    return undefined;
  }

  /** A project nested in an installed package (its integration_tests): dbt never loads it. */
  private insidePackage(project: ProjectState): boolean {
    for (const p of this.projects.values()) {
      if (p !== project && project.root.startsWith(p.root + '/') && this.hostOf(p)) return true;
    }
    return false;
  }

  private parentOf(project: ProjectState): ProjectState | undefined {
    let best: ProjectState | undefined;
    for (const p of this.projects.values()) {
      if (p !== project && p.hash && (p.root === '' || project.root.startsWith(p.root + '/')) && (!best || p.root.length > best.root.length)) best = p;
    }
    return best;
  }

  /** The root project a package belongs to (itself when it is not a package). */
  /** @internal */ topProjectOf(project: ProjectState | undefined): ProjectState | undefined {
    let top = project;
    for (let host = top && this.hostOf(top); host; host = this.hostOf(host)) top = host;
    return top;
  }

  /** @internal */ installedPackages(top: ProjectState): ProjectState[] {
    return [...this.projects.values()].filter((p) => p !== top && this.hostOf(p) === top);
  }

  private fragment(path: string, text: string, hash: string, project: ProjectState | undefined): Fragment {
    const rel = project ? relative(project.root, path) : path;
    const lower = path.toLowerCase();
    const layout = project?.layout;
    const isPackage = !!project && !!this.hostOf(project);
    const under = (dirs: string[]) => dirs.some((d) => d === '' || d === '.' || rel.startsWith(d + '/'));
    if (lower.endsWith('.yml') || lower.endsWith('.yaml')) {
      if (!layout) return { kind: 'none', hash };
      if (/^(packages|dependencies)\.ya?ml$/.test(rel)) {
        const parsed = parsePackagesFile(text);
        return { kind: 'packages', hash, packages: parsed.packages, ...(parsed.projects.length ? { projects: parsed.projects } : {}), warnings: parsed.warnings.map((w) => ({ ...w, kind: 'invalid-yaml' })) };
      }
      // dbt reads properties only from its resource paths.
      const resources = [...layout.modelPaths, ...layout.seedPaths, ...layout.snapshotPaths, ...layout.analysisPaths, ...layout.macroPaths];
      if (NOT_PROPERTIES.test(rel) || !under(resources) || !isPropertiesText(text)) return { kind: 'none', hash };
      const parsed = parseProperties(text);
      return { kind: 'docs', hash, entries: parsed.entries, warnings: parsed.warnings };
    }
    if (lower.endsWith('.md')) {
      if (!layout || !under(layout.docsPaths) || !text.includes('docs')) return { kind: 'none', hash };
      const blocks = parseDocsBlocks(text);
      return blocks.length ? { kind: 'docblocks', hash, blocks } : { kind: 'none', hash };
    }
    if (lower.endsWith('.csv')) {
      if (!layout || !under(layout.seedPaths)) return { kind: 'none', hash };
      const header = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).replace(/\r$/, '');
      return { kind: 'seed', hash, name: baseName(path), columns: splitCsvHeader(header) };
    }
    if (lower.endsWith('.py')) return pythonModel(path, text, hash, project, (p) => this.topProjectOf(p), project ? this.envKey(project.root) : '');
    if (!lower.endsWith('.sql')) return { kind: 'none', hash };
    const role = classifySqlFile(layout, rel);
    if (role.kind === 'macro') {
      return { kind: 'macro', hash, text, warnings: parseTemplate(text).warnings.map((w) => ({ ...w, kind: 'jinja-syntax' })) };
    }
    // A package's other SQL (docs, examples) is not code dbt runs, nor the team's queries.
    if (isPackage && role.kind === 'query') return { kind: 'none', hash };
    const envKey = this.envKey(project?.root);
    let name = role.kind === 'query' ? baseName(path) : role.name;
    if (!project || !layout) {
      return { kind: 'sql', hash, envKey, role: 'query', name, sql: text, refs: [], sources: [], config: {}, shape: queryShape(text), warnings: [], unrendered: 0 };
    }
    const template = parseTemplate(text);
    // A snapshot is the node its {% snapshot name %} block names; a file may hold several.
    const blocks = role.kind === 'snapshot' ? template.snapshots.map((b) => b.name) : [];
    if (blocks.length) name = blocks[0]!;
    const top = this.topProjectOf(project);
    const section = role.kind === 'model' ? 'models' : role.kind === 'snapshot' ? 'snapshots' : undefined;
    const folder = section ? folderConfig(layout, top?.layout, section, rel, section === 'models' ? layout.modelPaths : layout.snapshotPaths, name) : {};
    const base = this.renderContext(project, name);
    const folderValues = renderConfigValues(folder, base);
    const ctx: RenderContext = section ? { ...base, config: { materialized: section === 'models' ? 'view' : 'snapshot', ...folderValues } } : base;
    let rendered: ReturnType<typeof renderModel>;
    try {
      rendered = renderTemplate(template, ctx);
    } catch (e) {
      // A fault of ours must not cost the rest of the workspace its index: this file is read as plain SQL, and said.
      rendered = { sql: text, refs: [], sources: [], config: {}, unrendered: 1, missingPackageCalls: 0, warnings: [{ line: 1, kind: 'unsupported', message: `Ask Data's renderer failed on this file (${(e as Error).message}); it is read as plain SQL, without its refs` }] };
    }
    const config = { ...folderValues, ...rendered.config };
    const warnings: FileWarning[] = rendered.warnings;
    const relation = section ? this.customRelation(project, { name, kind: role.kind as 'model' | 'snapshot', path: rel, config }, this.targetOf(project)) : undefined;
    const fileKeys = Object.keys(rendered.config);
    return {
      kind: 'sql',
      hash,
      envKey,
      role: role.kind,
      name,
      ...(blocks.length > 1 ? { also: blocks.slice(1) } : {}),
      sql: rendered.sql,
      refs: rendered.refs,
      sources: rendered.sources,
      config,
      ...(fileKeys.length ? { fileConfigKeys: fileKeys } : {}),
      ...(isDisabled(config) ? { disabled: true } : {}),
      ...(relation ? { relation } : {}),
      shape: queryShape(rendered.sql),
      warnings,
      unrendered: rendered.unrendered,
      ...(rendered.missingPackageCalls ? { packageCalls: rendered.missingPackageCalls } : {}),
    };
  }

  /**
   * A dbt Python model (`def model(dbt, session)`): a model like any other, its lineage read from
   * `dbt.ref(…)` and `dbt.source(…)`, its config from `dbt.config(…)`. Its code is not SQL.
   */
  /** The target a project's nodes are built in: a package's are built with the root project's profile. */
  /** @internal */ targetOf(project: ProjectState): TargetSettings {
    return (this.topProjectOf(project) ?? project).target;
  }

  /**
   * Where dbt builds a node: `schema.identifier`, by the project's own generate_schema_name and
   * generate_alias_name when it overrides them (company projects often do), else dbt's defaults.
   * @internal
   */
  relationFor(project: ProjectState, node: NodeNaming): string {
    const target = this.targetOf(project);
    return this.customRelation(project, node, target) ?? relationName(target.schema, node.identifier ?? node.name, node.config);
  }

  /**
   * The project's override called as dbt calls it, with the node dbt passes (name, fqn, path,
   * resource type, config); undefined when dbt's default naming applies or the override cannot be rendered.
   */
  private customRelation(project: ProjectState, node: NodeNaming, target: TargetSettings): string | undefined {
    if (!project.layout) return undefined;
    const ctx = this.renderContext(project, node.name);
    const schemaOverride = overridesNaming(ctx, 'generate_schema_name');
    const aliasOverride = overridesNaming(ctx, 'generate_alias_name');
    if (!schemaOverride && !aliasOverride) return undefined;
    const memo = `${project.root}\0${JSON.stringify(node)}`;
    const known = this.namings.get(memo);
    if (known !== undefined) return known || undefined;
    const out = overriddenRelation(ctx, project.layout, node, target, { schema: schemaOverride, alias: aliasOverride });
    this.namings.set(memo, out);
    return out || undefined;
  }

  /**
   * A description with Jinja, rendered as dbt renders descriptions: doc() finds docs blocks
   * (`find`), var() and target as for the project's models. What cannot be known is left out
   * of the text (never kept as Jinja) and returned as warnings.
   */
  /** @internal */ renderDescription(project: ProjectState, text: string, find: (pkg: string | undefined, name: string) => string | undefined): { text: string; missing: string[]; warnings: Array<{ kind: WarningKind; message: string }> } {
    const missing: string[] = [];
    const ctx: RenderContext = { ...this.renderContext(project, project.layout!.name), docs: (pkg, name) => {
      const found = find(pkg, name);
      if (found === undefined) missing.push(pkg ? `${pkg}.${name}` : name);
      return found;
    } };
    const r = renderModel(text, ctx);
    const warnings = r.warnings.map((w) => ({ kind: w.kind, message: w.message.replace(/ is left as a comment in the rendered SQL/g, ' is left out of the description').replace(/^(.)/, (c) => c.toLowerCase()) }));
    return { text: r.sql.replace(UNRENDERED_OUTPUT, '').replace(/[ \t]{2,}/g, ' ').trim(), missing, warnings };
  }

  /** A bit of Jinja from a properties file (a source's schema, an `enabled:`), rendered in the project's context. */
  /** @internal */ renderText(project: ProjectState, text: string): string {
    if (!/\{[{%]/.test(text) || !project.layout) return text;
    return renderModel(text, this.renderContext(project, project.layout.name)).sql.trim();
  }

  private renderContext(project: ProjectState, self: string): RenderContext {
    const top = this.topProjectOf(project) ?? project;
    const own = project.layout!.name;
    const rootName = top.layout?.name ?? own;
    return { rootProject: rootName, package: own, vars: this.varsFor(project, top), target: top.target, macros: this.macroLibrary(project), self };
  }

  /**
   * The vars a project's code sees, by dbt's precedence: the root project's vars scoped to the
   * package, then the root's global vars, then the package's own dbt_project.yml.
   */
  private varsFor(project: ProjectState, top: ProjectState): Record<string, unknown> {
    const names = new Set([top, ...this.installedPackages(top)].map((p) => p.layout?.name).filter((n): n is string => !!n));
    const global = (vars: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(vars ?? {}).filter(([k, v]) => !(names.has(k) && v && typeof v === 'object' && !Array.isArray(v))));
    const scoped = (vars: Record<string, unknown> | undefined, pkg: string) => {
      const v = vars?.[pkg];
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    };
    const own = project.layout!.name;
    const mine = project === top ? {} : { ...global(project.layout!.vars), ...scoped(project.layout!.vars, own) };
    return { ...mine, ...global(top.layout?.vars), ...scoped(top.layout?.vars, own) };
  }

  private forgetMacros(): void {
    this.namings.clear();
    this.macroTemplates.clear();
    this.envKeys.clear();
    this.libraries.clear();
  }

  /** What a project's rendering depends on besides the file itself: the projects, their macros and packages. */
  private envKey(root: string | undefined): string {
    if (root === undefined) return '';
    const known = this.envKeys.get(root);
    if (known !== undefined) return known;
    const project = this.projects.get(root);
    const top = this.topProjectOf(project);
    const parts: string[] = [project?.hash ?? '', top?.hash ?? ''];
    for (const p of top ? this.installedPackages(top) : []) parts.push(`${p.root}:${p.hash}`);
    for (const [p, f] of this.files) if ((f.kind === 'macro' || f.kind === 'packages') && this.visibleTo(p, top)) parts.push(`${p}:${f.hash}`);
    const key = hashText(parts.sort().join('\n'));
    this.envKeys.set(root, key);
    return key;
  }

  /** A project sees its own macros and those of packages installed under it (and siblings' when it is a package). */
  private visibleTo(path: string, top: ProjectState | undefined): boolean {
    return !!top && (top.root === '' || path.startsWith(top.root + '/')) && !!this.projectOf(path);
  }

  private macroLibrary(project: ProjectState): MacroLibrary {
    const top = this.topProjectOf(project) ?? project;
    const known = this.libraries.get(top.root);
    if (known) return known;
    const packages = new Map<string, Map<string, MacroNode>>();
    for (const p of [top, ...this.installedPackages(top)]) if (p.layout) packages.set(p.layout.name, new Map());
    for (const [path, f] of this.files) {
      if (f.kind !== 'macro' || !this.visibleTo(path, top)) continue;
      const owner = this.projectOf(path)?.layout?.name;
      if (!owner || !packages.has(owner)) continue;
      let t = this.macroTemplates.get(path);
      if (!t) {
        t = parseTemplate(f.text);
        this.macroTemplates.set(path, t);
      }
      const into = packages.get(owner)!;
      for (const [name, node] of t.macros) into.set(name, node);
    }
    const library: MacroLibrary = { packages, dispatch: top.layout?.dispatch ?? {}, notInstalled: new Set(this.notInstalled(top).map((p) => p.name)) };
    this.libraries.set(top.root, library);
    return library;
  }

  /**
   * Packages the project's packages.yml lists that are not in its packages folder. A git or local
   * package's name is only a guess from its URL or folder: an installed package nothing lists
   * (nor another package's packages.yml) is taken to be it.
   */
  /** @internal */ notInstalled(top: ProjectState): Array<{ name: string; spec: string; line: number; file: string }> {
    const packages = this.installedPackages(top);
    const names = (p: ProjectState) => [p.layout?.name, p.root.slice(p.root.lastIndexOf('/') + 1)].filter((n): n is string => !!n).map((n) => n.toLowerCase());
    const installed = new Set(packages.flatMap(names));
    const isInstalled = (name: string) => installed.has(name) || installed.has(name.replace(/^dbt_/, '')) || installed.has(`dbt_${name}`);
    const listed = this.packageLists(top);
    const missing = listed.filter((p) => !isInstalled(p.name));
    const guessed = missing.filter((p) => p.guessed);
    if (!guessed.length) return missing;
    const claimed = new Set([...listed, ...packages.flatMap((p) => this.packageLists(p))].map((p) => p.name));
    const claim = (name: string) => claimed.has(name) || claimed.has(name.replace(/^dbt_/, '')) || claimed.has(`dbt_${name}`);
    let unclaimed = packages.filter((p) => !names(p).some(claim)).length;
    return missing.filter((p) => !(p.guessed && unclaimed-- > 0));
  }

  /** What a project's packages.yml and dependencies.yml list. */
  private packageLists(project: ProjectState): Array<PackageSpec & { file: string }> {
    const out: Array<PackageSpec & { file: string }> = [];
    for (const name of ['packages.yml', 'packages.yaml', 'dependencies.yml', 'dependencies.yaml']) {
      const file = join(project.root, name);
      const f = this.files.get(file);
      if (f?.kind === 'packages') for (const p of f.packages) out.push({ ...p, file });
    }
    return out;
  }

  /** The dbt projects dependencies.yml names (dbt Mesh), lower case. */
  /** @internal */ dependencyProjects(top: ProjectState): Set<string> {
    const out = new Set<string>();
    for (const name of ['dependencies.yml', 'dependencies.yaml']) {
      const f = this.files.get(join(top.root, name));
      if (f?.kind === 'packages') for (const p of f.projects ?? []) out.add(p.toLowerCase());
    }
    return out;
  }
}

/** Files whose change changes how other files render: macros and the packages list. */
function shapesRendering(f: Fragment): boolean {
  return f.kind === 'macro' || f.kind === 'packages';
}

// YAML files in a dbt project that are not properties files, even when they mention `models:`.
const NOT_PROPERTIES = /^(dbt_project|packages|dependencies|profiles|selectors)\.ya?ml$|^askdata\/|(^|\/)target\//;
