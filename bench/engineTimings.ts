import { performance } from 'node:perf_hooks';
import type { Engine } from '../src/adapters/engine';
import { NodePairFiles } from '../src/adapters/nodePairFiles';
import { PairStore } from '../src/core/pairs/pairStore';
import { sampleShop } from '../test/support/tempDir';

/**
 * What the engine benchmarks share (DuckDB against @duckdb/node-api, PostgreSQL against raw pg):
 * the same four aggregations over a 10M-row `events` table, timed interleaved with the driver
 * called directly; the first page of `select * from events` and the memory it takes; the
 * guard's time on the sample's pairs.
 */

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Over `events (id, customer_id, day, amount, channel)`, 10M rows, in every engine's SQL. */
export const EVENT_AGGREGATIONS = [
  'select channel, count(*), sum(amount) from events group by channel',
  'select customer_id, sum(amount) as revenue from events group by customer_id order by revenue desc limit 10',
  "select day, avg(amount) from events where channel = 'web' group by day order by day",
  'select count(distinct customer_id) from events where amount > 50',
];

export interface Timed {
  sql: string;
  directMs: number;
  engineMs: number;
}

/** The engine's run of `sql` as a person sees it: the first page (up to 10,000 rows), then closed. */
export async function firstRows(engine: Engine, sql: string): Promise<unknown[]> {
  const cursor = await engine.run(sql, { pageSize: 10_000 });
  cursor.close();
  return cursor.first.rows;
}

/**
 * Each query run directly and through the engine, after one warm-up of each, `rounds` times
 * interleaved so that both see the same machine; the median of each.
 */
export async function interleaved(queries: readonly string[], rounds: number, direct: (sql: string) => Promise<unknown>, engine: (sql: string) => Promise<unknown>): Promise<Timed[]> {
  const out: Timed[] = [];
  for (const sql of queries) {
    await direct(sql);
    await engine(sql);
    const d: number[] = [];
    const e: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      await direct(sql);
      d.push(performance.now() - t);
      t = performance.now();
      await engine(sql);
      e.push(performance.now() - t);
    }
    out.push({ sql, directMs: median(d), engineMs: median(e) });
  }
  return out;
}

/** The engine's total time over the direct one's. */
export function overhead(timed: readonly Timed[]): number {
  return timed.reduce((s, q) => s + q.engineMs, 0) / timed.reduce((s, q) => s + q.directMs, 0);
}

/** The guard's time per query over the sample's pairs, five rounds; refused SQL is timed too. */
export async function guardTimes(engine: Engine): Promise<{ median: number; p95: number; runs: number }> {
  const times: number[] = [];
  const pairs = new PairStore(sampleShop, new NodePairFiles());
  await pairs.load();
  for (let round = 0; round < 5; round++) {
    for (const p of pairs.pairs) {
      const t = performance.now();
      await engine.guard(p.sql).catch(() => undefined);
      times.push(performance.now() - t);
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median: median(times), p95: sorted[Math.floor(sorted.length * 0.95)]!, runs: times.length };
}

/**
 * The first page (500 rows) of `select * from events`, five times, each closed unread, with the
 * process's resident memory sampled all along.
 */
export async function firstPages(engine: Engine): Promise<{ runs: number[]; rssBeforeMiB: number; peakMiB: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const runs: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const cursor = await engine.run('select * from events', { pageSize: 500 });
      runs.push(performance.now() - t);
      if (cursor.first.rows.length !== 500 || !cursor.first.hasMore) throw new Error('first page is not 500 rows of more');
      cursor.close();
    }
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { runs, rssBeforeMiB: rssBefore / 2 ** 20, peakMiB: peak / 2 ** 20 };
}
