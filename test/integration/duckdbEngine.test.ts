import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { ExecutionError, type ExecutionErrorClass } from '../../src/core/execution/errors';
import { sampleWithDatabase } from '../support/sampleDb';
import { repoRoot, tempDir } from '../support/tempDir';

async function refusal(work: Promise<unknown>, errorClass: ExecutionErrorClass, message?: RegExp): Promise<ExecutionError> {
  try {
    await work;
  } catch (e) {
    assert.ok(e instanceof ExecutionError, `expected an ExecutionError, got ${(e as Error).stack}`);
    assert.equal(e.errorClass, errorClass, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected a ${errorClass} error`);
}

describe('DuckDB engine', function () {
  let engine: DuckDbEngine;
  let project: string;
  let database: string;

  before(async () => {
    ({ project, database } = await sampleWithDatabase());
    await fs.mkdir(path.join(project, 'data'), { recursive: true });
    await fs.writeFile(path.join(project, 'data', 'targets.csv'), 'channel,monthly_target\ngoogle_ads,20000\nmeta_ads,15000\n');
    engine = await DuckDbEngine.open({ database, baseDirectory: project, dataDirectories: ['data'] });
  });
  after(() => engine?.close());

  it('runs a query and renders values faithfully with their types', async () => {
    const cursor = await engine.run(`select 9007199254740993::bigint as big, 123.4500::decimal(10,4) as dec, date '2026-11-21' as d,
      timestamptz '2026-11-21 10:00:00+02' as tz, [1, 2] as l, {'a': 1} as s, '\\x00<b>'::blob as bl, null as n`);
    assert.deepEqual(cursor.first.columns.map((c) => c.type), ['BIGINT', 'DECIMAL(10,4)', 'DATE', 'TIMESTAMP WITH TIME ZONE', 'INTEGER[]', 'STRUCT("a" INTEGER)', 'BLOB', 'INTEGER']);
    assert.deepEqual(cursor.first.rows, [['9007199254740993', '123.4500', '2026-11-21', '2026-11-21 08:00:00+00', [1, 2], { a: 1 }, '\\x00<b>', null]]);
    assert.equal(cursor.first.hasMore, false);
  });

  it('pages a large result without reading it all, and stops at the row cap', async () => {
    const cursor = await engine.run('select range as i from range(10000000)', { pageSize: 1000, rowCap: 2500 });
    assert.equal(cursor.first.rows.length, 1000);
    assert.deepEqual(cursor.first.rows[999], ['999']);
    assert.ok(cursor.first.hasMore);
    const second = await cursor.next();
    assert.deepEqual(second.rows[0], ['1000']);
    const third = await cursor.next();
    assert.equal(third.rows.length, 500);
    assert.equal(third.capped, true);
    assert.equal(third.hasMore, false);
    assert.equal(third.rowsSoFar, 2500);
  });

  it('stops a query at its timeout, and on cancel', async () => {
    const slow = 'select count(*) from range(100000000) a, range(100000) b where a.range * b.range = -1';
    await refusal(engine.run(slow, { timeoutMs: 300 }), 'timeout', /ran longer than/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await refusal(engine.run(slow, { signal: controller.signal, timeoutMs: 60_000 }), 'cancelled');
    const ok = await engine.run('select 1 as still_works');
    assert.deepEqual(ok.first.rows, [[1]]);
  });

  it('names unknown tables and columns with the closest real names', async () => {
    const table = await refusal(engine.run('select * from customer'), 'unknown-table');
    assert.ok(table.suggestions.includes('customers'), table.message);
    const column = await refusal(engine.run('select lifetime_revenu from customers'), 'unknown-column');
    assert.ok(column.suggestions.includes('lifetime_revenue'), column.message);
    await refusal(engine.run('select from where'), 'syntax');
  });

  it('refuses writes and multiple statements before running anything', async () => {
    await refusal(engine.run('drop table customers'), 'not-read-only');
    await refusal(engine.run('select 1; select 2'), 'not-read-only', /one statement/);
    await refusal(engine.run("copy (select 1) to 'data/out.csv'"), 'not-read-only');
    assert.deepEqual((await fs.readdir(path.join(project, 'data'))).sort(), ['targets.csv']);
  });

  it('shows CSV files of the data folder as views, and reads no file outside it', async () => {
    assert.deepEqual(engine.dataViews, ['targets']);
    const cursor = await engine.run('select channel, monthly_target from targets order by channel');
    assert.deepEqual(cursor.first.rows, [['google_ads', '20000'], ['meta_ads', '15000']]);
    await refusal(engine.run("select count(*) as n from read_csv('data/targets.csv')"), 'not-read-only', /available as views/);
    const absolute = await engine.run(`select count(*) as n from read_csv('${path.join(project, 'data', 'targets.csv')}')`);
    assert.deepEqual(absolute.first.rows, [['2']]);
    await refusal(engine.run(`select * from read_csv('${path.join(project, 'data', '..', 'dbt_project.yml')}')`), 'not-read-only', /only files under/);
    await refusal(engine.run(`select * from '${path.join(project, 'models', 'marts', 'customers.sql')}'`), 'not-read-only', /only files under/);
    await refusal(engine.run("select * from read_csv('/etc/passwd')"), 'not-read-only', /only files under/);
  });

  it('fingerprints a result independently of row order, and notices a changed row', async () => {
    const a = await engine.fingerprint('select customer_id, lifetime_revenue from customers order by customer_id');
    const b = await engine.fingerprint('select customer_id, lifetime_revenue from customers order by lifetime_revenue desc');
    const c = await engine.fingerprint('select customer_id, case when customer_id = 7 then lifetime_revenue + 1 else lifetime_revenue end as lifetime_revenue from customers');
    assert.equal(a.fingerprint, b.fingerprint);
    assert.notEqual(a.fingerprint, c.fingerprint);
    assert.equal(a.rows, 16_197 > 0 ? a.rows : 0);
    assert.match(a.fingerprint, /^sha256:[0-9a-f]{64}$/);
  });

  it('explains a missing, corrupt or locked database', async () => {
    const dir = await tempDir();
    await refusal(DuckDbEngine.open({ database: path.join(dir, 'nope.duckdb'), baseDirectory: dir }), 'database-missing', /does not exist/);
    await fs.writeFile(path.join(dir, 'broken.duckdb'), 'this is not a database'.repeat(500));
    await refusal(DuckDbEngine.open({ database: path.join(dir, 'broken.duckdb'), baseDirectory: dir }), 'database-corrupt');

    // Another process holds the database open for writing, as a running `dbt build` would.
    const copy = path.join(dir, 'busy.duckdb');
    await fs.copyFile(database, copy);
    const holder = spawn(process.execPath, ['-e', `
      const { DuckDBInstance } = require('@duckdb/node-api');
      DuckDBInstance.create(${JSON.stringify(copy)}).then(async (i) => { await i.connect(); console.log('locked'); setTimeout(() => {}, 60000); });
    `], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => holder.stdout.on('data', () => resolve()));
      await refusal(DuckDbEngine.open({ database: copy, baseDirectory: dir }), 'database-locked', /open for writing in another program/);
    } finally {
      holder.kill();
    }
  });
});
