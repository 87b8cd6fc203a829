import { ExecutionError } from '../core/execution/errors';
import { namesAny, policyName, visibleRelations } from '../core/grounding/grounding';
import type { IndexedRelation } from '../core/index/workspaceIndex';
import { readsFreely, type AccessDecision } from '../core/policies/access';
import { quoteIdent } from '../core/policies/duckdbPolicy';
import type { Engine } from './engine';
import { SAMPLE_LIMIT } from './liveCatalog';
import { jsonText } from '../core/jsonText';

/**
 * What an asker under access policies may be shown beyond the schema, decided with the engine:
 * which approved pairs (each one's SQL checked by the database's own parser and binder under
 * their policies, and its text for names they may not see), and the known values of columns
 * whose rows a policy filters, sampled as them.
 */
export interface AskerView {
  visiblePairs: Set<string>;
  askerValues: Record<string, string[]>;
}

/**
 * A pair as the asker would be shown it: its SQL, and every text that goes with it — the
 * question, a rejection's reason, tags and the tables its file lists (none of which a parser reads).
 */
export interface PairToShow {
  id: string;
  sql: string;
  question?: string;
  reason?: string;
  tags?: readonly string[];
  tables?: readonly string[];
}

export async function askerView(engine: Engine, access: AccessDecision, relations: readonly IndexedRelation[], pairs: readonly PairToShow[]): Promise<AskerView> {
  if (access.unrestricted) return { visiblePairs: new Set(pairs.map((p) => p.id)), askerValues: {} };
  const { hiddenNames } = visibleRelations(relations, access);
  return { visiblePairs: await pairsVisibleTo(engine, access, pairs, hiddenNames), askerValues: await askerValues(engine, access, relations) };
}

/**
 * The pairs an asker may be shown, reused from or counted: those whose SQL the engine accepts
 * for them as it stands (every relation and column it reads, through CTEs, subqueries and views,
 * on the database's own parse and bound plan) and whose comments, question, rejection reason,
 * tags and listed tables name nothing hidden from them (all are shown with the SQL, or to the
 * model, and no parser reads them).
 */
export async function pairsVisibleTo(engine: Engine, access: AccessDecision, pairs: readonly PairToShow[], hiddenNames: readonly string[]): Promise<Set<string>> {
  const visible = new Set<string>();
  for (const p of pairs) {
    if (access.unrestricted) {
      visible.add(p.id);
      continue;
    }
    if (namesAny([commentsOf(p.sql), p.question ?? '', p.reason ?? '', ...(p.tags ?? []), ...(p.tables ?? [])].join('\n'), hiddenNames)) continue;
    try {
      await engine.check(p.sql, access);
      visible.add(p.id);
    } catch (e) {
      if (!(e instanceof ExecutionError)) throw e;
    }
  }
  return visible;
}

/** The text of a query's comments (string literals first taken out, so that '--' in one is not a comment). */
function commentsOf(sql: string): string {
  const text = sql.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""');
  return [...text.matchAll(/--[^\n]*|\/\*[\s\S]*?\*\//g)].map((m) => m[0]).join('\n');
}

/** Known values of the text columns of row-filtered relations, from the rows the asker may read. */
export async function askerValues(engine: Engine, access: AccessDecision, relations: readonly IndexedRelation[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const r of relations) {
    const name = policyName(r);
    const decision = access.table(name);
    if (decision.denied || decision.missingAttribute || readsFreely(decision) || decision.rowFilters.length === 0) continue;
    for (const c of r.columns) {
      if (!c.values?.length) continue;
      const col = quoteIdent(c.name);
      try {
        const cursor = await engine.run(`SELECT DISTINCT ${col} AS v FROM ${quoteIdent(name)} WHERE ${col} IS NOT NULL LIMIT ${SAMPLE_LIMIT + 1}`, { access, pageSize: SAMPLE_LIMIT + 1, timeoutMs: 2000 });
        const values = cursor.first.rows.map((row) => jsonText(row[0]));
        cursor.close();
        if (values.length > 0 && values.length <= SAMPLE_LIMIT) out[`${name}.${c.name}`.toLowerCase()] = values.sort();
      } catch {
        // A column the asker cannot read shows no values.
      }
    }
  }
  return out;
}
