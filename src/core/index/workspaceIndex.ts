/**
 * The workspace index: every dbt project (and its installed packages), every SQL file, the docs
 * people wrote, dbt's artifacts when present, and the live database's catalog — merged into
 * relations with columns, plus the join paths, filters and aggregations the team uses.
 *
 * types.ts says what it holds, indexer.ts keeps the per-file results, merge.ts builds the index.
 */
export * from './types';
export { WorkspaceIndexer } from './indexer';
