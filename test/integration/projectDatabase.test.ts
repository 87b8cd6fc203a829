import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { findProjectDatabase } from '../../src/adapters/projectDatabase';
import { ExecutionError } from '../../src/core/execution/errors';
import { main } from '../../src/cli/main';
import { sampleWithDatabase } from '../support/sampleDb';
import { tempDir, writeFiles } from '../support/tempDir';
import { writePetsDatabase } from '../support/petsDb';

let pets = '';
before(async () => (pets = await writePetsDatabase(path.join(await tempDir(), 'pets.sqlite'))));

describe('finding the project database', () => {
  it('uses database: from askdata/askdata.yml, with its data folders', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'askdata/askdata.yml': 'database: db/pets.sqlite\ndata: [data]\n' });
    await fs.mkdir(path.join(dir, 'db'));
    await fs.copyFile(pets, path.join(dir, 'db', 'pets.sqlite'));
    assert.deepEqual(await findProjectDatabase(dir), { database: path.join(dir, 'db', 'pets.sqlite'), dialect: 'sqlite', dataDirectories: [path.join(dir, 'data')], source: 'askdata.yml' });
  });

  it("uses the dbt-duckdb profile's path for the active target, env_var() included", async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'dbt_project.yml': 'name: p\nprofile: p\n',
      'profiles.yml': "p:\n  target: dev\n  outputs:\n    dev: { type: duckdb, path: dev.duckdb }\n    prod: { type: duckdb, path: \"{{ env_var('WAREHOUSE', 'prod.duckdb') }}\" }\n",
    });
    assert.equal((await findProjectDatabase(dir, {})).database, path.join(dir, 'dev.duckdb'));
    assert.equal((await findProjectDatabase(dir, { DBT_TARGET: 'prod' })).database, path.join(dir, 'prod.duckdb'));
    assert.equal((await findProjectDatabase(dir, { DBT_TARGET: 'prod', WAREHOUSE: '/data/w.duckdb' })).database, '/data/w.duckdb');
    const sample = await sampleWithDatabase();
    assert.deepEqual(await findProjectDatabase(sample.project, {}), { database: sample.database, dialect: 'duckdb', dataDirectories: [], source: 'dbt profile' });
  });

  it('falls back to the one database file, telling DuckDB from SQLite by its bytes', async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, 'warehouse'));
    await fs.copyFile(pets, path.join(dir, 'warehouse', 'pets.db'));
    assert.deepEqual(await findProjectDatabase(dir, {}), { database: path.join(dir, 'warehouse', 'pets.db'), dialect: 'sqlite', dataDirectories: [], source: 'only database file' });
    await fs.copyFile(pets, path.join(dir, 'other.sqlite'));
    await assert.rejects(findProjectDatabase(dir, {}), (e: unknown) => e instanceof ExecutionError && /Several databases/.test(e.message) && /database: in askdata\/askdata.yml/.test(e.message));
  });

  it('says what a user can do about a missing database file, and names the sample build only for the sample', async () => {
    const dir = await tempDir();
    const missing = (e: unknown) => e instanceof ExecutionError && e.errorClass === 'database-missing' ? e.message : '';
    const user = missing(await DuckDbEngine.open({ database: path.join(dir, 'warehouse', 'dev.duckdb'), baseDirectory: dir }).catch((e: unknown) => e));
    assert.match(user, /does not exist\. Create it by running your dbt project .*dbt build.*database: in askdata\/askdata\.yml/);
    assert.doesNotMatch(user, /npm/);
    await writeFiles(dir, { 'repo/scripts/build-sample.mjs': '', 'repo/samples/shop/dbt_project.yml': 'name: shop\n' });
    const sample = missing(await DuckDbEngine.open({ database: path.join(dir, 'repo', 'samples', 'shop', 'shop.duckdb'), baseDirectory: dir }).catch((e: unknown) => e));
    assert.match(sample, /sample project of the Ask Data repository: build its database with npm run build:sample/);
  });

  it('explains a missing database and an invalid askdata.yml by line', async () => {
    const dir = await tempDir();
    await assert.rejects(findProjectDatabase(dir, {}), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'database-missing');
    await writeFiles(dir, { 'askdata/askdata.yml': 'database: x.duckdb\ndialect: postgres\n' });
    await assert.rejects(findProjectDatabase(dir, {}), (e: unknown) => e instanceof ExecutionError && /askdata\.yml:2:10: dialect: must be duckdb or sqlite/.test(e.message));
  });
});

describe('askdata run', () => {
  async function cli(args: string[], stdin = '') {
    let out = '';
    let err = '';
    const code = await main(args, (s) => (out += s), (s) => (err += s), async () => stdin);
    return { code, out, err };
  }

  it('prints the first page, row count, fingerprint and time as JSON', async () => {
    const { project } = await sampleWithDatabase();
    const { code, out } = await cli(['run', '--project', project, '--json', '--limit', '5', 'select customer_id, country from customers order by customer_id']);
    assert.equal(code, 0);
    const report = JSON.parse(out);
    assert.deepEqual(report.columns, [{ name: 'customer_id', type: 'BIGINT' }, { name: 'country', type: 'VARCHAR' }]);
    assert.equal(report.rows.length, 5);
    assert.deepEqual(report.rows[0], ['1', report.rows[0][1]]);
    assert.ok(report.rowCount > 10_000);
    assert.match(report.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.equal(typeof report.ms, 'number');
  });

  it('exits 1 with {error: {class, message}} when refused', async () => {
    const { project } = await sampleWithDatabase();
    const { code, out } = await cli(['run', '--project', project, '--json', 'delete from customers']);
    assert.equal(code, 1);
    assert.equal(JSON.parse(out).error.class, 'not-read-only');
    const unknown = await cli(['run', '--project', project, 'select * from customer']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /unknown-table: There is no table or view named customer\. Did you mean customers/);
  });

  it('takes SQL that starts with a comment after --, from a file, or from standard input', async () => {
    const { project } = await sampleWithDatabase();
    const commented = '-- a comment\nselect 2 as two';
    const rowsOf = (r: { code: number; out: string; err: string }) => {
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out).rows;
    };
    assert.deepEqual(rowsOf(await cli(['run', '--project', project, '--json', '--', commented])), [[2]]);
    const file = path.join(await tempDir(), 'q.sql');
    await fs.writeFile(file, `${commented}\n`);
    assert.deepEqual(rowsOf(await cli(['run', '--project', project, '--json', '--file', file])), [[2]]);
    assert.deepEqual(rowsOf(await cli(['run', '--project', project, '--json', '-'], commented)), [[2]]);
    const unquoted = await cli(['run', '--project', project, commented]);
    assert.equal(unquoted.code, 2, 'without --, a leading -- is an option to parseArgs');
    assert.match(unquoted.err, /SQL that starts with "-" goes after --/);
    const both = await cli(['run', '--project', project, '--file', file, 'select 1']);
    assert.equal(both.code, 2);
    assert.match(both.err, /the SQL or --file, not both/);
    const empty = await cli(['run', '--project', project, '-'], '  \n');
    assert.match(empty.err, /the SQL to run is empty/);
  });
});
