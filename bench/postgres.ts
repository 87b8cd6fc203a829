import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PostgresEngine } from '../src/adapters/postgresEngine';
import { NodePairFiles } from '../src/adapters/nodePairFiles';
import { PairStore } from '../src/core/pairs/pairStore';
import { repoRoot, sampleShop } from '../test/support/tempDir';
import type { Result } from './result';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The PostgreSQL engine against raw `pg` on a throwaway cluster: four aggregations over a
 * 10M-row table (engine overhead, target ≤ 1.10×), the first page of a 10M-row result (≤ 150 ms)
 * with the process's memory, and the guard's time per query.
 */
export async function benchPostgres(): Promise<Result[]> {
  const script = (await import(path.join(repoRoot, 'scripts', 'sample-postgres.mjs'))) as { startCluster(o: { quiet: boolean }): Promise<{ host: string; port: number; user: string; password: string; stop(): void }> };
  const cluster = await script.startCluster({ quiet: true });
  try {
    const connection = { host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: 'postgres', schema: 'public', sslmode: 'disable' };
    const raw = new pg.Client({ ...connection, ssl: false });
    await raw.connect();
    await raw.query(`create table events as select g::int8 as id, (g % 1000)::int as customer_id, ((g::int8 * 7919) % 365)::int as day,
      ((g::int8 * 2654435761) % 10000 / 100.0)::numeric(8,2) as amount, (array['web', 'app', 'store'])[g % 3 + 1] as channel from generate_series(0, 9999999) g`);
    await raw.query('vacuum analyze events');
    const queries = [
      'select channel, count(*), sum(amount) from events group by channel',
      'select customer_id, sum(amount) as revenue from events group by customer_id order by revenue desc limit 10',
      "select day, avg(amount) from events where channel = 'web' group by day order by day",
      'select count(distinct customer_id) from events where amount > 50',
    ];
    const engine = await PostgresEngine.open(connection);
    const runRaw = async (sql: string) => (await raw.query({ text: sql, rowMode: 'array' })).rows;
    const runEngine = async (sql: string) => {
      const cursor = await engine.run(sql, { pageSize: 10_000 });
      cursor.close();
      return cursor.first.rows;
    };
    const perQuery: Array<{ sql: string; rawMs: number; engineMs: number }> = [];
    for (const sql of queries) {
      await runRaw(sql);
      await runEngine(sql);
      const r: number[] = [];
      const e: number[] = [];
      for (let i = 0; i < 5; i++) {
        let t = performance.now();
        await runRaw(sql);
        r.push(performance.now() - t);
        t = performance.now();
        await runEngine(sql);
        e.push(performance.now() - t);
      }
      perQuery.push({ sql, rawMs: median(r), engineMs: median(e) });
    }
    const ratio = perQuery.reduce((s, q) => s + q.engineMs, 0) / perQuery.reduce((s, q) => s + q.rawMs, 0);

    // A small query, where the engine's own round trips (BEGIN READ ONLY, binding) weigh most.
    const small: { raw: number[]; engine: number[] } = { raw: [], engine: [] };
    for (let i = 0; i < 51; i++) {
      let t = performance.now();
      await runRaw('select * from events where id = 4711');
      small.raw.push(performance.now() - t);
      t = performance.now();
      await runEngine('select * from events where id = 4711');
      small.engine.push(performance.now() - t);
    }

    const guardTimes: number[] = [];
    const pairs = new PairStore(sampleShop, new NodePairFiles());
    await pairs.load();
    for (let round = 0; round < 5; round++) {
      for (const p of pairs.pairs) {
        const t = performance.now();
        await engine.guard(p.sql).catch(() => undefined); // some sample pairs are DuckDB-only SQL: refused, still timed
        guardTimes.push(performance.now() - t);
      }
    }

    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const firstPage: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const cursor = await engine.run('select * from events', { pageSize: 500 });
      firstPage.push(performance.now() - t);
      if (cursor.first.rows.length !== 500 || !cursor.first.hasMore) throw new Error('first page is not 500 rows of more');
      cursor.close();
    }
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    engine.close();
    await raw.end();
    return [
      { name: 'postgres engine / raw pg, 4 aggregations over 10M rows', value: ratio, unit: 'x', target: '<= 1.10', detail: { perQuery } },
      { name: 'postgres engine / raw pg, a one-row lookup (median of 51)', value: median(small.engine) / median(small.raw), unit: 'x', detail: { engineMs: median(small.engine), rawMs: median(small.raw) } },
      { name: 'postgres first page (500 rows) of a 10M-row result (median of 5)', value: median(firstPage), unit: 'ms', target: '<= 150', detail: { runs: firstPage } },
      { name: 'postgres peak RSS growth while fetching first pages of 10M rows', value: (peak - rssBefore) / 2 ** 20, unit: 'MiB', detail: { rssBeforeMiB: rssBefore / 2 ** 20, peakMiB: peak / 2 ** 20 } },
      { name: `postgres guard per query (libpg-query parse + checks, ${guardTimes.length} runs)`, value: median(guardTimes), unit: 'ms', detail: { p95: [...guardTimes].sort((a, b) => a - b)[Math.floor(guardTimes.length * 0.95)] } },
    ];
  } finally {
    cluster.stop();
  }
}
