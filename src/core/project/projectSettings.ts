import { z } from 'zod';
import { parseYamlWith, type ParsedYaml } from '../yamlFile';
import { jsonText } from '../jsonText';

/** `askdata/askdata.yml`: optional project settings (ARCHITECTURE.md, "Files in the user's repo"). Unknown keys survive. */
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

/**
 * The parts of a dbt profiles.yml target Ask Data reads: where a dbt-duckdb target's file is, how
 * to reach a dbt-postgres target, and for every adapter its type (which says the SQL dialect).
 * Values are as written: `{{ env_var('…') }}` is rendered only when a connection is opened.
 */
export interface DbtTarget {
  profile: string;
  target: string;
  type: string;
  path?: string;
  /** The target schema models build into (dbt-duckdb's default is main, dbt-postgres's is required). */
  schema?: string;
  /** The target's database (Snowflake, BigQuery's project…), for `target.database` in Jinja. */
  database?: string;
  host?: string;
  port?: string;
  user?: string;
  password?: string;
  /** dbt-postgres calls it dbname (database is accepted too). */
  dbname?: string;
  sslmode?: string;
}

/** Which target: `--target` / the `askData.target` setting first, then askdata.yml, then $DBT_TARGET, then the profile's `target:` (env_var() in it rendered from `env`). */
export function dbtTargetFrom(profiles: unknown, profile: string, target: string | undefined, env: Readonly<Record<string, string | undefined>> = {}): DbtTarget | { error: string } {
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
  const output = p.outputs?.[name] as Record<string, unknown> | undefined;
  if (!output) return { error: `profile ${profile} has no output named ${name}${p.outputs ? ` (it has ${Object.keys(p.outputs).join(', ')})` : ''}` };
  const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  const fields: Array<[keyof DbtTarget, unknown]> = [
    ['path', output.path], ['host', output.host], ['port', output.port], ['user', output.user ?? output.username],
    ['password', output.password ?? output.pass], ['dbname', output.dbname ?? output.database], ['sslmode', output.sslmode],
    // For `target.database` / `target.schema` in Jinja: BigQuery calls them project and dataset.
    ['database', output.database ?? output.project], ['schema', output.schema ?? output.dataset],
  ];
  const out: DbtTarget = { profile, target: name, type: jsonText(output.type) };
  for (const [key, value] of fields) {
    const v = text(value);
    if (v !== undefined) (out as unknown as Record<string, string>)[key] = v;
  }
  return out;
}

/**
 * dbt's env_var() in a profile value, the one piece of Jinja profiles commonly use for paths and
 * credentials, with the filters profiles put after it (`| int`, `| as_number`, `| as_text`).
 */
export function renderEnvVars(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\{\{\s*env_var\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]*)['"]\s*)?\)(?:\s*\|\s*(?:int|as_number|as_text|string|trim))*\s*\}\}/g, (whole, name: string, fallback?: string) => {
    const v = env[name] ?? fallback;
    if (v === undefined) throw new Error(`${whole} needs the environment variable ${name}`);
    return v;
  });
}
