import { createHash } from 'node:crypto';
import type { DbtProjectLayout, PackageSpec } from '../dbt/dbtProject';
import type { DocsBlock } from '../dbt/docsBlocks';
import type { DocEntry } from '../dbt/properties';
import type { WarningKind } from '../dbt/warnings';
import type { QueryShape } from '../sql/queryShape';
import type { RefCall, SourceCall } from './dbtRender';
import type { Manifest } from './manifest';

/**
 * The workspace as a query corpus: every dbt project (and its installed packages), every SQL file,
 * the docs people wrote, dbt's artifacts when present, and the live database's catalog — merged
 * into relations with columns, plus the join paths, filters and aggregations the team uses.
 *
 * Pure: the caller hands in file contents and database catalogs. Work is per file, so a change
 * re-reads one file and re-merges (the merge is cheap); the per-file results are what the cache keeps.
 */
export const INDEX_FORMAT = 4;

export interface IndexWarning {
  /** Workspace-relative path, '/' separated. */
  file: string;
  line: number;
  message: string;
  /** What sort of problem it is (see WarningKind): most are the project's, `unsupported` is the index's. */
  kind: WarningKind;
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
  /**
   * Places in SQL files left unrendered because they cannot be known without running dbt (a
   * database query, a package not installed, a missing macro): each is said by a warning.
   */
  unrendered: number;
  warnings: IndexWarning[];
}

export interface LiveCatalog {
  columns: Array<{ schema: string; table: string; column: string; type: string }>;
  /** Sampled values of low-cardinality text columns, by `table.column` (lower case). */
  samples?: Record<string, string[]>;
}

export type SqlRole = 'model' | 'analysis' | 'snapshot' | 'query';

export type FileWarning = Omit<IndexWarning, 'file'>;

export interface SqlFragment {
  kind: 'sql';
  hash: string;
  envKey: string;
  role: SqlRole;
  name: string;
  sql: string;
  refs: RefCall[];
  sources: SourceCall[];
  /** dbt_project.yml's folder config and the file's config(), merged. */
  config: Record<string, unknown>;
  /** The keys the file's own config() set: they win over a properties file's config. */
  fileConfigKeys?: string[];
  /** A snapshot file's further {% snapshot %} blocks: nodes of their own. */
  also?: string[];
  /** `enabled: false` from either: dbt drops the node, and so does the index (without warnings about it). */
  disabled?: boolean;
  /** `schema.identifier` when the project overrides generate_schema_name or generate_alias_name. */
  relation?: string;
  shape: QueryShape;
  warnings: FileWarning[];
  /** Places left unrendered (each said by a warning, here or on packages.yml). */
  unrendered: number;
  /** Of those, calls into packages that packages.yml lists but are not installed (said on packages.yml). */
  packageCalls?: number;
}

/** What naming a node takes: dbt's generate_schema_name / generate_alias_name see these. */
export interface NodeNaming {
  name: string;
  kind: 'model' | 'seed' | 'snapshot';
  /** Path relative to its project. */
  path: string;
  config: Record<string, unknown>;
  /** The identifier when it is not the name (a model version's `<name>_v<v>`). */
  identifier?: string;
  version?: number;
}

export interface DocsFragment {
  kind: 'docs';
  hash: string;
  entries: DocEntry[];
  warnings: FileWarning[];
}

export interface SeedFragment {
  kind: 'seed';
  hash: string;
  name: string;
  columns: string[];
}

export interface MacroFragment {
  kind: 'macro';
  hash: string;
  text: string;
  warnings: FileWarning[];
}

/** A .md file's docs blocks. */
export interface DocBlocksFragment {
  kind: 'docblocks';
  hash: string;
  blocks: DocsBlock[];
}

/** packages.yml / dependencies.yml: what `dbt deps` should have installed. */
export interface PackagesFragment {
  kind: 'packages';
  hash: string;
  packages: PackageSpec[];
  /** dependencies.yml `projects:` — other dbt projects whose models this one refs. */
  projects?: string[];
  warnings: FileWarning[];
}

/** A file the index looked at and found nothing in (a workflow YAML, a pair file): remembered so it is not re-read. */
export interface EmptyFragment {
  kind: 'none';
  hash: string;
}

export type Fragment = SqlFragment | DocsFragment | SeedFragment | MacroFragment | DocBlocksFragment | PackagesFragment | EmptyFragment;

export interface TargetSettings {
  schema: string;
  /** The profile's adapter type (the SQL dialect macros dispatch on). */
  type: string;
  /** The profile's target name. */
  name: string;
  database?: string;
}

export interface ProjectState {
  root: string;
  hash: string;
  layout?: DbtProjectLayout;
  error?: IndexWarning;
  target: TargetSettings;
  manifest?: Manifest;
  catalog?: Map<string, Array<{ name: string; type: string }>>;
  artifactWarnings: IndexWarning[];
  live?: LiveCatalog;
  /** A hash of `live`, so that reading the same database again keeps the built index. */
  liveHash?: string;
  /** A hash of target/manifest.json and catalog.json as last read. */
  artifactsHash?: string;
}

export interface IndexCache {
  format: number;
  projects: Array<{ root: string; hash: string; liveHash?: string; artifactsHash?: string }>;
  /** Per-file results; a function when they are read from disk only if needed. */
  files: Record<string, Fragment> | (() => Record<string, Fragment>);
  problems: Record<string, IndexWarning[]>;
  /** Every path the cache covers (files and problems), so that a warm start can tell what is known without reading `files`. */
  paths?: string[];
  /** The merged index itself: a warm start where nothing changed uses it as it is. */
  built?: WorkspaceIndex;
}

export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
