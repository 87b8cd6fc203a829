import { createHash } from 'node:crypto';
import { classifySqlFile, DbtProjectError, parseDbtProject, type DbtProjectLayout } from '../dbt/dbtProject';
import { parseTemplate, type Template } from '../dbt/jinja';
import { isPropertiesText, parseProperties, type DocColumn, type DocEntry } from '../dbt/properties';
import { queryShape, type OutputItem, type QueryShape } from '../sql/queryShape';
import { PLACEHOLDER, renderModel, type MacroLibrary, type RefCall, type SourceCall } from './dbtRender';
import { ArtifactError, parseCatalog, parseManifest, type Manifest } from './manifest';

/**
 * The workspace as a query corpus: every dbt project (and its installed packages), every SQL file,
 * the docs people wrote, dbt's artifacts when present, and the live database's catalog — merged
 * into relations with columns, plus the join paths, filters and aggregations the team uses.
 *
 * Pure: the caller hands in file contents and database catalogs. Work is per file, so a change
 * re-reads one file and re-merges (the merge is cheap); the per-file results are what the cache keeps.
 */
export const INDEX_FORMAT = 1;

export interface IndexWarning {
  /** Workspace-relative path, '/' separated. */
  file: string;
  line: number;
  message: string;
}

export type RelationKind = 'model' | 'seed' | 'snapshot' | 'source' | 'table';

export interface IndexedColumn {
  name: string;
  type?: string;
  description?: string;
  /** Known values: accepted_values tests, else a sample of a low-cardinality text column. */
  values?: string[];
  tests?: string[];
  /** Where a relationships test says this column points. */
  references?: { relation: string; column: string };
}

export interface IndexedRelation {
  /** How questions and pairs name it: the model, seed or snapshot name; `source.table` for sources; the table name for database-only tables. */
  key: string;
  kind: RelationKind;
  name: string;
  project?: string;
  /** Set when the relation comes from an installed package (dbt_packages/). */
  package?: string;
  file?: string;
  line?: number;
  /** Where it lives in the database, `schema.identifier`. */
  relation?: string;
  description?: string;
  columns: IndexedColumn[];
  /** Columns its properties files document. */
  documentedColumns?: string[];
  /** Columns the current definition produces (dbt artifacts or the model's SQL), when derivable. */
  definedColumns?: string[];
  /** Columns and types the database has now, when it was read. */
  databaseColumns?: Array<{ name: string; type: string }>;
  materialized?: string;
  tags?: string[];
  version?: number;
  /** dbt models this one refs, by key. */
  refs?: string[];
  /** The model's SQL with Jinja rendered (or dbt's compiled SQL), for grounding. */
  sql?: string;
  ctes?: string[];
  /** files: parsed by Ask Data; manifest: dbt's artifacts. */
  from: 'files' | 'manifest' | 'database';
}

export interface JoinEdge {
  left: string;
  leftColumn: string;
  right: string;
  rightColumn: string;
  /** How many queries join this way (a relationships test counts once). */
  count: number;
  /** Where the edge was seen, a few `file:line`. */
  seen: string[];
}

export interface Habit {
  relation?: string;
  column: string;
  count: number;
}

export interface IndexedProject {
  root: string;
  name: string;
  package: boolean;
  /** Which parse the project's nodes come from. */
  source: 'files' | 'manifest';
  targetSchema: string;
}

export interface WorkspaceIndex {
  format: number;
  projects: IndexedProject[];
  relations: IndexedRelation[];
  joins: JoinEdge[];
  filters: Array<Habit & { op: string; value?: string }>;
  aggregations: Array<Habit & { fn: string }>;
  dateBuckets: Array<Habit & { unit: string }>;
  /** SQL files that are not dbt models: analyses, snapshots' queries, saved queries. */
  queries: Array<{ file: string; kind: 'analysis' | 'query'; relations: string[] }>;
  refs: { resolved: number; unresolved: number };
  warnings: IndexWarning[];
}

export interface LiveCatalog {
  columns: Array<{ schema: string; table: string; column: string; type: string }>;
  /** Sampled values of low-cardinality text columns, by `table.column` (lower case). */
  samples?: Record<string, string[]>;
}

type SqlRole = 'model' | 'analysis' | 'snapshot' | 'query';

interface SqlFragment {
  kind: 'sql';
  hash: string;
  envKey: string;
  role: SqlRole;
  name: string;
  sql: string;
  refs: Array<RefCall & { line: number }>;
  sources: Array<SourceCall & { line: number }>;
  config: Record<string, unknown>;
  shape: QueryShape;
  warnings: Array<{ line: number; message: string }>;
}

interface DocsFragment {
  kind: 'docs';
  hash: string;
  entries: DocEntry[];
  warnings: Array<{ line: number; message: string }>;
}

interface SeedFragment {
  kind: 'seed';
  hash: string;
  name: string;
  columns: string[];
}

interface MacroFragment {
  kind: 'macro';
  hash: string;
  text: string;
  warnings: Array<{ line: number; message: string }>;
}

/** A file the index looked at and found nothing in (a workflow YAML, a pair file): remembered so it is not re-read. */
interface EmptyFragment {
  kind: 'none';
  hash: string;
}

type Fragment = SqlFragment | DocsFragment | SeedFragment | MacroFragment | EmptyFragment;

interface ProjectState {
  root: string;
  hash: string;
  layout?: DbtProjectLayout;
  error?: IndexWarning;
  targetSchema: string;
  manifest?: Manifest;
  catalog?: Map<string, Array<{ name: string; type: string }>>;
  artifactWarnings: IndexWarning[];
  live?: LiveCatalog;
}

export interface IndexCache {
  format: number;
  projects: Array<{ root: string; hash: string; targetSchema: string }>;
  files: Record<string, Fragment>;
  problems: Record<string, IndexWarning[]>;
  /** The merged index itself: a warm start where nothing changed uses it as it is. */
  built?: WorkspaceIndex;
}

export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export class WorkspaceIndexer {
  private readonly projects = new Map<string, ProjectState>();
  private readonly files = new Map<string, Fragment>();
  private readonly problems = new Map<string, IndexWarning[]>();
  private readonly macroTemplates = new Map<string, Template>();
  private readonly envKeys = new Map<string, string>();
  private readonly libraries = new Map<string, MacroLibrary>();
  private built: WorkspaceIndex | undefined;
  /** The merge behind `built`, kept so that a one-file edit can patch it. */
  private merge: Merge | undefined;

  /** A `dbt_project.yml` at `root` ('' for the workspace root); undefined text removes the project. */
  setProject(root: string, text: string | undefined, targetSchema = 'main'): void {
    this.built = undefined;
    this.envKeys.clear();
    this.libraries.clear();
    if (text === undefined) {
      this.projects.delete(root);
      return;
    }
    const previous = this.projects.get(root);
    const state: ProjectState = { root, hash: hashText(text + '\0' + targetSchema), targetSchema, artifactWarnings: previous?.artifactWarnings ?? [] };
    if (previous?.manifest) state.manifest = previous.manifest;
    if (previous?.catalog) state.catalog = previous.catalog;
    if (previous?.live) state.live = previous.live;
    try {
      state.layout = parseDbtProject(text);
    } catch (e) {
      state.error = { file: join(root, 'dbt_project.yml'), line: e instanceof DbtProjectError ? (e.line ?? 1) : 1, message: (e as Error).message };
    }
    this.projects.set(root, state);
  }

  /** dbt's artifacts for the project at `root`; undefined clears them. Bad artifacts are warned about and ignored. */
  setArtifacts(root: string, manifest: string | undefined, catalog: string | undefined): void {
    const state = this.projects.get(root);
    if (!state) return;
    this.built = undefined;
    state.artifactWarnings = [];
    delete state.manifest;
    delete state.catalog;
    if (manifest !== undefined) {
      try {
        state.manifest = parseManifest(manifest);
      } catch (e) {
        if (!(e instanceof ArtifactError)) throw e;
        state.artifactWarnings.push({ file: join(root, 'target/manifest.json'), line: 1, message: `${e.message}; using the file parse instead` });
      }
    }
    if (catalog !== undefined && state.manifest) {
      try {
        state.catalog = parseCatalog(catalog);
      } catch (e) {
        if (!(e instanceof ArtifactError)) throw e;
        state.artifactWarnings.push({ file: join(root, 'target/catalog.json'), line: 1, message: e.message });
      }
    }
  }

  /** The project's database as it is now (tables, columns, sample values). */
  setLiveCatalog(root: string, live: LiveCatalog | undefined): void {
    let state = this.projects.get(root);
    if (!state) {
      // A project without dbt (askdata.yml naming a database) still has a catalog.
      state = { root, hash: '', targetSchema: 'main', artifactWarnings: [] };
      this.projects.set(root, state);
    }
    this.built = undefined;
    if (live) state.live = live;
    else delete state.live;
  }

  /** A file's content (undefined when it was deleted). Only .sql, .yml/.yaml and .csv files matter. */
  setFile(path: string, text: string | undefined): void {
    const known = this.files.get(path);
    const project = this.projectOf(path);
    const hash = text === undefined ? undefined : hashText(text);
    if (known && known.hash === hash && !this.problems.has(path) && (known.kind !== 'sql' || known.envKey === this.envKey(project?.root))) return;
    const last = this.problems.has(path) ? undefined : this.built;
    this.built = undefined;
    this.problems.delete(path);
    if (text === undefined || hash === undefined) {
      if (known?.kind === 'macro') this.forgetMacros();
      this.files.delete(path);
      return;
    }
    const fragment = this.fragment(path, text, hash, project);
    if (fragment.kind === 'macro' || known?.kind === 'macro') this.forgetMacros();
    this.files.set(path, fragment);
    // Editing a model's body leaves the relations as they were: patch the last index instead of re-merging.
    if (last && this.merge && known?.kind === 'sql' && fragment.kind === 'sql') this.built = this.merge.patch(path, known, fragment);
  }

  /** A file the reader could not index (binary, too big, not UTF-8, a symlink loop): reported, not parsed. */
  setProblem(path: string, warning: Omit<IndexWarning, 'file'>): void {
    this.built = undefined;
    this.files.delete(path);
    this.problems.set(path, [{ file: path, ...warning }]);
  }

  /** Is this path one the index reads? */
  static wants(path: string): boolean {
    return /\.(sql|ya?ml|csv)$/i.test(path) || /(^|\/)target\/(manifest|catalog)\.json$/.test(path);
  }

  /** SQL files rendered with macros or vars that have since changed; re-read and pass them to setFile. */
  staleFiles(): string[] {
    const out: string[] = [];
    for (const [path, f] of this.files) {
      if (f.kind === 'sql' && f.envKey !== this.envKey(this.projectOf(path)?.root)) out.push(path);
    }
    return out;
  }

  paths(): string[] {
    return [...this.files.keys(), ...this.problems.keys()];
  }

  /** Has this path been indexed, or reported as unreadable? */
  knows(path: string): boolean {
    return this.files.has(path) || this.problems.has(path);
  }

  /** Is this a file under one of its project's macro paths? */
  isMacroFile(path: string): boolean {
    const project = this.projectOf(path);
    return !!project?.layout && /\.sql$/i.test(path) && classifySqlFile(project.layout, relative(project.root, path)).kind === 'macro';
  }

  toCache(): IndexCache {
    return {
      format: INDEX_FORMAT,
      projects: [...this.projects.values()].filter((p) => p.hash).map((p) => ({ root: p.root, hash: p.hash, targetSchema: p.targetSchema })),
      files: Object.fromEntries(this.files),
      problems: Object.fromEntries(this.problems),
      ...(this.built ? { built: this.built } : {}),
    };
  }

  /**
   * Restores per-file results. Projects must be set first (their dbt_project.yml is re-read, it is
   * small); a cache made from other project files, or another format, is ignored wholesale.
   */
  loadCache(cache: unknown): boolean {
    const c = cache as IndexCache | undefined;
    if (!c || c.format !== INDEX_FORMAT || !c.files || !Array.isArray(c.projects)) return false;
    const now = new Map([...this.projects.values()].filter((p) => p.hash).map((p) => [p.root, p.hash]));
    if (c.projects.length !== now.size || c.projects.some((p) => now.get(p.root) !== p.hash)) return false;
    for (const [path, f] of Object.entries(c.files)) this.files.set(path, f);
    for (const [path, w] of Object.entries(c.problems ?? {})) this.problems.set(path, w);
    this.forgetMacros();
    // Any change after this (a file, artifacts, the database) drops it and merges afresh.
    this.built = c.built?.format === INDEX_FORMAT ? c.built : undefined;
    this.merge = undefined;
    return true;
  }

  build(): WorkspaceIndex {
    if (!this.built) {
      this.merge = new Merge(this);
      this.built = this.merge.run();
    }
    return this.built;
  }

  // ---- internals shared with the merge ----

  /** @internal */ allProjects(): ProjectState[] {
    return [...this.projects.values()].sort((a, b) => a.root.localeCompare(b.root));
  }

  /** @internal */ allFiles(): Map<string, Fragment> {
    return this.files;
  }

  /** @internal */ allProblems(): IndexWarning[] {
    return [...this.problems.values()].flat();
  }

  /** The innermost dbt project holding `path`. */
  /** @internal */ projectOf(path: string): ProjectState | undefined {
    let best: ProjectState | undefined;
    for (const p of this.projects.values()) {
      if (!p.hash) continue;
      if ((p.root === '' || path.startsWith(p.root + '/')) && (!best || p.root.length > best.root.length)) best = p;
    }
    return best;
  }

  /** @internal */ packageOf(project: ProjectState): string | undefined {
    for (const p of this.projects.values()) {
      if (p === project || !p.layout) continue;
      const dir = join(p.root, p.layout.packagesPath);
      if (project.root.startsWith(dir + '/')) return project.layout?.name ?? project.root.slice(dir.length + 1);
    }
    return undefined;
  }

  private fragment(path: string, text: string, hash: string, project: ProjectState | undefined): Fragment {
    const rel = project ? relative(project.root, path) : path;
    const lower = path.toLowerCase();
    if (lower.endsWith('.yml') || lower.endsWith('.yaml')) {
      if (!project?.layout || NOT_PROPERTIES.test(rel) || !isPropertiesText(text)) return { kind: 'none', hash };
      const parsed = parseProperties(text);
      return { kind: 'docs', hash, entries: parsed.entries, warnings: parsed.warnings };
    }
    if (lower.endsWith('.csv')) {
      const role = project?.layout && project.layout.seedPaths.some((p) => rel.startsWith(p + '/'));
      if (!role) return { kind: 'none', hash };
      const header = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).replace(/\r$/, '');
      return { kind: 'seed', hash, name: baseName(path), columns: splitCsvHeader(header) };
    }
    if (!lower.endsWith('.sql')) return { kind: 'none', hash };
    const role = classifySqlFile(project?.layout, rel);
    if (role.kind === 'macro') {
      return { kind: 'macro', hash, text, warnings: parseTemplate(text).warnings };
    }
    const envKey = this.envKey(project?.root);
    const name = role.kind === 'query' ? baseName(path) : role.name;
    if (!project?.layout) {
      return { kind: 'sql', hash, envKey, role: 'query', name, sql: text, refs: [], sources: [], config: {}, shape: queryShape(text), warnings: [] };
    }
    const rendered = renderModel(text, {
      projectName: project.layout.name,
      vars: project.layout.vars,
      targetSchema: project.targetSchema,
      macros: this.macroLibrary(project),
      self: name,
    });
    const lineOf = (re: RegExp) => {
      const m = re.exec(text);
      return m ? text.slice(0, m.index).split('\n').length : 1;
    };
    const warnings = [...rendered.warnings, ...rendered.missingVars.map((v) => ({ line: lineOf(new RegExp(`var\\(\\s*['"]${escapeRe(v)}['"]`)), message: `var('${v}') has no value in dbt_project.yml and no default` }))];
    return {
      kind: 'sql',
      hash,
      envKey,
      role: role.kind,
      name,
      sql: rendered.sql,
      refs: rendered.refs.map((r) => ({ ...r, line: lineOf(new RegExp(`ref\\(\\s*(?:['"][\\w.-]+['"]\\s*,\\s*)?['"]${escapeRe(r.name)}['"]`)) })),
      sources: rendered.sources.map((s) => ({ ...s, line: lineOf(new RegExp(`source\\(\\s*['"]${escapeRe(s.source)}['"]\\s*,\\s*['"]${escapeRe(s.table)}['"]`)) })),
      config: rendered.config,
      shape: queryShape(rendered.sql),
      warnings,
    };
  }

  private forgetMacros(): void {
    this.macroTemplates.clear();
    this.envKeys.clear();
    this.libraries.clear();
  }

  /** What a project's rendering depends on besides the file itself: vars, target schema, macros. */
  private envKey(root: string | undefined): string {
    if (root === undefined) return '';
    const known = this.envKeys.get(root);
    if (known !== undefined) return known;
    const project = this.projects.get(root);
    const macroHashes = [...this.files].filter(([p, f]) => f.kind === 'macro' && this.macroVisibleTo(p, root)).map(([p, f]) => `${p}:${f.hash}`).sort();
    const key = hashText(JSON.stringify([project?.hash, macroHashes]));
    this.envKeys.set(root, key);
    return key;
  }

  /** A project sees its own macros and those of packages installed under it (and siblings' when it is a package). */
  private macroVisibleTo(macroPath: string, root: string): boolean {
    const project = this.projects.get(root);
    const top = this.topProjectOf(project);
    return top === undefined ? false : top.root === '' || macroPath.startsWith(top.root + '/');
  }

  private topProjectOf(project: ProjectState | undefined): ProjectState | undefined {
    let top = project;
    for (const p of this.projects.values()) {
      if (!p.layout || !top || p === top) continue;
      if (top.root.startsWith(join(p.root, p.layout.packagesPath) + '/')) top = p;
    }
    return top;
  }

  private macroLibrary(project: ProjectState): MacroLibrary {
    const known = this.libraries.get(project.root);
    if (known) return known;
    const packages = new Map<string, Template[]>();
    for (const [path, f] of this.files) {
      if (f.kind !== 'macro' || !this.macroVisibleTo(path, project.root)) continue;
      const owner = this.projectOf(path);
      const name = owner?.layout?.name ?? 'root';
      let t = this.macroTemplates.get(path);
      if (!t) {
        t = parseTemplate(f.text);
        this.macroTemplates.set(path, t);
      }
      (packages.get(name) ?? packages.set(name, []).get(name)!).push(t);
    }
    // A project calls its own macros bare; tell the renderer which package that is.
    if (project.layout && !packages.has(project.layout.name)) packages.set(project.layout.name, []);
    const library = { packages };
    this.libraries.set(project.root, library);
    return library;
  }
}

/** Builds the merged index from the indexer's state. */
class Merge {
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

  constructor(private readonly ix: WorkspaceIndexer) {}

  run(): WorkspaceIndex {
    const files = this.ix.allFiles();
    for (const p of this.ix.allProjects()) {
      if (p.error) this.warnings.push(p.error);
      this.warnings.push(...p.artifactWarnings);
      if (!p.layout) continue;
      const pkg = this.ix.packageOf(p);
      this.projects.push({ root: p.root, name: p.layout.name, package: !!pkg, source: p.manifest ? 'manifest' : 'files', targetSchema: p.targetSchema });
    }
    this.addFileNodes(files);
    this.addManifestNodes();
    this.addDocs(files);
    this.addDatabase();
    for (const [path, f] of files) {
      if (f.kind === 'sql') this.contribute(path, f, 1);
      else if (f.kind === 'docs' || f.kind === 'macro') this.warnings.push(...f.warnings.map((w) => ({ file: path, ...w })));
    }
    this.addDocJoins();
    this.deriveColumns(files, undefined);
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
      const rel = this.relations.get(after.name.toLowerCase());
      if (!rel || rel.file !== path || !project?.layout) return undefined;
      const paths = after.role === 'model' ? project.layout.modelPaths : project.layout.snapshotPaths;
      const config = { ...folderConfig(project.layout, after.role === 'model' ? 'models' : 'snapshots', relative(project.root, path), paths), ...after.config };
      if (config.enabled === false || relationName(project.targetSchema, after.name, config) !== rel.relation) return undefined;
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
    if (after.role === 'model' || after.role === 'snapshot') this.deriveColumns(files, this.dependentsOf(after.name.toLowerCase()));
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
        const config = folderConfig(project.layout, 'seeds', relative(project.root, path), project.layout.seedPaths);
        const rel = relationName(project.targetSchema, f.name, config);
        this.put({ key: f.name.toLowerCase(), kind: 'seed', name: f.name, project: project.layout.name, ...(pkg ? { package: pkg } : {}), file: path, line: 1, relation: rel, columns: f.columns.map((name) => ({ name })), definedColumns: f.columns, from: 'files' });
      } else if (f.kind === 'sql' && (f.role === 'model' || f.role === 'snapshot')) {
        const paths = f.role === 'model' ? project.layout.modelPaths : project.layout.snapshotPaths;
        const config = { ...folderConfig(project.layout, f.role === 'model' ? 'models' : 'snapshots', relative(project.root, path), paths), ...f.config };
        if (config.enabled === false) continue;
        const version = versionOf(f.name);
        this.put({
          key: f.name.toLowerCase(),
          kind: f.role,
          name: f.name,
          project: project.layout.name,
          ...(pkg ? { package: pkg } : {}),
          file: path,
          line: 1,
          relation: relationName(project.targetSchema, f.name, config),
          columns: [],
          ...(typeof config.materialized === 'string' ? { materialized: config.materialized } : {}),
          ...(tagsOf(config.tags).length ? { tags: tagsOf(config.tags) } : {}),
          ...(version ? { version: version.v } : {}),
          sql: f.sql,
          ctes: f.shape.ctes.map((c) => c.name),
          from: 'files',
        });
      }
    }
  }

  private addManifestNodes(): void {
    for (const p of this.ix.allProjects()) {
      if (!p.manifest || !p.layout) continue;
      const own = p.layout.name;
      for (const n of p.manifest.nodes) {
        if (n.kind === 'analysis' || !n.config.enabled) continue;
        const key = n.kind === 'source' ? `${n.source}.${n.name}`.toLowerCase() : (n.version !== undefined && n.latestVersion !== undefined && n.version !== n.latestVersion ? `${n.name}_v${n.version}` : n.name).toLowerCase();
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
    for (const [path, f] of files) {
      if (f.kind !== 'docs') continue;
      const project = this.ix.projectOf(path);
      for (const e of f.entries) {
        if (e.kind === 'metric' || e.kind === 'analysis') continue;
        if (e.kind === 'semantic_model') {
          const target = e.model ? this.relations.get(e.model.toLowerCase()) : undefined;
          if (target) mergeDocColumns(target, e.columns, false);
          continue;
        }
        const key = e.kind === 'source' ? `${e.source}.${e.name}`.toLowerCase() : e.name.toLowerCase();
        let rel = this.relations.get(key);
        if (!rel && e.kind === 'source') {
          const identifier = e.identifier ?? e.name;
          rel = { key, kind: 'source', name: e.name, project: this.projectName(project?.root), file: path, line: e.line, relation: `${e.schema ?? e.source}.${identifier}`, columns: [], from: 'files' };
          this.put(rel);
        }
        if (!rel) {
          if (e.kind === 'model' && !e.versions) this.warnings.push({ file: path, line: e.line, message: `${e.kind} ${e.name} is documented but no such ${e.kind} exists` });
          if (e.versions) for (const v of e.versions) this.applyVersionDocs(e, v);
          continue;
        }
        if (e.description && !rel.description) rel.description = e.description;
        if (rel.kind !== 'source') {
          rel.file ??= path;
        }
        mergeDocColumns(rel, e.columns, true);
        if (e.versions) for (const v of e.versions) this.applyVersionDocs(e, v);
      }
    }
  }

  private applyVersionDocs(e: DocEntry, v: number): void {
    const rel = this.relations.get(`${e.name}_v${v}`.toLowerCase());
    if (!rel) return;
    if (e.description && !rel.description) rel.description = e.description;
    mergeDocColumns(rel, e.columns, true);
    // `ref('m')` without a version means the latest one.
    if (v === e.latestVersion && !this.relations.has(e.name.toLowerCase())) this.byIdentifier.set(e.name.toLowerCase(), rel.key);
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
    let c = this.contributions.get(path);
    if (sign === 1) {
      const warnings: IndexWarning[] = f.warnings.map((w) => ({ file: path, ...w }));
      const refs = f.refs.map((r) => {
        const key = this.refKey(r);
        if (!key) warnings.push({ file: path, line: r.line, message: `ref('${r.package ? `${r.package}', '` : ''}${r.name}'${r.version !== undefined ? `, v=${r.version}` : ''}) points at no model, seed or snapshot in the workspace` });
        return key;
      });
      const sources = f.sources.map((src) => {
        const key = `${src.source}.${src.table}`.toLowerCase();
        if (this.relations.has(key)) return key;
        warnings.push({ file: path, line: src.line, message: `source('${src.source}', '${src.table}') is not declared in any properties file` });
        return undefined;
      });
      c = { refs, sources, warnings };
      this.contributions.set(path, c);
      const own = this.relations.get(f.name.toLowerCase());
      if (own && own.file === path && (f.role === 'model' || f.role === 'snapshot')) {
        own.refs = refs.filter((r): r is string => !!r);
        own.sql = f.sql.replace(PLACEHOLDER, (m, kind: string, i: string) => {
          const key = (kind === 'ref' ? refs : sources)[Number(i)];
          return (key && this.relations.get(key)?.relation) ?? m;
        });
      }
    }
    if (!c) return;
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
    if (r.version !== undefined) {
      const versioned = `${name}_v${r.version}`;
      if (this.relations.has(versioned)) return versioned;
    }
    if (this.relations.has(name) && (!r.package || this.relations.get(name)!.package === r.package || this.relations.get(name)!.project === r.package)) return name;
    const viaIdentifier = this.byIdentifier.get(name);
    return viaIdentifier && this.relations.get(viaIdentifier)?.kind !== 'table' ? viaIdentifier : undefined;
  }

  /** A SQL file's relations by key: placeholders resolved, bare names matched to models or tables. */
  private relationsOf(path: string, f: SqlFragment): string[] {
    return [...new Set(f.shape.relations.map((r) => this.keyOfName(path, r)).filter((k): k is string => !!k))].sort();
  }

  private keyOfName(path: string, name: string | undefined): string | undefined {
    if (!name) return undefined;
    const m = name.startsWith('__askdata_') ? /^__askdata_(ref|src)_(\d+)__$/.exec(name) : null;
    if (m) {
      const p = this.contributions.get(path);
      return (m[1] === 'ref' ? p?.refs : p?.sources)?.[Number(m[2])];
    }
    return this.byIdentifier.get(name.toLowerCase());
  }

  /** Columns each model's SQL produces; `only` limits the work to relations a patch touched. */
  private deriveColumns(files: Map<string, Fragment>, only: Set<string> | undefined): void {
    if (only) for (const k of only) this.derived.delete(k);
    const byKey = new Map<string, [string, SqlFragment]>();
    for (const [path, f] of files) if (f.kind === 'sql' && (f.role === 'model' || f.role === 'snapshot')) byKey.set(f.name.toLowerCase(), [path, f]);
    const columnsOf = (key: string, depth: number): string[] | null => {
      if (this.derived.has(key)) return this.derived.get(key)!;
      const rel = this.relations.get(key);
      if (!rel) return null;
      if (rel.from === 'manifest' && rel.definedColumns) return rel.definedColumns;
      const entry = byKey.get(key);
      if (!entry || rel.file !== entry[0] || depth > 50) {
        const known = rel.definedColumns ?? rel.databaseColumns?.map((c) => c.name) ?? (rel.columns.length ? rel.columns.map((c) => c.name) : null);
        return known;
      }
      this.derived.set(key, null); // cycles resolve to unknown
      const [path, f] = entry;
      const ctes = new Map(f.shape.ctes.map((c) => [c.name, c.output]));
      const expand = (items: OutputItem[], seen: Set<string>): string[] | null => {
        const out: string[] = [];
        for (const item of items) {
          if ('name' in item) {
            if (!item.name) return null;
            out.push(item.name);
            continue;
          }
          if (!item.relation) return null;
          const cte = ctes.get(item.relation);
          if (cte && !seen.has(item.relation)) {
            const inner = expand(cte, new Set([...seen, item.relation]));
            if (!inner) return null;
            out.push(...inner);
            continue;
          }
          const target = this.keyOfName(path, item.relation);
          const cols = target ? columnsOf(target, depth + 1) : null;
          if (!cols) return null;
          out.push(...cols);
        }
        return out;
      };
      const cols = expand(f.shape.output, new Set());
      this.derived.set(key, cols);
      return cols;
    };
    for (const rel of only ? [...only].map((k) => this.relations.get(k)).filter((r): r is IndexedRelation => !!r) : this.relations.values()) {
      if (rel.from !== 'files' || (rel.kind !== 'model' && rel.kind !== 'snapshot')) continue;
      const cols = columnsOf(rel.key, 0);
      if (!cols) {
        delete rel.definedColumns;
        continue;
      }
      rel.definedColumns = cols;
      if (!rel.databaseColumns) {
        const base = this.baseColumns.get(rel.key) ?? this.baseColumns.set(rel.key, rel.columns).get(rel.key)!;
        const documented = new Map(base.map((c) => [c.name.toLowerCase(), c]));
        const seen = new Set(cols.map((c) => c.toLowerCase()));
        rel.columns = [...cols.map((name) => ({ ...documented.get(name.toLowerCase()), name })), ...base.filter((c) => !seen.has(c.name.toLowerCase()))];
      }
    }
  }
}

function bump<T extends Habit>(map: Map<string, T>, k: string, value: Omit<T, 'count'>, sign: 1 | -1): void {
  const known = map.get(k);
  if (known) known.count += sign;
  else if (sign === 1) map.set(k, { ...value, count: 1 } as T);
}

function mergeDocColumns(rel: IndexedRelation, docs: DocColumn[], describe: boolean): void {
  if (docs.length) rel.documentedColumns = [...new Set([...(rel.documentedColumns ?? []), ...docs.map((d) => d.name)])];
  const byName = new Map(rel.columns.map((c) => [c.name.toLowerCase(), c]));
  for (const d of docs) {
    let col = byName.get(d.name.toLowerCase());
    if (!col) {
      col = { name: d.name };
      rel.columns.push(col);
      byName.set(d.name.toLowerCase(), col);
    }
    if (describe && d.description && !col.description) col.description = d.description;
    if (!describe && d.description) col.description ??= d.description;
    if (d.type && !col.type) col.type = d.type;
    if (d.values) col.values = d.values;
    if (d.tests.length) col.tests = [...new Set([...(col.tests ?? []), ...d.tests])];
    if (d.references) col.references = { relation: d.references.to, column: d.references.column };
  }
}

// YAML files in a dbt project that are not properties files, even when they mention `models:`.
const NOT_PROPERTIES = /^(dbt_project|packages|dependencies|profiles|selectors)\.ya?ml$|^askdata\/|(^|\/)target\//;

const CONFIG_KEYS = new Set(['materialized', 'schema', 'alias', 'tags', 'enabled', 'database', 'docs', 'persist_docs', 'full_refresh', 'column_types']);

/** dbt's folder-level config from dbt_project.yml: `models: <project>: <folder>: +materialized: view`. */
function folderConfig(layout: DbtProjectLayout, section: 'models' | 'seeds' | 'snapshots', relPath: string, roots: string[]): Record<string, unknown> {
  const tree = (layout.configs[section] as Record<string, unknown> | undefined)?.[layout.name];
  const out: Record<string, unknown> = {};
  const apply = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const key = k.startsWith('+') ? k.slice(1) : k;
      if (k.startsWith('+') || (CONFIG_KEYS.has(key) && (typeof v !== 'object' || v === null || Array.isArray(v)))) {
        out[key] = key === 'tags' ? [...tagsOf(out.tags), ...tagsOf(v)] : v;
      }
    }
  };
  apply(tree);
  const root = roots.find((r) => relPath.startsWith(r + '/'));
  const segments = (root ? relPath.slice(root.length + 1) : relPath).split('/').slice(0, -1);
  let node = tree as Record<string, unknown> | undefined;
  for (const s of segments) {
    node = node?.[s] as Record<string, unknown> | undefined;
    if (!node) break;
    apply(node);
  }
  return out;
}

/** dbt-duckdb's default naming: the target schema, `<target>_<custom>` for a custom schema, the alias or name. */
function relationName(targetSchema: string, name: string, config: Record<string, unknown>): string {
  const schema = typeof config.schema === 'string' && config.schema ? `${targetSchema}_${config.schema}` : targetSchema;
  const identifier = typeof config.alias === 'string' && config.alias ? config.alias : name;
  return `${schema}.${identifier}`;
}

function unquoteRelation(relation: string | undefined): string | undefined {
  if (!relation) return undefined;
  const parts = relation.split('.').map((p) => p.trim().replace(/^"(.*)"$/, '$1'));
  return parts.slice(-2).join('.');
}

function versionOf(name: string): { base: string; v: number } | undefined {
  const m = /^(.*)_v(\d+)$/.exec(name);
  return m ? { base: m[1]!, v: Number(m[2]) } : undefined;
}

function tagsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

function splitCsvHeader(header: string): string[] {
  return header.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1')).filter(Boolean);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
}

function join(root: string, rel: string): string {
  return root ? `${root}/${rel}` : rel;
}

function relative(root: string, path: string): string {
  return root ? path.slice(root.length + 1) : path;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
