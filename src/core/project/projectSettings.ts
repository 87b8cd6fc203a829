import { z } from 'zod';
import { parseYamlWith, type ParsedYaml } from '../yamlFile';

/** `askdata/askdata.yml`: optional project settings (GUIDE §3). Unknown keys survive. */
export const projectSettingsSchema = z.looseObject({
  version: z.number().int().positive().max(1, { error: 'this file is for a newer Ask Data; update the extension' }).optional(),
  /** The database file, relative to the project folder. */
  database: z.string().trim().min(1, 'must name a file').optional(),
  dialect: z.enum(['duckdb', 'sqlite'], { error: 'must be duckdb or sqlite' }).optional(),
  /** Folders whose CSV, Parquet and JSON files appear as views and may be read (DuckDB). */
  data: z.array(z.string().trim().min(1)).optional(),
  dbt: z.looseObject({ target: z.string().optional(), profiles_dir: z.string().optional() }).optional(),
});
export type ProjectSettings = z.infer<typeof projectSettingsSchema>;

export function parseProjectSettings(text: string): ParsedYaml<ProjectSettings> {
  return parseYamlWith(text, projectSettingsSchema, 'askdata.yml');
}

/** The parts of a dbt profiles.yml that say where a dbt-duckdb target's database is. */
export interface DbtDuckDbTarget {
  profile: string;
  target: string;
  type: string;
  path?: string;
  /** The target schema models build into (dbt-duckdb's default is main). */
  schema?: string;
  /** The target's database (Snowflake, BigQuery's project…), for `target.database` in Jinja. */
  database?: string;
}

export function duckdbTargetFrom(profiles: unknown, profile: string, target: string | undefined, env: Readonly<Record<string, string | undefined>> = {}): DbtDuckDbTarget | { error: string } {
  const p = (profiles as Record<string, unknown> | null)?.[profile] as { target?: unknown; outputs?: Record<string, unknown> } | undefined;
  if (!p || typeof p !== 'object') return { error: `profiles.yml has no profile named ${profile}` };
  // Teams often choose the target from the environment: `target: "{{ env_var('DBT_TARGET', 'dev') }}"`.
  let name = target ?? (typeof p.target === 'string' ? p.target : undefined);
  if (name?.includes('{{')) {
    try {
      name = renderEnvVars(name, env);
    } catch (e) {
      return { error: `profile ${profile}'s target: ${(e as Error).message}` };
    }
  }
  if (!name) return { error: `profile ${profile} names no target` };
  const output = p.outputs?.[name] as { type?: unknown; path?: unknown; schema?: unknown; database?: unknown; dataset?: unknown; project?: unknown } | undefined;
  if (!output) return { error: `profile ${profile} has no output named ${name}` };
  return { profile, target: name, type: String(output.type ?? ''), path: typeof output.path === 'string' ? output.path : undefined, ...(typeof output.schema === 'string' ? { schema: output.schema } : typeof output.dataset === 'string' ? { schema: output.dataset } : {}), ...(typeof output.database === 'string' ? { database: output.database } : typeof output.project === 'string' ? { database: output.project } : {}) };
}

/** dbt's env_var() in a profile value, the one piece of Jinja profiles commonly use for paths. */
export function renderEnvVars(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\{\{\s*env_var\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]*)['"]\s*)?\)\s*\}\}/g, (whole, name: string, fallback?: string) => {
    const v = env[name] ?? fallback;
    if (v === undefined) throw new Error(`${whole} needs the environment variable ${name}`);
    return v;
  });
}
