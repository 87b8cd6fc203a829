import { jsonText } from '../core/jsonText';
import type { PgResolvedRelation } from '../core/policies/postgresPolicy';

/* The catalog queries the PostgreSQL engine sends beside a query, and how their rows are read. */

/** One query resolving every name as the session resolves it, with each relation's columns. */
export function resolutionSql(names: readonly string[]): string {
  const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return `SELECT r.i::int AS i, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
      coalesce(pg_catalog.to_regclass(pg_catalog.quote_ident(c.relname)) = c.oid, false) AS on_path,
      ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
      ARRAY(WITH RECURSIVE up(oid, depth) AS (SELECT h.inhparent, 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid
              UNION SELECT h.inhparent, up.depth + 1 FROM pg_catalog.pg_inherits h JOIN up ON h.inhrelid = up.oid)
            SELECT p.relname::text FROM up JOIN pg_catalog.pg_class p ON p.oid = up.oid ORDER BY up.depth) AS ancestors,
      ARRAY(WITH RECURSIVE down(oid) AS (SELECT h.inhrelid FROM pg_catalog.pg_inherits h WHERE h.inhparent = c.oid
              UNION SELECT h.inhrelid FROM pg_catalog.pg_inherits h JOIN down ON h.inhparent = down.oid)
            SELECT p.relname::text FROM down JOIN pg_catalog.pg_class p ON p.oid = down.oid) AS descendants,
      EXISTS (SELECT 1 FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'security_barrier' AND o.option_value::bool) AS barrier,
      ARRAY(WITH RECURSIVE base(oid) AS (${VIEW_READS('c.oid')} UNION ${VIEW_READS('base.oid', 'base')})
            SELECT p.relname::text FROM base JOIN pg_catalog.pg_class p ON p.oid = base.oid WHERE p.relkind IN ('r', 'v', 'm', 'p', 'f')) AS bases,
      (SELECT e.extname::text FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e' LIMIT 1) AS extension
    FROM unnest(ARRAY[${names.map(literal).join(', ')}]::text[]) WITH ORDINALITY AS r(name, i)
    LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(r.name)
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    ORDER BY r.i`;
}

/** The relations a view's rule reads (a view depends on them through its _RETURN rule in pg_depend). */
function VIEW_READS(view: string, from?: string): string {
  return `SELECT d.refobjid FROM ${from ? `${from} JOIN ` : ''}pg_catalog.pg_rewrite w ${from ? `ON w.ev_class = ${view} ` : ''}JOIN pg_catalog.pg_depend d
      ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
      WHERE ${from ? '' : `w.ev_class = ${view} AND `}d.refobjid <> w.ev_class`;
}

/**
 * The functions a name after a dot could call — every one callable with a single argument, of any
 * type (PostgreSQL reads `x.f` as `f(x)` for a value of any type, aggregates included), with
 * whether all those of a schema are immutable and take no reg* value — and the operators a bare name could resolve to
 * outside pg_catalog, on this session's search path. Extensions' operators are PostgreSQL's too
 * once installed (their C code is vetted by whoever installed them); what the database's users
 * define is not.
 */
export function routinesSql(dotted: readonly string[], operators: readonly string[]): string {
  const array = (xs: readonly string[]) => `ARRAY[${[...new Set(xs)].map((x) => `'${x.replaceAll("'", "''")}'`).join(', ') || "''"}]::text[]`;
  // pg_partition_root(regclass) is marked immutable, yet reads the catalog: a reg* argument is a catalog lookup.
  return `SELECT 'function' AS kind, n.nspname::text AS schema, p.proname::text AS name,
        pg_catalog.bool_and(p.provolatile = 'i' AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proargtypes) a JOIN pg_catalog.pg_type t ON t.oid = a WHERE t.typname LIKE 'reg%')) AS immutable
      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proname = ANY (${array(dotted)}) AND p.pronargs >= 1
        AND p.pronargs - p.pronargdefaults - (CASE WHEN p.provariadic <> 0 THEN 1 ELSE 0 END) <= 1
        AND n.nspname = ANY (pg_catalog.current_schemas(true))
      GROUP BY n.nspname, p.proname
    UNION ALL
    SELECT 'operator', n.nspname::text, o.oprname::text, NULL
      FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
      WHERE o.oprname = ANY (${array(operators)}) AND n.nspname <> 'pg_catalog' AND n.nspname = ANY (pg_catalog.current_schemas(true))
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND d.objid = o.oid AND d.deptype = 'e')`;
}

export function resolvedRelations(rows: ReadonlyArray<Record<string, unknown>>, count: number): Array<PgResolvedRelation | undefined> {
  const out = new Array<PgResolvedRelation | undefined>(count).fill(undefined);
  const yes = (v: unknown) => v === true || v === 't';
  for (const row of rows) {
    if (row.name === null || row.name === undefined) continue;
    out[Number(row.i) - 1] = {
      schema: jsonText(row.schema), name: jsonText(row.name), kind: jsonText(row.kind), onSearchPath: yes(row.on_path), columns: parseTextArray(row.columns),
      ancestors: parseTextArray(row.ancestors), descendants: parseTextArray(row.descendants), securityBarrier: yes(row.barrier), bases: parseTextArray(row.bases),
      ...(typeof row.extension === 'string' ? { extension: row.extension } : {}),
    };
  }
  return out;
}

function parseTextArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return [];
}
