import { classifySqlFile } from '../dbt/dbtProject';
import { queryShape } from '../sql/queryShape';
import { baseName, folderConfig, isDisabled, relative } from './dbtConfig';
import type { Fragment, ProjectState, SqlFragment } from './types';

/**
 * A dbt Python model: dbt runs its code, so Ask Data reads from the text only what dbt's parser
 * reads from it too — `dbt.ref`, `dbt.source` and literal `dbt.config` values — and gives it no SQL.
 * `topOf` finds the root project whose folder config applies; `envKey` marks what it was read with.
 */
export function pythonModel(path: string, text: string, hash: string, project: ProjectState | undefined, topOf: (p: ProjectState) => ProjectState | undefined, envKey: string): Fragment {
  const layout = project?.layout;
  if (!project || !layout) return { kind: 'none', hash };
  const rel = relative(project.root, path);
  if (classifySqlFile(layout, rel).kind !== 'model') return { kind: 'none', hash };
  const name = baseName(path);
  const refs: SqlFragment['refs'] = [];
  const sources: SqlFragment['sources'] = [];
  const own: Record<string, unknown> = {};
  const lines = text.split('\n');
  const str = String.raw`\s*(?:"([^"]*)"|'([^']*)')\s*`;
  lines.forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '');
    for (const m of line.matchAll(new RegExp(String.raw`\bdbt\.ref\(${str}(?:,${str})?(?:,\s*(?:v|version)\s*=\s*["']?(\d+)["']?\s*)?\)`, 'g'))) {
      const [a, b] = [m[1] ?? m[2], m[3] ?? m[4]];
      refs.push({ ...(b !== undefined ? { package: a, name: b } : { name: a! }), ...(m[5] ? { version: Number(m[5]) } : {}), line: i + 1 });
    }
    for (const m of line.matchAll(new RegExp(String.raw`\bdbt\.source\(${str},${str}\)`, 'g'))) sources.push({ source: (m[1] ?? m[2])!, table: (m[3] ?? m[4])!, line: i + 1 });
    for (const m of line.matchAll(/\bdbt\.config\(([^)]*)\)/g)) {
      for (const kv of m[1]!.matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(True|False))/g)) own[kv[1]!] = kv[4] ? kv[4] === 'True' : (kv[2] ?? kv[3]);
    }
  });
  const top = topOf(project);
  const config = { ...folderConfig(layout, top?.layout, 'models', rel, layout.modelPaths, name), ...own };
  return { kind: 'sql', hash, envKey: envKey, role: 'model', name, sql: '', refs, sources, config, ...(Object.keys(own).length ? { fileConfigKeys: Object.keys(own) } : {}), ...(isDisabled(config) ? { disabled: true } : {}), shape: queryShape(''), warnings: [], unrendered: 0 };
}
