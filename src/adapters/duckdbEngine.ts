import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import { checkDuckDbParse, type GuardResult } from '../core/execution/duckdbGuard';
import { closestNames, ExecutionError } from '../core/execution/errors';
import type { AccessDecision } from '../core/policies/access';
import { planAccess, restrictedTableSql, spliceSubqueries } from '../core/policies/duckdbPolicy';
import { fingerprintCursor, type ResultFingerprint } from '../core/execution/fingerprint';
import {
  DEFAULT_PAGE_SIZE, DEFAULT_ROW_CAP, DEFAULT_TIMEOUT_MS, type ResultColumn, type ResultCursor, type ResultPage, type ResultRow, type RunOptions,
} from '../core/execution/result';
import type { CatalogColumn, Engine, EngineOptions } from './engine';

// DuckDB is a native module of ~70 MB: load it on first use, not when the extension activates.
let duckdbModule: Promise<typeof import('@duckdb/node-api')> | undefined;
let jsonConverter: Promise<typeof import('@duckdb/node-api/lib/JsonDuckDBValueConverter.js')> | undefined;
const loadDuckDb = () => (duckdbModule ??= import('@duckdb/node-api'));
const loadConverter = () => (jsonConverter ??= import('@duckdb/node-api/lib/JsonDuckDBValueConverter.js'));

const DATA_FILE = /\.(csv|tsv|parquet|json|jsonl|ndjson)$/i;

/**
 * A DuckDB database opened read-only, with file access limited to the project's data folders,
 * extensions neither installed nor loaded, and the configuration locked before any query runs.
 */
export class DuckDbEngine implements Engine {
  readonly dialect = 'duckdb' as const;
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly setup: DuckDBConnection,
    private readonly options: EngineOptions,
    private readonly views: DataView[],
  ) {}

  /** Names of the views made from the data folders' files. */
  get dataViews(): string[] {
    return this.views.map((v) => v.name);
  }

  static async open(options: EngineOptions): Promise<DuckDbEngine> {
    await assertDatabaseFile(options.database);
    const { DuckDBInstance } = await loadDuckDb();
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(options.database, {
        access_mode: 'READ_ONLY',
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
    } catch (e) {
      throw openError(options.database, e as Error);
    }
    const setup = await instance.connect();
    try {
      const dirs = (options.dataDirectories ?? []).map((d) => path.resolve(options.baseDirectory, d));
      const quoted = dirs.map((d) => `'${(d + path.sep).replaceAll("'", "''")}'`).join(', ');
      await setup.run(`SET allowed_directories = [${quoted}]`);
      const views = await findDataViews(dirs);
      await createDataViews(setup, views);
      await setup.run('SET enable_external_access = false');
      await setup.run(`SET memory_limit = '${(options.memoryLimit ?? '2GB').replace(/[^0-9A-Za-z.]/g, '')}'`);
      await setup.run('SET lock_configuration = true');
      return new DuckDbEngine(instance, setup, options, views);
    } catch (e) {
      setup.closeSync();
      instance.closeSync();
      throw e instanceof ExecutionError ? e : new ExecutionError('runtime', `Could not prepare ${options.database}: ${(e as Error).message}`);
    }
  }

  /** Parses with DuckDB's own parser and checks the tree; nothing runs. */
  async guard(sql: string): Promise<GuardResult> {
    const reader = await this.setup.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
    const serialized = String(reader.getRows()[0]?.[0] ?? '');
    return checkDuckDbParse(serialized, {
      allowedDirectories: (this.options.dataDirectories ?? []).map((d) => path.resolve(this.options.baseDirectory, d)),
      baseDirectory: this.options.baseDirectory,
    }, sql);
  }

  async run(sql: string, options: RunOptions = {}): Promise<ResultCursor> {
    return this.execute(await this.prepare(sql, options.access), options);
  }

  /** Guards `sql` and, under access policies, rewrites it so that it reads only what the asker may. */
  async prepare(sql: string, access: AccessDecision | undefined): Promise<string> {
    const guard = await this.guard(sql);
    if (!access || access.unrestricted) return sql;
    const rewrites = planAccess(guard, access);
    if (rewrites.length === 0) return sql;
    const columns = await this.columnsByTable();
    const replacements = rewrites.flatMap((rewrite) => {
      const known = columns.get(rewrite.table.table.toLowerCase());
      // An unknown table fails when the query runs, with the closest names; nothing to protect.
      return known ? [{ node: rewrite.node, subquerySql: restrictedTableSql(rewrite.table, known, rewrite.access) }] : [];
    });
    const rewritten = spliceSubqueries(sql, replacements);
    // What runs is still checked as one read-only query.
    await this.guard(rewritten);
    return rewritten;
  }

  private columnsCache: Map<string, string[]> | undefined;
  private async columnsByTable(): Promise<Map<string, string[]>> {
    if (!this.columnsCache) {
      this.columnsCache = new Map();
      for (const c of await this.catalog()) {
        const key = c.table.toLowerCase();
        (this.columnsCache.get(key) ?? this.columnsCache.set(key, []).get(key)!).push(c.column);
      }
    }
    return this.columnsCache;
  }

  /** Runs SQL the guard has already passed (or that Ask Data wrote itself, such as a policy rewrite). */
  async execute(sql: string, options: RunOptions = {}): Promise<ResultCursor> {
    if (this.closed) throw new ExecutionError('runtime', 'The database connection is closed.');
    const { JsonDuckDBValueConverter } = await loadConverter();
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const rowCap = options.rowCap ?? DEFAULT_ROW_CAP;
    // A connection of its own, so that interrupting it on timeout or cancel stops only this query.
    const connection = await this.instance.connect();
    // Temporary views belong to the connection that made them.
    await createDataViews(connection, this.views);
    const stopper = new Stopper(connection, options);
    let result: DuckDBResult;
    try {
      result = await stopper.during(() => connection.stream(sql));
    } catch (e) {
      stopper.dispose();
      connection.closeSync();
      throw await this.classify(e as Error, stopper);
    }
    const columns: ResultColumn[] = result.columnNames().map((name, i) => ({ name, type: result.columnTypes()[i]!.toString() }));
    let buffered: ResultRow[] = [];
    let exhausted = false;
    let delivered = 0;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      stopper.dispose();
      connection.closeSync();
    };
    const page = async (): Promise<ResultPage> => {
      const want = Math.min(pageSize, rowCap - delivered);
      try {
        while (!exhausted && buffered.length < want) {
          const chunk = await stopper.during(() => result.fetchChunk());
          if (!chunk || chunk.rowCount === 0) exhausted = true;
          else buffered.push(...(chunk.convertRows(JsonDuckDBValueConverter) as ResultRow[]));
        }
      } catch (e) {
        close();
        throw await this.classify(e as Error, stopper);
      }
      const rows = buffered.slice(0, Math.max(0, want));
      buffered = buffered.slice(rows.length);
      delivered += rows.length;
      const capped = delivered >= rowCap && (!exhausted || buffered.length > 0);
      const hasMore = !capped && (!exhausted || buffered.length > 0);
      if (!hasMore) close();
      return { columns, rows, hasMore, capped, rowsSoFar: delivered };
    };
    const first = await page();
    return {
      first,
      next: async () => {
        if (closed) return { columns, rows: [], hasMore: false, capped: delivered >= rowCap, rowsSoFar: delivered };
        return page();
      },
      close,
    };
  }

  async fingerprint(sql: string, options: Omit<RunOptions, 'pageSize' | 'rowCap'> = {}): Promise<ResultFingerprint> {
    return fingerprintCursor(await this.execute(await this.prepare(sql, options.access), { ...options, pageSize: 10_000, rowCap: Number.MAX_SAFE_INTEGER }));
  }

  async catalog(): Promise<CatalogColumn[]> {
    const reader = await this.setup.runAndReadAll(
      `SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY table_schema, table_name, ordinal_position`,
    );
    return reader.getRows().map(([schema, table, column, type]) => ({ schema: String(schema), table: String(table), column: String(column), type: String(type) }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.setup.closeSync();
    this.instance.closeSync();
  }

  private async classify(e: Error, stopper: Stopper): Promise<ExecutionError> {
    if (e instanceof ExecutionError) return e;
    const message = e.message ?? String(e);
    if (/INTERRUPT/i.test(message) || stopper.reason) {
      return stopper.reason === 'timeout'
        ? new ExecutionError('timeout', `The query ran longer than ${Math.round(stopper.timeoutMs / 1000)} s and was stopped. Add filters or a LIMIT, or raise the timeout.`, `timeout after ${stopper.timeoutMs} ms`)
        : new ExecutionError('cancelled', 'The query was cancelled.', 'cancelled');
    }
    const firstLine = message.split('\n')[0]!.replace(/^[A-Za-z ]+ Error: /, '');
    const table = /Table with name (\S+?) does not exist/i.exec(message)?.[1];
    if (table) {
      const names = (await this.catalog().catch(() => [])).map((c) => c.table);
      const suggestions = closestNames(table, names);
      const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
      return new ExecutionError('unknown-table', `There is no table or view named ${table}.${hint}`, `unknown table ${table}${hint}`, suggestions);
    }
    const column = /(?:Referenced column|column with name) "?([^"\s]+)"? not found/i.exec(message)?.[1] ?? /Values list "[^"]*" does not have a column named "([^"]+)"/i.exec(message)?.[1];
    if (column) {
      const names = (await this.catalog().catch(() => [])).map((c) => c.column);
      const suggestions = closestNames(column, names);
      const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
      return new ExecutionError('unknown-column', `There is no column named ${column} here.${hint}`, `unknown column ${column}${hint}`, suggestions);
    }
    if (/^Parser Error/i.test(message)) return new ExecutionError('syntax', `Syntax error: ${firstLine}`, `syntax error: ${firstLine}`);
    if (/Permission Error|file system operations are disabled/i.test(message)) {
      return new ExecutionError('not-read-only', `DuckDB refused to touch a file outside the project's data folders: ${firstLine}`, `not allowed: ${firstLine}`);
    }
    if (/Out of Memory/i.test(message)) {
      return new ExecutionError('runtime', `The query needed more memory than the limit (${this.options.memoryLimit ?? '2GB'}). Aggregate more, or add filters.`, `out of memory: ${firstLine}`);
    }
    return new ExecutionError('runtime', firstLine, firstLine);
  }
}

/** Interrupts a connection when its timeout passes or its signal aborts, and remembers which. */
class Stopper {
  reason: 'timeout' | 'cancelled' | undefined;
  readonly timeoutMs: number;
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly onAbort: () => void;

  constructor(private readonly connection: DuckDBConnection, private readonly options: RunOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timer = setTimeout(() => this.stop('timeout'), this.timeoutMs);
    this.onAbort = () => this.stop('cancelled');
    if (options.signal?.aborted) this.reason = 'cancelled';
    options.signal?.addEventListener('abort', this.onAbort);
  }

  async during<T>(work: () => Promise<T>): Promise<T> {
    if (this.reason) throw new Error('INTERRUPT');
    return work();
  }

  private stop(reason: 'timeout' | 'cancelled'): void {
    this.reason ??= reason;
    this.connection.interrupt();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }
}

async function assertDatabaseFile(file: string): Promise<void> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new ExecutionError('database-missing', `${file} is not a file.`, 'database missing');
  } catch (e) {
    if (e instanceof ExecutionError) throw e;
    throw new ExecutionError('database-missing', `The database ${file} does not exist. ${howToCreate(file)}`, 'database missing');
  }
}

/** What the person can do about a missing database: in their project, dbt; in this repo's sample, its build script. */
function howToCreate(file: string): string {
  const inSample = (() => {
    for (let dir = path.dirname(path.resolve(file)), i = 0; i < 4; i++, dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'scripts', 'build-sample.mjs')) && path.relative(dir, file).startsWith(`samples${path.sep}`)) return true;
    }
    return false;
  })();
  if (inSample) return 'This is the sample project of the Ask Data repository: build its database with npm run build:sample (from the repository root).';
  return 'Create it by running your dbt project for this target (dbt build, or dbt seed and dbt run), or name an existing database file as database: in askdata/askdata.yml.';
}

function openError(file: string, e: Error): ExecutionError {
  const message = e.message ?? String(e);
  if (/lock/i.test(message)) {
    return new ExecutionError('database-locked', `${path.basename(file)} is open for writing in another program (a running dbt build, a SQL client?). Close it there, or wait for it to finish, then try again.`, 'database locked');
  }
  if (/not a valid DuckDB database|Could not read enough bytes|database file .* is corrupt|Invalid Input Error: The file/i.test(message)) {
    return new ExecutionError('database-corrupt', `${path.basename(file)} is not a readable DuckDB database (${message.split('\n')[0]}). Rebuild it.`, 'database corrupt');
  }
  return new ExecutionError('runtime', `Could not open ${file}: ${message.split('\n')[0]}`, 'database could not be opened');
}

interface DataView {
  name: string;
  sql: string;
}

/** CSV, Parquet and JSON files in the data folders become temporary views named after the file. */
async function findDataViews(dirs: string[]): Promise<DataView[]> {
  const views: DataView[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => DATA_FILE.test(n)).sort()) {
      const view = name.replace(DATA_FILE, '').replace(/[^A-Za-z0-9_]/g, '_');
      const file = path.join(dir, name).replaceAll("'", "''");
      const reader = /\.parquet$/i.test(name) ? 'read_parquet' : /\.(json|jsonl|ndjson)$/i.test(name) ? 'read_json_auto' : 'read_csv';
      views.push({ name: view, sql: `CREATE OR REPLACE TEMP VIEW "${view.replaceAll('"', '""')}" AS SELECT * FROM ${reader}('${file}')` });
    }
  }
  return views;
}

async function createDataViews(connection: DuckDBConnection, views: readonly DataView[]): Promise<void> {
  for (const view of views) await connection.run(view.sql);
}
