import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlJsStatic, Statement } from 'sql.js';
import { closestNames, ExecutionError } from '../core/execution/errors';
import { fingerprintCursor, type ResultFingerprint } from '../core/execution/fingerprint';
import {
  DEFAULT_PAGE_SIZE, DEFAULT_ROW_CAP, DEFAULT_TIMEOUT_MS, type ResultColumn, type ResultCursor, type ResultPage, type ResultRow, type ResultValue, type RunOptions,
} from '../core/execution/result';
import { checkSqliteProgram, checkSqliteStatements, type SqliteOpcode } from '../core/execution/sqliteGuard';
import type { AccessDecision } from '../core/policies/access';
import { quoteIdent } from '../core/policies/duckdbPolicy';
import type { CatalogColumn, Engine, EngineOptions } from './engine';

let sqlJs: Promise<SqlJsStatic> | undefined;

/** sql.js's WebAssembly sits next to the bundle (copied by esbuild.mjs), or in node_modules. */
function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= (async () => {
    const { default: initSqlJs } = await import('sql.js');
    const bundled = path.join(__dirname, 'sql-wasm.wasm');
    const wasm = existsSync(bundled) ? bundled : path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
    const bytes = await fs.readFile(wasm);
    return initSqlJs({ wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
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

  private constructor(private readonly db: Database, private readonly file: string, private readonly removed: Map<string, string>) {}

  /**
   * Opens the database. With `access`, what the asker may not read is removed from this private
   * in-memory copy before any query runs — tables dropped, hidden columns dropped (or emptied where
   * SQLite cannot drop them), rows outside the row policies deleted — so no SQL can reach it.
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
    const removed = new Map<string, string>();
    if (options.access && !options.access.unrestricted) {
      try {
        restrict(db, options.access, removed);
      } catch (e) {
        db.close();
        throw e;
      }
    }
    return new SqliteEngine(db, options.database, removed);
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
    return { tables: this.tablesRead(program) };
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
    const rule = (table && this.removed.get(`table:${table.replace(/^main\./, '').toLowerCase()}`))
      ?? (column && this.removed.get(`column:${column.slice(column.lastIndexOf('.') + 1).toLowerCase()}`));
    if (rule) {
      const what = table ? `read ${table}` : `see the column ${column}`;
      return new ExecutionError('permission-denied', `You may not ${what} (${rule}).`, `permission denied: ${table ? `table ${table}` : `column ${column}`}`);
    }
    if (table) {
      const suggestions = closestNames(table.replace(/^main\./, ''), this.tableNames());
      const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
      return new ExecutionError('unknown-table', `There is no table or view named ${table}.${hint}`, `unknown table ${table}${hint}`, suggestions);
    }
    if (column) {
      const bare = column.slice(column.lastIndexOf('.') + 1);
      const suggestions = closestNames(bare, this.columnNames());
      const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
      return new ExecutionError('unknown-column', `There is no column named ${column} here.${hint}`, `unknown column ${column}${hint}`, suggestions);
    }
    if (/syntax error|incomplete input|unrecognized token/i.test(message)) return new ExecutionError('syntax', `Syntax error: ${message}`, `syntax error: ${message}`);
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

function restrict(db: Database, access: AccessDecision, removed: Map<string, string>): void {
  const relations = db.exec("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")[0]?.values ?? [];
  for (const [nameValue, typeValue] of relations) {
    const name = String(nameValue);
    const kind = String(typeValue).toUpperCase();
    const rule = access.table(name);
    if (rule.denied) {
      db.run(`DROP ${kind} ${quoteIdent(name)}`);
      removed.set(`table:${name.toLowerCase()}`, rule.denied);
      continue;
    }
    if (rule.hiddenColumns.size === 0 && rule.rowFilters.length === 0) continue;
    if (kind === 'VIEW') {
      // A view's rows cannot be deleted; refuse rather than show them unfiltered.
      db.run(`DROP VIEW ${quoteIdent(name)}`);
      removed.set(`table:${name.toLowerCase()}`, `policies.yml restricts the view ${name}, which SQLite projects cannot filter: name its tables instead`);
      continue;
    }
    for (const f of rule.rowFilters) db.run(`DELETE FROM ${quoteIdent(name)} WHERE NOT coalesce((${f.condition}), 0)`);
    const columns = (db.exec(`SELECT name FROM pragma_table_info(${quoteLiteral(name)})`)[0]?.values ?? []).map((v) => String(v[0]));
    const visible = columns.filter((c) => !rule.hiddenColumns.has(c.toLowerCase()));
    if (visible.length < columns.length) {
      if (visible.length === 0) {
        db.run(`DROP TABLE ${quoteIdent(name)}`);
        removed.set(`table:${name.toLowerCase()}`, `every column of ${name} is hidden from you`);
        continue;
      }
      // Rebuilt without the hidden columns: keys and indexed columns cannot be dropped in place.
      const temp = quoteIdent(`__askdata_${name}`);
      db.run(`CREATE TABLE ${temp} AS SELECT ${visible.map(quoteIdent).join(', ')} FROM ${quoteIdent(name)}`);
      db.run(`DROP TABLE ${quoteIdent(name)}`);
      db.run(`ALTER TABLE ${temp} RENAME TO ${quoteIdent(name)}`);
      for (const column of columns) {
        const hidden = rule.hiddenColumns.get(column.toLowerCase());
        if (hidden) removed.set(`column:${column.toLowerCase()}`, hidden);
      }
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
  return String(v);
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
