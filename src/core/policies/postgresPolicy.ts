import { ExecutionError } from '../execution/errors';
import type { PgGuardResult, PgRelationReference } from '../execution/postgresGuard';
import { columnKey, isHidden, type AccessDecision, type TableAccess } from './access';
import { quoteIdent } from './duckdbPolicy';

/**
 * Access policies on PostgreSQL, on the server's own parse tree and its own catalog.
 *
 * Every relation a query (or a row filter) names is bound to the catalog relation PostgreSQL
 * itself resolves it to — `to_regclass` on the exact name the parser produced, in the session
 * that runs the query, with its search_path — and is written back fully qualified
 * (`"public"."orders"`), so no CTE, alias or later search_path can make it mean another relation.
 * For a restricted asker:
 * - a relation its bare name would not resolve to (another schema's same-named table) is refused:
 *   policies.yml names relations as the search path finds them;
 * - a denied relation is refused; one with hidden columns or row filters is replaced, at the
 *   parser's byte offset, by a subquery of its visible columns and permitted rows;
 * - row filters are parsed and bound the same way, so a user CTE named like a table a filter reads
 *   cannot capture it; a row-filtered subquery is an optimisation fence (see PlannedRewrite.fence),
 *   and so is a view over what the asker may not read unless it is a security_barrier view;
 * - a partition or inheritance child of a restricted table is refused (its rows are the parent's),
 *   and so is a parent one of whose children policies restrict, unless read with ONLY.
 * For everyone: the system catalogs are refused (information_schema for restricted askers too),
 * and so are the relations an extension installs; every built-in function call is written
 * `pg_catalog.name(…)`, so the allow-list means exactly PostgreSQL's own functions, never a
 * same-named one on the search path; and what the tree does not show as a call — `x.f`, which
 * PostgreSQL reads as `f(x)` for a value of any type, and operators it resolves by the search path
 * — is bound against the catalog and refused unless it is an allow-listed built-in (or, for an
 * operator, an installed extension's), see refuseRoutines.
 */

/** A relation as the server resolved it; undefined when the name resolves to nothing. */
export interface PgResolvedRelation {
  schema: string;
  name: string;
  /** pg_class.relkind: r table, v view, m materialized view, p partitioned table, f foreign table. */
  kind: string;
  /** Whether its bare name resolves to it on the search path (what policies.yml names). */
  onSearchPath: boolean;
  columns: string[];
  /** Tables it is a partition or an inheritance child of, nearest first (its rows are theirs too). */
  ancestors: string[];
  /** Its partitions and inheritance children, at every depth (reading it reads their rows). */
  descendants: string[];
  /** For a view: whether it is a security_barrier view (PostgreSQL then never evaluates the asker's conditions before its own). */
  securityBarrier: boolean;
  /** For a view: the relations it reads, through other views too. */
  bases: string[];
  /** The extension that installed it, if one did (pg_buffercache, pg_stat_statements …): not the team's data. */
  extension?: string;
}

/** A function or operator the query could reach that PostgreSQL's own allow-listed ones are not (see routinesSql). */
export interface PgRoutine {
  kind: 'function' | 'operator';
  schema: string;
  name: string;
  /** For a function: whether every one of that name (in that schema) callable with one argument is immutable and takes no reg* value (computes from its argument alone). */
  immutable?: boolean;
}

export interface ByteEdit {
  start: number;
  end: number;
  text: string;
}

const SYSTEM_SCHEMA = /^(pg_catalog|information_schema|pg_toast.*|pg_temp.*)$/;

export function qualifiedName(r: Pick<PgResolvedRelation, 'schema' | 'name'>): string {
  return `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`;
}

/** The text `to_regclass` resolves a reference by: each part quoted, so the parser's folding is kept exactly. */
export function regclassText(ref: Pick<PgRelationReference, 'schema' | 'name'>): string {
  return ref.schema === undefined ? quoteIdent(ref.name) : `${quoteIdent(ref.schema)}.${quoteIdent(ref.name)}`;
}

/** The restricted form of a table, before its filter's relations are bound (see bindFilter). */
export interface PlannedRewrite {
  index: number;
  access: TableAccess;
  /**
   * Whether the subquery must be an optimisation fence (OFFSET 0): PostgreSQL evaluates the
   * asker's own conditions wherever it likes, also before a row filter, so an error raised by one
   * (`decode(country, 'hex')`) would tell of rows the filter hides. Behind the fence it sees only
   * permitted rows. Row filters need it, and views over what the asker may not read that are not
   * security_barrier views.
   */
  fence: boolean;
}

/** Whether a table's access hides anything (rows, columns or all of it). */
function restrictive(t: TableAccess): boolean {
  return !!t.denied || !!t.missingAttribute || t.hiddenColumns.size > 0 || t.rowFilters.length > 0;
}

/**
 * Whether policies.yml restricts `name` itself: hidden columns, row filters, or a denial that names
 * it rather than leaving it out of an allow list (only when a relation nobody named would be
 * readable is a denial certain to be about this one). A partition left out of an allow list that
 * names its parent is not restricted by that.
 */
function restrictedByName(decision: AccessDecision, name: string): boolean {
  const t = decision.table(name);
  // No relation is called this (PostgreSQL names cannot hold NUL): the verdict for an unnamed relation.
  return !!t.missingAttribute || t.hiddenColumns.size > 0 || t.rowFilters.length > 0 || (!!t.denied && !decision.table('\u0000').denied);
}

/**
 * Decides every relation reference of a query for the asker; throws for what they may not read.
 * Returns the references whose table must be replaced by a restricted subquery.
 */
export function planPostgresAccess(guard: PgGuardResult, resolved: ReadonlyArray<PgResolvedRelation | undefined>, decision: AccessDecision | undefined): PlannedRewrite[] {
  const restricted = !!decision && !decision.unrestricted;
  const rewrites: PlannedRewrite[] = [];
  const hidden = new Map<string, string>();
  guard.relations.forEach((ref, i) => {
    if (ref.catalog !== undefined) {
      throw new ExecutionError('not-read-only', `${ref.catalog}.${ref.schema}.${ref.name} names another database; PostgreSQL queries read only the database they run on.`, 'not allowed: three-part name');
    }
    const r = resolved[i];
    // A name that resolves to nothing fails when the query runs, naming only what was written.
    if (!r) return;
    if (SYSTEM_SCHEMA.test(r.schema) && (restricted || r.schema !== 'information_schema')) {
      throw new ExecutionError(restricted ? 'permission-denied' : 'not-read-only', `${r.schema}.${r.name} describes the database itself (its catalog, settings, sessions or statistics); it is not available${restricted ? ' to you' : ' here'}.`, `not allowed: ${r.schema}.${r.name}`);
    }
    // What an extension installs in the team's schema is the extension's, not the team's data, and
    // its views describe the server (pg_buffercache's buffers, pg_stat_statements' queries of
    // every session): refused like the catalogs, whatever the search path makes of them.
    if (r.extension) {
      throw new ExecutionError(restricted ? 'permission-denied' : 'not-read-only', `${r.name} belongs to the extension ${r.extension}, not to the database's data; it is not available${restricted ? ' to you' : ' here'}.`, `not allowed: ${r.name} of extension ${r.extension}`);
    }
    if (!restricted) return;
    if (!r.onSearchPath) {
      throw new ExecutionError('permission-denied', `${r.schema}.${r.name} is not the ${r.name} that policies.yml names (that is the one the search path finds); under access policies only those can be read.`, `permission denied: ${r.schema}.${r.name} is off the search path`);
    }
    if (r.name.toLowerCase() !== asciiLower(r.name)) {
      // policies.yml matches names case-insensitively; a name that folds differently in Unicode and
      // in PostgreSQL (the Kelvin sign, say) could match a policy written for another relation.
      throw new ExecutionError('permission-denied', `The relation ${quoteIdent(r.name)} has a name access policies cannot match unambiguously; it is not available under access policies.`, `permission denied: ambiguous name ${r.name}`);
    }
    const access = decision.table(r.name);
    if (access.denied) throw new ExecutionError('permission-denied', `You may not read ${r.name} (${access.denied}).`, `permission denied: table ${r.name}`);
    // A row policy that needs an attribute the asker lacks: the table is refused, never read unfiltered.
    if (access.missingAttribute) throw access.missingAttribute;
    // A partition's rows are its parent's: the parent's policies hold for them however they are read.
    const parent = r.ancestors.find((a) => restrictedByName(decision, a));
    if (parent) {
      throw new ExecutionError('permission-denied', `${r.name} holds rows of ${parent} (it is a partition of it or inherits from it), which access policies restrict for you; read ${parent} instead.`, `permission denied: ${r.name} is part of ${parent}`);
    }
    // And reading a parent reads its partitions: one with policies of its own cannot be read through it.
    const child = ref.inherit ? r.descendants.find((d) => restrictedByName(decision, d)) : undefined;
    if (child) {
      throw new ExecutionError('permission-denied', `${r.name} includes the rows of ${child}, which access policies restrict for you; read ONLY ${r.name}, or ${child} itself.`, `permission denied: ${r.name} includes ${child}`);
    }
    for (const [column, rule] of access.hiddenColumns) hidden.set(column, rule);
    const leakyView = r.kind === 'v' && !r.securityBarrier && r.bases.some((b) => restrictive(decision.table(b)));
    if (access.hiddenColumns.size > 0 || access.rowFilters.length > 0 || leakyView) {
      rewrites.push({ index: i, access, fence: access.rowFilters.length > 0 || leakyView });
    }
  });
  // A clear refusal for a hidden column named outright; the rewrite would make it unknown anyway.
  for (const column of guard.columnNames) {
    const rule = hidden.get(columnKey(column)) ?? hidden.get(column.toLowerCase());
    if (rule) throw new ExecutionError('permission-denied', `You may not see the column ${column} (${rule}).`, `permission denied: column ${column}`);
  }
  return rewrites;
}

/** The WHERE text of a table's row filters, for parsing and binding. */
export function filterText(access: TableAccess): string | undefined {
  return access.rowFilters.length ? access.rowFilters.map((f) => `(${f.condition})`).join(' AND ') : undefined;
}

/**
 * A relation reference as written back: fully qualified. Its reference name stays the one it was
 * written with (an unaliased `"public"."orders"` is still `orders`), and without an alias of its
 * own `public.orders.order_id` keeps meaning its column too.
 */
export function boundReference(_ref: PgRelationReference, r: PgResolvedRelation): string {
  return qualifiedName(r);
}

/** The subquery that stands in for a table: its visible columns, its permitted rows (behind a fence, see PlannedRewrite). */
export function restrictedSubquery(ref: PgRelationReference, r: PgResolvedRelation, access: TableAccess, boundFilter: string | undefined, fence: boolean): string {
  const visible = r.columns.filter((c) => !isHidden(access, c));
  if (visible.length === 0) throw new ExecutionError('permission-denied', `Every column of ${r.name} is hidden from you.`, `permission denied: table ${r.name}`);
  const where = boundFilter ? ` WHERE ${boundFilter}` : '';
  return `(SELECT ${visible.map(quoteIdent).join(', ')} FROM ${ref.inherit ? '' : 'ONLY '}${qualifiedName(r)}${where}${fence ? ' OFFSET 0' : ''})${ref.aliased ? '' : ` AS ${quoteIdent(ref.name)}`}`;
}

/**
 * Refuses what the query could call beyond PostgreSQL's own allow-listed functions and operators.
 * A name after a dot is a call whenever what precedes it has no field of that name: `t.f` is
 * `f(t)`, and `x.f` or `(expr).f` for a value of any type is `f(x)` — `('select …').ts_stat` runs
 * the text as a query, `('/etc/passwd').pg_read_file` reads the file. So every function callable
 * with one argument that such a name could call must be an allow-listed pg_catalog function, or an
 * immutable one of pg_catalog's taking no catalog reference (reg*) — by PostgreSQL's own contract
 * it computes from its argument alone —, because the name is as often a column the query made
 * (`select t.name from (select customer_name as name …) t`: PostgreSQL takes the column first, and
 * pg_catalog has name(text)). An operator the search path could resolve to one the database
 * defines (not an extension's) is refused too.
 */
export function refuseRoutines(routines: readonly PgRoutine[], allowed: ReadonlySet<string>): void {
  for (const r of routines) {
    if (r.kind === 'operator') {
      throw new ExecutionError('not-read-only', `The operator ${r.name} could resolve here to ${r.schema}.${r.name}, an operator defined in this database rather than PostgreSQL's own, so the query was not run. Write OPERATOR(pg_catalog.${r.name}) for PostgreSQL's.`, `not allowed: operator ${r.schema}.${r.name} on the search path`);
    }
    if (r.schema === 'pg_catalog' && (allowed.has(r.name) || r.immutable === true)) continue;
    throw new ExecutionError('not-read-only', `The name ${r.name} after a dot could call ${r.schema}.${r.name}() (PostgreSQL reads x.${r.name} as ${r.name}(x) when x has no column ${r.name}); it is not one of the functions allowed here, so the query was not run.`, `not allowed: function ${r.schema}.${r.name}() by column notation`);
  }
}

/** The edits that qualify unqualified built-in function calls with pg_catalog. */
export function functionEdits(guard: PgGuardResult, offset = 0): ByteEdit[] {
  return guard.unqualifiedFunctions.map((at) => ({ start: at - offset, end: at - offset, text: 'pg_catalog.' }));
}

/** Replaces byte ranges of `sql` (offsets as PostgreSQL's parser reports them: bytes of UTF-8). */
export function applyByteEdits(sql: string, edits: readonly ByteEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.end > sorted[i - 1]!.start) throw new ExecutionError('permission-denied', 'Ask Data could not apply the access policies to this query (two rewrites overlap), so it was not run.', 'permission denied: overlapping rewrites');
  }
  let out = Buffer.from(sql, 'utf8');
  for (const e of sorted) out = Buffer.concat([out.subarray(0, e.start), Buffer.from(e.text, 'utf8'), out.subarray(e.end)]);
  return out.toString('utf8');
}

/**
 * Where a (possibly qualified, quoted or U&-quoted) relation name that starts at `start` ends, in
 * bytes; -1 if it does not look like one. The caller checks the span by parsing it again.
 */
export function pgNameEnd(sql: Buffer, start: number, parts = Infinity): number {
  let i = start;
  for (let n = 1; ; n++) {
    if (sql[i] === 0x22) {
      i = quotedEnd(sql, i);
    } else if ((sql[i] === 0x55 || sql[i] === 0x75) && sql[i + 1] === 0x26 && sql[i + 2] === 0x22) {
      i = quotedEnd(sql, i + 2);
      if (i < 0) return -1;
      const j = skipBlank(sql, i);
      if (/^uescape\b/i.test(sql.subarray(j, j + 8).toString('latin1'))) {
        const k = skipBlank(sql, j + 7);
        if (sql[k] !== 0x27 || sql[k + 2] !== 0x27) return -1;
        i = k + 3;
      }
    } else {
      const from = i;
      while (i < sql.length && isNameByte(sql[i]!)) i++;
      if (i === from) return -1;
    }
    if (i < 0) return -1;
    const j = skipBlank(sql, i);
    if (sql[j] !== 0x2e || n >= parts) return i;
    i = skipBlank(sql, j + 1);
  }
}

/**
 * A restricted table becomes a subquery named as the reference was (`… AS "orders"`), which binds
 * `orders.amount` but no longer `public.orders.amount`: each column reference qualified by the
 * schema and name of such an unaliased reference gets the name alone as its qualifier.
 */
export function qualifiedColumnEdits(sql: string, columns: PgGuardResult['qualifiedColumns'], replaced: ReadonlyArray<{ ref: PgRelationReference; r: PgResolvedRelation }>): ByteEdit[] {
  const bytes = Buffer.from(sql, 'utf8');
  const edits: ByteEdit[] = [];
  for (const c of columns) {
    const hit = replaced.find(({ ref, r }) => !ref.aliased && c.fields[0] === r.schema && c.fields[1] === r.name);
    if (!hit) continue;
    const end = c.location >= 0 && c.location < bytes.length ? pgNameEnd(bytes, c.location, 2) : -1;
    if (end < 0) continue;
    edits.push({ start: c.location, end, text: quoteIdent(hit.ref.name) });
  }
  return edits;
}

/** Where the inheritance star after a relation name that ends at `end` ends (`customers *`); -1 if there is none. */
export function pgStarEnd(sql: Buffer, end: number): number {
  const j = skipBlank(sql, end);
  return sql[j] === 0x2a ? j + 1 : -1;
}

function quotedEnd(sql: Buffer, at: number): number {
  let i = at + 1;
  for (;;) {
    if (i >= sql.length) return -1;
    if (sql[i] !== 0x22) i++;
    else if (sql[i + 1] === 0x22) i += 2;
    else return i + 1;
  }
}

/** Spaces and comments (`--` to the end of the line, nested `/* … *\/`), as PostgreSQL's scanner skips them. */
function skipBlank(sql: Buffer, at: number): number {
  let i = at;
  for (;;) {
    const b = sql[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c) i++;
    else if (b === 0x2d && sql[i + 1] === 0x2d) {
      while (i < sql.length && sql[i] !== 0x0a) i++;
    } else if (b === 0x2f && sql[i + 1] === 0x2a) {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql[i] === 0x2f && sql[i + 1] === 0x2a) {
          depth++;
          i += 2;
        } else if (sql[i] === 0x2a && sql[i + 1] === 0x2f) {
          depth--;
          i += 2;
        } else i++;
      }
    } else return i;
  }
}

function isNameByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x24 || b >= 0x80;
}

/** PostgreSQL's folding of unquoted names in UTF-8: A–Z only. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
