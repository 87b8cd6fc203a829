import { parse } from 'yaml';

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
  vars: Record<string, unknown>;
  /** The `models:`, `seeds:` and `snapshots:` config trees, as written. */
  configs: { models: unknown; seeds: unknown; snapshots: unknown };
}

export class DbtProjectError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
    this.name = 'DbtProjectError';
  }
}

export function parseDbtProject(text: string): DbtProjectLayout {
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    const line = (e as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new DbtProjectError(`dbt_project.yml is not valid YAML: ${(e as Error).message.split('\n')[0]}`, line);
  }
  if (!data || typeof data !== 'object') throw new DbtProjectError('dbt_project.yml must be a mapping');
  const o = data as Record<string, unknown>;
  const paths = (key: string, fallback: string): string[] => {
    const v = o[key];
    return Array.isArray(v) && v.every((p) => typeof p === 'string') && v.length > 0
      ? v.map((p) => trimSlashes(p))
      : [fallback];
  };
  const vars = o.vars && typeof o.vars === 'object' && !Array.isArray(o.vars) ? (o.vars as Record<string, unknown>) : {};
  return {
    name: typeof o.name === 'string' ? o.name : 'dbt_project',
    ...(typeof o.profile === 'string' ? { profile: o.profile } : {}),
    modelPaths: paths('model-paths', 'models'),
    analysisPaths: paths('analysis-paths', 'analyses'),
    seedPaths: paths('seed-paths', 'seeds'),
    macroPaths: paths('macro-paths', 'macros'),
    snapshotPaths: paths('snapshot-paths', 'snapshots'),
    packagesPath: typeof o['packages-install-path'] === 'string' ? trimSlashes(o['packages-install-path']) : 'dbt_packages',
    vars,
    configs: { models: o.models, seeds: o.seeds, snapshots: o.snapshots },
  };
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
