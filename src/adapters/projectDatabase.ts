import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ExecutionError } from '../core/execution/errors';
import type { AccessDecision } from '../core/policies/access';
import { dbtTargetFrom, parseProjectSettings, renderEnvVars, type DbtTarget, type ProjectSettings } from '../core/project/projectSettings';
import { dialectName, dialectOfAdapter, type Dialect } from '../core/sql/dialect';
import { DuckDbEngine } from './duckdbEngine';
import type { Engine } from './engine';
import { describeConnection, PostgresEngine, type PostgresConnection } from './postgresEngine';
import { SqliteEngine } from './sqliteEngine';

export interface ProjectDatabase {
  /** The file, or for a server or warehouse a description without credentials (postgres://user@host:port/db). */
  database: string;
  dialect: Dialect;
  dataDirectories: string[];
  /** How it was found, for messages and `askdata … --json`. */
  source: 'askdata.yml' | 'dbt profile' | 'only database file' | 'none';
  /** A dbt-postgres target: how to connect (the password only in memory, never shown or written). */
  postgres?: PostgresConnection;
  /** A warehouse Ask Data has no engine for: why its queries are shown but not run. */
  unavailable?: string;
}

/**
 * Which dbt target to use, as dbt chooses it: `--target NAME` wins over the profile's `target:`.
 * The CLI's --target and the editor's askData.target setting reach every command as
 * $ASKDATA_TARGET (read when no target is passed here), ahead of askdata.yml and $DBT_TARGET.
 */
export interface DatabaseChoice {
  target?: string;
}

const DATABASE_FILE = /\.(duckdb|ddb|sqlite|sqlite3|db)$/i;
const SKIP_DIRS = new Set(['node_modules', 'target', 'dbt_packages', '.git', '.venv', 'venv', 'logs']);

/**
 * Where a project's data is: `database:` in askdata/askdata.yml, else the active target of the
 * dbt-duckdb profile, else the one database file in the project.
 */
export async function findProjectDatabase(project: string, env: Readonly<Record<string, string | undefined>> = process.env, choice: DatabaseChoice = {}): Promise<ProjectDatabase> {
  const settings = await readSettings(project);
  const data = (settings.data ?? []).map((d) => path.resolve(project, d));
  if (settings.database) {
    const database = path.resolve(project, settings.database);
    return { database, dialect: settings.dialect ?? (await dialectOf(database)), dataDirectories: data, source: 'askdata.yml' };
  }
  const fromProfile = await fromDbtProfile(project, settings, env, choice);
  if (fromProfile) return { ...fromProfile, dataDirectories: data, source: 'dbt profile' };
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
export async function openProjectEngine(project: string, access?: AccessDecision, choice: DatabaseChoice = {}): Promise<{ engine: Engine; found: ProjectDatabase }> {
  const found = await findProjectDatabase(project, process.env, choice);
  return { engine: await openEngineFor(project, found, access), found };
}

export async function openEngineFor(project: string, found: ProjectDatabase, access?: AccessDecision): Promise<Engine> {
  if (found.unavailable) throw new ExecutionError('database-missing', found.unavailable, 'no engine for this database');
  if (found.postgres) return PostgresEngine.open(found.postgres);
  return found.dialect === 'duckdb'
    ? DuckDbEngine.open({ database: found.database, baseDirectory: project, dataDirectories: found.dataDirectories })
    : SqliteEngine.open({ database: found.database, access });
}

/**
 * The dialect a project's SQL is written in, even when its database cannot be found or reached:
 * the database's, else the dbt profile's adapter type, else unknown (`ansi`, said as such).
 */
export async function projectDialect(project: string, env: Readonly<Record<string, string | undefined>> = process.env, choice: DatabaseChoice = {}): Promise<Dialect> {
  try {
    return (await findProjectDatabase(project, env, choice)).dialect;
  } catch {
    const target = await findDbtTarget(project, undefined, env, choice).catch(() => undefined);
    const type = target?.type ?? (await manifestAdapterType(project));
    return type ? dialectOfAdapter(type) : 'ansi';
  }
}

/** How much of target/manifest.json is read for its metadata, which dbt writes first. */
const MANIFEST_HEAD_BYTES = 64 * 1024;

/**
 * The adapter type of the last `dbt compile`, from target/manifest.json's metadata: the dialect of
 * a project whose profile lives outside the repo (~/.dbt/profiles.yml, as most do), where no
 * database file or profile says it. Only the head of the file is read; a manifest can be hundreds
 * of megabytes.
 */
export async function manifestAdapterType(project: string): Promise<string | undefined> {
  let head: string;
  try {
    const file = await fs.open(path.join(project, 'target', 'manifest.json'), 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(MANIFEST_HEAD_BYTES), 0, MANIFEST_HEAD_BYTES, 0);
      head = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await file.close();
    }
  } catch {
    return undefined;
  }
  // metadata holds small objects of its own (`"env": {}`) before adapter_type: one level of braces.
  const metadata = /"metadata"\s*:\s*\{(?:[^{}]|\{[^{}]*\})*?"adapter_type"\s*:\s*"([A-Za-z0-9_]+)"/.exec(head);
  return metadata?.[1];
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
export async function findDbtTarget(project: string, settings?: ProjectSettings, env: Readonly<Record<string, string | undefined>> = process.env, choice: DatabaseChoice = {}): Promise<DbtTarget | undefined> {
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
    const asked = choice.target ?? env.ASKDATA_TARGET;
    const target = dbtTargetFrom(profiles, dbtProject.profile, asked ?? settings.dbt?.target ?? env.DBT_TARGET, env);
    if (!('error' in target)) return target;
    // A target asked for by name that the profile lacks is an error, not a reason to use another.
    if (asked) throw new ExecutionError('database-missing', `${path.join(dir, 'profiles.yml')}: ${target.error}.`, 'no such dbt target');
  }
  return undefined;
}

async function fromDbtProfile(project: string, settings: ProjectSettings, env: Readonly<Record<string, string | undefined>>, choice: DatabaseChoice): Promise<Pick<ProjectDatabase, 'database' | 'dialect' | 'postgres' | 'unavailable'> | undefined> {
  const target = await findDbtTarget(project, settings, env, choice);
  if (!target) return undefined;
  if (target.type === 'postgres' || target.type === 'postgresql') return fromPostgresTarget(target, env);
  if (target.type !== 'duckdb') {
    const dialect = dialectOfAdapter(target.type);
    return {
      database: `${target.type}: profile ${target.profile}, target ${target.target}`,
      dialect,
      unavailable: `The dbt target ${target.profile}.${target.target} is on ${dialectName(dialect)}, which Ask Data cannot run queries on: its SQL is written and shown, not run. Grounding, examples and the prompt work from the dbt project and its docs (and target/catalog.json when dbt docs generate has written it).`,
    };
  }
  if (!target.path || target.path === ':memory:') {
    throw new ExecutionError('database-missing', `The dbt-duckdb target ${target.profile}.${target.target} keeps its database in memory; set database: in askdata/askdata.yml to a file.`, 'database in memory');
  }
  let file: string;
  try {
    file = renderEnvVars(target.path, env);
  } catch (e) {
    throw new ExecutionError('database-missing', `profiles.yml (${target.profile}.${target.target}): ${(e as Error).message}.`, 'database path needs an environment variable');
  }
  return { database: path.resolve(project, file), dialect: 'duckdb' };
}

/** A dbt-postgres target as a connection; env_var() is rendered here, and a missing variable says which. */
function fromPostgresTarget(target: DbtTarget, env: Readonly<Record<string, string | undefined>>): Pick<ProjectDatabase, 'database' | 'dialect' | 'postgres'> {
  const render = (field: keyof DbtTarget, required: boolean): string | undefined => {
    const raw = target[field];
    if (raw === undefined || raw === '') {
      if (required) throw new ExecutionError('database-missing', `profiles.yml (${target.profile}.${target.target}): the postgres target has no ${field}.`, `postgres target without ${field}`);
      return undefined;
    }
    try {
      return renderEnvVars(raw, env);
    } catch (e) {
      throw new ExecutionError('database-missing', `profiles.yml (${target.profile}.${target.target}), ${field}: ${(e as Error).message}. Set it (for the sample: eval "$(bash scripts/sample-postgres.sh start)").`, `postgres ${field} needs an environment variable`);
    }
  };
  const port = Number(render('port', false) ?? 5432);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ExecutionError('database-missing', `profiles.yml (${target.profile}.${target.target}): port must be a whole number, not ${target.port}.`, 'postgres port invalid');
  const sslmode = render('sslmode', false);
  const postgres: PostgresConnection = {
    host: render('host', true)!,
    port,
    user: render('user', true)!,
    password: render('password', false),
    database: render('dbname', true)!,
    schema: render('schema', false) ?? 'public',
    ...(sslmode ? { sslmode } : {}),
  };
  return { database: describeConnection(postgres), dialect: 'postgres', postgres };
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
async function dialectOf(file: string): Promise<Dialect> {
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
