import * as path from 'node:path';
import pg from 'pg';
import { PostgresEngine } from '../src/adapters/postgresEngine';
import { repoRoot } from '../test/support/tempDir';
import { EVENT_AGGREGATIONS, firstPages, firstRows, guardTimes, interleaved, median, overhead } from './engineTimings';
import type { Result } from './result';

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
    const engine = await PostgresEngine.open(connection);
    const runRaw = async (sql: string) => (await raw.query({ text: sql, rowMode: 'array' })).rows;
    const perQuery = await interleaved(EVENT_AGGREGATIONS, 5, runRaw, (sql) => firstRows(engine, sql));
    // A one-row lookup (no index: a scan), where the engine's own round trips (BEGIN READ ONLY, binding) weigh most.
    const [lookup] = await interleaved(['select * from events where id = 4711'], 51, runRaw, (sql) => firstRows(engine, sql));
    const guard = await guardTimes(engine);
    const pages = await firstPages(engine);
    engine.close();
    await raw.end();
    return [
      { name: 'postgres engine / raw pg, 4 aggregations over 10M rows', value: overhead(perQuery), unit: 'x', target: '<= 1.10', detail: { perQuery } },
      { name: 'postgres engine / raw pg, a one-row lookup (median of 51)', value: lookup!.engineMs / lookup!.directMs, unit: 'x', detail: { ...lookup } },
      { name: 'postgres first page (500 rows) of a 10M-row result (median of 5)', value: median(pages.runs), unit: 'ms', target: '<= 150', detail: { runs: pages.runs } },
      { name: 'postgres peak RSS growth while fetching first pages of 10M rows', value: pages.peakMiB - pages.rssBeforeMiB, unit: 'MiB', detail: { ...pages } },
      { name: `postgres guard per query (libpg-query parse + checks, ${guard.runs} runs)`, value: guard.median, unit: 'ms', detail: { p95: guard.p95 } },
    ];
  } finally {
    cluster.stop();
  }
}
