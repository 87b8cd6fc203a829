/**
 * dbt's own artifacts, when a project has been compiled: `target/manifest.json` (schema v7 and
 * later) says what every node is and where it lands, `target/catalog.json` what its columns are.
 * They are the truth when present; the file parse is the fallback.
 */
import { jsonText } from '../jsonText';
export interface ManifestNode {
  uniqueId: string;
  kind: 'model' | 'seed' | 'snapshot' | 'analysis' | 'source';
  name: string;
  package: string;
  /** Path relative to the project root, as dbt recorded it. */
  file?: string;
  relation?: string;
  schema?: string;
  identifier?: string;
  /** Compiled SQL when dbt compiled it, else the raw code. */
  sql?: string;
  compiled: boolean;
  description?: string;
  columns: Array<{ name: string; description?: string; type?: string }>;
  dependsOn: string[];
  config: { materialized?: string; tags: string[]; enabled: boolean };
  version?: number;
  latestVersion?: number;
  source?: string;
}

export interface Manifest {
  schemaVersion: number;
  projectName?: string;
  nodes: ManifestNode[];
}

export class ArtifactError extends Error {}

const KINDS = new Set(['model', 'seed', 'snapshot', 'analysis']);

export function parseManifest(text: string): Manifest {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ArtifactError(`manifest.json is not valid JSON: ${(e as Error).message}`);
  }
  const metadata = (data.metadata ?? {}) as Record<string, unknown>;
  const version = Number(/manifest\/v(\d+)/.exec(jsonText(metadata.dbt_schema_version))?.[1] ?? NaN);
  if (!Number.isFinite(version)) throw new ArtifactError('manifest.json has no dbt_schema_version; it does not look like a dbt manifest');
  if (version < 7) throw new ArtifactError(`manifest.json is schema v${version}; Ask Data reads v7 and later (dbt 1.3+). Re-run dbt compile with a newer dbt, or delete target/ to use the file parse.`);
  const nodes: ManifestNode[] = [];
  for (const [uniqueId, raw] of Object.entries((data.nodes ?? {}) as Record<string, Record<string, unknown>>)) {
    const kind = jsonText(raw.resource_type);
    if (!KINDS.has(kind)) continue;
    nodes.push(node(uniqueId, kind as ManifestNode['kind'], raw));
  }
  for (const [uniqueId, raw] of Object.entries((data.sources ?? {}) as Record<string, Record<string, unknown>>)) {
    const n = node(uniqueId, 'source', raw);
    n.source = jsonText(raw.source_name);
    if (!n.description && typeof raw.source_description === 'string' && raw.source_description) n.description = raw.source_description;
    nodes.push(n);
  }
  const projectName = typeof metadata.project_name === 'string' ? metadata.project_name : undefined;
  return { schemaVersion: version, ...(projectName ? { projectName } : {}), nodes };
}

function node(uniqueId: string, kind: ManifestNode['kind'], raw: Record<string, unknown>): ManifestNode {
  const config = (raw.config ?? {}) as Record<string, unknown>;
  const compiled = typeof raw.compiled_code === 'string' || typeof raw.compiled_sql === 'string';
  const sql = (raw.compiled_code ?? raw.compiled_sql ?? raw.raw_code ?? raw.raw_sql) as string | undefined;
  const columns = Object.values((raw.columns ?? {}) as Record<string, Record<string, unknown>>).map((c) => ({
    name: String(c.name),
    ...(typeof c.description === 'string' && c.description ? { description: c.description } : {}),
    ...(typeof c.data_type === 'string' && c.data_type ? { type: c.data_type } : {}),
  }));
  const n: ManifestNode = {
    uniqueId,
    kind,
    name: jsonText(raw.name, uniqueId.split('.').pop()),
    package: jsonText(raw.package_name),
    compiled,
    columns,
    dependsOn: ((raw.depends_on as { nodes?: string[] } | undefined)?.nodes ?? []).filter((x) => typeof x === 'string'),
    config: {
      ...(typeof config.materialized === 'string' ? { materialized: config.materialized } : {}),
      tags: Array.isArray(config.tags) ? config.tags.map(String) : [],
      enabled: config.enabled !== false,
    },
  };
  if (typeof raw.original_file_path === 'string') n.file = raw.original_file_path.replace(/\\/g, '/');
  if (typeof raw.relation_name === 'string') n.relation = raw.relation_name;
  if (typeof raw.schema === 'string') n.schema = raw.schema;
  const identifier = raw.alias ?? raw.identifier;
  if (typeof identifier === 'string') n.identifier = identifier;
  if (typeof sql === 'string') n.sql = sql;
  if (typeof raw.description === 'string' && raw.description) n.description = raw.description;
  if (raw.version !== undefined && raw.version !== null) n.version = Number(raw.version);
  if (raw.latest_version !== undefined && raw.latest_version !== null) n.latestVersion = Number(raw.latest_version);
  return n;
}

/** Column types by node unique id, from catalog.json. */
export function parseCatalog(text: string): Map<string, Array<{ name: string; type: string }>> {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ArtifactError(`catalog.json is not valid JSON: ${(e as Error).message}`);
  }
  const out = new Map<string, Array<{ name: string; type: string }>>();
  for (const section of ['nodes', 'sources']) {
    for (const [id, raw] of Object.entries((data[section] ?? {}) as Record<string, { columns?: Record<string, { name?: string; type?: string; index?: number }> }>)) {
      const cols = Object.values(raw.columns ?? {}).sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      out.set(id, cols.map((c) => ({ name: String(c.name), type: String(c.type ?? '') })));
    }
  }
  return out;
}
