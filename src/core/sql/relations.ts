/**
 * The tables a query reads, for a pair's `tables` list: dbt `ref()`/`source()` calls, and the names
 * after FROM and JOIN minus the query's own CTEs. A lexical approximation, good enough to say which
 * models a question uses; the safe-execution guard works on DuckDB's real parse tree instead.
 */
export function referencedRelations(sql: string): string[] {
  const found = new Set<string>();
  for (const m of sql.matchAll(/\{\{\s*ref\(\s*(?:['"][\w.-]+['"]\s*,\s*)?['"]([\w.-]+)['"][^)]*\)\s*\}\}/g)) found.add(m[1]!.toLowerCase());
  for (const m of sql.matchAll(/\{\{\s*source\(\s*['"][\w.-]+['"]\s*,\s*['"]([\w.-]+)['"]\s*\)\s*\}\}/g)) found.add(m[1]!.toLowerCase());

  // Jinja becomes a placeholder name so that `from {{ ref('x') }} join` does not read as `from join`.
  const text = stripCommentsAndStrings(sql.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g, ` ${JINJA} `));
  const ctes = new Set<string>();
  for (const m of text.matchAll(/(?:\bwith\s+(?:recursive\s+)?|,\s*)("?[A-Za-z_][\w$]*"?)\s+as\s*(?:not\s+)?(?:materialized\s*)?\(/gi)) {
    ctes.add(unquote(m[1]!).toLowerCase());
  }
  const name = String.raw`"(?:[^"]|"")+"|[A-Za-z_][\w$]*`;
  const qualified = new RegExp(String.raw`\b(?:from|join)\s+((?:${name})(?:\s*\.\s*(?:${name})){0,2})`, 'gi');
  for (const m of text.matchAll(qualified)) {
    const parts = m[1]!.split('.').map((p) => unquote(p.trim()));
    const last = parts[parts.length - 1]!.toLowerCase();
    if (parts.length === 1 && (ctes.has(last) || SQL_WORDS.has(last))) continue;
    found.add(last);
  }
  return [...found].sort();
}

// Words that can follow FROM/JOIN without being a table: FROM (subquery) has no name, but
// `from lateral`, `join unnest(...)` and the like do.
const JINJA = '__jinja__';
const SQL_WORDS = new Set([JINJA, 'select', 'lateral', 'unnest', 'values', 'generate_series', 'range', 'read_csv', 'read_parquet', 'read_json']);

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s;
}

function stripCommentsAndStrings(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
}
