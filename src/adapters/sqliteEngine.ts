import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlJsStatic, Statement } from 'sql.js';
import { closestNames, ExecutionError } from '../core/execution/errors';
import { fingerprintCursor, type ResultFingerprint } from '../core/execution/fingerprint';
import {
  DEFAULT_PAGE_SIZE, DEFAULT_ROW_CAP, DEFAULT_TIMEOUT_MS, type ResultColumn, type ResultCursor, type ResultPage, type ResultRow, type ResultValue, type RunOptions,
} from '../core/execution/result';
import { asciiLower, SQLITE_RESTRICTED_FUNCTIONS, sqliteCalledFunction } from '../core/execution/functionPolicy';
import { checkSqliteProgram, checkSqliteStatements, type SqliteOpcode } from '../core/execution/sqliteGuard';
import { isHidden, readsFreely, type AccessDecision, type TableAccess } from '../core/policies/access';
import { NO_ACCESS, quoteIdent, withheldRuntimeMessage } from '../core/policies/duckdbPolicy';
import type { CatalogColumn, Engine, EngineOptions } from './engine';
import { jsonText } from '../core/jsonText';

let sqlJs: Promise<SqlJsStatic> | undefined;

/** sql.js's WebAssembly sits next to the bundle (copied by esbuild.mjs), or in node_modules. */
function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= (async () => {
    const { default: initSqlJs } = await import('sql.js');
    const bundled = path.join(__dirname, 'sql-wasm.wasm');
    const wasm = existsSync(bundled) ? bundled : path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
    const bytes = await fs.readFile(wasm);
    return initSqlJs({ wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  })();
  return sqlJs;
}

/**
 * A SQLite database loaded from the file's bytes into sql.js's memory and never written back:
 * nothing a query does can reach the file. The guard still refuses writes, so that what runs is
 * what would be safe on the real file too.
 *
 * sql.js runs on this thread and cannot be interrupted inside one step of a statement: the timeout
 * and cancellation are checked between rows. Fine for the small databases SQLite projects have; a
 * worker thread would be needed to stop one long step.
 */
export class SqliteEngine implements Engine {
  readonly dialect = 'sqlite' as const;
  private closed = false;

  /** Under policies, the virtual tables a query may open: json_each and json_tree (by the address SQLite's program names them by). */
  private readonly pureVirtualTables: ReadonlySet<string>;

  private constructor(private readonly db: Database, private readonly file: string, private readonly removed: Map<string, ExecutionError>, private readonly restricted: boolean) {
    // Eponymous virtual tables have one instance per connection, so the program's `vtab:<address>`
    // says which one a query opens; pragma_* functions (the catalog, the session) are others.
    this.pureVirtualTables = restricted ? new Set(["json_each('[]')", "json_tree('[]')"].flatMap((f) => this.explain(`SELECT * FROM ${f}`).filter((op) => op.opcode === 'VOpen').map((op) => op.p4 ?? ''))) : new Set();
  }

  /**
   * Opens the database. With `access`, what the asker may not read is removed from this private
   * in-memory copy before any query runs — tables dropped, hidden columns and rows outside the row
   * policies left out of a rebuilt copy of each table — so no SQL can reach it. Every filter is
   * evaluated on the data as it was, before anything is removed.
   */
  static async open(options: Pick<EngineOptions, 'database'> & { access?: AccessDecision }): Promise<SqliteEngine> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(options.database);
    } catch {
      throw new ExecutionError('database-missing', `The database ${options.database} does not exist. Check database: in askdata/askdata.yml.`, 'database missing');
    }
    const SQL = await loadSqlJs();
    const db = new SQL.Database(bytes);
    try {
      db.exec('SELECT count(*) FROM sqlite_master');
    } catch (e) {
      db.close();
      throw new ExecutionError('database-corrupt', `${path.basename(options.database)} is not a readable SQLite database (${(e as Error).message}).`, 'database corrupt');
    }
    const removed = new Map<string, ExecutionError>();
    const restricted = !!options.access && !options.access.unrestricted;
    if (restricted) {
      try {
        restrict(db, options.access!, removed);
      } catch (e) {
        db.close();
        throw e;
      }
    }
    return new SqliteEngine(db, options.database, removed, restricted);
  }

  async guard(sql: string): Promise<{ tables: Array<{ catalog: string; schema: string; table: string }> }> {
    this.assertOpen();
    const statements: string[] = [];
    try {
      for (const statement of this.db.iterateStatements(sql)) {
        statements.push(statement.getSQL());
        statement.free();
      }
    } catch (e) {
      throw this.classify(e as Error);
    }
    checkSqliteStatements(statements.length, statements[0] ?? '');
    let program: SqliteOpcode[];
    try {
      program = this.explain(statements[0]!);
    } catch (e) {
      throw this.classify(e as Error);
    }
    checkSqliteProgram(program);
    if (this.restricted) checkRestrictedProgram(program, this.pureVirtualTables);
    return { tables: this.tablesRead(program) };
  }

  async check(sql: string): Promise<void> {
    await this.guard(sql);
  }

  async run(sql: string, options: RunOptions = {}): Promise<ResultCursor> {
    await this.guard(sql);
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const rowCap = options.rowCap ?? DEFAULT_ROW_CAP;
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let statement: Statement;
    try {
      statement = this.db.prepare(sql);
    } catch (e) {
      throw this.classify(e as Error);
    }
    const names = statement.getColumnNames();
    let columns: ResultColumn[] | undefined;
    let delivered = 0;
    let done = false;
    const close = () => {
      if (!done) {
        done = true;
        statement.free();
      }
    };
    const page = async (): Promise<ResultPage> => {
      const rows: ResultRow[] = [];
      const want = Math.min(pageSize, rowCap - delivered);
      try {
        while (!done && rows.length < want) {
          if (options.signal?.aborted) throw new ExecutionError('cancelled', 'The query was cancelled.', 'cancelled');
          if (Date.now() > deadline) {
            throw new ExecutionError('timeout', `The query ran longer than ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s and was stopped. Add filters or a LIMIT.`, `timeout after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`);
          }
          if (!statement.step()) {
            close();
            break;
          }
          // useBigInt (sql.js ≥ 1.8; its type definitions lag) keeps 64-bit integers exact.
          rows.push((statement.get as (p: null, o: { useBigInt: boolean }) => unknown[])(null, { useBigInt: true }).map(renderValue));
        }
      } catch (e) {
        close();
        throw e instanceof ExecutionError ? e : this.classify(e as Error);
      }
      delivered += rows.length;
      columns ??= names.map((name, i) => ({ name, type: sqliteType(rows, i) }));
      const capped = !done && delivered >= rowCap;
      if (capped) close();
      return { columns, rows, hasMore: !done, capped, rowsSoFar: delivered };
    };
    const first = await page();
    return { first, next: () => page(), close };
  }

  async fingerprint(sql: string, options: Omit<RunOptions, 'pageSize' | 'rowCap'> = {}): Promise<ResultFingerprint> {
    return fingerprintCursor(await this.run(sql, { ...options, pageSize: 10_000, rowCap: Number.MAX_SAFE_INTEGER }));
  }

  async catalog(): Promise<CatalogColumn[]> {
    this.assertOpen();
    const out: CatalogColumn[] = [];
    const tables = this.db.exec("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")[0]?.values ?? [];
    for (const [table] of tables) {
      const info = this.db.exec('SELECT name, type FROM pragma_table_info(?)', [String(table)])[0]?.values ?? [];
      for (const [column, type] of info) out.push({ schema: 'main', table: String(table), column: String(column), type: String(type || 'ANY') });
    }
    return out;
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.db.close();
    }
  }

  private explain(sql: string): SqliteOpcode[] {
    const result = this.db.exec(`EXPLAIN ${sql}`)[0];
    if (!result) return [];
    const index = (name: string) => result.columns.indexOf(name);
    return result.values.map((v) => ({
      opcode: String(v[index('opcode')]),
      p1: Number(v[index('p1')]),
      p2: Number(v[index('p2')]),
      p3: Number(v[index('p3')]),
      p4: v[index('p4')] === null ? null : String(v[index('p4')]),
    }));
  }

  /** The tables whose b-trees the program opens: exact, views and subqueries included. */
  private tablesRead(program: readonly SqliteOpcode[]): Array<{ catalog: string; schema: string; table: string }> {
    const roots = new Set(program.filter((op) => op.opcode === 'OpenRead' && op.p3 === 0).map((op) => op.p2));
    if (roots.size === 0) return [];
    const rows = this.db.exec("SELECT rootpage, coalesce(tbl_name, name) FROM sqlite_master WHERE type IN ('table', 'index')")[0]?.values ?? [];
    const names = new Set<string>();
    for (const [root, table] of rows) if (roots.has(Number(root))) names.add(String(table));
    return [...names].sort().map((table) => ({ catalog: '', schema: 'main', table }));
  }

  private classify(e: Error): ExecutionError {
    const message = e.message ?? String(e);
    const table = /no such table: (\S+)/i.exec(message)?.[1];
    const column = /no such column: (\S+)/i.exec(message)?.[1];
    const removed = (table && this.removed.get(`table:${asciiLower(table.replace(/^main\./, ''))}`))
      ?? (column && this.removed.get(`column:${asciiLower(column.slice(column.lastIndexOf('.') + 1))}`));
    if (removed) return removed;
    if (table) {
      const suggestions = closestNames(table.replace(/^main\./, ''), this.tableNames());
      const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
      // Under policies the name is not repeated: it may be one the asker must not learn exists.
      const what = this.restricted ? 'of that name that you may read' : `named ${table}`;
      return new ExecutionError('unknown-table', `There is no table or view ${what}.${hint}`, `unknown table${this.restricted ? '' : ` ${table}`}${hint}`, suggestions);
    }
    if (column) {
      const bare = column.slice(column.lastIndexOf('.') + 1);
      const suggestions = closestNames(bare, this.columnNames());
      const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
      const what = this.restricted ? 'of that name here that you may see' : `named ${column} here`;
      return new ExecutionError('unknown-column', `There is no column ${what}.${hint}`, `unknown column${this.restricted ? '' : ` ${column}`}${hint}`, suggestions);
    }
    if (/syntax error|incomplete input|unrecognized token/i.test(message)) return new ExecutionError('syntax', `Syntax error: ${this.restricted ? withheldRuntimeMessage(message) : message}`, `syntax error: ${message}`);
    if (this.restricted) {
      const line = withheldRuntimeMessage(message);
      return new ExecutionError('runtime', `${line} (values are withheld under access policies)`, line);
    }
    return new ExecutionError('runtime', message, message);
  }

  private tableNames(): string[] {
    return (this.db.exec("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")[0]?.values ?? []).map((v) => String(v[0]));
  }

  private columnNames(): string[] {
    return (this.db.exec("SELECT p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type IN ('table', 'view')")[0]?.values ?? []).map((v) => String(v[0]));
  }

  private assertOpen(): void {
    if (this.closed) throw new ExecutionError('runtime', `The database ${this.file} is closed.`);
  }
}

/**
 * Removes from the private copy what the asker may not read. Triggers, SQLite's statistics tables
 * and AUTOINCREMENT counters go first (a DELETE could fire a trigger; sqlite_stat1 and
 * sqlite_sequence count every row). Then every
 * restricted relation is copied as the asker may see it — visible columns, permitted rows, all
 * filters evaluated on the original data — into a temporary table, the originals and everything
 * denied are dropped, and the copies take their names. Fresh copies also number their rows anew,
 * so a rowid cannot count the rows left out. A view that reads a relation the asker may not read
 * as it is becomes a table of what it shows now, as DuckDB would show it.
 */
function restrict(db: Database, access: AccessDecision, removed: Map<string, ExecutionError>): void {
  db.run('PRAGMA foreign_keys = OFF');
  for (const [name] of db.exec("SELECT name FROM sqlite_master WHERE type = 'trigger'")[0]?.values ?? []) db.run(`DROP TRIGGER ${quoteIdent(String(name))}`);
  for (const [name] of db.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sqlite_stat%'")[0]?.values ?? []) db.run(`DROP TABLE ${quoteIdent(String(name))}`);
  // AUTOINCREMENT's counters name tables and count their rows, hidden ones included.
  if (db.exec("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").length) db.run('DELETE FROM sqlite_sequence');
  const relations = (db.exec("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")[0]?.values ?? [])
    .map(([name, type]) => ({ name: String(name), kind: String(type).toUpperCase() as 'TABLE' | 'VIEW', rule: access.table(String(name)) }));
  const columnsOf = (name: string) => (db.exec(`SELECT name FROM pragma_table_info(${quoteLiteral(name)})`)[0]?.values ?? []).map((v) => String(v[0]));
  const notFree = new Set(relations.filter((r) => !readsFreely(r.rule)).map((r) => r.name.toLowerCase()));
  const copies: Array<{ name: string; kind: 'TABLE' | 'VIEW'; temp: string }> = [];
  const drops: Array<{ name: string; kind: 'TABLE' | 'VIEW' }> = [];
  relations.forEach((r, i) => {
    const refusal = r.rule.denied ? new ExecutionError('permission-denied', `${NO_ACCESS} (${r.rule.denied}).`, 'permission denied: a table or view this asker may not read') : r.rule.missingAttribute;
    if (refusal) {
      drops.push(r);
      removed.set(`table:${asciiLower(r.name)}`, refusal);
      return;
    }
    let readsHidden: boolean;
    try {
      readsHidden = r.kind === 'VIEW' && viewReads(db, r.name).some((t) => notFree.has(t.toLowerCase()));
    } catch {
      // A view that does not compile shows nothing to anyone; gone from the copy, it cannot name what it read.
      drops.push(r);
      return;
    }
    if (readsFreely(r.rule) && !readsHidden) return;
    const columns = columnsOf(r.name);
    const visible = columns.filter((c) => !isHidden(r.rule, c));
    if (visible.length === 0) {
      drops.push(r);
      removed.set(`table:${asciiLower(r.name)}`, new ExecutionError('permission-denied', `${NO_ACCESS} (every column of it is hidden from you).`, 'permission denied: every column hidden'));
      return;
    }
    const temp = `__askdata_copy_${i}`;
    db.run(`CREATE TEMP TABLE ${quoteIdent(temp)} AS SELECT ${visible.map(quoteIdent).join(', ')} FROM main.${quoteIdent(r.name)}${filterSql(r.rule)}`);
    copies.push({ name: r.name, kind: r.kind, temp });
    drops.push(r);
    // A query naming a column SQLite cannot find, that a policy hides somewhere: refused as hidden
    // (SQLite does not say which table it looked in, and the message names neither).
    for (const c of columns) {
      if (isHidden(r.rule, c)) removed.set(`column:${asciiLower(c)}`, new ExecutionError('permission-denied', 'This query uses a column that your access policies hide from you.', 'permission denied: a column hidden from this asker'));
    }
  });
  // Views first: a view cannot outlive the tables it reads (SQLite would refuse to drop them otherwise in strict builds).
  for (const d of [...drops].sort((a, b) => Number(b.kind === 'VIEW') - Number(a.kind === 'VIEW'))) db.run(`DROP ${d.kind} ${quoteIdent(d.name)}`);
  for (const c of copies) {
    db.run(`CREATE TABLE main.${quoteIdent(c.name)} AS SELECT * FROM temp.${quoteIdent(c.temp)}`);
    db.run(`DROP TABLE temp.${quoteIdent(c.temp)}`);
  }
}

function filterSql(rule: TableAccess): string {
  return rule.rowFilters.length ? ` WHERE ${rule.rowFilters.map((f) => `coalesce((${f.condition}), 0)`).join(' AND ')}` : '';
}

/** The tables (by name) whose b-trees reading a view opens. */
function viewReads(db: Database, view: string): string[] {
  const program = db.exec(`EXPLAIN SELECT * FROM ${quoteIdent(view)}`)[0];
  if (!program) return [];
  const op = program.columns.indexOf('opcode');
  const p2 = program.columns.indexOf('p2');
  const p3 = program.columns.indexOf('p3');
  const roots = new Set(program.values.filter((v) => v[op] === 'OpenRead' && Number(v[p3]) === 0).map((v) => Number(v[p2])));
  const rows = db.exec("SELECT rootpage, coalesce(tbl_name, name) FROM sqlite_master WHERE type IN ('table', 'index')")[0]?.values ?? [];
  return rows.filter(([root]) => roots.has(Number(root))).map(([, t]) => String(t));
}

/**
 * Under access policies: no reading of the schema table (the SQL of views names what they read),
 * no pragma functions, and only allow-listed functions. What is left of the copy is the asker's
 * to read.
 */
function checkRestrictedProgram(program: readonly SqliteOpcode[], pureVirtualTables: ReadonlySet<string>): void {
  for (const op of program) {
    if (op.opcode === 'VOpen' && !pureVirtualTables.has(op.p4 ?? '')) {
      throw new ExecutionError('permission-denied', 'Table-valued pragma functions describe the database and the session, not rows; they are not available under access policies (json_each and json_tree are).', 'permission denied: pragma table-valued function');
    }
    if (op.opcode === 'OpenRead' && op.p2 === 1) {
      throw new ExecutionError('permission-denied', 'The schema table describes every table, including those access policies hide; it is not available to you.', 'permission denied: sqlite_schema');
    }
    if (!/^(Function|PureFunc|AggStep|AggStep1|AggFinal|AggValue|AggInverse)$/.test(op.opcode)) continue;
    // A call whose name the program does not show is refused like one off the list.
    const called = sqliteCalledFunction(op.p4) ?? '?';
    if (!SQLITE_RESTRICTED_FUNCTIONS.has(asciiLower(called))) {
      throw new ExecutionError('permission-denied', `The function ${asciiLower(called)}() is not among those Ask Data lets askers under access policies call (see Safety in the README).`, `permission denied: ${asciiLower(called)}() under access policies`);
    }
  }
}

function quoteLiteral(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function renderValue(v: unknown): ResultValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return [...v].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return jsonText(v);
}

/** SQLite types belong to values, not columns: name the column after its first non-null value. */
function sqliteType(rows: readonly ResultRow[], column: number): string {
  for (const row of rows) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') return Number.isInteger(v) ? 'INTEGER' : 'REAL';
    return 'TEXT';
  }
  return 'NULL';
}
