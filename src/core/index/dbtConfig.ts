import type { DbtProjectLayout } from '../dbt/dbtProject';

/** How dbt configures nodes and names relations, as far as the index needs it. */

const CONFIG_KEYS = new Set(['materialized', 'schema', 'alias', 'tags', 'enabled', 'database', 'docs', 'persist_docs', 'full_refresh', 'column_types']);

/**
 * dbt's folder-level config from dbt_project.yml: `models: <project>: <folder>: +materialized: view`.
 * A package's node takes its own project's config, then what the root project says for that
 * package (`models: <package>: +enabled: false`), which wins.
 */
export function folderConfig(layout: DbtProjectLayout, root: DbtProjectLayout | undefined, section: 'models' | 'seeds' | 'snapshots', relPath: string, roots: string[], nodeName?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const apply = (node: unknown, plusOnly = false) => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const key = k.startsWith('+') ? k.slice(1) : k;
      if (k.startsWith('+') || (!plusOnly && CONFIG_KEYS.has(key) && (typeof v !== 'object' || v === null || Array.isArray(v)))) {
        out[key] = key === 'tags' ? [...tagsOf(out.tags), ...tagsOf(v)] : v;
      }
    }
  };
  const base = roots.find((r) => relPath.startsWith(r + '/'));
  // dbt's fqn: the folders under the resource path, then the node's own name (config may name it: `countries: +column_types:`).
  const segments = [...(base ? relPath.slice(base.length + 1) : relPath).split('/').slice(0, -1), nodeName ?? baseName(relPath)];
  const walk = (tree: unknown) => {
    apply(tree);
    let node = tree as Record<string, unknown> | undefined;
    for (const s of segments) {
      node = node?.[s] as Record<string, unknown> | undefined;
      if (!node) break;
      apply(node);
    }
  };
  const rootLayout = root ?? layout;
  // `models: +materialized: table` at the top applies to every project's models.
  apply(rootLayout.configs[section], true);
  walk((layout.configs[section] as Record<string, unknown> | undefined)?.[layout.name]);
  if (root && root !== layout) walk((root.configs[section] as Record<string, unknown> | undefined)?.[layout.name]);
  return out;
}

/**
 * dbt's default naming: the target schema, `<target>_<custom>` for a custom schema (a legacy
 * snapshot's target_schema as it is), the alias or name.
 */
export function relationName(targetSchema: string, name: string, config: Record<string, unknown>): string {
  const schema = typeof config.target_schema === 'string' && config.target_schema ? config.target_schema : typeof config.schema === 'string' && config.schema ? `${targetSchema}_${config.schema}` : targetSchema;
  const identifier = typeof config.alias === 'string' && config.alias ? config.alias : name;
  return `${schema}.${identifier}`;
}

export function unquoteRelation(relation: string | undefined): string | undefined {
  if (!relation) return undefined;
  const parts = relation.split('.').map((p) => p.trim().replace(/^"(.*)"$/, '$1'));
  return parts.slice(-2).join('.');
}

export function versionOf(name: string): { base: string; v: number } | undefined {
  const m = /^(.*)_v(\d+)$/.exec(name);
  return m ? { base: m[1]!, v: Number(m[2]) } : undefined;
}

export function tagsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

export function splitCsvHeader(header: string): string[] {
  return header.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1')).filter(Boolean);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
}

export function join(root: string, rel: string): string {
  return root ? `${root}/${rel}` : rel;
}

export function relative(root: string, path: string): string {
  return root ? path.slice(root.length + 1) : path;
}

/** `enabled: false`, or dbt's rendered text of it ("False"). */
export function isDisabled(config: Record<string, unknown>): boolean {
  const v = config.enabled;
  return v === false || (typeof v === 'string' && /^\s*false\s*$/i.test(v));
}
