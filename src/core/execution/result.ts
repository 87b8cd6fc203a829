import type { AccessDecision } from '../policies/access';

/** What an engine returns: typed columns and rows of faithfully rendered, JSON-safe values. */
export interface ResultColumn {
  name: string;
  /** The engine's own type name, e.g. DECIMAL(12,2), TIMESTAMP WITH TIME ZONE, TEXT. */
  type: string;
}

/**
 * A value as shown and compared: exact integers and decimals as strings, dates and timestamps as
 * ISO-like text, lists as arrays, structs as objects, blobs as escaped text. Never a live object.
 */
export type ResultValue = string | number | boolean | null | ResultValue[] | { [key: string]: ResultValue };
export type ResultRow = ResultValue[];

export interface ResultPage {
  columns: ResultColumn[];
  rows: ResultRow[];
  /** True when more rows can be fetched with `next()`. */
  hasMore: boolean;
  /** True when the row cap stopped the result: the query has more rows than will ever be shown. */
  capped: boolean;
  /** Rows delivered so far, this page included. */
  rowsSoFar: number;
}

export interface RunOptions {
  /** What the asker may read (access policies); without it, everything readable is. */
  access?: AccessDecision;
  /** Rows in the first and each next page. */
  pageSize?: number;
  /** No more rows than this are ever fetched. */
  rowCap?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A running query: the first page now, more on demand, resources freed by `close()`. */
export interface ResultCursor {
  readonly first: ResultPage;
  next(): Promise<ResultPage>;
  close(): void;
}

export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_ROW_CAP = 100_000;
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Every page of a cursor, the first included, until it has no more. */
export async function* pagesOf(cursor: ResultCursor): AsyncGenerator<ResultPage> {
  let page = cursor.first;
  yield page;
  while (page.hasMore) {
    page = await cursor.next();
    yield page;
  }
}
