import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import pg from 'pg';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { PostgresEngine } from '../../src/adapters/postgresEngine';
import { findProjectDatabase } from '../../src/adapters/projectDatabase';
import { main } from '../../src/cli/main';
import { ExecutionError } from '../../src/core/execution/errors';
import { pgEnv, samplePostgres } from '../support/postgres';
import { tempDir, writeFiles } from '../support/tempDir';

/** The PostgreSQL engine against a real server: a throwaway cluster holding the sample shop. */
describe('PostgreSQL engine', function () {
  this.timeout(120_000);
  let engine: PostgresEngine;
  let sample: Awaited<ReturnType<typeof samplePostgres>>;
  const rows = async (sql: string, options = {}) => {
    const cursor = await engine.run(sql, { pageSize: 100_000, ...options });
    cursor.close();
    return cursor.first;
  };
  const refused = async (sql: string, errorClass: string, what?: RegExp) => {
    await assert.rejects(engine.run(sql), (e: unknown) => {
      assert.ok(e instanceof ExecutionError, String(e));
      assert.equal(e.errorClass, errorClass, `${sql}: ${e.message}`);
      if (what) assert.match(e.message, what);
      return true;
    });
  };

  before(async () => {
    sample = await samplePostgres();
    engine = await PostgresEngine.open(sample.connection);
  });
  after(() => engine?.close());

  it('renders values exactly: big integers and decimals as text, dates and times as ISO text, arrays as arrays', async () => {
    const r = await rows(`select 9007199254740993::int8 as big, 1234567890123456789012.345::numeric(30,3) as dec, 7::int4 as i, 1.5::float8 as f,
      'NaN'::float8 as nan, true as b, date '2024-02-29' as d, timestamp '2024-02-29 13:14:15.5' as ts, timestamptz '2024-02-29 13:14:15+02' as tz,
      interval '1 day 2 hours' as iv, array[1, 2]::int8[] as bigs, array[1.10, 2]::numeric[] as decs, array['a', null]::text[] as texts, '{"a": 1}'::jsonb as j, null::text as n`);
    assert.deepEqual(r.columns.map((c) => c.type), ['bigint', 'numeric(30,3)', 'integer', 'double precision', 'double precision', 'boolean', 'date', 'timestamp without time zone', 'timestamp with time zone', 'interval', 'bigint[]', 'numeric[]', 'text[]', 'jsonb', 'text']);
    assert.deepEqual(r.rows, [['9007199254740993', '1234567890123456789012.345', 7, 1.5, 'NaN', true, '2024-02-29', '2024-02-29 13:14:15.5', '2024-02-29 11:14:15+00', '1 day 02:00:00', ['1', '2'], ['1.10', '2'], ['a', null], '{"a": 1}', null]]);
  });

  it('gives the same order-independent fingerprint as DuckDB for the same data', async () => {
    const duck = await DuckDbEngine.open({ database: sample.duckdb, baseDirectory: path.dirname(sample.duckdb) });
    try {
      for (const sql of ['select * from customers', 'select * from order_items', 'select * from marketing_daily', 'select country, count(*) as n from customers group by country']) {
        const [a, b] = [await duck.fingerprint(sql), await engine.fingerprint(sql)];
        assert.equal(b.rows, a.rows, sql);
        assert.equal(b.fingerprint, a.fingerprint, sql);
      }
    } finally {
      duck.close();
    }
  });

  it('pages through a cursor and stops at the row cap, saying so', async () => {
    const cursor = await engine.run('select g from generate_series(1, 2500) g', { pageSize: 1000, rowCap: 2000 });
    assert.equal(cursor.first.rows.length, 1000);
    assert.equal(cursor.first.hasMore, true);
    const second = await cursor.next();
    assert.deepEqual([second.rows[0], second.rows.length, second.rowsSoFar, second.capped, second.hasMore], [[1001], 1000, 2000, true, false]);
    const exact = await engine.run('select g from generate_series(1, 2000) g', { pageSize: 1000, rowCap: 2000 });
    const last = await exact.next();
    assert.deepEqual([last.rowsSoFar, last.capped, last.hasMore], [2000, false, false], 'exactly the cap is not capped');
    assert.equal((await engine.fingerprint('select g from generate_series(1, 25000) g')).rows, 25000);
  });

  it('stops a query at its timeout and on cancel, on the server (pg_cancel_backend)', async () => {
    await assert.rejects(engine.run('select count(*) from generate_series(1, 1000000000)', { timeoutMs: 300 }), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'timeout');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    await assert.rejects(engine.run('select count(*) from generate_series(1, 1000000000)', { signal: controller.signal }), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'cancelled');
    assert.ok(Date.now() - started < 20_000);
    // Nothing is left running on the server.
    const admin = new pg.Client({ ...sample.connection, ssl: false });
    await admin.connect();
    const active = await admin.query("select count(*)::int as n from pg_stat_activity where application_name = 'askdata' and state = 'active'");
    await admin.end();
    assert.equal(active.rows[0].n, 0);
  });

  /** The engine's backends running a query whose text contains `marker`, as the server sees them. */
  const running = async (marker: string) => {
    const admin = new pg.Client({ ...sample.connection, ssl: false });
    await admin.connect();
    try {
      const { rows: found } = await admin.query<{ pid: number; wait: string | null }>(
        "select pid, wait_event as wait from pg_stat_activity where application_name = 'askdata' and state = 'active' and position($1 in query) > 0", [marker]);
      return found;
    } finally {
      await admin.end();
    }
  };
  /** Polls until `done` holds (or the test's own timeout ends it): never a timed assertion. */
  const until = async (done: () => Promise<boolean>) => {
    while (!(await done())) await new Promise((r) => setTimeout(r, 50));
  };
  // A result far larger than anyone reads, produced row by row (a set-returning function in the
  // select list streams; one in FROM would be materialised first).
  const huge = (marker: string) => `select g, md5(g::text) as h from (select generate_series(1, 100000000) as g) s /* ${marker} */`;

  it('reads a huge result a page at a time: the server waits for us, and closing stops it there', async () => {
    const cursor = await engine.run(huge('probe-backpressure'), { pageSize: 100 });
    assert.deepEqual(cursor.first.rows.slice(0, 2).map((r) => r[0]), [1, 2]);
    assert.equal(cursor.first.rows.length, 100);
    assert.equal(cursor.first.hasMore, true);
    const second = await cursor.next();
    assert.equal(second.rows[0]![0], 101);
    // Unread rows pile up only to a bound: the backend blocks writing to us (ClientWrite).
    await until(async () => (await running('probe-backpressure')).some((b) => b.wait === 'ClientWrite'));
    cursor.close();
    await until(async () => (await running('probe-backpressure')).length === 0);
  });

  it('stops a result left unread at its timeout, on the server, and then says so', async () => {
    const cursor = await engine.run(huge('probe-unread'), { pageSize: 100, timeoutMs: 1500 });
    assert.equal(cursor.first.rows.length, 100);
    await until(async () => (await running('probe-unread')).length === 0);
    await assert.rejects(cursor.next(), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'timeout');
  });

  it('frees a full pool: the cancels that end unread results never wait for a pooled connection', async () => {
    const open = await Promise.all([1, 2, 3, 4].map((i) => engine.run(huge(`probe-pool-${i}`), { pageSize: 10 })));
    const fifth = engine.run('select 42 as answer', { pageSize: 10 });
    for (const c of open) c.close();
    assert.deepEqual((await fifth).first.rows, [[42]]);
    await until(async () => (await running('probe-pool-')).length === 0);
  });

  it('reports a connection lost in the middle of a result as an error of that query, and carries on', async () => {
    const cursor = await engine.run(huge('probe-lost'), { pageSize: 100 });
    await until(async () => (await running('probe-lost')).length === 1);
    const admin = new pg.Client({ ...sample.connection, ssl: false });
    await admin.connect();
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where position($1 in query) > 0 and pid <> pg_backend_pid()', ['probe-lost']);
    await admin.end();
    // Reading on meets the lost connection: an error of this query, not of the process.
    await assert.rejects((async () => {
      for (;;) if (!(await cursor.next()).hasMore) break;
    })(), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'database-missing');
    assert.deepEqual((await rows('select 1 as one')).rows, [[1]]);
  });

  it('runs a query to completion on the server, so PostgreSQL may give it parallel workers (a cursor never gets them)', async () => {
    // auto_explain writes each plan as it ran, with the workers it launched, to the server's log.
    const { cluster } = sample;
    const admin = new pg.Client({ ...sample.connection, ssl: false });
    await admin.connect();
    await admin.query('drop database if exists parallel_probe');
    await admin.query('create database parallel_probe');
    for (const setting of ["session_preload_libraries = 'auto_explain'", 'auto_explain.log_min_duration = 0', 'auto_explain.log_analyze = on',
      'parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_table_scan_size = 0', 'max_parallel_workers_per_gather = 2']) {
      await admin.query(`alter database parallel_probe set ${setting}`);
    }
    await admin.end();
    const db = { ...sample.connection, database: 'parallel_probe' };
    const owner = new pg.Client({ ...db, ssl: false });
    await owner.connect();
    await owner.query('create table t as select g, g % 7 as k from generate_series(1, 200000) g; analyze t');
    const probe = (marker: string) => `select k, count(*) as n, sum(g) as total from t group by k order by k /* ${marker} */`;
    // A cursor's read is an Execute with a row count: the plan has a Gather, and no worker is launched.
    const viaCursor = await owner.query({ text: probe('probe-cursor'), rows: 3, rowMode: 'array' } as never) as unknown as { rows: unknown[][] };
    await owner.end();
    const parallel = await PostgresEngine.open(db);
    let rowsSeen: unknown[][];
    try {
      const cursor = await parallel.run(probe('probe-engine'), { pageSize: 100 });
      rowsSeen = cursor.first.rows;
      cursor.close();
    } finally {
      parallel.close();
    }
    assert.equal(rowsSeen.length, 7);
    assert.deepEqual(rowsSeen.map((r) => [Number(r[0]), Number(r[1]), String(r[2])]), viaCursor.rows.map((r) => [Number(r[0]), Number(r[1]), String(r[2])]));
    const log = path.join(cluster.dir, 'server.log');
    const plan = async (marker: string) => {
      let text = '';
      await until(async () => {
        const all = await fs.readFile(log, 'utf8');
        // The engine's text differs from what was asked (functions bound to pg_catalog); the marker does not.
        const at = all.lastIndexOf(`/* ${marker} */`);
        if (at < 0) return false;
        const next = all.indexOf(' LOG: ', at);
        text = all.slice(at, next < 0 ? undefined : next);
        return /Workers Launched/.test(text);
      });
      return Number(/Workers Launched: (\d+)/.exec(text)![1]);
    };
    assert.equal(await plan('probe-cursor'), 0, 'the cursor read ran without workers (the check can fail)');
    assert.ok((await plan('probe-engine')) >= 1, 'the engine ran the query with parallel workers');
  });

  it('refuses a query nested too deeply for the parser, and parses the next one as ever (the parser is made afresh)', async () => {
    const deep = `select 1 from ${'(select 1 from '.repeat(1000)}products${') s'.repeat(1000)}`;
    await assert.rejects(engine.run(deep), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'syntax' && /could not read this query/.test(e.message));
    for (const sql of ["select count(*) from orders where status <> 'ERROR'", 'select 1 as "ERROR"', 'select count(*) from products']) {
      const cursor = await engine.run(sql);
      cursor.close();
      assert.equal(cursor.first.rows.length, 1, sql);
    }
    await assert.rejects(engine.run('selec 1'), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'syntax' && /syntax error at or near "selec"/.test(e.message));
  });

  it('maps SQLSTATEs to error classes, with suggestions', async () => {
    await refused('select * from customer', 'unknown-table', /no table or view named customer\. Did you mean customers/);
    await refused('select emai from customers', 'unknown-column', /no column named emai here\. Did you mean email/);
    await refused('select from from', 'syntax', /Syntax error/);
    await refused('select 1/0', 'runtime', /division by zero/);
    await refused('delete from customers', 'not-read-only');
  });

  it('is read-only even for a login that may write: the session and the transaction refuse', async () => {
    // The guard refuses writes before they run; underneath, the server refuses them too.
    const client = new pg.Client({ ...sample.connection, ssl: false, options: '-c default_transaction_read_only=on' });
    await client.connect();
    await assert.rejects(client.query('create table t_should_fail (a int)'), /read-only transaction/);
    await client.end();
  });

  it('reads its connection from the dbt profile target chosen as dbt does, with env_var()', async () => {
    const env = pgEnv(sample.cluster);
    const found = await findProjectDatabase(sample.project, env, { target: 'postgres' });
    assert.equal(found.dialect, 'postgres');
    assert.deepEqual({ ...found.postgres, password: found.postgres?.password === sample.cluster.password }, { host: sample.cluster.host, port: sample.cluster.port, user: 'askdata', password: true, database: 'shop', schema: 'public' });
    assert.doesNotMatch(found.database, new RegExp(sample.cluster.password));
    assert.equal((await findProjectDatabase(sample.project, env)).dialect, 'duckdb', "without --target, the profile's own target");
    assert.equal((await findProjectDatabase(sample.project, { ...env, DBT_TARGET: 'postgres' })).dialect, 'postgres');
    await assert.rejects(findProjectDatabase(sample.project, {}, { target: 'postgres' }), /host: .*needs the environment variable PGHOST/);
    await assert.rejects(findProjectDatabase(sample.project, env, { target: 'prod' }), /no output named prod \(it has dev, postgres\)/);
  });

  it('askdata run --target postgres runs there, and never prints the password', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, pgEnv(sample.cluster));
    try {
      let out = '';
      let err = '';
      const code = await main(['run', '--project', sample.project, '--target', 'postgres', '--json', 'select country, count(*) as n from customers group by country order by country'], (s) => (out += s), (s) => (err += s));
      assert.equal(code, 0, err);
      const report = JSON.parse(out);
      assert.equal(report.database.dialect, 'postgres');
      assert.ok(report.rows.some((r: unknown[]) => r[0] === 'DE' && Number(r[1]) > 1000), out);
      assert.ok(!out.includes(sample.cluster.password) && !err.includes(sample.cluster.password));
      // A wrong password: refused, and the message does not carry it.
      process.env.PGPASSWORD = 'not-the-password-4711';
      out = '';
      assert.equal(await main(['run', '--project', sample.project, '--target', 'postgres', '--json', 'select 1'], (s) => (out += s), (s) => (err += s)), 1);
      assert.match(JSON.parse(out).error.message, /refused the login askdata/);
      assert.ok(!out.includes('not-the-password-4711') && !err.includes('not-the-password-4711'));
      // Nobody listening: unreachable, said without the password.
      process.env.PGPASSWORD = sample.cluster.password;
      process.env.PGPORT = '1';
      out = '';
      assert.equal(await main(['run', '--project', sample.project, '--target', 'postgres', '--json', 'select 1'], (s) => (out += s), (s) => (err += s)), 1);
      assert.equal(JSON.parse(out).error.class, 'database-missing');
      assert.ok(!out.includes(sample.cluster.password));
    } finally {
      process.env = saved;
    }
  });

  it('never shows or writes the credentials, in any command, with the server up or stopped', async () => {
    const saved = { ...process.env };
    const project = await tempDir('askdata-pg-project-');
    try {
      await fs.cp(sample.project, project, { recursive: true, filter: (src) => !/shop\.duckdb/.test(src) });
      await writeFiles(project, { 'askdata/askdata.yml': 'version: 1\ndbt: { target: postgres }\n' });
      // Everything Ask Data writes goes under the project: the index cache too.
      Object.assign(process.env, pgEnv(sample.cluster), { ASKDATA_CACHE: path.join(project, 'cache') });
      const lena = 'lena.fischer@country.shop.example';
      const commands = (out: string) => [
        ['index', '--project', project], ['index', '--project', project, '--json'], ['context', '--project', project, 'revenue by country'],
        ['context', '--project', project, '--json', '--as', lena, 'revenue by country'], ['ask', '--project', project, '--engine', 'recall', 'How many active customers do we have?'],
        ['ask', '--project', project, '--engine', 'recall', '--json', 'How many active customers do we have?'], ['run', '--project', project, 'select count(*) from customers'],
        ['run', '--project', project, '--json', '--as', lena, 'select count(*) from nosuch'], ['test', '--project', project], ['test', '--project', project, '--json'],
        ['pairs', 'list', '--project', project], ['pairs', 'list', '--project', project, '--as', lena, '--json'], ['pairs', 'validate', '--project', project],
        ['train', 'export', '--project', project, '--out', out, '--json', '--host', 'http://127.0.0.1:9'], ['eval', '--project', project, '--engine', 'recall', '--json'],
      ];
      const written: string[] = [];
      let ran = 0;
      for (const state of ['up', 'stopped']) {
        // Stopped: nobody listens where the profile points (the password is still in the environment).
        if (state === 'stopped') process.env.PGPORT = '1';
        for (const args of commands(path.join(project, `export-${state}`))) {
          let text = '';
          await main(args, (s) => (text += s), (s) => (text += s));
          written.push(`${state} ${args.join(' ')}\n${text}`);
          ran++;
        }
      }
      for (const f of await fs.readdir(project, { recursive: true })) {
        const file = path.join(project, String(f));
        if ((await fs.stat(file)).isFile()) written.push(`${file}\n${await fs.readFile(file, 'latin1')}`);
      }
      assert.equal(ran, 30);
      assert.ok(written.some((t) => /export-up\/train\.jsonl/.test(t)) && written.some((t) => /Could not reach the PostgreSQL database/.test(t)), 'both states were exercised');
      const holding = written.filter((t) => t.includes(sample.cluster.password)).map((t) => t.split('\n')[0]);
      assert.deepEqual(holding, [], 'these hold the password');
    } finally {
      process.env = saved;
      await fs.rm(project, { recursive: true, force: true });
    }
  });
});
