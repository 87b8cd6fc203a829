#!/usr/bin/env node
// A throwaway PostgreSQL cluster holding the sample shop, for the tests and for a person:
// initdb and pg_ctl (Debian's postgresql package) in a temporary folder, on a free port of
// 127.0.0.1, password login, and every table of the sample's DuckDB database copied in with
// matching types (CSV out of DuckDB, COPY into PostgreSQL).
//
//   node scripts/sample-postgres.mjs start [--quiet]   prints export PGHOST=… PGPORT=… PGUSER=… PGPASSWORD=… PGDATABASE=…
//   node scripts/sample-postgres.mjs stop
//
// PostgreSQL refuses to run as root; as root the server runs as the unprivileged `postgres` user
// (or `nobody`), which owns the cluster's folder and nothing else.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The newest installed server's bin folder (Debian: /usr/lib/postgresql/<major>/bin). */
export function postgresBin() {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const m of majors) if (existsSync(path.join(base, m, 'bin', 'initdb'))) return path.join(base, m, 'bin');
  const onPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (onPath.status === 0 && existsSync(path.join(onPath.stdout.trim(), 'initdb'))) return onPath.stdout.trim();
  throw new Error('PostgreSQL is not installed (no initdb under /usr/lib/postgresql): run bash scripts/install-system.sh as root, or apt-get install postgresql');
}

/** Who runs the server: ourselves, or as root an unprivileged user that exists. */
function serverUser() {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    if (spawnSync('id', ['-u', user]).status === 0) return user;
  }
  throw new Error('running as root, and there is no postgres or nobody user to run PostgreSQL as');
}

function asServer(user, command, args, options = {}) {
  const [cmd, argv] = user ? ['runuser', ['-u', user, '--', command, ...args]] : [command, args];
  return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...options });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster in a new temporary folder. Returns how to connect (the superuser `askdata`
 * with a random password) and `stop()`, which stops it and removes the folder.
 */
export async function startCluster({ quiet = true } = {}) {
  const bin = postgresBin();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-pg-'));
  const user = serverUser();
  const password = randomBytes(18).toString('base64url');
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pw');
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) execFileSync('chown', ['-R', `${user}:`, dir]);
  asServer(user, path.join(bin, 'initdb'), ['-D', data, '-U', 'askdata', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  await fs.rm(pwfile);
  const port = await freePort();
  const settings = ['-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  asServer(user, path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings.map((s) => (s.includes(' ') ? `'${s}'` : s)).join(' '), 'start']);
  if (!quiet) process.stderr.write(`askdata: PostgreSQL ${path.basename(path.dirname(bin))} running in ${dir} on 127.0.0.1:${port}\n`);
  const cluster = {
    dir,
    host: '127.0.0.1',
    port,
    user: 'askdata',
    password,
    serverUser: user,
    bin,
    stop: () => stopCluster(cluster),
  };
  await fs.writeFile(path.join(dir, 'cluster.json'), JSON.stringify({ dir, host: cluster.host, port, user: cluster.user, password, serverUser: user, bin }));
  return cluster;
}

export function stopCluster(cluster) {
  try {
    asServer(cluster.serverUser, path.join(cluster.bin, 'pg_ctl'), ['-D', path.join(cluster.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  } catch {
    // already stopped
  }
  execFileSync('rm', ['-rf', cluster.dir]);
}

/** DuckDB's type names as PostgreSQL's, for the types the sample has (and their close relatives). */
function postgresType(duck) {
  const t = duck.toUpperCase();
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return `numeric(${decimal[1]},${decimal[2]})`;
  const simple = {
    BOOLEAN: 'boolean', TINYINT: 'smallint', SMALLINT: 'smallint', INTEGER: 'integer', BIGINT: 'bigint', HUGEINT: 'numeric(38,0)',
    UTINYINT: 'smallint', USMALLINT: 'integer', UINTEGER: 'bigint', UBIGINT: 'numeric(20,0)',
    FLOAT: 'real', DOUBLE: 'double precision', VARCHAR: 'text', DATE: 'date', TIME: 'time', TIMESTAMP: 'timestamp',
    'TIMESTAMP WITH TIME ZONE': 'timestamptz', INTERVAL: 'interval', UUID: 'uuid', BLOB: 'bytea', JSON: 'json',
  };
  const pg = simple[t];
  if (!pg) throw new Error(`no PostgreSQL type for DuckDB's ${duck}`);
  return pg;
}

const q = (name) => `"${name.replaceAll('"', '""')}"`;

/**
 * Creates `database` in the cluster and copies every relation of the DuckDB file's main schema
 * into its `schema` as a table of the same name, columns and (PostgreSQL's) types — or, with
 * `relations` ({name: DuckDB SQL}), the result of each query as a table of that name.
 */
export async function loadSample({ cluster, duckdbFile, database = 'shop', schema = 'public', relations = undefined }) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const pg = (await import('pg')).default;
  const instance = await DuckDBInstance.create(duckdbFile, { access_mode: 'READ_ONLY' });
  const duck = await instance.connect();
  const admin = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${q(database)}`);
  await admin.end();
  const client = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database });
  await client.connect();
  const tables = [];
  try {
    if (schema !== 'public') await client.query(`CREATE SCHEMA ${q(schema)}`);
    const sources = new Map(Object.entries(relations ?? {}));
    if (!relations) {
      const reader = await duck.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name");
      for (const [table] of reader.getRows()) sources.set(String(table), `SELECT * FROM main.${q(String(table))}`);
    }
    const columns = new Map();
    for (const [table, sql] of sources) {
      const described = await duck.runAndReadAll(`DESCRIBE ${sql}`);
      columns.set(table, described.getRows().map(([column, type]) => ({ column: String(column), type: postgresType(String(type)) })));
    }
    const csvDir = path.join(cluster.dir, 'load');
    await fs.mkdir(csvDir, { recursive: true });
    if (cluster.serverUser) execFileSync('chown', [`${cluster.serverUser}:`, csvDir]);
    for (const [table, cols] of columns) {
      const file = path.join(csvDir, `${table}.csv`);
      await duck.run(`COPY (${sources.get(table)}) TO '${file.replaceAll("'", "''")}' (FORMAT csv, HEADER true)`);
      if (cluster.serverUser) execFileSync('chown', [`${cluster.serverUser}:`, file]);
      await client.query(`CREATE TABLE ${q(schema)}.${q(table)} (${cols.map((c) => `${q(c.column)} ${c.type}`).join(', ')})`);
      await client.query(`COPY ${q(schema)}.${q(table)} FROM '${file.replaceAll("'", "''")}' WITH (FORMAT csv, HEADER true)`);
      tables.push(table);
    }
    await client.query('ANALYZE');
    await fs.rm(csvDir, { recursive: true, force: true });
  } finally {
    await client.end();
    duck.closeSync();
    instance.closeSync();
  }
  return { database, schema, tables };
}

const STATE = path.join(process.env.ASKDATA_CACHE ?? path.join(os.homedir(), '.cache', 'ask-data'), 'sample-postgres.json');

async function start(quiet) {
  const running = await fs.readFile(STATE, 'utf8').then(JSON.parse).catch(() => undefined);
  if (running && existsSync(running.dir)) throw new Error(`a sample PostgreSQL is already running in ${running.dir} (port ${running.port}); run stop first`);
  const duckdbFile = path.join(repo, 'samples', 'shop', 'shop.duckdb');
  if (!existsSync(duckdbFile)) {
    const { buildSample } = await import('./build-sample.mjs');
    await buildSample({ project: path.join(repo, 'samples', 'shop'), today: new Date().toISOString().slice(0, 10), out: duckdbFile, quiet: true });
  }
  const cluster = await startCluster({ quiet });
  try {
    const { tables } = await loadSample({ cluster, duckdbFile });
    await fs.mkdir(path.dirname(STATE), { recursive: true });
    await fs.writeFile(STATE, JSON.stringify({ dir: cluster.dir, port: cluster.port }), { mode: 0o600 });
    if (!quiet) process.stderr.write(`askdata: loaded ${tables.length} tables of the sample into database shop; stop it with bash scripts/sample-postgres.sh stop\n`);
  } catch (e) {
    cluster.stop();
    throw e;
  }
  process.stdout.write(`export PGHOST=${cluster.host} PGPORT=${cluster.port} PGUSER=${cluster.user} PGPASSWORD=${cluster.password} PGDATABASE=shop\n`);
}

async function stop() {
  const running = await fs.readFile(STATE, 'utf8').then(JSON.parse).catch(() => undefined);
  if (!running) {
    process.stderr.write('askdata: no sample PostgreSQL is running\n');
    return;
  }
  const saved = await fs.readFile(path.join(running.dir, 'cluster.json'), 'utf8').then(JSON.parse).catch(() => undefined);
  if (saved) stopCluster(saved);
  await fs.rm(STATE, { force: true });
  process.stderr.write(`askdata: stopped the sample PostgreSQL on port ${running.port}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...rest] = process.argv.slice(2);
  const quiet = rest.includes('--quiet');
  (command === 'start' ? start(quiet) : command === 'stop' ? stop() : Promise.reject(new Error('usage: sample-postgres.mjs start|stop [--quiet]'))).catch((e) => {
    process.stderr.write(`askdata: ${e.message}\n`);
    process.exitCode = 1;
  });
}
