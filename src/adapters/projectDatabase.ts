import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ExecutionError } from '../core/execution/errors';
import type { AccessDecision } from '../core/policies/access';
import { duckdbTargetFrom, parseProjectSettings, renderEnvVars, type DbtDuckDbTarget, type ProjectSettings } from '../core/project/projectSettings';
import { DuckDbEngine } from './duckdbEngine';
import type { Engine } from './engine';
import { SqliteEngine } from './sqliteEngine';

export interface ProjectDatabase {
  database: string;
  dialect: 'duckdb' | 'sqlite';
  dataDirectories: string[];
  /** How it was found, for messages and `askdata … --json`. */
  source: 'askdata.yml' | 'dbt profile' | 'only database file';
}

const DATABASE_FILE = /\.(duckdb|ddb|sqlite|sqlite3|db)$/i;
const SKIP_DIRS = new Set(['node_modules', 'target', 'dbt_packages', '.git', '.venv', 'venv', 'logs']);

/**
 * Where a project's data is: `database:` in askdata/askdata.yml, else the active target of the
 * dbt-duckdb profile, else the one database file in the project.
 */
export async function findProjectDatabase(project: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<ProjectDatabase> {
  const settings = await readSettings(project);
  const data = (settings.data ?? []).map((d) => path.resolve(project, d));
  if (settings.database) {
    const database = path.resolve(project, settings.database);
    return { database, dialect: settings.dialect ?? (await dialectOf(database)), dataDirectories: data, source: 'askdata.yml' };
  }
  const fromProfile = await fromDbtProfile(project, settings, env);
  if (fromProfile) return { database: fromProfile, dialect: 'duckdb', dataDirectories: data, source: 'dbt profile' };
  const found = await findDatabaseFiles(project, 3);
  if (found.length === 1) return { database: found[0]!, dialect: settings.dialect ?? (await dialectOf(found[0]!)), dataDirectories: data, source: 'only database file' };
  if (found.length === 0) {
    throw new ExecutionError('database-missing', `No database found for ${project}: add database: path/to/file.duckdb (or .sqlite) to askdata/askdata.yml, or build the dbt project so its dbt-duckdb profile's file exists.`, 'database missing');
  }
  throw new ExecutionError('database-missing', `Several databases in ${project} (${found.map((f) => path.relative(project, f)).join(', ')}): say which one with database: in askdata/askdata.yml.`, 'database ambiguous');
}

/**
 * The project's engine. A SQLite engine is opened for one asker (their restrictions are applied to
 * its in-memory copy); a DuckDB engine serves anyone, with the decision passed to each run.
 */
export async function openProjectEngine(project: string, access?: AccessDecision): Promise<{ engine: Engine; found: ProjectDatabase }> {
  const found = await findProjectDatabase(project);
  const engine = found.dialect === 'duckdb'
    ? await DuckDbEngine.open({ database: found.database, baseDirectory: project, dataDirectories: found.dataDirectories })
    : await SqliteEngine.open({ database: found.database, access });
  return { engine, found };
}

async function readSettings(project: string): Promise<ProjectSettings> {
  const file = path.join(project, 'askdata', 'askdata.yml');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return {};
  }
  const parsed = parseProjectSettings(text);
  if (!parsed.ok) {
    const p = parsed.problems[0]!;
    throw new ExecutionError('database-missing', `askdata/askdata.yml:${p.line}:${p.column}: ${p.message}. Fix it to choose the database.`, 'invalid askdata.yml');
  }
  return parsed.value;
}

/** The active target of the project's dbt profile, if a profiles.yml defines it. */
export async function findDbtTarget(project: string, settings?: ProjectSettings, env: Readonly<Record<string, string | undefined>> = process.env): Promise<DbtDuckDbTarget | undefined> {
  settings ??= await readSettings(project).catch(() => ({}));
  let dbtProject: { profile?: unknown };
  try {
    dbtProject = parse(await fs.readFile(path.join(project, 'dbt_project.yml'), 'utf8')) as { profile?: unknown };
  } catch {
    return undefined;
  }
  if (typeof dbtProject?.profile !== 'string') return undefined;
  const dirs = [settings.dbt?.profiles_dir && path.resolve(project, settings.dbt.profiles_dir), env.DBT_PROFILES_DIR, project, path.join(os.homedir(), '.dbt')].filter((d): d is string => !!d);
  for (const dir of dirs) {
    let profiles: unknown;
    try {
      profiles = parse(await fs.readFile(path.join(dir, 'profiles.yml'), 'utf8'));
    } catch {
      continue;
    }
    const target = duckdbTargetFrom(profiles, dbtProject.profile, settings.dbt?.target ?? env.DBT_TARGET, env);
    if (!('error' in target)) return target;
  }
  return undefined;
}

async function fromDbtProfile(project: string, settings: ProjectSettings, env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  const target = await findDbtTarget(project, settings, env);
  if (!target || target.type !== 'duckdb') return undefined;
  if (!target.path || target.path === ':memory:') {
    throw new ExecutionError('database-missing', `The dbt-duckdb target ${target.profile}.${target.target} keeps its database in memory; set database: in askdata/askdata.yml to a file.`, 'database in memory');
  }
  let file: string;
  try {
    file = renderEnvVars(target.path, env);
  } catch (e) {
    throw new ExecutionError('database-missing', `profiles.yml (${target.profile}.${target.target}): ${(e as Error).message}.`, 'database path needs an environment variable');
  }
  return path.resolve(project, file);
}

async function findDatabaseFiles(dir: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isFile() && DATABASE_FILE.test(e.name)) out.push(path.join(dir, e.name));
    else if (e.isDirectory() && depth > 0 && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) out.push(...(await findDatabaseFiles(path.join(dir, e.name), depth - 1)));
  }
  return out.sort();
}

/** DuckDB or SQLite, by the file's magic bytes (a .db file can be either), else its extension. */
async function dialectOf(file: string): Promise<'duckdb' | 'sqlite'> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const header = Buffer.alloc(16);
      await handle.read(header, 0, 16, 0);
      if (header.subarray(0, 15).toString('latin1') === 'SQLite format 3') return 'sqlite';
      if (header.subarray(8, 12).toString('latin1') === 'DUCK') return 'duckdb';
    } finally {
      await handle.close();
    }
  } catch {
    // a missing file is reported when it is opened
  }
  return /\.(duckdb|ddb)$/i.test(file) ? 'duckdb' : 'sqlite';
}
