import * as path from 'node:path';
import { firstKeyword } from '../sql/keywords';
import { ExecutionError } from './errors';
import { asciiLower, FILE_TABLE_FUNCTIONS, looseFold, neverReason, PURE_TABLE_FUNCTIONS } from './functionPolicy';
import { jsonText } from '../jsonText';

/**
 * The read-only guard for the DuckDB dialect, on DuckDB's own parse tree (`json_serialize_sql`),
 * never on text patterns. `json_serialize_sql` refuses every statement that is not a SELECT, so
 * DDL, DML, COPY, ATTACH, PRAGMA, SET, CALL, INSTALL and LOAD never get here; what is left to check
 * is the number of statements, the node types, and the functions and files a SELECT may touch.
 */

export interface GuardOptions {
  /** Absolute folders a query may read files from (CSV, Parquet, JSON). */
  allowedDirectories: readonly string[];
  /** The project folder (relative paths are refused, so it only names where the project is). */
  baseDirectory: string;
}

/** A table a query reads, as written (CTE references excluded). */
export interface TableReference {
  catalog: string;
  schema: string;
  table: string;
}

/** A function the query calls, as written: what access policies check against their allow-list. */
export interface FunctionCall {
  name: string;
  schema: string;
  catalog: string;
  kind: 'scalar' | 'table';
}

export interface GuardResult {
  tables: TableReference[];
  /** The parse tree, for the policy rewrite. */
  statement: unknown;
  /** The parse-tree nodes of `tables`, in the same order: what a policy rewrite replaces. */
  tableNodes: Array<Record<string, unknown>>;
  /** Whether the query uses DESCRIBE, SUMMARIZE or SHOW, which report on whole tables. */
  describesTables: boolean;
  /** Every function and table function called, anywhere in the query. */
  functions: FunctionCall[];
  /** Files read by path (read_csv('…'), FROM 'file.csv'), which policies cannot name. */
  files: string[];
  /** `*` expressions with an EXCLUDE list, for columns a policy hides. */
  stars: Array<Record<string, unknown>>;
  /** Table references with a time-travel AT clause. */
  timeTravel: boolean;
  /** Unqualified names the walk took for CTEs in scope (DuckDB's binder has the last word on them). */
  cteNames: string[];
  /** The names of the statement's own top-level CTEs, as written. */
  topCtes: string[];
}

type Json = { [key: string]: unknown };

const SELECT_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE']);
const TABLE_REFS = new Set(['BASE_TABLE', 'JOIN', 'SUBQUERY', 'TABLE_FUNCTION', 'EXPRESSION_LIST', 'EMPTY', 'PIVOT', 'SHOW_REF', 'COLUMN_DATA', 'DELIM_GET']);

const FILE_LIKE = /[/\\]|:\/\/|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|gz|zst|xlsx?|arrow|db|duckdb|sqlite)$/i;

export function checkDuckDbParse(serialized: string, options: GuardOptions, sql = ''): GuardResult {
  let parsed: Json;
  try {
    parsed = JSON.parse(serialized) as Json;
  } catch {
    throw new ExecutionError('runtime', 'DuckDB returned a parse tree Ask Data could not read.', 'internal: unreadable parse tree');
  }
  if (parsed.error) {
    const message = jsonText(parsed.error_message, 'unknown error');
    const type = jsonText(parsed.error_type);
    if (/Only SELECT statements/i.test(message) && /\bpivot\b/i.test(sql) && ['PIVOT', 'SELECT', 'WITH', 'FROM'].includes(firstKeyword(sql))) {
      throw new ExecutionError('not-read-only', "A PIVOT without an IN list cannot be checked (its columns depend on the data). Name the values: PIVOT … ON channel IN ('google_ads', 'meta_ads') USING sum(spend).", 'not allowed: PIVOT needs an explicit IN list');
    }
    if (/Only SELECT statements/i.test(message) || /CTE needs a SELECT/i.test(message)) {
      throw new ExecutionError('not-read-only', 'Only a single read-only query (SELECT, WITH … SELECT or VALUES) can run here; this statement would change something or is not a query.', 'not read-only: only one SELECT/WITH/VALUES statement is allowed');
    }
    if (type === 'parser') throw new ExecutionError('syntax', `Syntax error: ${message}`, `syntax error: ${message}`);
    throw new ExecutionError('not-read-only', `This query uses something the read-only guard cannot check (${message}); it was not run.`, `not allowed: ${message}`);
  }
  const statements = Array.isArray(parsed.statements) ? parsed.statements : [];
  if (statements.length === 0) throw new ExecutionError('syntax', 'There is no query to run.', 'syntax error: empty query');
  if (statements.length > 1) {
    throw new ExecutionError('not-read-only', `Only one statement can run at a time; this has ${statements.length}.`, `not allowed: ${statements.length} statements, send exactly one`);
  }
  const found: Found = { tables: [], nodes: [], describes: false, functions: [], files: [], stars: [], timeTravel: false, cteNames: [] };
  walkStatement(statements[0], new Set(), found, options);
  const top = ((statements[0] as Json).node as Json | undefined)?.cte_map as Json | undefined;
  const topCtes = Array.isArray(top?.map) ? (top.map as Json[]).map((e) => String(e.key)) : [];
  return { tables: found.tables, statement: statements[0], tableNodes: found.nodes, describesTables: found.describes, functions: found.functions, files: found.files, stars: found.stars, timeTravel: found.timeTravel, cteNames: found.cteNames, topCtes };
}

interface Found {
  tables: TableReference[];
  nodes: Json[];
  describes: boolean;
  functions: FunctionCall[];
  files: string[];
  stars: Json[];
  timeTravel: boolean;
  cteNames: string[];
}

function walkStatement(statement: unknown, ctes: ReadonlySet<string>, tables: Found, options: GuardOptions): void {
  const node = (statement as Json | null)?.node as Json | undefined;
  if (!node) refuse('a statement without a query');
  walkQueryNode(node, ctes, tables, options);
}

/**
 * Walks a query node (SELECT, set operation, CTE), tracking which CTE names are in scope. Names
 * are compared as DuckDB compares them, ignoring ASCII case only: the Kelvin sign is not a `k`.
 * Telling CTEs from tables here only decides which references get rewritten; what the query
 * really reads is checked again on DuckDB's bound plan (see duckdbPlan's verifyPlan).
 */
function walkQueryNode(node: Json, outer: ReadonlySet<string>, tables: Found, options: GuardOptions): void {
  const type = String(node.type);
  if (!SELECT_NODES.has(type)) refuse(`query node ${type}`);
  const ctes = new Set(outer);
  const cteMap = (node.cte_map as Json | undefined)?.map;
  if (Array.isArray(cteMap)) {
    // A CTE's body sees the CTEs before it, never itself: `WITH customers AS (SELECT * FROM
    // customers)` reads the real table, and access policies must see that it does. Only the
    // recursive term of a recursive CTE sees its own name (its anchor reads the table).
    for (const entry of cteMap as Json[]) {
      walkStatement((entry.value as Json | undefined)?.query, new Set(ctes), tables, options);
      ctes.add(asciiLower(String(entry.key)));
    }
  }
  if (type === 'RECURSIVE_CTE_NODE' && typeof node.cte_name === 'string') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'cte_map') continue;
      walkAny(value, key === 'right' ? new Set([...ctes, asciiLower(node.cte_name)]) : ctes, tables, options);
    }
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'cte_map') continue;
    walkAny(value, ctes, tables, options);
  }
}

function walkAny(value: unknown, ctes: ReadonlySet<string>, tables: Found, options: GuardOptions): void {
  if (Array.isArray(value)) {
    for (const v of value) walkAny(v, ctes, tables, options);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const o = value as Json;
  // A nested query (subquery, set operation child, CTE body): its own CTE scope.
  if (typeof o.type === 'string' && SELECT_NODES.has(o.type) && ('select_list' in o || 'left' in o || 'cte_map' in o)) {
    walkQueryNode(o, ctes, tables, options);
    return;
  }
  if (o.class === 'FUNCTION' || o.class === 'AGGREGATE' || o.class === 'WINDOW') checkFunction(o, tables);
  if (o.class === 'STAR' && ((Array.isArray(o.exclude_list) && o.exclude_list.length > 0) || (Array.isArray(o.qualified_exclude_list) && o.qualified_exclude_list.length > 0))) tables.stars.push(o);
  if (typeof o.type === 'string' && 'query_location' in o && 'alias' in o && 'sample' in o) {
    // A table reference in a FROM clause.
    if (!TABLE_REFS.has(o.type)) refuse(`table reference ${o.type}`);
    if (o.type === 'BASE_TABLE') checkBaseTable(o, ctes, tables, options);
    if (o.type === 'SHOW_REF') tables.describes = true;
    if (o.type === 'TABLE_FUNCTION') checkTableFunction(o.function as Json, options, tables);
  }
  for (const [key, v] of Object.entries(o)) {
    if (key === 'function' && o.type === 'TABLE_FUNCTION') {
      // Its arguments may still hold subqueries and functions.
      walkAny((v as Json).children, ctes, tables, options);
      continue;
    }
    walkAny(v, ctes, tables, options);
  }
}

function checkFunction(fn: Json, found: Found): void {
  const written = jsonText(fn.function_name);
  const why = neverReason(written);
  if (why) {
    const name = asciiLower(written);
    throw new ExecutionError('not-read-only', `The function ${name}() reads ${why}, not the rows of the tables a query names; it is not allowed here.`, `not allowed: function ${name}()`);
  }
  found.functions.push({ name: written, schema: jsonText(fn.schema), catalog: jsonText(fn.catalog), kind: 'scalar' });
}

function checkTableFunction(fn: Json, options: GuardOptions, found: Found): void {
  const written = jsonText(fn.function_name);
  const name = asciiLower(written);
  const why = neverReason(written);
  if (why) throw new ExecutionError('not-read-only', `The table function ${name}() reads ${why}; it is not allowed here.`, `not allowed: table function ${name}()`);
  found.functions.push({ name: written, schema: jsonText(fn.schema), catalog: jsonText(fn.catalog), kind: 'table' });
  if (PURE_TABLE_FUNCTIONS.has(name)) return;
  if (FILE_TABLE_FUNCTIONS.has(name)) {
    const first = (fn.children as Json[] | undefined)?.[0];
    const paths = literalPaths(first);
    if (!paths) {
      throw new ExecutionError('not-read-only', `${name}() may read only a literal file path inside the project's data folders.`, `not allowed: ${name}() needs a literal path in an allowed folder`);
    }
    for (const p of paths) checkPath(p, options, `${name}()`);
    found.files.push(...paths);
    return;
  }
  throw new ExecutionError('not-read-only', `The table function ${name}() is not allowed here: it can read outside the project's data or change state.`, `not allowed: table function ${name}()`);
}

function checkBaseTable(ref: Json, ctes: ReadonlySet<string>, found: Found, options: GuardOptions): void {
  const table = jsonText(ref.table_name);
  const schema = jsonText(ref.schema_name);
  const catalog = jsonText(ref.catalog_name);
  if (!schema && !catalog && ctes.has(asciiLower(table))) {
    found.cteNames.push(table);
    return;
  }
  if (FILE_LIKE.test(table)) {
    // DuckDB reads `FROM 'file.csv'` as a file: the same rule as read_csv().
    checkPath(table, options, 'a file in FROM');
    found.files.push(table);
    return;
  }
  if ([asciiLower(table), looseFold(table)].some((t) => t.startsWith('duckdb_') || t === 'pg_settings')) {
    throw new ExecutionError('not-read-only', `${table} describes the database engine's settings and internals; it is not allowed here.`, `not allowed: ${table}`);
  }
  if (ref.at_clause) found.timeTravel = true;
  found.tables.push({ catalog, schema, table });
  found.nodes.push(ref);
}

function literalPaths(arg: Json | undefined): string[] | undefined {
  if (!arg) return undefined;
  if (arg.class === 'CONSTANT') {
    const v = (arg.value as Json | undefined)?.value;
    return typeof v === 'string' ? [v] : undefined;
  }
  if (arg.class === 'FUNCTION' && arg.function_name === 'list_value' && Array.isArray(arg.children)) {
    const all = (arg.children as Json[]).map((c) => literalPaths(c));
    return all.every((p) => p?.length === 1) ? all.map((p) => p![0]!) : undefined;
  }
  return undefined;
}

function checkPath(p: string, options: GuardOptions, what: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    throw new ExecutionError('not-read-only', `${what} would read ${p} over the network; only files in the project's data folders can be read.`, `not allowed: network path ${p}`);
  }
  if (!path.isAbsolute(p)) {
    // DuckDB checks its allowed folders against the path as written, so a relative path would be
    // resolved one way here and another way there. Files in the data folders are views anyway.
    throw new ExecutionError('not-read-only', `${what} uses the relative path ${p}; files in the project's data folders are available as views named after the file, or use an absolute path inside a data folder.`, `not allowed: relative path ${p}; use the file's view`);
  }
  const wildcard = p.search(/[*?[{]/);
  if (wildcard >= 0) {
    // A glob can only match below the folder its fixed part names; `..` after a wildcard could climb out.
    const fixed = p.slice(0, wildcard);
    const fixedDir = fixed.slice(0, Math.max(fixed.lastIndexOf('/'), fixed.lastIndexOf('\\')) + 1) || '.';
    if (/(^|[/\\])\.\.([/\\]|$)/.test(p.slice(wildcard)) || !isInside(path.resolve(options.baseDirectory, fixedDir), options.allowedDirectories, true)) {
      deniedPath(p, what, options);
    }
    return;
  }
  if (!isInside(path.resolve(options.baseDirectory, p), options.allowedDirectories, false)) deniedPath(p, what, options);
}

function deniedPath(p: string, what: string, options: GuardOptions): never {
  const where = options.allowedDirectories.length ? `only files under ${options.allowedDirectories.join(', ')} can be read` : 'no data folder is configured, so no files can be read';
  throw new ExecutionError('not-read-only', `${what} would read ${p}; ${where}.`, `not allowed: file ${p} outside the data folders`);
}

/** Whether `resolved` is below one of `dirs` (or, for a glob's folder, the folder itself). */
function isInside(resolved: string, dirs: readonly string[], folderItself: boolean): boolean {
  return dirs.some((d) => {
    const dir = path.resolve(d);
    return resolved.startsWith(dir + path.sep) || (folderItself && resolved === dir);
  });
}

function refuse(what: string): never {
  throw new ExecutionError('not-read-only', `This query uses ${what}, which the read-only guard does not allow.`, `not allowed: ${what}`);
}
