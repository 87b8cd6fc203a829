import { ExecutionError } from './errors';
import { jsonText } from '../jsonText';

/**
 * The read-only guard for PostgreSQL, on PostgreSQL's own parse tree (libpg_query, the server's
 * parser compiled to WebAssembly), never on text patterns. Everything is by allow-list: one
 * SELECT (or VALUES, TABLE, WITH … SELECT), built only of the node types below; functions only
 * from pg_catalog and only those named here; casts only to plain data types. Anything the list
 * does not name is refused, so a node type or function added by a later PostgreSQL release is
 * refused until someone decides it is safe.
 *
 * What is refused and why: functions that read SQL given as text (query_to_xml, …), plans,
 * statistics, the catalog (pg_get_viewdef, format_type, to_regclass, has_*_privilege, …), the
 * session or server (current_setting, current_user, version, pg_backend_pid, …), files, the
 * network, settings, sleeps and locks; casts to reg* types (their input reads the catalog);
 * SELECT … INTO, FOR UPDATE/SHARE, TABLESAMPLE, XML and parameters; operators of any schema but
 * pg_catalog (in expressions, `= ANY (SELECT …)` and ORDER BY … USING). What the tree cannot
 * settle — whether `x.f` is a column or the call `f(x)`, which operator a bare `=` resolves to —
 * it collects (dottedNames, operators) for the engine to bind against the catalog.
 */

type Json = Record<string, unknown>;

/** A relation a query reads, as written (CTE references excluded), with where its name starts. */
export interface PgRelationReference {
  catalog?: string;
  schema?: string;
  /** As PostgreSQL's scanner produced it: unquoted names folded to lower case, quoted kept. */
  name: string;
  /** Byte offset of the name in the SQL. */
  location: number;
  /** Whether the reference has its own alias (else its name is its reference name). */
  aliased: boolean;
  /** False for `ONLY name`. */
  inherit: boolean;
}

export interface PgGuardResult {
  /** Relations read, in the order met (compatible with the other engines' `tables`). */
  tables: Array<{ catalog: string; schema: string; table: string }>;
  relations: PgRelationReference[];
  /** Byte offsets of function names written without a schema: Ask Data binds them to pg_catalog. */
  unqualifiedFunctions: number[];
  /** The last name of every column reference, lower case as parsed (for hidden-column refusals). */
  columnNames: string[];
  /**
   * Every name written after a dot (`t.f`, `(x).f`): PostgreSQL reads `x.f` as the call `f(x)` when
   * x has no column f — x a whole row or a value of any type — so each may be a function call the
   * tree does not show as one. Bound against the catalog before the query runs.
   */
  dottedNames: string[];
  /** Column references of three names or more (`public.orders.amount`), as parsed, with their byte offsets. */
  qualifiedColumns: Array<{ fields: string[]; location: number }>;
  /**
   * Operator names the query resolves by the search path: those written without a schema, and the
   * `=` that JOIN USING, NATURAL JOIN and CASE x WHEN imply (and CYCLE's = and <>). Bound against
   * the catalog too.
   */
  operators: string[];
  /**
   * The first name in the query (of a relation, CTE, alias, column, function, type …) with a
   * character beyond ASCII, if any. PostgreSQL folds unquoted names by the database's encoding: in
   * UTF-8, A–Z only, as this parser does; in a single-byte encoding (LATIN1, WIN1252, SQL_ASCII …)
   * also the encoding's own upper-case letters, so `KUNDENÖ` is `kundenö` to the server and
   * `kundenÖ` to the parser. The engine refuses such names on those databases.
   */
  nonAsciiName?: string;
}

/** Aggregates, window functions and scalar functions a query may call: computation, nothing else. */
export const PG_ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or', 'bit_xor',
  'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'corr', 'covar_pop', 'covar_samp',
  'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept', 'regr_r2', 'regr_slope', 'regr_sxx', 'regr_sxy', 'regr_syy',
  'percentile_cont', 'percentile_disc', 'mode', 'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value',
  // numbers
  'abs', 'cbrt', 'ceil', 'ceiling', 'degrees', 'div', 'exp', 'factorial', 'floor', 'gcd', 'lcm', 'ln', 'log', 'log10', 'min_scale', 'mod',
  'pi', 'power', 'pow', 'radians', 'round', 'scale', 'sign', 'sqrt', 'trim_scale', 'trunc', 'width_bucket', 'random',
  'acos', 'asin', 'atan', 'atan2', 'cos', 'cot', 'sin', 'tan', 'sinh', 'cosh', 'tanh', 'acosd', 'asind', 'atand', 'cosd', 'sind', 'tand',
  // text
  'ascii', 'bit_length', 'btrim', 'char_length', 'character_length', 'chr', 'concat', 'concat_ws', 'format', 'initcap', 'left', 'length',
  'lower', 'lpad', 'ltrim', 'md5', 'octet_length', 'overlay', 'position', 'quote_literal', 'quote_nullable', 'quote_ident',
  'regexp_count', 'regexp_instr', 'regexp_like', 'regexp_match', 'regexp_matches', 'regexp_replace', 'regexp_split_to_array',
  'regexp_split_to_table', 'regexp_substr', 'repeat', 'replace', 'reverse', 'right', 'rpad', 'rtrim', 'split_part', 'starts_with',
  'strpos', 'substr', 'substring', 'to_hex', 'translate', 'upper', 'string_to_array', 'string_to_table', 'array_to_string',
  'like_escape', 'similar_to_escape', 'similar_escape', 'normalize', 'encode', 'decode', 'sha224', 'sha256', 'sha384', 'sha512',
  // dates and times
  'age', 'clock_timestamp', 'date_bin', 'date_part', 'date_trunc', 'extract', 'isfinite', 'justify_days', 'justify_hours', 'justify_interval',
  'make_date', 'make_interval', 'make_time', 'make_timestamp', 'make_timestamptz', 'now', 'statement_timestamp', 'transaction_timestamp',
  'to_timestamp', 'to_date', 'to_char', 'to_number', 'timezone', 'overlaps',
  // arrays
  'array_append', 'array_cat', 'array_dims', 'array_fill', 'array_length', 'array_lower', 'array_ndims', 'array_position', 'array_positions',
  'array_prepend', 'array_remove', 'array_replace', 'array_upper', 'cardinality', 'unnest', 'trim_array', 'generate_subscripts', 'generate_series',
  // json
  'json_build_array', 'json_build_object', 'jsonb_build_array', 'jsonb_build_object', 'to_json', 'to_jsonb', 'row_to_json', 'array_to_json',
  'json_array_length', 'jsonb_array_length', 'json_extract_path', 'json_extract_path_text', 'jsonb_extract_path', 'jsonb_extract_path_text',
  'json_typeof', 'jsonb_typeof', 'jsonb_pretty', 'json_strip_nulls', 'jsonb_strip_nulls', 'json_each', 'jsonb_each', 'json_each_text',
  'jsonb_each_text', 'json_array_elements', 'jsonb_array_elements', 'json_array_elements_text', 'jsonb_array_elements_text',
  'json_object_keys', 'jsonb_object_keys', 'jsonb_set', 'jsonb_insert', 'jsonb_path_query', 'jsonb_path_query_array', 'jsonb_path_query_first',
  'jsonb_path_exists', 'jsonb_path_match',
  // nulls
  'num_nulls', 'num_nonnulls',
  // casts written as calls: the plain data types below
  'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'text', 'varchar', 'bpchar', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'interval',
]);

/** Functions that may stand in FROM: they generate rows from their arguments. */
const SET_RETURNING = new Set([
  'generate_series', 'unnest', 'generate_subscripts', 'regexp_matches', 'regexp_split_to_table', 'string_to_table',
  'json_each', 'jsonb_each', 'json_each_text', 'jsonb_each_text', 'json_array_elements', 'jsonb_array_elements',
  'json_array_elements_text', 'jsonb_array_elements_text', 'json_object_keys', 'jsonb_object_keys', 'jsonb_path_query',
]);

/** Plain data types a value may be cast to (the reg* types are not: their input reads the catalog). */
export const PG_ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'int2', 'int4', 'int8', 'smallint', 'integer', 'int', 'bigint', 'numeric', 'decimal', 'real', 'float4', 'float8', 'float',
  'bool', 'boolean', 'text', 'varchar', 'bpchar', 'char', 'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval',
  'json', 'jsonb', 'uuid', 'bytea', 'bit', 'varbit',
]);

/** CURRENT_DATE and friends; CURRENT_USER, SESSION_USER, CURRENT_SCHEMA and CURRENT_CATALOG describe the session. */
const CLOCK_VALUES = new Set([
  'SVFOP_CURRENT_DATE', 'SVFOP_CURRENT_TIME', 'SVFOP_CURRENT_TIME_N', 'SVFOP_CURRENT_TIMESTAMP', 'SVFOP_CURRENT_TIMESTAMP_N',
  'SVFOP_LOCALTIME', 'SVFOP_LOCALTIME_N', 'SVFOP_LOCALTIMESTAMP', 'SVFOP_LOCALTIMESTAMP_N',
]);

/** Expression and clause nodes that compute over what the query reads and nothing else. */
const PLAIN_NODES = new Set([
  'ResTarget', 'ColumnRef', 'A_Const', 'A_Expr', 'BoolExpr', 'NullTest', 'BooleanTest', 'CaseExpr', 'CaseWhen', 'CoalesceExpr', 'MinMaxExpr',
  'A_ArrayExpr', 'A_Indirection', 'A_Indices', 'A_Star', 'RowExpr', 'SortBy', 'WindowDef', 'GroupingSet', 'GroupingFunc', 'CollateClause',
  'String', 'Integer', 'Float', 'Boolean', 'BitString', 'List', 'Alias', 'JoinExpr', 'CTESearchClause', 'CTECycleClause',
]);

/** Checks a libpg_query parse result; throws an ExecutionError saying what is not allowed. */
export function checkPostgresParse(parsed: unknown): PgGuardResult {
  const stmts = (parsed as { stmts?: unknown[] } | null)?.stmts;
  if (!Array.isArray(stmts) || stmts.length === 0) throw new ExecutionError('syntax', 'There is no query to run.', 'syntax error: empty query');
  if (stmts.length > 1) {
    throw new ExecutionError('not-read-only', `Only one statement can run at a time; this has ${stmts.length}.`, `not allowed: ${stmts.length} statements, send exactly one`);
  }
  const stmt = ((stmts[0] as Json).stmt ?? {}) as Json;
  const [type] = Object.keys(stmt);
  if (type !== 'SelectStmt') {
    throw new ExecutionError('not-read-only', 'Only a single read-only query (SELECT, WITH … SELECT, VALUES or TABLE) can run here; this statement would change something or is not a query.', `not read-only: ${type ?? 'empty'} statement; only one SELECT/WITH/VALUES is allowed`);
  }
  const found: PgGuardResult = { tables: [], relations: [], unqualifiedFunctions: [], columnNames: [], dottedNames: [], qualifiedColumns: [], operators: [] };
  walkSelect(stmt.SelectStmt as Json, new Set(), found);
  const nonAscii = nonAsciiName(stmt);
  if (nonAscii !== undefined) found.nonAsciiName = nonAscii;
  return found;
}

/**
 * The first string of the tree with a character beyond ASCII that is a name: every string but
 * the values of constants (A_Const), so whatever the node holding it.
 */
function nonAsciiName(value: unknown): string | undefined {
  if (typeof value === 'string') return /[^\x00-\x7f]/.test(value) ? value : undefined;
  if (!value || typeof value !== 'object') return undefined;
  for (const [key, v] of Object.entries(value as Json)) {
    if (key === 'A_Const') continue;
    const found = nonAsciiName(v);
    if (found !== undefined) return found;
  }
  return undefined;
}

function walkSelect(select: Json, outer: ReadonlySet<string>, found: PgGuardResult): void {
  if (select.intoClause) refuse('SELECT … INTO, which creates a table', 'SELECT INTO');
  if (select.lockingClause) refuse('FOR UPDATE / FOR SHARE, which locks rows', 'FOR UPDATE/SHARE');
  const scope = new Set(outer);
  const withClause = select.withClause as Json | undefined;
  if (withClause) {
    const ctes = ((withClause.ctes ?? []) as Json[]).map((c) => c.CommonTableExpr as Json | undefined);
    if (ctes.some((c) => !c)) refuse('a WITH clause the guard cannot read', 'WITH');
    // A recursive WITH lets every CTE see all of them; otherwise each sees only those before it, never
    // itself: `WITH customers AS (SELECT * FROM customers)` reads the real table, and must count as such.
    if (withClause.recursive) for (const c of ctes) scope.add(String(c!.ctename));
    for (const c of ctes) {
      const query = c!.ctequery as Json | undefined;
      if (!query || !query.SelectStmt) refuse('a data-changing statement inside WITH', 'DML in WITH');
      walkSelect(query.SelectStmt as Json, new Set(scope), found);
      scope.add(String(c!.ctename));
      walkAny(c!.search_clause, scope, found);
      walkAny(c!.cycle_clause, scope, found);
      // CYCLE … SET mark TO v DEFAULT d compares marks with = and <> found by name on the search path.
      if (c!.cycle_clause) found.operators.push('=', '<>');
    }
  }
  for (const [key, value] of Object.entries(select)) {
    if (key === 'withClause') continue;
    // Set operations keep their two sides inline, without a node name.
    if ((key === 'larg' || key === 'rarg') && value && typeof value === 'object') walkSelect(value as Json, scope, found);
    else walkAny(value, scope, found);
  }
}

function walkAny(value: unknown, scope: ReadonlySet<string>, found: PgGuardResult): void {
  if (Array.isArray(value)) {
    for (const v of value) walkAny(v, scope, found);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const o = value as Json;
  const keys = Object.keys(o);
  // A node is {"TypeName": {fields}}; anything else is a struct held inline (an alias, a window).
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) {
    walkNode(keys[0]!, (o[keys[0]!] ?? {}) as Json, scope, found);
    return;
  }
  for (const v of Object.values(o)) walkAny(v, scope, found);
}

function walkNode(type: string, node: Json, scope: ReadonlySet<string>, found: PgGuardResult): void {
  switch (type) {
    case 'SelectStmt':
      walkSelect(node, scope, found);
      return;
    case 'RangeVar':
      relation(node, scope, found);
      return;
    case 'RangeSubselect':
      walkAny(node.subquery, scope, found);
      walkAny(node.alias, scope, found);
      return;
    case 'SubLink':
      // `x = ANY (SELECT …)`, `x IN (SELECT …)`: the operator is the SubLink's own.
      operator(node.operName, found);
      walkAny(node.testexpr, scope, found);
      walkAny(node.subselect, scope, found);
      return;
    case 'SortBy':
      // ORDER BY x USING op
      operator(node.useOp, found);
      walkAny(node.node, scope, found);
      return;
    case 'JoinExpr':
      if (node.usingClause || node.isNatural) found.operators.push('=');
      for (const [key, v] of Object.entries(node)) if (key !== 'usingClause') walkAny(v, scope, found);
      return;
    case 'CaseExpr':
      if (node.arg) found.operators.push('=');
      for (const v of Object.values(node)) walkAny(v, scope, found);
      return;
    case 'A_Indirection':
      for (const i of (node.indirection ?? []) as Json[]) {
        const name = (i.String as Json | undefined)?.sval;
        if (typeof name === 'string') found.dottedNames.push(name);
      }
      for (const v of Object.values(node)) walkAny(v, scope, found);
      return;
    case 'RangeFunction': {
      if (node.coldeflist) refuse('a column definition list on a function in FROM', 'column definition list');
      for (const item of (node.functions ?? []) as Json[]) {
        const [fn, coldefs] = (((item.List as Json | undefined)?.items ?? []) as unknown[]) as [Json | undefined, Json | undefined];
        if (coldefs && Object.keys(coldefs).length > 0) refuse('a column definition list on a function in FROM', 'column definition list');
        const call = fn?.FuncCall as Json | undefined;
        if (!call) refuse('an expression in FROM that is not a function call', 'expression in FROM');
        functionCall(call, scope, found, true);
      }
      walkAny(node.alias, scope, found);
      return;
    }
    case 'FuncCall':
      functionCall(node, scope, found, false);
      return;
    case 'TypeCast':
      typeName(node.typeName as Json | undefined);
      walkAny(node.arg, scope, found);
      return;
    case 'SQLValueFunction':
      if (!CLOCK_VALUES.has(String(node.op))) {
        const what = String(node.op).replace(/^SVFOP_/, '').toLowerCase();
        throw new ExecutionError('not-read-only', `${what} describes the database session; it is not allowed here.`, `not allowed: ${what}`);
      }
      return;
    case 'A_Expr':
      // BETWEEN is written as a name of its own; it compares with <=, >= (and <, > when negated).
      if (/BETWEEN/.test(String(node.kind))) found.operators.push('<', '>', '<=', '>=');
      else operator(node.name, found);
      walkAny(node.lexpr, scope, found);
      walkAny(node.rexpr, scope, found);
      return;
    case 'ColumnRef': {
      const fields = (node.fields ?? []) as Json[];
      const last = fields[fields.length - 1];
      const name = (last?.String as Json | undefined)?.sval;
      if (typeof name === 'string') found.columnNames.push(name);
      for (const f of fields.slice(1)) {
        const part = (f.String as Json | undefined)?.sval;
        if (typeof part === 'string') found.dottedNames.push(part);
      }
      const parts: unknown[] = fields.map((f) => (f.String as Json | undefined)?.sval);
      if (parts.length >= 3 && parts.every((p): p is string => typeof p === 'string') && typeof node.location === 'number') found.qualifiedColumns.push({ fields: parts, location: node.location });
      return;
    }
    case 'CollateClause':
      walkAny(node.arg, scope, found);
      return;
    case 'RangeTableSample':
      refuse('TABLESAMPLE', 'TABLESAMPLE');
      break;
    case 'ParamRef':
      refuse('a parameter ($1), which has no value here', 'parameter');
      break;
    default:
      if (!PLAIN_NODES.has(type)) refuse(type.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' '), type);
      for (const v of Object.values(node)) walkAny(v, scope, found);
  }
}

function relation(node: Json, scope: ReadonlySet<string>, found: PgGuardResult): void {
  const name = jsonText(node.relname);
  const schema = typeof node.schemaname === 'string' ? node.schemaname : undefined;
  const catalog = typeof node.catalogname === 'string' ? node.catalogname : undefined;
  // PostgreSQL matches a CTE by its exact (already folded) name, and only when unqualified.
  if (!schema && !catalog && scope.has(name)) return;
  if (typeof node.location !== 'number' || node.location < 0) refuse('a table reference without a position', 'unlocated table');
  const ref: PgRelationReference = {
    ...(catalog ? { catalog } : {}),
    ...(schema ? { schema } : {}),
    name,
    location: node.location,
    aliased: !!node.alias,
    // The tree leaves out fields at their default, and `inh` is false by default: ONLY omits it.
    inherit: node.inh === true,
  };
  found.relations.push(ref);
  found.tables.push({ catalog: catalog ?? '', schema: schema ?? '', table: name });
}

function functionCall(call: Json, scope: ReadonlySet<string>, found: PgGuardResult, inFrom: boolean): void {
  const parts = ((call.funcname ?? []) as Json[]).map((p) => (p.String as Json | undefined)?.sval);
  if (parts.some((p) => typeof p !== 'string') || parts.length === 0 || parts.length > 2) refuse('a function the guard cannot name', 'unnamed function');
  if (parts.length === 2 && parts[0] !== 'pg_catalog') {
    throw new ExecutionError('not-read-only', `The function ${parts.join('.')}() is not one of PostgreSQL's built-in functions allowed here.`, `not allowed: function ${parts.join('.')}()`);
  }
  const name = parts[parts.length - 1] as string;
  if (!PG_ALLOWED_FUNCTIONS.has(name) || (inFrom && !SET_RETURNING.has(name))) {
    throw new ExecutionError('not-read-only', `The function ${name}() is not allowed here: only computations on the data are (aggregates, window, text, number, date and JSON functions). Functions that read the catalog, the session, settings, files or SQL given as text, or that sleep or lock, never are.`, `not allowed: function ${name}()`);
  }
  if (parts.length === 1) {
    if (typeof call.location !== 'number' || call.location < 0) refuse('a function call without a position', 'unlocated function');
    found.unqualifiedFunctions.push(call.location);
  }
  for (const [key, v] of Object.entries(call)) if (key !== 'funcname') walkAny(v, scope, found);
}

function typeName(t: Json | undefined): void {
  const parts = ((t?.names ?? []) as Json[]).map((p) => (p.String as Json | undefined)?.sval);
  const name = parts[parts.length - 1];
  if (typeof name !== 'string' || parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog') || !PG_ALLOWED_TYPES.has(name) || t?.setof || t?.pct_type) {
    const shown = parts.filter((p) => typeof p === 'string').join('.') || 'this type';
    throw new ExecutionError('not-read-only', `Casting to ${shown} is not allowed here: only plain data types (numbers, text, dates, times, booleans, JSON, UUIDs) are.`, `not allowed: cast to ${shown}`);
  }
}

/** An operator name: OPERATOR(pg_catalog.op) is PostgreSQL's own; any other schema is refused; a bare one is bound later. */
function operator(name: unknown, found: PgGuardResult): void {
  const parts = ((name ?? []) as Json[]).map((p) => (p.String as Json | undefined)?.sval);
  if (parts.length === 0) return;
  if (parts.some((p) => typeof p !== 'string') || parts.length > 2) refuse('an operator the guard cannot name', 'unnamed operator');
  if (parts.length === 2 && parts[0] !== 'pg_catalog') {
    throw new ExecutionError('not-read-only', `The operator ${parts.join('.')} is not one of PostgreSQL's built-in operators.`, `not allowed: operator ${parts.join('.')}`);
  }
  if (parts.length === 1) found.operators.push(parts[0] as string);
}

function refuse(what: string, compact: string): never {
  throw new ExecutionError('not-read-only', `This query uses ${what}, which the read-only guard does not allow.`, `not allowed: ${compact}`);
}
