import type { GuardResult, TableReference } from '../execution/duckdbGuard';
import { closestNames, ExecutionError } from '../execution/errors';
import { asciiLower, PURE_TABLE_FUNCTIONS, restrictedMayCall } from '../execution/functionPolicy';
import { columnKey, isHidden, readsFreely, type AccessDecision, type TableAccess } from './access';
import { jsonText } from '../jsonText';

/**
 * Access policies on DuckDB, in two steps that do not trust each other.
 *
 * 1. On DuckDB's parse tree: every reference to a relation of the catalog — however it is
 *    aliased, quoted, qualified, nested in subqueries, UNIONs or CTE bodies — is resolved to the
 *    relation DuckDB will read. Each relation the asker may not read freely gets a CTE of Ask
 *    Data's, put first in the query's WITH list, that selects only its visible columns of only the
 *    permitted rows from its fully qualified name (`"shop"."main"."customers"`, which no CTE,
 *    alias or search path can capture); relations a row filter names are qualified the same way.
 *    The CTE is named like the relation, so that DuckDB itself binds every unqualified reference
 *    that means it — however it is spelt — to the CTE, and the query's text, and so the names
 *    DuckDB gives its columns, stay as the asker wrote them. Qualified references (which a CTE
 *    cannot capture), and names the query's own top-level CTEs take, use a second CTE of a random
 *    name instead. Each CTE's filter carries a marker only Ask Data knows (new for every query).
 * 2. On DuckDB's bound plan of the rewritten query (`json_serialize_plan`, in duckdbPlan.ts): the binder — not
 *    Ask Data — says which tables are scanned and which functions are called. Every scan of a
 *    table the asker may not read freely must sit under one of the markers; every function outside
 *    them must be on the allow-list. Whatever step 1 got wrong (a CTE spelt with the Kelvin sign, a
 *    macro of the database shadowing a built-in, a view over a denied table) is refused here.
 */

/** A relation of the catalog, with its names exactly as DuckDB stores them. */
export interface CatalogRelation {
  catalog: string;
  schema: string;
  name: string;
  kind: 'table' | 'view';
  /** Column names in order. */
  columns: string[];
}

export interface CatalogSnapshot {
  relations: readonly CatalogRelation[];
  /** The catalog queries read by default (the database's name, e.g. `shop`). */
  defaultCatalog: string;
  /** Names of functions and macros the database defines itself (they can shadow built-ins). */
  definedFunctions: ReadonlySet<string>;
}

/** One table reference to a relation that needs Ask Data's CTE (restricted, or a view). */
export interface TableRewrite {
  node: Record<string, unknown>;
  relation: CatalogRelation;
  access: TableAccess;
  /** Written with a schema or catalog: no CTE can capture it, so its text is replaced. */
  qualified: boolean;
}

export interface AccessPlan {
  rewrites: TableRewrite[];
  /**
   * Relations that need a CTE: those of `rewrites`, and those an unqualified name the walk took for
   * one of the query's own CTEs could mean (DuckDB decides which it binds to).
   */
  shadowed: Array<{ relation: CatalogRelation; access: TableAccess }>;
  /** Relations the query reads (resolved), for messages built from what the asker may see. */
  relations: CatalogRelation[];
}

const SYSTEM_SCHEMAS = new Set(['information_schema', 'pg_catalog']);

/** The relations a name can mean, in the order DuckDB looks for it (temporary objects first). */
export function resolveRelation(ref: TableReference, snapshot: CatalogSnapshot): CatalogRelation | undefined {
  const eq = (a: string, b: string) => asciiLower(a) === asciiLower(b);
  const named = snapshot.relations.filter((r) => eq(r.name, ref.table));
  if (named.length === 0) return undefined;
  if (ref.catalog) return named.find((r) => eq(r.catalog, ref.catalog) && eq(r.schema, ref.schema || 'main'));
  if (ref.schema) {
    // `a.b`: schema a of the default catalog, else the main schema of catalog a.
    return named.find((r) => eq(r.catalog, snapshot.defaultCatalog) && eq(r.schema, ref.schema))
      ?? named.find((r) => eq(r.catalog, ref.schema) && eq(r.schema, 'main'));
  }
  return named.find((r) => eq(r.catalog, 'temp')) ?? named.find((r) => eq(r.catalog, snapshot.defaultCatalog) && eq(r.schema, 'main'));
}

export function qualifiedName(r: Pick<CatalogRelation, 'catalog' | 'schema' | 'name'>): string {
  return [r.catalog, r.schema, r.name].map(quoteIdent).join('.');
}

export const NO_ACCESS = 'This query reads a table or view that your access policies do not let you read';

/**
 * Refuses what the asker may not read or call at all; returns the table references to rewrite.
 * Messages name the rule (groups, default, row policy and attribute), never a hidden relation
 * or column: the asker sees only what they may see.
 */
export function planAccess(guard: GuardResult, decision: AccessDecision, snapshot: CatalogSnapshot): AccessPlan {
  if (decision.unrestricted) return { rewrites: [], shadowed: [], relations: [] };
  if (guard.describesTables) {
    throw new ExecutionError('permission-denied', 'DESCRIBE, SUMMARIZE and SHOW are not available under access policies: they report on whole tables.', 'permission denied: DESCRIBE/SUMMARIZE/SHOW under access policies');
  }
  if (guard.timeTravel) throw new ExecutionError('permission-denied', 'Reading a table AT an earlier version is not available under access policies.', 'permission denied: AT clause under access policies');
  if (guard.files.length > 0) {
    throw new ExecutionError('permission-denied', "Under access policies, files are read through their views (named after the file), which policies name; not by path.", 'permission denied: read files through their views');
  }
  for (const f of guard.functions) checkCall(f, snapshot);
  const rewrites: TableRewrite[] = [];
  const relations: CatalogRelation[] = [];
  const shadowed = new Map<CatalogRelation, TableAccess>();
  const needsCte = (relation: CatalogRelation, access: TableAccess) => !readsFreely(access) || relation.kind === 'view';
  guard.tables.forEach((table, i) => {
    if (SYSTEM_SCHEMAS.has(asciiLower(table.schema)) || asciiLower(table.catalog) === 'system') {
      throw new ExecutionError('permission-denied', 'The system catalog describes every table, including those access policies hide; it is not available to you.', 'permission denied: system catalog');
    }
    const relation = resolveRelation(table, snapshot);
    // A name that is no relation is a CTE the walk did not see in scope, or a table that does
    // not exist: DuckDB's binder decides, and the plan check refuses any real table behind it.
    if (!relation) return;
    const access = decision.table(relation.name);
    if (access.denied) throw new ExecutionError('permission-denied', `${NO_ACCESS} (${access.denied}).`, 'permission denied: a table or view this asker may not read');
    if (access.missingAttribute) throw access.missingAttribute;
    relations.push(relation);
    // Views get a CTE even when they are free to read, so that the tables they read are scanned
    // under a marker and the plan check can tell them from a direct read.
    if (needsCte(relation, access)) {
      rewrites.push({ node: guard.tableNodes[i]!, relation, access, qualified: !!(table.schema || table.catalog) });
      shadowed.set(relation, access);
    }
  });
  for (const name of guard.cteNames) {
    const relation = resolveRelation({ catalog: '', schema: '', table: name }, snapshot);
    if (!relation) continue;
    const access = decision.table(relation.name);
    if (!access.denied && !access.missingAttribute && needsCte(relation, access)) shadowed.set(relation, access);
  }
  return { rewrites, shadowed: [...shadowed].map(([relation, access]) => ({ relation, access })), relations };
}

/**
 * The asker's query with Ask Data's CTEs first in its WITH list (see the top of this file), and
 * qualified references (and names its own top-level CTEs take) replaced by the random-named ones.
 * `bodyOf` gives each relation's restricted SELECT.
 */
export function withAccessCtes(sql: string, guard: Pick<GuardResult, 'topCtes' | 'statement'>, plan: AccessPlan, bodyOf: (relation: CatalogRelation) => string, nonce: string): string {
  if (plan.shadowed.length === 0) return sql;
  const taken = new Set(guard.topCtes.map(asciiLower));
  const definitions: string[] = [];
  const shadow = new Set<CatalogRelation>();
  const named = new Set<string>();
  for (const { relation } of plan.shadowed) {
    const key = asciiLower(relation.name);
    if (taken.has(key) || named.has(key)) continue;
    named.add(key);
    shadow.add(relation);
    definitions.push(`${quoteIdent(relation.name)} AS NOT MATERIALIZED (${bodyOf(relation)})`);
  }
  const unique = new Map<CatalogRelation, string>();
  const uniqueName = (relation: CatalogRelation) => {
    let name = unique.get(relation);
    if (!name) {
      unique.set(relation, (name = `__askdata_${nonce}_${unique.size + 1}`));
      definitions.push(`${quoteIdent(name)} AS NOT MATERIALIZED (${bodyOf(relation)})`);
    }
    return name;
  };
  const renamed = plan.rewrites.filter((r) => r.qualified || !shadow.has(r.relation));
  if (renamed.length > 0) {
    // DuckDB names a column after its expression's text, and a query can read those names
    // (COLUMNS(lambda), alias(), to_json of a row, UNPIVOT, UNION BY NAME, a quoted reference):
    // a subquery in a SELECT list that reads a renamed reference would be named, and matched,
    // differently from the asker's own view. Refused, saying how to write it.
    const named = tableRefsNamedByText(guard.statement);
    if (renamed.some((r) => named.has(r.node))) {
      throw new ExecutionError('permission-denied', 'Under access policies, a restricted table read by a subquery in the SELECT list (SELECT (SELECT count(*) FROM t), EXISTS (…) AS x) must be named as plain t: without its schema or database (orders, not main.orders), and not under a name the query\'s own WITH list gives to something else. Ask Data would otherwise have to rename it, and DuckDB names that column after its text.', 'permission denied: name the table without schema or database in a subquery of the SELECT list');
    }
  }
  const edits = renamed.map((r) => ({ node: r.node, text: quoteIdent(uniqueName(r.relation)) }));
  // Names the query's own CTEs all take, and nothing to replace: the bound plan has the last word.
  if (definitions.length === 0) return sql;
  const at = withInsertion(sql, guard.topCtes.length > 0);
  if (at === undefined) throw new ExecutionError('permission-denied', 'Ask Data could not apply the access policies to a query of this shape, so it was not run.', 'permission denied: cannot apply policies to this query');
  const spliced = Buffer.from(spliceAt(sql, edits, qualifiedColumnEdits(sql, guard.statement, renamed)), 'utf8');
  // Every edit is after the insertion point (table references come after WITH), so its offset holds.
  const text = guard.topCtes.length > 0 ? ` ${definitions.join(', ')},` : `WITH ${definitions.join(', ')} `;
  return Buffer.concat([spliced.subarray(0, at), Buffer.from(text, 'utf8'), spliced.subarray(at)]).toString('utf8');
}

/**
 * The table references (parse-tree nodes) whose text DuckDB can turn into a name: those inside a
 * subquery expression that is part of a SELECT list item (whose column DuckDB names after its
 * text), at any depth, or of an argument of alias(). A subquery in WHERE, ON, HAVING, QUALIFY,
 * ORDER BY or LIMIT names nothing.
 */
function tableRefsNamedByText(statement: unknown): Set<unknown> {
  const found = new Set<unknown>();
  const walk = (v: unknown, naming: boolean, inSubquery: boolean): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, naming, inSubquery);
      return;
    }
    const o = v as Record<string, unknown>;
    const inside = inSubquery || (naming && o.class === 'SUBQUERY');
    if (inside && o.type === 'BASE_TABLE') found.add(o);
    const names = naming || (o.class === 'FUNCTION' && asciiLower(jsonText(o.function_name)) === 'alias');
    for (const [key, x] of Object.entries(o)) walk(x, names || (key === 'select_list' && o.type === 'SELECT_NODE'), inside);
  };
  walk(statement, false, false);
  return found;
}

/**
 * Where Ask Data's CTEs go, in bytes: after `WITH [RECURSIVE]` when the query has its own
 * top-level CTEs, else before its first token (which may be an opening parenthesis).
 */
function withInsertion(sql: string, hasCtes: boolean): number | undefined {
  const lexer = new Lexer(Buffer.from(sql, 'utf8'), 0);
  let t = lexer.next();
  if (!hasCtes) return t?.start;
  while (t && t.kind === 'punct' && t.text === '(') t = lexer.next();
  if (!t || t.kind !== 'name' || asciiLower(t.value) !== 'with') return undefined;
  const next = lexer.next();
  return next && next.kind === 'name' && asciiLower(next.value) === 'recursive' ? next.end : t.end;
}

function checkCall(f: Pick<GuardResult['functions'][number], 'name' | 'schema' | 'catalog' | 'kind'>, snapshot: CatalogSnapshot): void {
  const n = asciiLower(f.name);
  const allowed = f.kind === 'table' ? PURE_TABLE_FUNCTIONS.has(n) : restrictedMayCall(f.name);
  // A function the database defines shadows the built-in of the same name, and may read tables.
  if (allowed && inBuiltInNamespace(f.schema, f.catalog) && !snapshot.definedFunctions.has(n)) return;
  throw new ExecutionError('permission-denied', `${f.kind === 'table' ? 'The table function' : 'The function'} ${n}() is not among those Ask Data lets askers under access policies call (see Safety in the README).`, `permission denied: ${n}() is not allowed under access policies`);
}

/**
 * Whether a call names DuckDB's built-ins: unqualified, `main.f` or `system.main.f`. DuckDB's own
 * parser writes `main` itself for the functions behind SQL syntax — `EXTRACT(year FROM d)` is
 * `main.date_part`, `[1, 2]` is `main.list_value`, `{'a': 1}` `main.struct_pack`, `TRIM(x)`,
 * `SUBSTRING(x, 1, 2)`, `AT TIME ZONE` and list comprehensions likewise — so such a call is the
 * built-in unless the database defines a function of that name (refused by the caller), and the
 * bound plan's check that every function comes from the system catalog has the last word.
 */
function inBuiltInNamespace(schema: string, catalog: string): boolean {
  const s = asciiLower(schema);
  const c = asciiLower(catalog);
  return (s === '' || s === 'main') && (c === '' || c === 'system');
}

/** The marker constant of one rewrite: a condition that is always true, and that no asker can forge. */
export function markerCondition(marker: string): string {
  return `${sqlString(marker)} IS NOT NULL`;
}

/**
 * The SQL of the subquery that stands in for a relation: visible columns, permitted rows, and
 * the marker. `filters` are the row filters with the relations they name already qualified.
 */
export function restrictedRelationSql(relation: CatalogRelation, access: TableAccess, filters: readonly string[], marker: string): string {
  const visible = relation.columns.filter((c) => !isHidden(access, c));
  if (visible.length === 0) throw new ExecutionError('permission-denied', `${NO_ACCESS} (every column of it is hidden from you).`, 'permission denied: every column hidden');
  const select = visible.length === relation.columns.length ? '*' : visible.map(quoteIdent).join(', ');
  const where = [...filters.map((f) => `(${f})`), markerCondition(marker)].join(' AND ');
  return `SELECT ${select} FROM ${qualifiedName(relation)} WHERE ${where}`;
}

/**
 * A row filter with every relation it names replaced by its fully qualified name, so that a CTE
 * of the asker's query named like one of them cannot stand in for it. `parsed` is DuckDB's parse
 * tree (through the guard) of `filterProbe(relation, condition)`.
 */
export function qualifyFilter(relation: CatalogRelation, condition: string, parsed: GuardResult, snapshot: CatalogSnapshot, policy: string): string {
  const probe = filterProbe(relation, condition);
  const start = Buffer.byteLength(filterPrefix(relation));
  const edits: Array<{ node: Record<string, unknown>; text: string }> = [];
  parsed.tables.forEach((table, i) => {
    const node = parsed.tableNodes[i]!;
    if (Number(node.query_location) < start) return;
    const target = resolveRelation(table, snapshot);
    if (!target) {
      throw new ExecutionError('permission-denied', `The row policy ${policy} names a table or view that does not exist, so it cannot be applied and nothing it protects can be read. Ask whoever maintains askdata/policies.yml to fix it.`, `permission denied: row policy ${policy} cannot be applied`);
    }
    edits.push({ node, text: qualifiedName(target) });
  });
  const spliced = spliceAt(probe, edits);
  return spliced.slice(filterPrefix(relation).length, spliced.length - 1);
}

function filterPrefix(relation: CatalogRelation): string {
  return `SELECT 1 FROM ${qualifiedName(relation)} WHERE (`;
}

export function filterProbe(relation: CatalogRelation, condition: string): string {
  return `${filterPrefix(relation)}${condition})`;
}

/**
 * Puts `text` in place of each table reference in the query's own text, at the byte offset
 * DuckDB's parser recorded. Working on the text rather than re-serialising the tree keeps every
 * literal exactly as written (the tree's JSON holds 64-bit numbers JavaScript cannot). A reference
 * without a usable offset fails closed.
 */
function spliceAt(sql: string, replacements: ReadonlyArray<{ node: Record<string, unknown>; text: string }>, more: ReadonlyArray<{ start: number; end: number; text: string }> = []): string {
  const bytes = Buffer.from(sql, 'utf8');
  const edits = replacements.map(({ node, text }) => {
    const start = Number(node.query_location);
    const end = Number.isSafeInteger(start) && start >= 0 && start < bytes.length ? endOfName(bytes, start) : -1;
    if (end < 0) {
      throw new ExecutionError('permission-denied', 'Ask Data could not locate a table in the query to apply the access policies, so it was not run.', 'permission denied: cannot apply policies to a table reference');
    }
    // The reference keeps the name the query used for it: `customers.country` still binds.
    const alias = (node.alias as string) ? '' : ` AS ${quoteIdent(String(node.table_name))}`;
    return { start, end, text: `${text}${alias}` };
  }).concat(more).sort((a, b) => b.start - a.start);
  let out = bytes;
  for (const edit of edits) out = Buffer.concat([out.subarray(0, edit.start), Buffer.from(edit.text, 'utf8'), out.subarray(edit.end)]);
  return out.toString('utf8');
}

/**
 * A renamed reference keeps the name the query used for it (`… AS "customers"`), which binds a
 * column qualified by the table alone; one qualified by schema or database as well
 * (`main.customers.country`, `shop.main.customers.country`) would no longer bind. Each such
 * column reference whose qualifier is the schema and name (or database, schema and name) of a
 * renamed reference without an alias gets that name alone as its qualifier instead.
 */
function qualifiedColumnEdits(sql: string, statement: unknown, renamed: readonly TableRewrite[]): Array<{ start: number; end: number; text: string }> {
  const unaliased = renamed.filter((r) => !(r.node.alias as string));
  if (unaliased.length === 0) return [];
  const bytes = Buffer.from(sql, 'utf8');
  const eq = (a: unknown, b: string) => asciiLower(String(a)) === asciiLower(b);
  const edits: Array<{ start: number; end: number; text: string }> = [];
  // `naming`: inside a SELECT-list item that DuckDB names after its text (not a bare column, no alias).
  const visit = (v: unknown, naming: boolean): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, naming));
    const o = v as Record<string, unknown>;
    if (o.type === 'SELECT_NODE' && Array.isArray(o.select_list)) {
      for (const item of o.select_list as Array<Record<string, unknown>>) visit(item, naming || (item.class !== 'COLUMN_REF' && !(item.alias as string)));
      for (const [key, x] of Object.entries(o)) if (key !== 'select_list') visit(x, naming);
      return;
    }
    const names = o.class === 'COLUMN_REF' && Array.isArray(o.column_names) ? (o.column_names as unknown[]) : [];
    if (names.length >= 3) {
      for (const parts of [4, 3]) {
        if (names.length < parts) continue;
        const r = unaliased.find(({ relation: t }) => (parts === 4 ? eq(names[0], t.catalog) && eq(names[1], t.schema) : eq(names[0], t.schema)) && eq(names[parts - 2], t.name));
        const start = Number(o.query_location);
        const end = r && Number.isSafeInteger(start) && start >= 0 ? endOfName(bytes, start, parts - 1) : -1;
        if (!r || end < 0) continue;
        if (naming) {
          throw new ExecutionError('permission-denied', 'Under access policies, a column qualified by its table\'s schema or database (main.orders.amount) inside an expression of the SELECT list must be qualified by the table name alone (orders.amount), or the expression given a name with AS: DuckDB names that column after its text, and Ask Data would have to change it.', 'permission denied: qualify the column by its table alone in a SELECT-list expression, or alias it');
        }
        edits.push({ start, end, text: quoteIdent(String(r.node.table_name)) });
        break;
      }
    }
    Object.values(o).forEach((x) => visit(x, naming));
  };
  visit(statement, false);
  return edits;
}

/**
 * `SELECT * EXCLUDE (email)` over a table whose email column is hidden: the asker's view has no
 * such column, and excluding what is not there is no change. Removes `names` from the EXCLUDE
 * list of each `*` that lists them (the whole clause when nothing is left).
 */
export function dropExcluded(sql: string, stars: ReadonlyArray<Record<string, unknown>>, names: ReadonlySet<string>): string {
  const bytes = Buffer.from(sql, 'utf8');
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const star of stars) {
    const listed = [...((star.exclude_list as string[] | undefined) ?? []), ...((star.qualified_exclude_list as Array<{ column: string }> | undefined) ?? []).map((q) => q.column)];
    if (!listed.some((n) => names.has(columnKey(n)))) continue;
    const edit = excludeClauseEdit(bytes, Number(star.query_location), names);
    if (!edit) throw new ExecutionError('permission-denied', 'Ask Data could not apply the access policies to an EXCLUDE list in this query, so it was not run.', 'permission denied: cannot rewrite EXCLUDE');
    edits.push(edit);
  }
  let out = bytes;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = Buffer.concat([out.subarray(0, e.start), Buffer.from(e.text, 'utf8'), out.subarray(e.end)]);
  return out.toString('utf8');
}

/** The byte range of `EXCLUDE …` after the `*` at `at`, and what to put there instead. */
function excludeClauseEdit(bytes: Buffer, at: number, names: ReadonlySet<string>): { start: number; end: number; text: string } | undefined {
  const lexer = new Lexer(bytes, at);
  // [COLUMNS (] [qualifier .]* *
  let previous: Token | undefined;
  for (;;) {
    const t = lexer.next();
    if (!t) return undefined;
    if (t.kind === 'punct' && t.text === '*') break;
    const columnsCall = t.kind === 'punct' && t.text === '(' && previous?.kind === 'name' && asciiLower(previous.value) === 'columns';
    if (!columnsCall && t.kind !== 'name' && !(t.kind === 'punct' && t.text === '.')) return undefined;
    previous = t;
  }
  const keyword = lexer.next();
  if (!keyword || keyword.kind !== 'name' || asciiLower(keyword.text) !== 'exclude') return undefined;
  const items: Array<{ text: string; column: string }> = [];
  // One item — a column, possibly qualified — starting at `first`; returns the token after it.
  let last = 0;
  const readItem = (first: Token): Token | undefined | null => {
    if (first.kind !== 'name') return null;
    let column = first.value;
    last = first.end;
    let t = lexer.next();
    while (t && t.kind === 'punct' && t.text === '.') {
      const n = lexer.next();
      if (!n || n.kind !== 'name') return null;
      column = n.value;
      last = n.end;
      t = lexer.next();
    }
    items.push({ text: bytes.subarray(first.start, last).toString('utf8'), column });
    return t;
  };
  const open = lexer.next();
  if (!open) return undefined;
  let end: number;
  if (open.kind === 'punct' && open.text === '(') {
    let t = lexer.next();
    for (;;) {
      if (!t) return undefined;
      const after = readItem(t);
      if (!after || after.kind !== 'punct') return undefined;
      if (after.text === ')') {
        end = after.end;
        break;
      }
      if (after.text !== ',') return undefined;
      t = lexer.next();
    }
  } else {
    if (readItem(open) === null) return undefined;
    end = last;
  }
  const kept = items.filter((i) => !names.has(columnKey(i.column)));
  return { start: keyword.start, end, text: kept.length ? `EXCLUDE (${kept.map((k) => k.text).join(', ')})` : '' };
}

interface Token {
  kind: 'name' | 'punct';
  text: string;
  /** For names: the identifier, unquoted. */
  value: string;
  start: number;
  end: number;
}

/** Just enough of SQL's lexical rules to walk a star's EXCLUDE list: names, quotes, comments. */
class Lexer {
  constructor(private readonly bytes: Buffer, private i: number) {}

  next(): Token | undefined {
    const b = this.bytes;
    for (;;) {
      while (this.i < b.length && (b[this.i] === 0x20 || b[this.i] === 0x09 || b[this.i] === 0x0a || b[this.i] === 0x0d)) this.i++;
      if (b[this.i] === 0x2d && b[this.i + 1] === 0x2d) {
        while (this.i < b.length && b[this.i] !== 0x0a) this.i++;
      } else if (b[this.i] === 0x2f && b[this.i + 1] === 0x2a) {
        const close = b.indexOf('*/', this.i + 2);
        if (close < 0) return undefined;
        this.i = close + 2;
      } else break;
    }
    if (this.i >= b.length) return undefined;
    const start = this.i;
    if (b[this.i] === QUOTE) {
      const end = endOfQuoted(b, this.i);
      if (end < 0) return undefined;
      this.i = end;
      const text = b.subarray(start, end).toString('utf8');
      return { kind: 'name', text, value: text.slice(1, -1).replaceAll('""', '"'), start, end };
    }
    if (isNameByte(b[this.i]!) || b[this.i]! >= 0x80) {
      while (this.i < b.length && (isNameByte(b[this.i]!) || b[this.i]! >= 0x80)) this.i++;
      const text = b.subarray(start, this.i).toString('utf8');
      return { kind: 'name', text, value: text, start, end: this.i };
    }
    this.i++;
    return { kind: 'punct', text: String.fromCharCode(b[start]!), value: '', start, end: this.i };
  }
}

const QUOTE = 0x22;
const DOT = 0x2e;

function endOfQuoted(bytes: Buffer, start: number): number {
  let i = start + 1;
  for (;;) {
    if (i >= bytes.length) return -1;
    if (bytes[i] !== QUOTE) i++;
    else if (bytes[i + 1] === QUOTE) i += 2; // an escaped quote inside the name
    else return i + 1;
  }
}

/** The end (in bytes) of a possibly quoted, possibly dotted name that starts at `start` (of its first `parts` parts), or -1. */
function endOfName(bytes: Buffer, start: number, parts = Infinity): number {
  let i = start;
  for (let n = 1; ; n++) {
    if (bytes[i] === QUOTE) {
      i = endOfQuoted(bytes, i);
      if (i < 0) return -1;
    } else {
      const from = i;
      while (i < bytes.length && (isNameByte(bytes[i]!) || bytes[i]! >= 0x80)) i++;
      if (i === from) return -1;
    }
    const j = skipSpace(bytes, i);
    if (bytes[j] !== DOT || n >= parts) return i;
    i = skipSpace(bytes, j + 1);
  }
}

/** Past blanks and comments, which SQL allows between the parts of a dotted name (main, a comment, then .orders). */
function skipSpace(bytes: Buffer, i: number): number {
  for (;;) {
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
    if (bytes[i] === 0x2d && bytes[i + 1] === 0x2d) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++;
    } else if (bytes[i] === 0x2f && bytes[i + 1] === 0x2a) {
      const close = bytes.indexOf('*/', i + 2);
      if (close < 0) return bytes.length;
      i = close + 2;
    } else return i;
  }
}

function isNameByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x24;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Logical operators a read-only query binds to; anything else (a write, a pragma, an attach) is refused. */
export function visibleNames(snapshot: CatalogSnapshot, decision: AccessDecision): { relations: string[]; columns: string[] } {
  const relations: string[] = [];
  const columns: string[] = [];
  for (const r of snapshot.relations) {
    const access = decision.table(r.name);
    if (access.denied || access.missingAttribute) continue;
    relations.push(r.name);
    for (const c of r.columns) if (!isHidden(access, c)) columns.push(c);
  }
  return { relations, columns };
}

/**
 * A binder error of the rewritten query, as the asker may see it: names they may see, a hidden
 * column reported as hidden (without its name), suggestions only among visible names. DuckDB's
 * own message is never passed on: its "did you mean" lists come from the whole catalog.
 */
export function bindErrorFor(bind: { type: string; subtype: string; message: string; name?: string }, hiddenInQuery: (column: string) => boolean, names: { relations: string[]; columns: string[] }): ExecutionError {
  const table = /Table with name (.+?) does not exist/i.exec(bind.message)?.[1] ?? (bind.subtype === 'MISSING_ENTRY' && /table|view/i.test(bind.message) ? bind.name : undefined);
  // The name is not repeated: it may be one the asker must not learn exists (a spelling of a
  // denied table's name that DuckDB does not fold, say).
  if (table) {
    const suggestions = closestNames(table.replace(/^.*\./, '').replaceAll('"', ''), names.relations);
    const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
    return new ExecutionError('unknown-table', `There is no table or view of that name that you may read.${hint}`, `unknown table${hint}`, suggestions);
  }
  const column = /Referenced column "?([^"\n]+?)"? not found/i.exec(bind.message)?.[1]
    ?? /column with name "?([^"\n]+?)"? (?:not found|does not exist)/i.exec(bind.message)?.[1]
    ?? /Column "([^"\n]+)" in (?:EXCLUDE|REPLACE|RENAME) list not found/i.exec(bind.message)?.[1]
    ?? /does not have a column named "([^"\n]+)"/i.exec(bind.message)?.[1];
  if (column) {
    const bare = column.replace(/^.*\./, '');
    if (hiddenInQuery(bare)) {
      return new ExecutionError('permission-denied', 'This query uses a column that your access policies hide from you.', 'permission denied: a column hidden from this asker');
    }
    const suggestions = closestNames(bare, names.columns);
    const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
    return new ExecutionError('unknown-column', `There is no column of that name here that you may see.${hint}`, `unknown column${hint}`, suggestions);
  }
  if (/Referenced table .* not found/i.test(bind.message)) {
    return new ExecutionError('unknown-table', 'The query qualifies a column with a table name its FROM clause does not have (a table given an alias is named by its alias alone).', 'unknown table in a column reference');
  }
  // Whatever else DuckDB says, a name it quotes is the query's own text or the rewrite's: withheld.
  const line = withoutCatalogHints(bind.message).replace(/"[^"]*"/g, '"…"');
  return new ExecutionError(bind.type === 'parser' ? 'syntax' : 'runtime', line, line);
}

/** DuckDB's first line without "did you mean"/candidate lists, which are drawn from the whole catalog. */
export function withoutCatalogHints(message: string): string {
  return message.split('\n')[0]!.replace(/\s*(Did you mean|Candidate (bindings|functions|tables)).*$/i, '').trim();
}

/**
 * A runtime error for an asker under access policies: DuckDB's error type and message with the
 * values it quotes withheld. Policy filters are evaluated before a query's own conditions in
 * DuckDB's plans, but DuckDB does not promise that order, and an error is the one place a value
 * of a row the filter drops could surface.
 */
export function withheldRuntimeMessage(message: string): string {
  const line = withoutCatalogHints(message);
  // Greedy: a quoted value may hold quotes of its own.
  return line.replace(/'.*'/g, "'…'").replace(/".*"/g, '"…"').replace(/\b\d[\d.,:-]*\b/g, '…');
}
