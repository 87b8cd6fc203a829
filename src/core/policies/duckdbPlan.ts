import { ExecutionError } from '../execution/errors';
import { asciiLower, PURE_TABLE_FUNCTIONS, restrictedMayCall } from '../execution/functionPolicy';
import { jsonText } from '../jsonText';
import { readsFreely, type AccessDecision } from './access';
import { NO_ACCESS } from './duckdbPolicy';

/*
 * Step 2 of DuckDB's access policies (step 1, the rewrite, is duckdbPolicy.ts): the bound plan of
 * the rewritten query, as DuckDB's binder made it, checked against the asker's access.
 */

const QUERY_OPERATORS = new Set([
  'LOGICAL_PROJECTION', 'LOGICAL_FILTER', 'LOGICAL_AGGREGATE_AND_GROUP_BY', 'LOGICAL_WINDOW', 'LOGICAL_UNNEST', 'LOGICAL_LIMIT', 'LOGICAL_ORDER_BY',
  'LOGICAL_TOP_N', 'LOGICAL_DISTINCT', 'LOGICAL_SAMPLE', 'LOGICAL_PIVOT', 'LOGICAL_GET', 'LOGICAL_CHUNK_GET', 'LOGICAL_DELIM_GET', 'LOGICAL_EXPRESSION_GET',
  'LOGICAL_DUMMY_SCAN', 'LOGICAL_EMPTY_RESULT', 'LOGICAL_CTE_REF', 'LOGICAL_JOIN', 'LOGICAL_DELIM_JOIN', 'LOGICAL_COMPARISON_JOIN', 'LOGICAL_ANY_JOIN',
  'LOGICAL_CROSS_PRODUCT', 'LOGICAL_POSITIONAL_JOIN', 'LOGICAL_ASOF_JOIN', 'LOGICAL_DEPENDENT_JOIN', 'LOGICAL_UNION', 'LOGICAL_EXCEPT', 'LOGICAL_INTERSECT',
  'LOGICAL_RECURSIVE_CTE', 'LOGICAL_MATERIALIZED_CTE', 'LOGICAL_COLUMN_DATA_GET',
]);
const CALLS = new Set(['BOUND_FUNCTION', 'BOUND_AGGREGATE', 'BOUND_WINDOW']);
/**
 * Functions DuckDB's planner adds itself: a scalar subquery is checked to return one row with
 * error(). The asker cannot write them (the parse-tree check refuses error() under policies).
 */
const PLANNER_FUNCTIONS = new Set(['error']);

export type PlanVerdict =
  | { ok: true }
  | { ok: false; error: ExecutionError }
  /** DuckDB could not bind the query: its error, for the caller to turn into a message. */
  | { ok: false; bind: { type: string; subtype: string; message: string; name?: string } };

/**
 * The bound plan of a rewritten query (`json_serialize_plan(sql, optimize := false)`, so that
 * nothing has been moved or folded), checked against the asker's access: each table scan outside
 * the subqueries Ask Data marked must be of a table the asker reads freely; each table function
 * and function outside them must be on the allow-list; there must be one plan, of a query.
 */
export function verifyPlan(serializedPlan: string, decision: AccessDecision, marker: string, options: { rowsFiltered?: boolean } = {}): PlanVerdict {
  let parsed: { error?: boolean; error_type?: string; error_subtype?: string; error_message?: string; name?: string; plans?: unknown[] };
  try {
    parsed = JSON.parse(serializedPlan) as typeof parsed;
  } catch {
    return { ok: false, error: new ExecutionError('runtime', 'DuckDB returned a plan Ask Data could not read, so the query was not run.', 'internal: unreadable plan') };
  }
  if (parsed.error) return { ok: false, bind: { type: String(parsed.error_type ?? ''), subtype: String(parsed.error_subtype ?? ''), message: String(parsed.error_message ?? ''), name: parsed.name } };
  if (!Array.isArray(parsed.plans) || parsed.plans.length !== 1) return { ok: false, error: new ExecutionError('not-read-only', 'Only one statement can run at a time.', 'not allowed: one statement only') };
  const refuse = (compact: string) => ({ ok: false as const, error: new ExecutionError('permission-denied', `${NO_ACCESS}.`, `permission denied: ${compact}`) });
  let verdict: PlanVerdict = { ok: true };
  const walk = (value: unknown, inside: boolean): void => {
    if (!verdict.ok) return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, inside);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const o = value as Record<string, unknown>;
    let here = inside;
    if (typeof o.type === 'string' && o.type.startsWith('LOGICAL_')) {
      if (!QUERY_OPERATORS.has(o.type)) {
        verdict = { ok: false, error: new ExecutionError('not-read-only', 'This query would do more than read; it was not run.', `not read-only: ${o.type}`) };
        return;
      }
      if (o.type === 'LOGICAL_FILTER' && !here && hasMarker(o.expressions, marker)) here = true;
      if (o.type === 'LOGICAL_SAMPLE' && !here && options.rowsFiltered) {
        verdict = { ok: false, error: new ExecutionError('permission-denied', SAMPLE_REFUSED, 'permission denied: sampling under a row policy') };
        return;
      }
      if (o.type === 'LOGICAL_GET' && !here) {
        const name = jsonText(o.name);
        const data = o.function_data as { catalog?: string; schema?: string; table?: string } | undefined;
        if (name === 'seq_scan' && data?.table !== undefined) {
          if (!readsFreely(decision.table(data.table))) {
            verdict = refuse('a table read without its policies');
            return;
          }
        } else if (!PURE_TABLE_FUNCTIONS.has(asciiLower(name))) {
          verdict = refuse(`table function ${name}`);
          return;
        }
      }
    }
    // DuckDB's own window functions (row_number, rank, lag…) are bound with a type and no name.
    const builtInWindow = o.expression_class === 'BOUND_WINDOW' && !o.name && typeof o.type === 'string' && o.type.startsWith('WINDOW_') && o.type !== 'WINDOW_AGGREGATE';
    if (!here && !builtInWindow && typeof o.expression_class === 'string' && CALLS.has(o.expression_class)) {
      const name = jsonText(o.name);
      if ((o.catalog_name !== undefined && o.catalog_name !== 'system' && o.catalog_name !== '') || !(restrictedMayCall(name) || PLANNER_FUNCTIONS.has(name))) {
        verdict = { ok: false, error: new ExecutionError('permission-denied', `The function ${name}() is not among those Ask Data lets askers under access policies call (see Safety in the README).`, `permission denied: ${name}() under access policies`) };
        return;
      }
    }
    for (const v of Object.values(o)) walk(v, here);
  };
  walk(parsed.plans, false);
  return verdict;
}

/**
 * Which rows a sample picks (USING SAMPLE, TABLESAMPLE, even with a seed) depends on where the
 * rows lie in storage and in DuckDB's chunks — the rows a row policy hides among them: a system
 * sample is taken of the table's vectors before the policy's filter, a reservoir of the filtered
 * chunks as they come. Its answer would differ from the same sample of the asker's own rows, and
 * would tell how the hidden rows lie; PostgreSQL's TABLESAMPLE is refused for everyone likewise.
 */
export const SAMPLE_REFUSED = 'Sampling (USING SAMPLE, TABLESAMPLE) is not available in a query that reads a table a row policy filters: which rows a sample picks depends on the rows the policy hides from you. Ask without the sample, or with a deterministic condition (WHERE customer_id % 10 = 0, or ORDER BY … LIMIT).';

function hasMarker(expressions: unknown, marker: string): boolean {
  let found = false;
  const visit = (v: unknown): void => {
    if (found || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(visit);
    const o = v as Record<string, unknown>;
    if (o.type === 'VALUE_CONSTANT' && (o.value as { value?: unknown } | undefined)?.value === marker) {
      found = true;
      return;
    }
    Object.values(o).forEach(visit);
  };
  visit(expressions);
  return found;
}

/** The names an asker may see, for suggestions: relations they may read and their visible columns. */
