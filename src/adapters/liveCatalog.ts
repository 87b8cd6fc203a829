import type { LiveCatalog } from '../core/index/workspaceIndex';
import { quoteIdent } from '../core/policies/duckdbPolicy';
import type { Engine } from './engine';
import { jsonText } from '../core/jsonText';

/** Text columns with at most this many distinct values get them listed: "status: placed, shipped, …". */
export const SAMPLE_LIMIT = 12;
/** Sampling reads data; past this many text columns a huge warehouse would make indexing slow. */
const MAX_SAMPLED_COLUMNS = 400;

/**
 * The database as it is: tables, columns and types, plus the values of low-cardinality text
 * columns (what a model needs to write `status = 'shipped'` rather than guess 'SHIPPED').
 * Sampling goes through the engine's guarded run, so it is read-only like everything else.
 */
export async function readLiveCatalog(engine: Engine): Promise<LiveCatalog> {
  const columns = await engine.catalog();
  const samples: Record<string, string[]> = {};
  const text = columns.filter((c) => /char|text|string|enum/i.test(c.type)).slice(0, MAX_SAMPLED_COLUMNS);
  for (const c of text) {
    const table = engine.dialect === 'sqlite' ? quoteIdent(c.table) : `${quoteIdent(c.schema)}.${quoteIdent(c.table)}`;
    const col = quoteIdent(c.column);
    try {
      const cursor = await engine.run(`SELECT DISTINCT ${col} AS v FROM ${table} WHERE ${col} IS NOT NULL LIMIT ${SAMPLE_LIMIT + 1}`, { pageSize: SAMPLE_LIMIT + 1, timeoutMs: 2000 });
      const values = cursor.first.rows.map((r) => jsonText(r[0]));
      cursor.close();
      if (values.length <= SAMPLE_LIMIT && values.length > 0) samples[`${c.table}.${c.column}`.toLowerCase()] = values.sort();
    } catch {
      // A column we cannot sample (a view that fails, a timeout) simply has no sample values.
    }
  }
  return { columns, samples };
}
