import * as path from 'node:path';
import type { PostgresConnection } from '../../src/adapters/postgresEngine';
import { sampleWithDatabase } from './sampleDb';
import { repoRoot } from './tempDir';

/**
 * A real PostgreSQL server for the tests: a throwaway cluster (initdb and pg_ctl from Debian's
 * postgresql package, in a temporary folder, on a free port), started once per test run with the
 * sample shop loaded into database `shop`, and stopped when the run ends.
 */
export interface Cluster {
  dir: string;
  host: string;
  port: number;
  user: string;
  password: string;
  stop(): void;
}

interface Script {
  startCluster(o: { quiet: boolean }): Promise<Cluster>;
  loadSample(o: { cluster: Cluster; duckdbFile: string; database?: string; schema?: string; relations?: Record<string, string> }): Promise<{ tables: string[] }>;
}

let started: Promise<{ cluster: Cluster; script: Script }> | undefined;
let sample: Promise<{ cluster: Cluster; connection: PostgresConnection; duckdb: string; project: string }> | undefined;

export function postgresCluster(): Promise<{ cluster: Cluster; script: Script }> {
  started ??= (async () => {
    const script = (await import(path.join(repoRoot, 'scripts', 'sample-postgres.mjs'))) as Script;
    const cluster = await script.startCluster({ quiet: true });
    process.once('exit', () => cluster.stop());
    return { cluster, script };
  })();
  return started;
}

/** The cluster with the sample in database `shop`, schema public, and how to connect as its owner. */
export function samplePostgres(): Promise<{ cluster: Cluster; connection: PostgresConnection; duckdb: string; project: string }> {
  sample ??= (async () => {
    const [{ cluster, script }, built] = await Promise.all([postgresCluster(), sampleWithDatabase()]);
    await script.loadSample({ cluster, duckdbFile: built.database, database: 'shop' });
    const connection: PostgresConnection = { host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: 'shop', schema: 'public', sslmode: 'disable' };
    return { cluster, connection, duckdb: built.database, project: built.project };
  })();
  return sample;
}

/**
 * A database holding only what one asker may see, each table the result of a DuckDB query over
 * the sample (a full copy of it without `relations`): the independent truth a policy-enforced
 * answer is compared with.
 */
export async function permittedView(name: string, relations: Record<string, string> | undefined): Promise<PostgresConnectionLike> {
  const { cluster, script } = await postgresCluster();
  const { database } = await sampleWithDatabase();
  await script.loadSample({ cluster, duckdbFile: database, database: name, relations });
  return { host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: name };
}

export interface PostgresConnectionLike {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** The environment the sample's `postgres` target reads (as scripts/sample-postgres.sh prints it). */
export function pgEnv(c: Pick<Cluster, 'host' | 'port' | 'user' | 'password'>, database = 'shop'): Record<string, string> {
  return { PGHOST: c.host, PGPORT: String(c.port), PGUSER: c.user, PGPASSWORD: c.password, PGDATABASE: database };
}

// Stopped after the last test of the run, whichever file started it.
after(async () => {
  if (started) (await started).cluster.stop();
});
