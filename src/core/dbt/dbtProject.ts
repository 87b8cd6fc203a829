import { parse } from 'yaml';

/** What the foundation needs from `dbt_project.yml`; the workspace index reads the rest. */
export interface DbtProjectLayout {
  name: string;
  modelPaths: string[];
  analysisPaths: string[];
  seedPaths: string[];
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
  return {
    name: typeof o.name === 'string' ? o.name : 'dbt_project',
    modelPaths: paths('model-paths', 'models'),
    analysisPaths: paths('analysis-paths', 'analyses'),
    seedPaths: paths('seed-paths', 'seeds'),
  };
}

export type SqlFileRole = { kind: 'model'; name: string } | { kind: 'analysis'; name: string } | { kind: 'query' };

/** What a .sql file is in its dbt project, from its path relative to the project root ('/' separated). */
export function classifySqlFile(layout: DbtProjectLayout | undefined, relativePath: string): SqlFileRole {
  const rel = relativePath.replace(/\\/g, '/');
  const name = rel.slice(rel.lastIndexOf('/') + 1).replace(/\.sql$/i, '');
  if (!layout) return { kind: 'query' };
  if (layout.modelPaths.some((p) => isUnder(rel, p))) return { kind: 'model', name };
  if (layout.analysisPaths.some((p) => isUnder(rel, p))) return { kind: 'analysis', name };
  return { kind: 'query' };
}

function isUnder(rel: string, dir: string): boolean {
  return dir === '.' || dir === '' ? true : rel.startsWith(`${dir}/`);
}

function trimSlashes(p: string): string {
  return p.replace(/^\.\//, '').replace(/\/+$/, '');
}
