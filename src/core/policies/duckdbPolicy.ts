import type { GuardResult, TableReference } from '../execution/duckdbGuard';
import { ExecutionError } from '../execution/errors';
import type { AccessDecision, TableAccess } from './access';

/**
 * Access policies on DuckDB's parse tree. Every reference to a real table — however it is
 * aliased, quoted, schema-qualified, nested in subqueries, UNIONs or CTE bodies, or shadowed by a
 * CTE of the same name — is a BASE_TABLE node; each one whose table has hidden columns or row
 * filters is replaced by a subquery that selects only the visible columns of only the permitted
 * rows. `SELECT *` then cannot reach a hidden column and no alias can skip a filter.
 */
export interface TableRewrite {
  node: Record<string, unknown>;
  table: TableReference;
  access: TableAccess;
}

const SYSTEM_SCHEMAS = new Set(['information_schema', 'pg_catalog']);

/** Refuses what the asker may not read at all; returns the table references to rewrite. */
export function planAccess(guard: GuardResult, decision: AccessDecision): TableRewrite[] {
  if (decision.unrestricted) return [];
  if (guard.describesTables) {
    throw new ExecutionError('permission-denied', 'DESCRIBE, SUMMARIZE and SHOW are not available under access policies: they report on whole tables.', 'permission denied: DESCRIBE/SUMMARIZE/SHOW under access policies');
  }
  const rewrites: TableRewrite[] = [];
  const hidden = new Map<string, string>();
  guard.tables.forEach((table, i) => {
    if (SYSTEM_SCHEMAS.has(table.schema.toLowerCase())) {
      throw new ExecutionError('permission-denied', `${table.schema}.${table.table} describes every table, including those access policies hide; it is not available to you.`, `permission denied: ${table.schema}.${table.table}`);
    }
    const access = decision.table(table.table);
    if (access.denied) {
      throw new ExecutionError('permission-denied', `You may not read ${table.table} (${access.denied}).`, `permission denied: table ${table.table}`);
    }
    for (const [column, rule] of access.hiddenColumns) hidden.set(column, rule);
    if (access.hiddenColumns.size > 0 || access.rowFilters.length > 0) rewrites.push({ node: guard.tableNodes[i]!, table, access });
  });
  // A clear refusal for a hidden column named outright; the rewrite would make it unknown anyway.
  if (hidden.size > 0) {
    forEachNode(guard.statement, (o) => {
      if (o.class !== 'COLUMN_REF' || !Array.isArray(o.column_names)) return;
      const column = String(o.column_names[o.column_names.length - 1]).toLowerCase();
      const rule = hidden.get(column);
      if (rule) throw new ExecutionError('permission-denied', `You may not see the column ${column} (${rule}).`, `permission denied: column ${column}`);
    });
  }
  return rewrites;
}

/** The SQL of the subquery that stands in for a table: visible columns, permitted rows. */
export function restrictedTableSql(table: TableReference, columns: readonly string[], access: TableAccess): string {
  const visible = columns.filter((c) => !access.hiddenColumns.has(c.toLowerCase()));
  if (visible.length === 0) throw new ExecutionError('permission-denied', `Every column of ${table.table} is hidden from you.`, `permission denied: table ${table.table}`);
  const name = [table.catalog, table.schema, table.table].filter(Boolean).map(quoteIdent).join('.');
  const where = access.rowFilters.length ? ` WHERE ${access.rowFilters.map((f) => `(${f.condition})`).join(' AND ')}` : '';
  return `SELECT ${visible.map(quoteIdent).join(', ')} FROM ${name}${where}`;
}

/**
 * Puts each subquery in place of its table reference in the query's own text, at the byte offset
 * DuckDB's parser recorded. Working on the text rather than re-serialising the tree keeps every
 * literal exactly as written (the tree's JSON holds 64-bit numbers JavaScript cannot). A reference
 * without a usable offset fails closed.
 */
export function spliceSubqueries(sql: string, replacements: ReadonlyArray<{ node: Record<string, unknown>; subquerySql: string }>): string {
  const bytes = Buffer.from(sql, 'utf8');
  const edits = replacements.map(({ node, subquerySql }) => {
    const start = Number(node.query_location);
    const end = Number.isSafeInteger(start) && start >= 0 && start < bytes.length ? endOfName(bytes, start) : -1;
    if (end < 0) {
      throw new ExecutionError('permission-denied', `Ask Data could not locate ${String(node.table_name)} in the query to apply the access policies, so it was not run.`, `permission denied: cannot apply policies to ${String(node.table_name)}`);
    }
    const alias = (node.alias as string) ? '' : ` AS ${quoteIdent(String(node.table_name))}`;
    return { start, end, text: `(${subquerySql})${alias}` };
  }).sort((a, b) => b.start - a.start);
  let out = bytes;
  for (const edit of edits) out = Buffer.concat([out.subarray(0, edit.start), Buffer.from(edit.text, 'utf8'), out.subarray(edit.end)]);
  return out.toString('utf8');
}

const QUOTE = 0x22;
const DOT = 0x2e;

/** The end (in bytes) of a possibly quoted, possibly dotted name that starts at `start`, or -1. */
function endOfName(bytes: Buffer, start: number): number {
  let i = start;
  for (;;) {
    if (bytes[i] === QUOTE) {
      i++;
      for (;;) {
        if (i >= bytes.length) return -1;
        if (bytes[i] !== QUOTE) i++;
        else if (bytes[i + 1] === QUOTE) i += 2; // an escaped quote inside the name
        else break;
      }
      i++;
    } else {
      const from = i;
      while (i < bytes.length && (isNameByte(bytes[i]!) || bytes[i]! >= 0x80)) i++;
      if (i === from) return -1;
    }
    const j = skipSpace(bytes, i);
    if (bytes[j] !== DOT) return i;
    i = skipSpace(bytes, j + 1);
  }
}

function skipSpace(bytes: Buffer, i: number): number {
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return i;
}

function isNameByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x24;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function forEachNode(value: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) forEachNode(v, visit);
  } else if (value && typeof value === 'object') {
    visit(value as Record<string, unknown>);
    for (const v of Object.values(value)) forEachNode(v, visit);
  }
}
