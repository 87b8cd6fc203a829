/**
 * The SQL dialect a project's queries are written in. It comes from where the data is: the engine
 * Ask Data runs on (DuckDB, SQLite, PostgreSQL), or, for a warehouse it cannot reach, the adapter
 * type of the project's dbt profile (`type: snowflake`). The model is told which dialect to write
 * and given notes on what differs in it; a dialect Ask Data has no notes for is named as it is,
 * with a note saying so, rather than passed off as another.
 */
export const knownDialects = ['duckdb', 'sqlite', 'postgres', 'snowflake', 'bigquery', 'redshift', 'databricks', 'spark', 'trino', 'sqlserver', 'clickhouse', 'ansi'] as const;
export type KnownDialect = (typeof knownDialects)[number];
/** A known dialect, or the adapter type as the profile wrote it (lower case) when Ask Data has no notes for it. */
export type Dialect = KnownDialect | (string & {});

/** dbt adapter types (profiles.yml `type:`) whose SQL is one of the known dialects. */
const ADAPTER_DIALECTS: Record<string, KnownDialect> = {
  duckdb: 'duckdb',
  sqlite: 'sqlite',
  postgres: 'postgres',
  postgresql: 'postgres',
  snowflake: 'snowflake',
  bigquery: 'bigquery',
  redshift: 'redshift',
  databricks: 'databricks',
  spark: 'spark',
  trino: 'trino',
  athena: 'trino',
  starburst: 'trino',
  sqlserver: 'sqlserver',
  fabric: 'sqlserver',
  synapse: 'sqlserver',
  clickhouse: 'clickhouse',
};

export function dialectOfAdapter(type: string): Dialect {
  const t = type.trim().toLowerCase();
  return ADAPTER_DIALECTS[t] ?? t;
}

export function isKnownDialect(d: string): d is KnownDialect {
  return (knownDialects as readonly string[]).includes(d);
}

const NAMES: Record<KnownDialect, string> = {
  duckdb: 'DuckDB',
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  snowflake: 'Snowflake',
  bigquery: 'BigQuery (GoogleSQL)',
  redshift: 'Amazon Redshift',
  databricks: 'Databricks SQL',
  spark: 'Spark SQL',
  trino: 'Trino',
  sqlserver: 'SQL Server (T-SQL)',
  clickhouse: 'ClickHouse',
  ansi: 'ANSI',
};

export function dialectName(d: Dialect): string {
  return isKnownDialect(d) ? NAMES[d] : d;
}

/** What a model most often gets wrong in each dialect: dates, case, division, and what does not exist there. */
const NOTES: Record<KnownDialect, string[]> = {
  duckdb: [
    'DuckDB SQL. Dates: current_date - interval 30 day; date_trunc(\'month\', d); extract(year from d); strftime(d, \'%Y-%m\').',
    'GROUP BY ALL is allowed; ILIKE matches case-insensitively; integer / integer gives a decimal, // is integer division.',
  ],
  sqlite: [
    'SQLite SQL. Dates are text: date(\'now\', \'-30 days\'); strftime(\'%Y-%m\', d); there is no date_trunc, interval or ILIKE.',
    'LIKE is case-insensitive for ASCII; integer / integer truncates, so multiply by 1.0 for a ratio.',
  ],
  postgres: [
    'PostgreSQL SQL. Dates: current_date - interval \'30 days\'; date_trunc(\'month\', d); extract(year from d); to_char(d, \'YYYY-MM\').',
    'ILIKE matches case-insensitively; integer / integer truncates, so cast one side to numeric for a ratio; no GROUP BY ALL; unquoted names are folded to lower case.',
  ],
  snowflake: [
    'Snowflake SQL. Dates: dateadd(day, -30, current_date()); date_trunc(\'month\', d); datediff(day, a, b); to_char(d, \'YYYY-MM\').',
    'Unquoted names are folded to UPPER case, so quote only to keep an exact case; ILIKE and QUALIFY exist; integer / integer gives a decimal; use IFF(cond, a, b) or CASE.',
  ],
  bigquery: [
    'BigQuery GoogleSQL. Dates: date_sub(current_date(), interval 30 day); date_trunc(d, month); extract(year from d); format_date(\'%Y-%m\', d). Timestamps need timestamp_sub / timestamp_trunc.',
    'Quote names with backticks (`project.dataset.table`); there is no ILIKE (use lower(x) like …); / gives FLOAT64, use safe_divide(a, b) to avoid division by zero; QUALIFY exists.',
  ],
  redshift: [
    'Amazon Redshift SQL (PostgreSQL 8 based). Dates: dateadd(day, -30, current_date); date_trunc(\'month\', d); datediff(day, a, b); to_char(d, \'YYYY-MM\').',
    'ILIKE exists; integer / integer truncates, so cast to decimal for a ratio; no FILTER clause on aggregates, use CASE inside them; QUALIFY exists.',
  ],
  databricks: [
    'Databricks SQL (Spark). Dates: date_sub(current_date(), 30); date_trunc(\'MONTH\', d); datediff(b, a); date_format(d, \'yyyy-MM\').',
    'Quote names with backticks; ILIKE and QUALIFY exist; / gives a double, div is integer division; use try_divide(a, b) to avoid errors.',
  ],
  spark: [
    'Spark SQL. Dates: date_sub(current_date(), 30); date_trunc(\'MONTH\', d); datediff(b, a); date_format(d, \'yyyy-MM\').',
    'Quote names with backticks; / gives a double, div is integer division; there is no QUALIFY in older versions.',
  ],
  trino: [
    'Trino SQL. Dates: current_date - interval \'30\' day; date_trunc(\'month\', d); date_diff(\'day\', a, b); date_format(d, \'%Y-%m\').',
    'There is no ILIKE (use lower(x) like …); integer / integer truncates, so cast to double for a ratio; strings in single quotes only.',
  ],
  sqlserver: [
    'T-SQL (SQL Server). Dates: dateadd(day, -30, cast(getdate() as date)); datetrunc(month, d) (2022+) or datefromparts(year(d), month(d), 1); datediff(day, a, b); format(d, \'yyyy-MM\').',
    'No LIMIT: use SELECT TOP (n) … or OFFSET … FETCH; quote names with [brackets]; integer / integer truncates; string concatenation with + or concat().',
  ],
  clickhouse: [
    'ClickHouse SQL. Dates: today() - 30; toStartOfMonth(d); dateDiff(\'day\', a, b); formatDateTime(d, \'%Y-%m\').',
    'Names are case-sensitive; ILIKE exists; / gives a Float64, intDiv(a, b) is integer division.',
  ],
  ansi: [
    'Ask Data found neither a database nor a dbt profile for this project, so it does not know its dialect: write portable ANSI SQL (CASE, COALESCE, EXTRACT, standard joins), no vendor functions.',
  ],
};

export function dialectNotes(d: Dialect): string[] {
  if (isKnownDialect(d)) return NOTES[d];
  return [`${d} SQL. Ask Data has no notes on this dialect: write portable ANSI SQL, and use only functions you are sure ${d} has.`];
}
