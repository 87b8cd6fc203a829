import type { GuardResult } from '../core/execution/duckdbGuard';
import type { ResultFingerprint } from '../core/execution/fingerprint';
import type { ResultCursor, RunOptions } from '../core/execution/result';
import type { AccessDecision } from '../core/policies/access';

export interface EngineOptions {
  /** Absolute path of the database file. */
  database: string;
  /** Folders (absolute, or relative to baseDirectory) whose CSV and Parquet files become views and may be read. */
  dataDirectories?: string[];
  /** The project root: relative paths resolve against it. */
  baseDirectory: string;
  /** DuckDB's memory_limit, e.g. 2GB. */
  memoryLimit?: string;
}

export interface CatalogColumn {
  schema: string;
  table: string;
  column: string;
  type: string;
}

/** One database, read-only, behind the same interface whatever the engine. */
export interface Engine {
  readonly dialect: 'duckdb' | 'sqlite';
  /** Checks that `sql` is one read-only query this project may run; throws an ExecutionError if not. */
  guard(sql: string): Promise<Pick<GuardResult, 'tables'>>;
  /**
   * Checks that the asker may run `sql` as it stands — guarded, and under their access policies
   * on the database's own parse and bound plan — without running it; throws an ExecutionError
   * (naming only what they may see) if not.
   */
  check(sql: string, access?: AccessDecision): Promise<void>;
  /** Guards, then runs: the first page at once, more on demand. */
  run(sql: string, options?: RunOptions): Promise<ResultCursor>;
  /** Guards, then reads the whole result once to fingerprint it. */
  fingerprint(sql: string, options?: Omit<RunOptions, 'pageSize' | 'rowCap'>): Promise<ResultFingerprint>;
  catalog(): Promise<CatalogColumn[]>;
  close(): void;
}
