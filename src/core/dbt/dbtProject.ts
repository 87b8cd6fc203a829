import { duplicateKeyMessage, loadYamlLenient } from './yamlText';

/** What Ask Data reads from `dbt_project.yml`. */
export interface DbtProjectLayout {
  name: string;
  profile?: string;
  modelPaths: string[];
  analysisPaths: string[];
  seedPaths: string[];
  macroPaths: string[];
  snapshotPaths: string[];
  /** Where `dbt deps` installs packages (dbt_packages by default). */
  packagesPath: string;
  /** Where dbt reads docs blocks (.md files); by default every resource path. */
  docsPaths: string[];
  vars: Record<string, unknown>;
  /** The `models:`, `seeds:` and `snapshots:` config trees, as written. */
  configs: { models: unknown; seeds: unknown; snapshots: unknown };
  /** `dispatch:` — for a macro namespace, the packages adapter.dispatch searches, in order. */
  dispatch: Record<string, string[]>;
  /** Keys given twice (dbt keeps the last): said as warnings, the file is still read. */
  duplicates: Array<{ line: number; message: string }>;
}

export class DbtProjectError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
    this.name = 'DbtProjectError';
  }
}

export function parseDbtProject(text: string): DbtProjectLayout {
  const parsed = loadYamlLenient(text);
  if (parsed.error) throw new DbtProjectError(`dbt_project.yml is not valid YAML: ${parsed.error.message}`, parsed.error.line);
  const data = parsed.data;
  if (!data || typeof data !== 'object') throw new DbtProjectError('dbt_project.yml must be a mapping');
  const o = data as Record<string, unknown>;
  const paths = (key: string, fallback: string): string[] => {
    const v = o[key];
    return Array.isArray(v) && v.every((p) => typeof p === 'string') && v.length > 0
      ? v.map((p) => trimSlashes(p))
      : [fallback];
  };
  const vars = o.vars && typeof o.vars === 'object' && !Array.isArray(o.vars) ? (o.vars as Record<string, unknown>) : {};
  const dispatch: Record<string, string[]> = {};
  for (const d of Array.isArray(o.dispatch) ? o.dispatch : []) {
    const entry = d as { macro_namespace?: unknown; search_order?: unknown };
    if (typeof entry?.macro_namespace === 'string' && Array.isArray(entry.search_order)) dispatch[entry.macro_namespace] = entry.search_order.map(String);
  }
  const modelPaths = paths('model-paths', 'models');
  const analysisPaths = paths('analysis-paths', 'analyses');
  const seedPaths = paths('seed-paths', 'seeds');
  const macroPaths = paths('macro-paths', 'macros');
  const snapshotPaths = paths('snapshot-paths', 'snapshots');
  return {
    name: typeof o.name === 'string' ? o.name : 'dbt_project',
    ...(typeof o.profile === 'string' ? { profile: o.profile } : {}),
    modelPaths,
    analysisPaths,
    seedPaths,
    macroPaths,
    snapshotPaths,
    docsPaths: Array.isArray(o['docs-paths']) ? paths('docs-paths', 'models') : [...modelPaths, ...seedPaths, ...snapshotPaths, ...analysisPaths, ...macroPaths],
    packagesPath: typeof o['packages-install-path'] === 'string' ? trimSlashes(o['packages-install-path']) : 'dbt_packages',
    vars,
    configs: { models: o.models, seeds: o.seeds, snapshots: o.snapshots },
    dispatch,
    duplicates: parsed.duplicates.map((d) => ({ line: d.line, message: `dbt_project.yml: ${duplicateKeyMessage(d)}` })),
  };
}

/** A package that packages.yml (or dependencies.yml) asks `dbt deps` to install. */
export interface PackageSpec {
  /** The name dbt installs it under, as best known from the spec (hub `org/name`, git repo, local folder). */
  name: string;
  /** As written: `dbt-labs/dbt_utils`, a git URL, a local path. */
  spec: string;
  line: number;
  /** The name is read from a git URL or a folder: dbt installs it under its dbt_project.yml's name, which may differ. */
  guessed?: true;
}

/**
 * packages.yml / dependencies.yml: the packages `dbt deps` installs, and (dependencies.yml) the
 * other dbt projects whose models this one refs (dbt Mesh).
 */
export function parsePackagesFile(text: string): { packages: PackageSpec[]; projects: string[]; warnings: Array<{ line: number; message: string }> } {
  const parsed = loadYamlLenient(text);
  if (parsed.error) return { packages: [], projects: [], warnings: [{ line: parsed.error.line, message: `not valid YAML: ${parsed.error.message}; its packages are not checked` }] };
  const data = parsed.data as { packages?: unknown; projects?: unknown } | null;
  const projects = (Array.isArray(data?.projects) ? data.projects : []).map((p) => (p as { name?: unknown })?.name).filter((n): n is string => typeof n === 'string');
  const list = data?.packages;
  const lines = text.split('\n');
  const packages: PackageSpec[] = [];
  for (const p of Array.isArray(list) ? list : []) {
    const entry = p as Record<string, unknown>;
    const spec = typeof entry.package === 'string' ? entry.package : typeof entry.git === 'string' ? entry.git : typeof entry.local === 'string' ? entry.local : typeof entry.tarball === 'string' ? entry.tarball : undefined;
    if (!spec) continue;
    // A git package in a subdirectory of its repository is named after that folder, not the repository.
    const where = typeof entry.git === 'string' && typeof entry.subdirectory === 'string' ? entry.subdirectory : spec;
    const base = where.replace(/\.git$/, '').replace(/\/+$/, '').split(/[/:]/).pop() ?? where;
    const name = (typeof entry.name === 'string' ? entry.name : base).replace(/-/g, '_').toLowerCase();
    const at = lines.findIndex((l) => l.includes(spec));
    // Only a hub package's name is sure; a git or local package is installed under its own project's name.
    packages.push({ name, spec, line: at + 1 || 1, ...(typeof entry.package === 'string' ? {} : { guessed: true }) });
  }
  return { packages, projects, warnings: [] };
}

export type SqlFileRole = { kind: 'model' | 'analysis' | 'snapshot' | 'macro'; name: string } | { kind: 'query' };

/** What a .sql file is in its dbt project, from its path relative to the project root ('/' separated). */
export function classifySqlFile(layout: DbtProjectLayout | undefined, relativePath: string): SqlFileRole {
  const rel = relativePath.replace(/\\/g, '/');
  const name = rel.slice(rel.lastIndexOf('/') + 1).replace(/\.sql$/i, '');
  if (!layout) return { kind: 'query' };
  if (layout.modelPaths.some((p) => isUnder(rel, p))) return { kind: 'model', name };
  if (layout.analysisPaths.some((p) => isUnder(rel, p))) return { kind: 'analysis', name };
  if (layout.snapshotPaths.some((p) => isUnder(rel, p))) return { kind: 'snapshot', name };
  if (layout.macroPaths.some((p) => isUnder(rel, p))) return { kind: 'macro', name };
  return { kind: 'query' };
}

function isUnder(rel: string, dir: string): boolean {
  return dir === '.' || dir === '' ? true : rel.startsWith(`${dir}/`);
}

function trimSlashes(p: string): string {
  return p.replace(/^\.\//, '').replace(/\/+$/, '');
}
