import { dispatchPrefixes } from '../dbt/dbtBuiltins';
import type { DbtProjectLayout } from '../dbt/dbtProject';
import { relationName } from './dbtConfig';
import { renderModel, type RenderContext } from './dbtRender';
import type { NodeNaming, TargetSettings } from './types';

/* Jinja the index renders outside model files: config values, and the calls of naming macros. */
/** Plain data as a Jinja literal. */
function jinjaLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(jinjaLiteral).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${jinjaLiteral(x)}`).join(', ')}}`;
}

/** dbt renders Jinja in dbt_project.yml config values (`+enabled: "{{ var('use_x') }}"`). */
export function renderConfigValues(config: Record<string, unknown>, ctx: RenderContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (typeof v !== 'string' || !/\{[{%]/.test(v)) {
      out[k] = v;
      continue;
    }
    const text = renderModel(v, ctx).sql.trim();
    out[k] = /^true$/i.test(text) ? true : /^false$/i.test(text) ? false : /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }
  return out;
}

/**
 * Whether the project names nodes its own way: its own `name` macro, or — since dbt's `name` is
 * `adapter.dispatch(name, 'dbt')` — a `<adapter>__name` / `default__name` in the root project or
 * in a package the `dispatch:` config lists for the `dbt` namespace (a naming package).
 */
export function overridesNaming(ctx: RenderContext, name: string): boolean {
  const root = ctx.macros.packages.get(ctx.rootProject);
  if (root?.has(name)) return true;
  const order = ctx.macros.dispatch.dbt?.length ? ctx.macros.dispatch.dbt : [ctx.rootProject];
  return order.some((pkg) => pkg !== 'dbt' && dispatchPrefixes(ctx.target.type).some((p) => ctx.macros.packages.get(pkg)?.has(`${p}__${name}`)));
}

/**
 * The relation a project's naming override gives a node, called as dbt calls it: with the node dbt
 * passes (name, fqn, path, resource type, config). '' when the override could not be rendered,
 * so that dbt's default naming applies.
 */
export function overriddenRelation(ctx: RenderContext, layout: DbtProjectLayout, node: NodeNaming, target: TargetSettings, overrides: { schema: boolean; alias: boolean }): string {
  const config = node.config;
  const roots = node.kind === 'seed' ? layout.seedPaths : node.kind === 'snapshot' ? layout.snapshotPaths : layout.modelPaths;
  const base = roots.find((r) => r === '' || r === '.' || node.path.startsWith(r + '/'));
  const inRoot = base && base !== '.' ? node.path.slice(base.length + 1) : node.path;
  const identifier = node.identifier ?? node.name;
  const tags = Array.isArray(config.tags) ? config.tags : [];
  const fields = {
    name: node.name,
    alias: identifier,
    resource_type: node.kind,
    package_name: layout.name,
    unique_id: `${node.kind}.${layout.name}.${node.name}`,
    fqn: [layout.name, ...inRoot.split('/').slice(0, -1), node.name],
    path: inRoot,
    original_file_path: node.path,
    config: { ...config, schema: config.schema ?? null, alias: config.alias ?? null, database: config.database ?? null, tags },
    tags,
    database: target.database ?? null,
    schema: target.schema,
    ...(node.version !== undefined ? { version: node.version } : {}),
  };
  const call = (macro: string, arg: unknown) => renderModel(`{{ ${macro}(${jinjaLiteral(arg)}, ${jinjaLiteral(fields)}) }}`, ctx);
  // A legacy snapshot's target_schema is used as it is; everything else goes through the override.
  const legacy = node.kind === 'snapshot' && typeof config.target_schema === 'string';
  const schema = overrides.schema && !legacy ? call('generate_schema_name', config.schema) : undefined;
  const alias = overrides.alias ? call('generate_alias_name', config.alias) : undefined;
  const failed = (r: ReturnType<typeof renderModel> | undefined) => !!r && (r.unrendered > 0 || r.warnings.length > 0 || !r.sql.trim());
  let out = '';
  if (!failed(schema) && !failed(alias)) {
    const [defaultSchema, defaultIdentifier] = relationName(target.schema, identifier, config).split('.');
    out = `${schema?.sql.trim() ?? defaultSchema}.${alias?.sql.trim() ?? defaultIdentifier}`;
  }
  return out;
}
