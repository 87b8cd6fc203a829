import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement, DuckDBResult } from '@duckdb/node-api';
import { checkDuckDbParse, type GuardResult } from '../core/execution/duckdbGuard';
import { closestNames, ExecutionError } from '../core/execution/errors';
import { asciiLower, looseFold } from '../core/execution/functionPolicy';
import { columnKey, isHidden, type AccessDecision, type TableAccess } from '../core/policies/access';
import {
  bindErrorFor, dropExcluded, filterProbe, planAccess, qualifyFilter, restrictedRelationSql, visibleNames, withAccessCtes, withheldRuntimeMessage,
  type CatalogRelation, type CatalogSnapshot,
} from '../core/policies/duckdbPolicy';
import { verifyPlan } from '../core/policies/duckdbPlan';
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

/** The names withAccessCtes gives the CTEs it cannot name like their relation. */
const RANDOM_CTE_NAME = /__askdata_[0-9a-f]{32}_\d+/;

const DATA_FILE = /\.(csv|tsv|parquet|json|jsonl|ndjson)$/i;

/**
 * A DuckDB database opened read-only, with file access limited to the project's data folders,
 * extensions neither installed nor loaded, and the configuration locked before any query runs.
 */
export class DuckDbEngine implements Engine {
  readonly dialect = 'duckdb' as const;
  private closed = false;
  /**
   * Connections that ran a query to its end, with the data views made, waiting for the next one:
   * answering a question runs several, and a connection and its views cost more than most queries.
   */
  private readonly idle: DuckDBConnection[] = [];

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
    return checkDuckDbParse(await this.serialize('sql', sql), {
      allowedDirectories: (this.options.dataDirectories ?? []).map((d) => path.resolve(this.options.baseDirectory, d)),
      baseDirectory: this.options.baseDirectory,
    }, sql);
  }

  async run(sql: string, options: RunOptions = {}): Promise<ResultCursor> {
    return this.execute(await this.prepare(sql, options.access), options);
  }

  async check(sql: string, access?: AccessDecision): Promise<void> {
    await this.prepare(sql, access);
  }

  /**
   * Guards `sql` and, under access policies, rewrites it so that it reads only what the asker
   * may, then checks the rewrite on DuckDB's bound plan (see core/policies/duckdbPolicy). What
   * is returned is what runs; under policies it is never shown to the asker.
   */
  async prepare(sql: string, access: AccessDecision | undefined): Promise<string> {
    const guard = await this.guard(sql);
    if (!access || access.unrestricted) return sql;
    const cached = this.prepared.get(access)?.get(sql);
    if (cached) return cached;
    const rewritten = await this.restrict(sql, guard, access);
    const forAsker = this.prepared.get(access) ?? this.prepared.set(access, new Map()).get(access)!;
    if (forAsker.size > 500) forAsker.clear();
    forAsker.set(sql, rewritten);
    return rewritten;
  }

  /**
   * A result column DuckDB named after an expression that reads one of Ask Data's random-named
   * CTEs would carry the rewrite in its name; the rewrite refuses the query shapes that could
   * (see withAccessCtes), and this is the last check that none did. The asker's query is never
   * bound on the full catalog for its names: that would let a name hidden from them decide one.
   */
  private static assertOwnNames(names: readonly string[]): void {
    if (!names.some((n) => RANDOM_CTE_NAME.test(n))) return;
    throw new ExecutionError('permission-denied', 'Ask Data could not apply the access policies to a query of this shape without changing its column names, so it was not run.', 'permission denied: cannot apply policies to this query shape');
  }

  /** Rewrites under the asker's policies; refuses, with a message naming only what they may see. */
  private async restrict(sql: string, guard: GuardResult, access: AccessDecision): Promise<string> {
    const snapshot = await this.snapshot();
    // New for every query and never shown: no query can carry the marker to pass for one of Ask
    // Data's CTEs. The random names are another draw, so that learning one says nothing of it.
    const nonce = randomBytes(16).toString('hex');
    const marker = `askdata-policy:${randomBytes(16).toString('hex')}`;
    const build = async (text: string, g: GuardResult) => {
      const plan = planAccess(g, access, snapshot);
      const bodies = new Map<CatalogRelation, string>();
      for (const { relation, access: a } of plan.shadowed) bodies.set(relation, await this.restrictedSql(relation, a, marker));
      return { plan, text: withAccessCtes(text, g, plan, (r) => bodies.get(r)!, nonce) };
    };
    let { plan, text: rewritten } = await build(sql, guard);
    const hiddenInQuery = (column: string) => plan.relations.some((r) => isHidden(access.table(r.name), column))
      && !plan.relations.some((r) => !isHidden(access.table(r.name), column) && r.columns.some((c) => columnKey(c) === columnKey(column)));
    const names = () => {
      const all = visibleNames(snapshot, access);
      const own = plan.relations.flatMap((r) => r.columns.filter((c) => !isHidden(access.table(r.name), c)));
      return { relations: all.relations, columns: own.length ? own : all.columns };
    };
    let dropped = false;
    for (;;) {
      const verdict = verifyPlan(await this.serialize('plan', rewritten), access, marker, { rowsFiltered: plan.shadowed.some((s) => s.access.rowFilters.length > 0) });
      if (verdict.ok) return rewritten;
      if ('error' in verdict) throw verdict.error;
      const excluded = /Column "([^"]+)" in EXCLUDE list not found/i.exec(verdict.bind.message)?.[1]?.replace(/^.*\./, '');
      if (excluded && !dropped && hiddenInQuery(excluded)) {
        // Excluding a hidden column is no change to what the asker sees: leave it out of the list,
        // then parse and rewrite the edited query afresh (its offsets moved).
        const hidden = new Set(guard.stars.flatMap((s) => [...(s.exclude_list as string[]), ...(s.qualified_exclude_list as Array<{ column: string }>).map((q) => q.column)]).filter(hiddenInQuery).map(columnKey));
        const edited = dropExcluded(sql, guard.stars, hidden);
        ({ plan, text: rewritten } = await build(edited, await this.guard(edited)));
        dropped = true;
        continue;
      }
      if (verdict.bind.type === 'parser') throw new ExecutionError('permission-denied', 'Ask Data could not apply the access policies to a query of this shape, so it was not run. A WITH inside parentheses that enclose the whole query is one such shape: write it without the outer parentheses.', 'permission denied: cannot apply policies to this query shape');
      throw bindErrorFor(verdict.bind, hiddenInQuery, names());
    }
  }

  /** The SELECT standing in for a relation, its row filters bound to real relations; checked once on its own. */
  private async restrictedSql(relation: CatalogRelation, access: TableAccess, marker: string): Promise<string> {
    const snapshot = await this.snapshot();
    const filters: string[] = [];
    for (const f of access.rowFilters) filters.push(await this.qualifiedFilter(relation, f.condition, f.policy, snapshot));
    const probe = restrictedRelationSql(relation, access, filters, 'askdata-policy:probe');
    if (!this.standalone.has(probe)) {
      // Binding on its own proves every name in the filters belongs to the relation or the
      // relations they name, never to the asker's query.
      const verdict = verifyPlan(await this.serialize('plan', probe), { asker: undefined, groups: [], unrestricted: true, table: () => ({ hiddenColumns: new Map(), rowFilters: [] }) }, 'askdata-policy:probe');
      if (!verdict.ok) {
        const policies = access.rowFilters.map((f) => f.policy).join(', ');
        throw new ExecutionError('permission-denied', `The access policies${policies ? ` (${policies})` : ''} could not be applied to a table this query reads, so it was not run. Ask whoever maintains askdata/policies.yml to check them.`, 'permission denied: policies could not be applied');
      }
      this.standalone.add(probe);
    }
    return restrictedRelationSql(relation, access, filters, marker);
  }

  private readonly standalone = new Set<string>();
  private readonly filters = new Map<string, string>();
  private readonly prepared = new WeakMap<AccessDecision, Map<string, string>>();

  private async qualifiedFilter(relation: CatalogRelation, condition: string, policy: string, snapshot: CatalogSnapshot): Promise<string> {
    const key = `${relation.catalog}.${relation.schema}.${relation.name}\u0000${condition}`;
    const known = this.filters.get(key);
    if (known !== undefined) return known;
    let parsed: GuardResult;
    try {
      parsed = checkDuckDbParse(await this.serialize('sql', filterProbe(relation, condition)), { allowedDirectories: [], baseDirectory: this.options.baseDirectory });
    } catch {
      throw new ExecutionError('permission-denied', `The row policy ${policy} is not a condition Ask Data can apply, so nothing it protects can be read. Ask whoever maintains askdata/policies.yml to fix it.`, `permission denied: row policy ${policy} cannot be applied`);
    }
    const qualified = qualifyFilter(relation, condition, parsed, snapshot, policy);
    this.filters.set(key, qualified);
    return qualified;
  }

  private snapshotCache: Promise<CatalogSnapshot> | undefined;
  /** The catalog as DuckDB stores it — relations, columns in order, the database's own functions — read once. */
  private snapshot(): Promise<CatalogSnapshot> {
    this.snapshotCache ??= (async () => {
      const run = async (sql: string) => (await this.setup.runAndReadAll(sql)).getRows();
      const views = new Set((await run('SELECT database_name, schema_name, view_name FROM duckdb_views() WHERE NOT internal')).map((r) => r.join('\u0000')));
      const byRelation = new Map<string, CatalogRelation>();
      for (const [catalog, schema, name, column] of await run('SELECT database_name, schema_name, table_name, column_name FROM duckdb_columns() WHERE NOT internal ORDER BY database_name, schema_name, table_name, column_index')) {
        const key = [catalog, schema, name].join('\u0000');
        let r = byRelation.get(key);
        if (!r) byRelation.set(key, (r = { catalog: String(catalog), schema: String(schema), name: String(name), kind: views.has(key) ? 'view' : 'table', columns: [] }));
        r.columns.push(String(column));
      }
      const defined = new Set<string>();
      for (const [name] of await run('SELECT DISTINCT function_name FROM duckdb_functions() WHERE NOT internal')) {
        defined.add(asciiLower(String(name)));
        defined.add(looseFold(String(name)));
      }
      const [[current]] = await run('SELECT current_database()') as unknown as [[string]];
      return { relations: [...byRelation.values()], defaultCatalog: String(current), definedFunctions: defined };
    })();
    return this.snapshotCache;
  }

  private statements: Partial<Record<'sql' | 'plan', Promise<DuckDBPreparedStatement>>> = {};
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * DuckDB's parse tree (`sql`) or unoptimised bound plan (`plan`) of a query, as JSON, from
   * prepared statements on the setup connection; one call at a time, as a statement has one
   * set of bound values.
   */
  private serialize(kind: 'sql' | 'plan', sql: string): Promise<string> {
    const next = this.queue.then(async () => {
      const statement = await (this.statements[kind] ??= this.setup.prepare(kind === 'sql' ? 'SELECT json_serialize_sql($1::VARCHAR)' : 'SELECT json_serialize_plan($1::VARCHAR, optimize := false)'));
      statement.bindVarchar(1, sql);
      const reader = await statement.runAndReadAll();
      return String(reader.getRows()[0]?.[0] ?? '');
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Runs SQL the guard has already passed (or that Ask Data wrote itself, such as a policy rewrite). */
  async execute(sql: string, options: RunOptions = {}): Promise<ResultCursor> {
    if (this.closed) throw new ExecutionError('runtime', 'The database connection is closed.');
    const { JsonDuckDBValueConverter } = await loadConverter();
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const rowCap = options.rowCap ?? DEFAULT_ROW_CAP;
    // A connection of its own while it runs, so that interrupting it on timeout or cancel stops only this query.
    const connection = await this.acquire();
    const stopper = new Stopper(connection, options);
    let result: DuckDBResult;
    try {
      result = await stopper.during(() => connection.stream(sql));
    } catch (e) {
      stopper.dispose();
      this.release(connection, !stopper.reason);
      throw await this.classify(e as Error, stopper, options.access);
    }
    const names = result.columnNames();
    try {
      if (options.access && !options.access.unrestricted) DuckDbEngine.assertOwnNames(names);
    } catch (e) {
      stopper.dispose();
      connection.closeSync();
      throw e;
    }
    const columns: ResultColumn[] = names.map((name, i) => ({ name, type: result.columnTypes()[i]!.toString() }));
    let buffered: ResultRow[] = [];
    let exhausted = false;
    let delivered = 0;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      stopper.dispose();
      this.release(connection, !stopper.reason);
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
        throw await this.classify(e as Error, stopper, options.access);
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
    for (const c of this.idle.splice(0)) c.closeSync();
    this.setup.closeSync();
    this.instance.closeSync();
  }

  private async acquire(): Promise<DuckDBConnection> {
    const idle = this.idle.pop();
    if (idle) return idle;
    const connection = await this.instance.connect();
    // Temporary views belong to the connection that made them.
    await createDataViews(connection, this.views);
    return connection;
  }

  /** An interrupted connection is not trusted with another query; one that finished is kept, up to a few. */
  private release(connection: DuckDBConnection, reusable: boolean): void {
    if (!this.closed && reusable && this.idle.length < MAX_IDLE_CONNECTIONS) this.idle.push(connection);
    else connection.closeSync();
  }

  private async classify(e: Error, stopper: Stopper, access?: AccessDecision): Promise<ExecutionError> {
    if (e instanceof ExecutionError) return e;
    const message = e.message ?? String(e);
    if (/INTERRUPT/i.test(message) || stopper.reason) {
      return stopper.reason === 'timeout'
        ? new ExecutionError('timeout', `The query ran longer than ${Math.round(stopper.timeoutMs / 1000)} s and was stopped. Add filters or a LIMIT, or raise the timeout.`, `timeout after ${stopper.timeoutMs} ms`)
        : new ExecutionError('cancelled', 'The query was cancelled.', 'cancelled');
    }
    if (access && !access.unrestricted) return this.classifyRestricted(message, access);
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

  /**
   * An error while running a query rewritten under access policies: told from what the asker may
   * see only. DuckDB's text is not passed on as it is: its suggestions come from the whole
   * catalog, and a value it quotes could be one the policies filter out.
   */
  private async classifyRestricted(message: string, access: AccessDecision): Promise<ExecutionError> {
    if (/^(Catalog|Binder) Error/i.test(message)) {
      const snapshot = await this.snapshot();
      return bindErrorFor({ type: 'binder', subtype: '', message: message.replace(/^[A-Za-z ]+ Error: /, '') }, () => false, visibleNames(snapshot, access));
    }
    if (/Out of Memory/i.test(message)) {
      return new ExecutionError('runtime', `The query needed more memory than the limit (${this.options.memoryLimit ?? '2GB'}). Aggregate more, or add filters.`, 'out of memory');
    }
    const line = withheldRuntimeMessage(message);
    return new ExecutionError('runtime', `${line} (values are withheld under access policies)`, line);
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

const MAX_IDLE_CONNECTIONS = 4;

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
