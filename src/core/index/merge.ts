import type { DocEntry } from '../dbt/properties';
import { deriveColumns, type DerivationState } from './derivedColumns';
import { applyVersionDocs, DocBlocks, mergeDocColumns } from './docsMerge';
import { classifySqlFile } from '../dbt/dbtProject';
import { baseName, folderConfig, isDisabled, join, relationName, relative, tagsOf, unquoteRelation, versionOf } from './dbtConfig';
import { PLACEHOLDER, type RefCall } from './dbtRender';
import type { WorkspaceIndexer } from './indexer';
import { INDEX_FORMAT, type Fragment, type Habit, type IndexedColumn, type IndexedProject, type IndexedRelation, type IndexWarning, type JoinEdge, type ProjectState, type SqlFragment, type WorkspaceIndex } from './types';

/** Builds the merged index from the indexer's state. */
export class Merge {
  private readonly relations = new Map<string, IndexedRelation>();
  /** Lower-case database identifiers and model names → relation key. */
  private readonly byIdentifier = new Map<string, string>();
  /** Warnings about projects, artifacts and docs; per-file ones live with the file's contribution. */
  private readonly warnings: IndexWarning[] = [];
  private readonly projects: IndexedProject[] = [];
  private readonly refCount = { resolved: 0, unresolved: 0 };
  /** What each SQL file added: its placeholders resolved, its warnings. Undone when the file changes. */
  private readonly contributions = new Map<string, { refs: Array<string | undefined>; sources: Array<string | undefined>; warnings: IndexWarning[] }>();
  private readonly derived = new Map<string, string[] | null>();
  /** Each relation's columns before the SQL-derived ones were merged in. */
  private readonly baseColumns = new Map<string, IndexedColumn[]>();
  private readonly joins = new Map<string, JoinEdge>();
  private readonly filters = new Map<string, Habit & { op: string; value?: string }>();
  private readonly aggregations = new Map<string, Habit & { fn: string }>();
  private readonly buckets = new Map<string, Habit & { unit: string }>();
  /** Models dbt drops (`enabled: false` in their file, folder config or properties), by lower-case key. */
  private readonly disabled = new Set<string>();
  /** Versioned models' files (lower case) → the model and the version each defines. */
  private readonly versionFiles = new Map<string, { base: string; v: number }>();
  /** A properties file's `config:` for a model, seed or snapshot (lower-case name), its Jinja rendered. */
  private readonly propsConfig = new Map<string, Record<string, unknown>>();
  /** Docs blocks by package, then name. */
  private readonly docBlocks: DocBlocks;
  private unrendered = 0;

  constructor(private readonly ix: WorkspaceIndexer) {
    this.docBlocks = new DocBlocks(ix, this.warnings);
  }

  run(): WorkspaceIndex {
    const files = this.ix.allFiles();
    for (const p of this.ix.allProjects()) {
      if (p.error) this.warnings.push(p.error);
      this.warnings.push(...p.artifactWarnings);
      if (!p.layout) continue;
      const pkg = this.ix.packageOf(p);
      this.projects.push({ root: p.root, name: p.layout.name, package: !!pkg, source: p.manifest ? 'manifest' : 'files', targetSchema: this.ix.targetOf(p).schema });
      this.warnings.push(...p.layout.duplicates.map((d) => ({ file: join(p.root, 'dbt_project.yml'), ...d, kind: 'duplicate-key' as const })));
      if (!pkg) for (const n of this.ix.notInstalled(p)) this.warnings.push({ file: n.file, line: n.line, kind: 'package-not-installed', message: `${n.file.slice(n.file.lastIndexOf('/') + 1)} lists ${n.name}, which is not installed: run \`dbt deps\` (until then, refs and macro calls into it are left unresolved)` });
    }
    this.collectNodes(files);
    this.docBlocks.collect(files);
    this.addFileNodes(files);
    this.addUnreadNodes();
    this.addManifestNodes();
    this.addFilesNewerThanManifest(files);
    this.addDocs(files);
    this.addDatabase();
    for (const [path, f] of files) {
      if (f.kind === 'sql') this.contribute(path, f, 1);
      else if (f.kind === 'docs' || f.kind === 'macro' || f.kind === 'packages') this.warnings.push(...f.warnings.map((w) => ({ file: path, ...w })));
    }
    this.addDocJoins();
    deriveColumns(this.derivedState(), files, undefined);
    this.warnings.push(...this.ix.allProblems());
    return this.output(files);
  }

  /**
   * Updates the index for one SQL file whose edit leaves the set of relations as it was (the
   * common case: editing a model's body), without re-merging the workspace. Returns undefined
   * when the edit needs a full merge.
   */
  patch(path: string, before: SqlFragment, after: SqlFragment): WorkspaceIndex | undefined {
    if (before.role !== after.role || before.name !== after.name) return undefined;
    const project = this.ix.projectOf(path);
    if (project?.manifest) return undefined;
    if (after.role === 'model' || after.role === 'snapshot') {
      const rel = this.relations.get(this.nodeKey(after));
      if (!rel || rel.file !== path || !project?.layout || after.also || before.also) return undefined;
      const config = this.effectiveConfig(after);
      if (!!after.disabled !== !!before.disabled || after.disabled || this.nodeRelation(path, project, after) !== rel.relation) return undefined;
      if (typeof config.materialized === 'string') rel.materialized = config.materialized;
      else delete rel.materialized;
      const tags = tagsOf(config.tags);
      if (tags.length) rel.tags = tags;
      else delete rel.tags;
      rel.ctes = after.shape.ctes.map((c) => c.name);
    }
    this.contribute(path, before, -1);
    this.contribute(path, after, 1);
    const files = this.ix.allFiles();
    if (after.role === 'model' || after.role === 'snapshot') deriveColumns(this.derivedState(), files, this.dependentsOf(this.nodeKey(after)));
    return this.output(files);
  }

  private output(files: Map<string, Fragment>): WorkspaceIndex {
    const relations = [...this.relations.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const queries = [...files].flatMap(([file, f]) => (f.kind === 'sql' && (f.role === 'analysis' || f.role === 'query') ? [{ file, kind: f.role === 'analysis' ? ('analysis' as const) : ('query' as const), relations: this.relationsOf(file, f) }] : []));
    const warnings = [...this.warnings, ...[...this.contributions.values()].flatMap((c) => c.warnings)];
    // Most used first; ties in key order so that the index is the same from run to run.
    const sorted = <T extends { count: number }>(m: Map<string, T>) => [...m].filter(([, v]) => v.count > 0).sort(([ka, a], [kb, b]) => b.count - a.count || (ka < kb ? -1 : ka > kb ? 1 : 0)).map(([, v]) => v);
    return {
      format: INDEX_FORMAT,
      projects: this.projects,
      relations,
      joins: sorted(this.joins),
      filters: sorted(this.filters),
      aggregations: sorted(this.aggregations),
      dateBuckets: sorted(this.buckets),
      queries: queries.sort((a, b) => (a.file < b.file ? -1 : 1)),
      refs: { ...this.refCount },
      unrendered: this.unrendered,
      warnings: warnings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line)),
    };
  }
  private projectName(root: string | undefined): string | undefined {
    return root === undefined ? undefined : this.ix.allProjects().find((p) => p.root === root)?.layout?.name;
  }

  private put(rel: IndexedRelation): void {
    const existing = this.relations.get(rel.key);
    // The root project wins over a package defining the same name.
    if (existing && !existing.package && rel.package) return;
    this.relations.set(rel.key, rel);
    if (rel.relation) this.byIdentifier.set(rel.relation.toLowerCase(), rel.key);
    const identifier = rel.relation?.split('.').pop()?.toLowerCase();
    if (identifier && !this.byIdentifier.has(identifier)) this.byIdentifier.set(identifier, rel.key);
    if (!this.byIdentifier.has(rel.name.toLowerCase())) this.byIdentifier.set(rel.name.toLowerCase(), rel.key);
  }

  private addFileNodes(files: Map<string, Fragment>): void {
    for (const [path, f] of files) {
      const project = this.ix.projectOf(path);
      if (!project?.layout || project.manifest) continue;
      const pkg = this.ix.packageOf(project);
      if (f.kind === 'seed') {
        const rel = relative(project.root, path);
        const config = this.seedConfig(project, rel, f.name);
        if (isDisabled(config)) continue;
        // +column_types (dbt_project.yml or properties) are the types dbt loads the seed with.
        const types = new Map(Object.entries(config.column_types && typeof config.column_types === 'object' ? (config.column_types as Record<string, unknown>) : {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
        const columns = f.columns.map((name) => ({ name, ...(types.has(name.toLowerCase()) ? { type: types.get(name.toLowerCase())! } : {}) }));
        if (this.duplicateNode(f.name.toLowerCase(), path, project.layout.name)) continue;
        this.put({ key: f.name.toLowerCase(), kind: 'seed', name: f.name, project: project.layout.name, ...(pkg ? { package: pkg } : {}), file: path, line: 1, relation: this.ix.relationFor(project, { name: f.name, kind: 'seed', path: rel, config }), columns, definedColumns: f.columns, from: 'files' });
      } else if (f.kind === 'sql' && (f.role === 'model' || f.role === 'snapshot')) {
        const key = this.nodeKey(f);
        if (f.disabled || this.disabled.has(key)) continue;
        if (this.duplicateNode(key, path, project.layout.name)) continue;
        this.putSqlNode(path, f, f.role, project, project.layout.name, key);
      }
    }
  }

  /**
   * Two enabled models, seeds or snapshots of one project with the same name: dbt refuses the
   * project ("found two resources with the name"). Said on the file set aside — the one whose path
   * sorts last, so that the choice does not depend on the order files were read — and true when
   * that is the file at hand.
   */
  private duplicateNode(key: string, path: string, projectName: string): boolean {
    const existing = this.relations.get(key);
    if (!existing?.file || existing.from !== 'files' || existing.file === path || existing.project !== projectName) return false;
    const [kept, dropped] = existing.file < path ? [existing.file, path] : [path, existing.file];
    this.warnings.push({ file: dropped, line: 1, kind: 'duplicate-node', message: `${existing.name} is also defined in ${kept}: dbt stops when one project has two resources named ${existing.name} (two models: "found two resources with the name"; a model and a seed: the same database relation) until one is renamed or disabled (enabled: false); until then Ask Data uses ${kept}` });
    return dropped === path;
  }

  private putSqlNode(path: string, f: SqlFragment, role: 'model' | 'snapshot', project: ProjectState, projectName: string, key: string): void {
    const pkg = this.ix.packageOf(project);
    const config = this.effectiveConfig(f);
    const version = this.versionFiles.get(f.name.toLowerCase())?.v ?? versionOf(f.name)?.v;
    for (const other of f.also ?? []) {
      this.put({ key: other.toLowerCase(), kind: 'snapshot', name: other, project: projectName, ...(pkg ? { package: pkg } : {}), file: path, line: 1, relation: this.ix.relationFor(project, { name: other, kind: 'snapshot', path: relative(project.root, path), config }), columns: [], from: 'files' });
    }
    this.put({
      key,
      kind: role,
      name: key === f.name.toLowerCase() ? f.name : key,
      project: projectName,
      ...(pkg ? { package: pkg } : {}),
      file: path,
      line: 1,
      relation: this.nodeRelation(path, project, f),
      columns: [],
      ...(typeof config.materialized === 'string' ? { materialized: config.materialized } : {}),
      ...(tagsOf(config.tags).length ? { tags: tagsOf(config.tags) } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(f.sql ? { sql: f.sql } : {}),
      ctes: f.shape.ctes.map((c) => c.name),
      from: 'files',
    });
  }

  /**
   * A model or snapshot file the last dbt compile did not see (added since, or renamed): the
   * manifest is the truth for what it holds, so such a file is read as the files say, and a
   * warning says the manifest is behind, never dropping the model silently.
   */
  private addFilesNewerThanManifest(files: Map<string, Fragment>): void {
    for (const [path, f] of files) {
      const project = this.ix.projectOf(path);
      if (!project?.layout || !project.manifest || f.kind !== 'sql' || (f.role !== 'model' && f.role !== 'snapshot')) continue;
      const key = this.nodeKey(f);
      if (f.disabled || this.disabled.has(key) || this.relations.has(key)) continue;
      this.putSqlNode(path, f, f.role, project, project.layout.name, key);
      this.warnings.push({ file: path, line: 1, kind: 'artifact', message: `${f.name} is not in target/manifest.json, which an older dbt compile wrote: it is read from its file until \`dbt compile\` (or any dbt run) writes the manifest again` });
    }
  }

  /**
   * A model, seed or snapshot whose file could not be read (too big, binary, not UTF-8, no
   * permission) is still a node of the project: refs to it resolve. Its own content is unknown,
   * which its warning says.
   */
  private addUnreadNodes(): void {
    for (const path of this.ix.problemPaths()) {
      const project = this.ix.projectOf(path);
      if (!project?.layout || project.manifest) continue;
      const rel = relative(project.root, path);
      const name = baseName(path);
      const pkg = this.ix.packageOf(project);
      const base = { name, project: project.layout.name, ...(pkg ? { package: pkg } : {}), file: path, line: 1, columns: [], from: 'files' as const };
      if (/\.csv$/i.test(path) && project.layout.seedPaths.some((d) => rel.startsWith(`${d}/`))) {
        const config = this.seedConfig(project, rel, name);
        if (!isDisabled(config) && !this.relations.has(name.toLowerCase())) this.put({ ...base, key: name.toLowerCase(), kind: 'seed', relation: this.ix.relationFor(project, { name, kind: 'seed', path: rel, config }) });
        continue;
      }
      if (!/\.sql$/i.test(path)) continue;
      const role = classifySqlFile(project.layout, rel);
      if ((role.kind !== 'model' && role.kind !== 'snapshot') || this.relations.has(name.toLowerCase())) continue;
      const top = this.ix.topProjectOf(project);
      const config = folderConfig(project.layout, top?.layout, role.kind === 'model' ? 'models' : 'snapshots', rel, role.kind === 'model' ? project.layout.modelPaths : project.layout.snapshotPaths, name);
      if (isDisabled(config) || this.disabled.has(name.toLowerCase())) continue;
      this.put({ ...base, key: name.toLowerCase(), kind: role.kind, relation: this.ix.relationFor(project, { name, kind: role.kind, path: rel, config }) });
    }
  }

  private addManifestNodes(): void {
    for (const p of this.ix.allProjects()) {
      if (!p.manifest || !p.layout) continue;
      const own = p.layout.name;
      for (const n of p.manifest.nodes) {
        if (n.kind === 'analysis' || !n.config.enabled) continue;
        // A model version is `<name>_v<v>`, as in the files; its bare name finds the latest (below).
        const key = n.kind === 'source' ? `${n.source}.${n.name}`.toLowerCase() : (n.version !== undefined ? `${n.name}_v${n.version}` : n.name).toLowerCase();
        const catalog = p.catalog?.get(n.uniqueId);
        const file = n.file ? join(p.root, n.file) : undefined;
        this.put({
          key,
          kind: n.kind,
          name: n.name,
          project: own,
          ...(n.package && n.package !== own ? { package: n.package } : {}),
          ...(file ? { file, line: 1 } : {}),
          relation: unquoteRelation(n.relation) ?? [n.schema, n.identifier ?? n.name].filter(Boolean).join('.'),
          ...(n.description ? { description: n.description } : {}),
          columns: (catalog ?? n.columns).map((c) => ({ name: c.name, ...('type' in c && c.type ? { type: c.type } : {}), ...('description' in c && c.description ? { description: c.description } : {}) })),
          ...(catalog ? { definedColumns: catalog.map((c) => c.name) } : {}),
          ...(n.config.materialized ? { materialized: n.config.materialized } : {}),
          ...(n.config.tags.length ? { tags: n.config.tags } : {}),
          ...(n.version !== undefined ? { version: n.version } : {}),
          refs: n.dependsOn.filter((d) => !d.startsWith('macro.')).map((d) => d.split('.').pop()!.toLowerCase()),
          ...(n.sql ? { sql: n.sql } : {}),
          from: 'manifest',
        });
      }
    }
  }

  private addDocs(files: Map<string, Fragment>): void {
    // Packages' properties first: the root project's then add to them, or override them.
    const docs = [...files].filter(([path, f]) => f.kind === 'docs' && !!path).map(([path, f]) => ({ path, f, project: this.ix.projectOf(path) }));
    docs.sort((a, b) => Number(!(a.project && this.ix.packageOf(a.project))) - Number(!(b.project && this.ix.packageOf(b.project))));
    for (const { path, f, project } of docs) {
      if (f.kind !== 'docs') continue;
      for (const entry of f.entries) {
        if (entry.kind === 'metric' || entry.kind === 'analysis') continue;
        const e = this.docBlocks.resolve(entry, path, project);
        if (e.kind === 'semantic_model') {
          const target = e.model ? this.relations.get(e.model.toLowerCase()) : undefined;
          if (target) mergeDocColumns(target, e.columns, false);
          continue;
        }
        const key = e.kind === 'source' ? `${e.source}.${e.name}`.toLowerCase() : e.name.toLowerCase();
        if (e.kind !== 'source' && this.disabled.has(key)) continue;
        if (e.kind === 'source' && e.overrides) {
          // `overrides: <package>`: what the root project says about the package's source wins.
          this.overrideSource(e, project);
          if (!e.name) continue;
        }
        let rel = this.relations.get(key);
        if (!rel && e.kind === 'source') {
          if (project && isDisabled(this.rendered(project, e.config ?? {}))) continue;
          const identifier = project ? this.ix.renderText(project, e.identifier ?? e.name) : (e.identifier ?? e.name);
          const schema = project ? this.ix.renderText(project, e.schema ?? e.source ?? '') : (e.schema ?? e.source);
          rel = { key, kind: 'source', name: e.name, project: this.projectName(project?.root), ...(project && this.ix.packageOf(project) ? { package: project.layout?.name } : {}), file: path, line: e.line, relation: `${schema}.${identifier}`, columns: [], from: 'files' };
          this.put(rel);
        }
        if (!rel && e.kind === 'snapshot' && e.relation && project?.layout) {
          // A snapshot defined in YAML (dbt 1.9): the node is the entry itself.
          const config = this.rendered(project, e.config ?? {});
          if (isDisabled(config)) continue;
          rel = { key, kind: 'snapshot', name: e.name, project: project.layout.name, ...(this.ix.packageOf(project) ? { package: project.layout.name } : {}), file: path, line: e.line, relation: this.ix.relationFor(project, { name: e.name, kind: 'snapshot', path: relative(project.root, path), config }), columns: [], from: 'files' };
          this.put(rel);
        }
        if (!rel) {
          if (e.kind === 'model' && !e.versions) this.warnings.push({ file: path, line: e.line, kind: 'documented-missing', message: `model ${e.name} is documented here, but no model file defines it: add ${e.name}.sql under the model paths, or remove this entry` });
          if (e.versions) for (const v of e.versions) applyVersionDocs(this.relations, this.byIdentifier, e, v);
          continue;
        }
        if (e.description && !rel.description) rel.description = e.description;
        if (rel.kind !== 'source') {
          rel.file ??= path;
        }
        mergeDocColumns(rel, e.columns, true);
        if (e.versions) for (const v of e.versions) applyVersionDocs(this.relations, this.byIdentifier, e, v);
      }
    }
  }

  /** A root source's `overrides:` applied to the package's tables: the schema to all of them, a description to its table. */
  private overrideSource(e: DocEntry, project: ProjectState | undefined): void {
    const pkg = e.overrides!.toLowerCase();
    const prefix = `${e.source}.`.toLowerCase();
    for (const rel of this.relations.values()) {
      if (rel.kind !== 'source' || rel.package?.toLowerCase() !== pkg || !rel.key.startsWith(prefix)) continue;
      if (e.name && rel.name.toLowerCase() !== e.name.toLowerCase()) continue;
      if (e.schema && project) {
        const identifier = (rel.relation ?? '').split('.').pop()!;
        rel.relation = `${this.ix.renderText(project, e.schema)}.${identifier}`;
        this.byIdentifier.set(rel.relation.toLowerCase(), rel.key);
      }
      if (e.name && e.description) rel.description = e.description;
    }
  }

  /**
   * What properties files say about nodes before the nodes are made: their `config:` (which
   * names and disables them) and the files model versions are defined in; then the models dbt
   * drops (`enabled: false` in their file, folder config or properties).
   */
  private collectNodes(files: Map<string, Fragment>): void {
    const inDocs = new Set<string>();
    for (const [path, f] of files) {
      if (f.kind !== 'docs') continue;
      const project = this.ix.projectOf(path);
      for (const e of f.entries) {
        if (e.kind !== 'model' && e.kind !== 'seed' && e.kind !== 'snapshot') continue;
        const name = e.name.toLowerCase();
        if (e.versions) for (const v of e.versions) this.versionFiles.set((e.definedIn?.[v] ?? `${e.name}_v${v}`).toLowerCase(), { base: e.name, v });
        if (!e.config || !project) continue;
        const config = this.rendered(project, e.config);
        this.propsConfig.set(name, { ...this.propsConfig.get(name), ...config });
        if (isDisabled(config)) {
          inDocs.add(name);
          for (const v of e.versions ?? []) inDocs.add(`${name}_v${v}`);
        }
      }
    }
    const inFiles = new Set<string>();
    const enabled = new Set<string>();
    for (const f of files.values()) {
      if (f.kind !== 'sql' || (f.role !== 'model' && f.role !== 'snapshot')) continue;
      const key = this.nodeKey(f);
      // The file's own config() wins over its properties: `enabled` set there decides.
      const off = f.disabled || (inDocs.has(key) && !f.fileConfigKeys?.includes('enabled')) || (inDocs.has(f.name.toLowerCase()) && !f.fileConfigKeys?.includes('enabled'));
      (off ? inFiles : enabled).add(key);
    }
    // A name another package defines enabled is not dropped by its disabled twin.
    for (const n of inFiles) if (!enabled.has(n)) this.disabled.add(n);
    for (const n of inDocs) if (!enabled.has(n)) this.disabled.add(n);
  }

  /** A model or snapshot's key: its name, or `<model>_v<version>` for a version's file (defined_in included). */
  private nodeKey(f: SqlFragment): string {
    const v = f.role === 'model' ? this.versionFiles.get(f.name.toLowerCase()) : undefined;
    return v ? `${v.base}_v${v.v}`.toLowerCase() : f.name.toLowerCase();
  }

  /** dbt's config precedence: the file's config() > its properties file > dbt_project.yml (tags add up). */
  private effectiveConfig(f: SqlFragment): Record<string, unknown> {
    const props = this.propsConfig.get(this.versionFiles.get(f.name.toLowerCase())?.base.toLowerCase() ?? f.name.toLowerCase());
    if (!props) return f.config;
    const own = new Set(f.fileConfigKeys ?? []);
    const out = { ...f.config };
    for (const [k, v] of Object.entries(props)) if (!own.has(k)) out[k] = v;
    if (props.tags !== undefined) out.tags = [...new Set([...tagsOf(f.config.tags), ...tagsOf(props.tags)])];
    return out;
  }

  /** Where a model or snapshot is built, with its properties and its version taken into account. */
  private nodeRelation(path: string, project: ProjectState, f: SqlFragment): string {
    const config = this.effectiveConfig(f);
    const version = this.versionFiles.get(f.name.toLowerCase());
    const renamed = config !== f.config && NAMING_KEYS.some((k) => config[k] !== f.config[k]);
    if (!renamed && !version) return f.relation ?? relationName(this.ix.targetOf(project).schema, f.name, config);
    return this.ix.relationFor(project, { name: version ? version.base : f.name, kind: f.role === 'snapshot' ? 'snapshot' : 'model', path: relative(project.root, path), config, ...(version ? { identifier: `${version.base}_v${version.v}`, version: version.v } : {}) });
  }

  /** A seed's config: its folder's in dbt_project.yml, then its properties file's. */
  private seedConfig(project: ProjectState, rel: string, name: string): Record<string, unknown> {
    const top = this.ix.topProjectOf(project);
    const folder = folderConfig(project.layout!, top?.layout, 'seeds', rel, project.layout!.seedPaths, name);
    const props = this.propsConfig.get(name.toLowerCase());
    return props ? { ...folder, ...props } : folder;
  }

  private rendered(project: ProjectState, config: Record<string, unknown>): Record<string, unknown> {
    return typeof config.enabled === 'string' ? { ...config, enabled: this.ix.renderText(project, config.enabled) } : config;
  }

  private addDatabase(): void {
    for (const p of this.ix.allProjects()) {
      if (!p.live) continue;
      const tables = new Map<string, Array<{ name: string; type: string }>>();
      for (const c of p.live.columns) {
        const k = `${c.schema}.${c.table}`.toLowerCase();
        (tables.get(k) ?? tables.set(k, []).get(k)!).push({ name: c.column, type: c.type });
      }
      for (const [qualified, cols] of tables) {
        const table = qualified.slice(qualified.indexOf('.') + 1);
        const key = this.byIdentifier.get(qualified) ?? this.byIdentifier.get(table);
        let rel = key ? this.relations.get(key) : undefined;
        if (!rel) {
          rel = { key: table, kind: 'table', name: table, relation: qualified, columns: [], from: 'database' };
          if (this.relations.has(table)) rel.key = qualified;
          this.put(rel);
        }
        rel.databaseColumns = cols;
        const documented = new Map(rel.columns.map((c) => [c.name.toLowerCase(), c]));
        rel.columns = cols.map((c) => {
          const doc = documented.get(c.name.toLowerCase());
          const samples = p.live!.samples?.[`${table}.${c.name}`.toLowerCase()];
          return { ...doc, name: c.name, type: c.type, ...(!doc?.values && samples ? { values: samples } : {}) };
        });
      }
    }
  }

  /** Adds (sign 1) or takes back (sign -1) what one SQL file says: resolved refs, habits, joins, warnings. */
  private contribute(path: string, f: SqlFragment, sign: 1 | -1): void {
    // dbt drops a disabled model: what it refs and renders is not part of the project.
    if (f.disabled || ((f.role === 'model' || f.role === 'snapshot') && this.disabled.has(this.nodeKey(f)))) return;
    let c = this.contributions.get(path);
    if (sign === 1) {
      const warnings: IndexWarning[] = f.warnings.map((w) => ({ file: path, ...w }));
      const refs = f.refs.map((r) => {
        if (r.unknown) return undefined;
        const key = this.refKey(r);
        if (!key) {
          const w = this.unresolvedRef(path, r);
          if (w) warnings.push(w);
        }
        return key;
      });
      const sources = f.sources.map((src) => {
        const key = `${src.source}.${src.table}`.toLowerCase();
        if (this.relations.has(key)) return key;
        warnings.push({ file: path, line: src.line, kind: 'undeclared-source', message: `source('${src.source}', '${src.table}') is not declared in any properties file: declare it under sources: (dbt stops here until then)` });
        return undefined;
      });
      c = { refs, sources, warnings };
      this.contributions.set(path, c);
      const own = this.relations.get(this.nodeKey(f));
      if (own && own.file === path && (f.role === 'model' || f.role === 'snapshot')) {
        own.refs = [...new Set(refs.filter((r): r is string => !!r))];
        if (f.sql) own.sql = f.sql.replace(PLACEHOLDER, (m, kind: string, i: string) => {
          const key = (kind.toLowerCase() === 'ref' ? refs : sources)[Number(i)];
          const relation = key && this.relations.get(key)?.relation;
          // What `{% filter upper %}` made of the name is what dbt compiles.
          return !relation ? m : kind === 'REF' || kind === 'SRC' ? relation.toUpperCase() : relation;
        });
      }
    }
    if (!c) return;
    this.unrendered += sign * f.unrendered;
    const resolved = c.refs.filter((r) => r).length;
    this.refCount.resolved += sign * resolved;
    this.refCount.unresolved += sign * (c.refs.length - resolved);
    const key = (name: string | undefined) => this.keyOfName(path, name);
    for (const j of f.shape.joins) {
      const l = key(j.left.relation);
      const r = key(j.right.relation);
      if (l && r && l !== r) this.addJoin(l, j.left.column, r, j.right.column, `${path}:${j.line}`, sign);
    }
    for (const x of f.shape.filters) {
      const relation = key(x.relation);
      bump(this.filters, `${relation}\0${x.column}\0${x.op}\0${x.value ?? ''}`, { ...(relation ? { relation } : {}), column: x.column, op: x.op, ...(x.value !== undefined ? { value: x.value } : {}) }, sign);
    }
    for (const x of f.shape.aggregations) {
      const relation = key(x.relation);
      bump(this.aggregations, `${relation}\0${x.column}\0${x.fn}`, { ...(relation ? { relation } : {}), column: x.column, fn: x.fn }, sign);
    }
    for (const x of f.shape.dateBuckets) {
      const relation = key(x.relation);
      bump(this.buckets, `${relation}\0${x.column}\0${x.unit}`, { ...(relation ? { relation } : {}), column: x.column, unit: x.unit }, sign);
    }
    if (sign === -1) this.contributions.delete(path);
  }

  /** Why a ref lands nowhere, said as what the person can do; undefined when another warning says it already. */
  private unresolvedRef(path: string, r: RefCall): IndexWarning | undefined {
    const call = `ref('${r.package ? `${r.package}', '` : ''}${r.name}'${r.version !== undefined ? `, v=${r.version}` : ''})`;
    const top = this.ix.topProjectOf(this.ix.projectOf(path));
    const pkg = r.package?.toLowerCase();
    if (pkg && top) {
      // A package listed but not installed: said once on packages.yml.
      if (this.ix.notInstalled(top).some((n) => n.name === pkg)) return undefined;
      if (this.ix.dependencyProjects(top).has(pkg)) return { file: path, line: r.line, kind: 'needs-dbt', message: `${call} is a model of project ${r.package}, which dependencies.yml names: its models come from that project's manifest (dbt Cloud or a plugin such as dbt-loom supplies it), which Ask Data does not read, so the ref is left unresolved` };
    }
    const name = r.name.toLowerCase();
    if (r.version !== undefined) {
      const versions = [...this.relations.values()].filter((x) => x.version !== undefined && x.key === `${name}_v${x.version}`).map((x) => x.version!).sort((a, b) => a - b);
      if (versions.length) return { file: path, line: r.line, kind: 'unresolved-ref', message: `${call}: ${r.name} has no version ${r.version} (its versions: ${versions.join(', ')}); dbt stops here: use one of them, or add the version under versions: in its properties file` };
    }
    const why = this.disabled.has(name) ? `points at ${r.name}, which is disabled (enabled: false): dbt stops here; enable it or remove the ref` : `points at no model, seed or snapshot in the project or its installed packages: dbt stops here; add the model, or fix the name`;
    return { file: path, line: r.line, kind: 'unresolved-ref', message: `${call} ${why}` };
  }

  private addJoin(a: string, ac: string, b: string, bc: string, seen: string, sign: 1 | -1): void {
    const [l, lc, r, rc] = a < b || (a === b && ac <= bc) ? [a, ac, b, bc] : [b, bc, a, ac];
    const k = `${l}.${lc}|${r}.${rc}`;
    const edge = this.joins.get(k) ?? this.joins.set(k, { left: l, leftColumn: lc, right: r, rightColumn: rc, count: 0, seen: [] }).get(k)!;
    edge.count += sign;
    if (sign === 1 && edge.seen.length < 3) edge.seen.push(seen);
    if (sign === -1) edge.seen = edge.seen.filter((x) => x !== seen);
  }

  /** relationships tests are join paths the team wrote down. */
  private addDocJoins(): void {
    for (const rel of this.relations.values()) {
      for (const c of rel.columns) {
        if (!c.references) continue;
        const target = this.relations.has(c.references.relation.toLowerCase()) ? c.references.relation.toLowerCase() : this.byIdentifier.get(c.references.relation.toLowerCase());
        if (!target) continue;
        c.references.relation = target;
        this.addJoin(rel.key, c.name.toLowerCase(), target, c.references.column.toLowerCase(), `${rel.file ?? rel.key}: relationships test`, 1);
      }
    }
  }

  /** The relation and every model that refs it, directly or not: their derived columns may change with it. */
  private dependentsOf(key: string): Set<string> {
    const out = new Set([key]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const rel of this.relations.values()) {
        if (!out.has(rel.key) && rel.refs?.some((r) => out.has(r))) {
          out.add(rel.key);
          grew = true;
        }
      }
    }
    return out;
  }

  private refKey(r: RefCall): string | undefined {
    const name = r.name.toLowerCase();
    // A version asked for is that version or nothing (dbt stops on a version that does not exist).
    if (r.version !== undefined) return this.relations.has(`${name}_v${r.version}`) ? `${name}_v${r.version}` : undefined;
    if (this.relations.has(name) && (!r.package || this.relations.get(name)!.package === r.package || this.relations.get(name)!.project === r.package)) return name;
    const viaIdentifier = this.byIdentifier.get(name);
    return viaIdentifier && this.relations.get(viaIdentifier)?.kind !== 'table' ? viaIdentifier : undefined;
  }

  /** A SQL file's relations by key: placeholders resolved, bare names matched to models or tables. */
  private relationsOf(path: string, f: SqlFragment): string[] {
    return [...new Set(f.shape.relations.map((r) => this.keyOfName(path, r)).filter((k): k is string => !!k))].sort();
  }

  private derivedState(): DerivationState {
    return { relations: this.relations, derived: this.derived, baseColumns: this.baseColumns, nodeKey: (f) => this.nodeKey(f), keyOfName: (path, name) => this.keyOfName(path, name) };
  }

  private keyOfName(path: string, name: string | undefined): string | undefined {
    if (!name) return undefined;
    const m = /^__askdata_/i.test(name) ? /^__askdata_(ref|src)_(\d+)__$/i.exec(name) : null;
    if (m) {
      const p = this.contributions.get(path);
      return (m[1]!.toLowerCase() === 'ref' ? p?.refs : p?.sources)?.[Number(m[2])];
    }
    return this.byIdentifier.get(name.toLowerCase());
  }
}

/** Config keys that decide where a node is built. */
const NAMING_KEYS = ['schema', 'alias', 'database', 'target_schema'];

function bump<T extends Habit>(map: Map<string, T>, k: string, value: Omit<T, 'count'>, sign: 1 | -1): void {
  const known = map.get(k);
  if (known) known.count += sign;
  else if (sign === 1) map.set(k, { ...value, count: 1 } as T);
}
