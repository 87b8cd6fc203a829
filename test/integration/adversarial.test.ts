import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import type { Engine } from '../../src/adapters/engine';
import { SqliteEngine } from '../../src/adapters/sqliteEngine';
import { ExecutionError } from '../../src/core/execution/errors';
import { sampleWithDatabase } from '../support/sampleDb';
import { tempDir } from '../support/tempDir';
import { writePetsDatabase } from '../support/petsDb';

/**
 * Attacks on the read-only guard. Every case must be refused before it runs (or fail inside the
 * engine without effect); none may return rows. Afterwards the database and the file system are
 * checked for any change. Policy bypass attempts live with the access-control tests.
 */
function duckdbAttacks(project: string, outside: string): Record<string, string[]> {
  const data = path.join(project, 'data');
  return {
    'writes and DDL': [
      'drop table customers', 'DROP VIEW stg_orders', 'delete from customers', 'update customers set email = null',
      'insert into customers select * from customers', 'truncate customers', 'alter table customers add column x int',
      'alter table customers rename to customers_old', 'create table x as select 1', 'create view v as select 1',
      'create or replace table customers as select 1 as a', 'create temp table t as select 1', 'create macro m(a) as a',
      'create sequence s', 'create schema s', 'create index i on customers(customer_id)', "create type mood as enum ('a')",
      "comment on table customers is 'x'", 'update customers set email = null returning *', 'delete from customers returning customer_id',
      'insert into customers (customer_id) values (-1) returning *', 'create table if not exists t (a int)', 'drop schema main cascade',
      'create or replace view customers as select 1 as x', 'merge into customers using customers c2 on customers.customer_id = c2.customer_id when matched then delete',
    ],
    'copy, export, import, attach': [
      `copy customers to '${outside}/leak.csv'`, `copy (select 1) to '${data}/out.csv'`, "copy customers from '/etc/passwd'",
      `export database '${outside}/export'`, `import database '${outside}/export'`, `attach '${outside}/new.duckdb'`,
      "attach ':memory:' as m", 'detach shop', 'use memory', `copy (select * from customers) to '${data}/x.parquet' (format parquet)`,
      `copy customers to '${outside}/x.json'`, 'detach database shop',
    ],
    'extensions': ['install httpfs', 'load httpfs', 'force install httpfs', "load '/tmp/evil.duckdb_extension'", 'install spatial from core_nightly', 'update extensions'],
    'pragmas, settings, transactions': [
      'pragma enable_profiling', 'pragma database_list', 'pragma version', 'call pragma_version()', 'call duckdb_settings()',
      'set enable_external_access = true', "set memory_limit = '100GB'", 'reset memory_limit', 'set variable x = 1',
      'set global threads = 1', "set allowed_directories = ['/']", 'set lock_configuration = false', 'checkpoint', 'force checkpoint',
      'vacuum', 'begin transaction', 'commit', 'rollback', 'prepare p as select 1', 'execute p', 'deallocate p',
      'explain analyze select 1', "set file_search_path = '/etc'", 'pragma memory_limit = \'1TB\'',
    ],
    'several statements': [
      'select 1; drop table customers', 'select 1;drop table customers;', 'select 1 -- comment\n; delete from customers',
      'select 1 /* ; */ ; select 2', "select ';' ; select 2", 'select $$;$$; drop table customers', 'drop table customers; select 1',
      'select 1;\n\n select 2', 'with x as (select 1) select * from x; delete from customers', 'select 1; /* */ drop table customers', 'select 1;;select 2',
      "select 'a'';'; drop table customers",
    ],
    'comment and quoting tricks': [
      '/* select */ drop table customers', '-- select\n drop table customers', '/* comment */ delete from customers',
      'DrOp TaBlE customers', 'drop/**/table customers', '\ufeffdrop table customers', 'drop table "customers"',
      'select * from "customers"; drop table "customers"', 'select 1；drop table customers', '(drop table customers)',
      '  \n\t drop table customers', 'sElEcT 1; dElEtE fRoM customers', 'select/**/1;/**/drop/**/table/**/customers',
      '/*! select */ drop table customers',
    ],
    'DML hidden in a CTE or subquery': [
      'with d as (delete from customers returning *) select * from d', 'with u as (update customers set email = null returning *) select count(*) from u',
      'with i as (insert into customers select * from customers returning *) select 1', 'with x as (select 1) delete from customers',
      'with x as (select 1) insert into customers select * from customers', 'with x as (select 1) update customers set email = null',
      'with recursive r as (select 1 union all select * from (delete from customers returning 1)) select * from r',
      'select * from (delete from customers returning *)', 'select (select count(*) from (update customers set email = null returning 1))',
      'select * from customers where customer_id in (delete from customers returning customer_id)',
    ],
    'files, environment, network': [
      "select * from read_csv('/etc/passwd')", "select * from read_csv_auto('/etc/passwd')", "select * from read_text('/etc/passwd')",
      "select * from read_blob('/etc/hostname')", "select * from read_parquet('/tmp/x.parquet')", "select * from read_json('/etc/x.json')",
      "select * from read_json_auto('/etc/x.json')", "select * from read_ndjson('/etc/x.json')", "select * from parquet_scan('/tmp/x.parquet')",
      "select * from parquet_metadata('/tmp/x.parquet')", "select * from sniff_csv('/etc/passwd')", "select * from glob('/etc/*')",
      "select * from '/etc/passwd'", "select * from '/etc/passwd.csv'", "select * from 'data/../../etc/passwd'",
      "select * from read_csv('https://example.com/x.csv')", "select * from read_parquet('s3://bucket/x.parquet')",
      "select * from read_csv('http://127.0.0.1:9/x')", "select * from read_csv(['/etc/passwd'])", `select * from read_csv('${data}/../../../etc/passwd')`,
      `select * from read_csv('${data}/*/../../../../etc/passwd')`, `select * from read_csv('${data}*/x.csv')`, "select * from read_csv(concat('/etc/', 'passwd'))",
      "select * from read_csv(getvariable('p'))", "select getenv('HOME')", "select current_setting('home_directory')",
      'select * from duckdb_settings()', 'select * from duckdb_secrets()', 'select * from duckdb_extensions()', 'select * from pragma_database_list()',
      'select * from pragma_version()', 'select * from duckdb_databases()', "select * from query('drop table customers')", "select * from query_table('customers')",
      "select json_execute_serialized_sql('{}')", "select nextval('s')", "select * from customers union all select * from read_text('/etc/passwd')",
      "select (select count(*) from read_text('/etc/passwd'))", "select * from customers, lateral (select * from read_text('/etc/passwd'))",
      "with f as (select * from read_text('/etc/passwd')) select * from f", "select * from read_csv('data/targets.csv')",
      "select * from read_csv('~/.ssh/id_rsa')", "select * from read_csv('file:///etc/passwd')", `select * from '${outside}/secret.csv'`,
      "select * from 'https://example.com/x.parquet'", 'select * from duckdb_settings', "select * from read_csv('/proc/self/environ')",
      "select * from read_csv('/dev/stdin')", "select currval('s')", "select * from which_secret('s3://x', 's3')",
      "select * from read_json_objects('/etc/x.json')", "select * from read_csv(['/etc/passwd', '/etc/hosts'])",
    ],
    'settings and internals': [
      "select current_setting('threads')", "select * from duckdb_settings() where name = 'enable_external_access'",
      "select getvariable('x')", 'select * from pg_catalog.pg_settings', 'select * from duckdb_functions()', 'select * from duckdb_temporary_files()',
    ],
  };
}

const sqliteAttacks: Record<string, string[]> = {
  'sqlite writes and DDL': [
    'DROP TABLE Pets', 'DELETE FROM Pets', "UPDATE Pets SET weight = 0", 'INSERT INTO Pets SELECT * FROM Pets', 'REPLACE INTO Pets SELECT * FROM Pets',
    'CREATE TABLE x (a)', 'CREATE VIEW v AS SELECT 1', 'CREATE INDEX i ON Pets(weight)', 'CREATE TRIGGER t AFTER INSERT ON Pets BEGIN DELETE FROM Pets; END',
    'ALTER TABLE Pets ADD COLUMN x', 'ALTER TABLE Pets RENAME TO p2', 'WITH x AS (SELECT 1) DELETE FROM Pets', 'WITH x AS (SELECT 1) UPDATE Pets SET weight = 0',
    'WITH x AS (SELECT 1) INSERT INTO Pets SELECT * FROM Pets', 'INSERT INTO Pets DEFAULT VALUES', 'DELETE FROM Pets RETURNING *',
  ],
  'sqlite attach, pragma, maintenance': [
    "ATTACH 'x.db' AS y", 'DETACH y', 'PRAGMA writable_schema = 1', "PRAGMA table_info('Pets')", 'PRAGMA journal_mode = DELETE', 'VACUUM', 'REINDEX', 'ANALYZE',
    'BEGIN', 'COMMIT', 'SAVEPOINT a', 'RELEASE a', "VACUUM INTO '/tmp/leak.db'", 'PRAGMA foreign_keys = OFF',
  ],
  'sqlite statements and tricks': [
    'SELECT 1; DROP TABLE Pets', 'SELECT 1; SELECT 2', '/* select */ DROP TABLE Pets', '-- select\nDELETE FROM Pets', 'SELECT 1;DELETE FROM Pets;',
    "SELECT ';'; DELETE FROM Pets", "SELECT load_extension('/tmp/evil.so')", "SELECT writefile('/tmp/x', 'y')", "SELECT readfile('/etc/passwd')",
    "SELECT * FROM Pets WHERE petid IN (DELETE FROM Pets RETURNING petid)", 'EXPLAIN DELETE FROM Pets', '(DELETE FROM Pets)',
  ],
};

async function mustRefuse(engine: Engine, sql: string): Promise<ExecutionError> {
  try {
    const cursor = await engine.run(sql, { timeoutMs: 10_000 });
    cursor.close();
  } catch (e) {
    assert.ok(e instanceof ExecutionError, `${JSON.stringify(sql)} threw a non-ExecutionError: ${(e as Error).message}`);
    return e;
  }
  assert.fail(`got through: ${JSON.stringify(sql)}`);
}

describe('adversarial queries', function () {
  this.timeout(120_000);
  let duck: DuckDbEngine;
  let project: string;
  let outside: string;
  let initial: { tables: string; customers: string; files: string[] };

  const snapshot = async () => {
    const tables = await duck.run("select string_agg(table_name, ',' order by table_name) from information_schema.tables");
    const customers = await duck.run('select count(*), sum(customer_id), count(email) from customers');
    const files = [...(await fs.readdir(path.join(project, 'data'))), ...(await fs.readdir(outside))].sort();
    return { tables: JSON.stringify(tables.first.rows), customers: JSON.stringify(customers.first.rows), files };
  };

  before(async () => {
    const sample = await sampleWithDatabase();
    project = sample.project;
    outside = await tempDir('askdata-outside-');
    await fs.writeFile(path.join(outside, 'secret.csv'), 'secret\n42\n');
    await fs.mkdir(path.join(project, 'data'), { recursive: true });
    await fs.writeFile(path.join(project, 'data', 'targets.csv'), 'channel,monthly_target\ngoogle_ads,20000\n');
    duck = await DuckDbEngine.open({ database: sample.database, baseDirectory: project, dataDirectories: ['data'] });
    initial = await snapshot();
  });
  after(() => duck?.close());

  let total = 0;
  const attacks = duckdbAttacks('/PROJECT', '/OUTSIDE');
  for (const [category, cases] of Object.entries(attacks)) {
    it(`DuckDB refuses every case of: ${category} (${cases.length})`, async () => {
      const real = duckdbAttacks(project, outside)[category]!;
      for (const sql of real) {
        const error = await mustRefuse(duck, sql);
        if (category !== 'comment and quoting tricks' && category !== 'several statements') {
          assert.ok(['not-read-only', 'syntax', 'unknown-table', 'runtime'].includes(error.errorClass), `${sql}: ${error.errorClass}`);
        }
        total++;
      }
    });
  }

  for (const [category, cases] of Object.entries(sqliteAttacks)) {
    it(`SQLite refuses every case of: ${category} (${cases.length})`, async () => {
      const copy = await writePetsDatabase(path.join(await tempDir(), 'pets.sqlite'));
      const original = await fs.readFile(copy);
      const engine = await SqliteEngine.open({ database: copy });
      const pets = async () => JSON.stringify((await engine.run('SELECT count(*), sum(weight), group_concat(petid) FROM Pets')).first.rows);
      const initialPets = await pets();
      try {
        for (const sql of cases) {
          await mustRefuse(engine, sql);
          total++;
        }
        assert.equal(await pets(), initialPets, 'the in-memory database is unchanged');
      } finally {
        engine.close();
      }
      assert.ok(original.equals(await fs.readFile(copy)), 'the file is never written');
    });
  }

  it('leaves the database and the file system exactly as they were', async () => {
    assert.deepEqual(await snapshot(), initial);
    assert.ok(total >= 150, `${total} adversarial cases`);
  });

  it('explains how to write a PIVOT it cannot check', async () => {
    const error = await mustRefuse(duck, 'pivot orders on marketing_channel using sum(amount)');
    assert.match(error.message, /IN list/);
  });

  it('does not refuse legitimate queries that look suspicious', async () => {
    const legit = [
      "select 'drop table customers; --' as s", 'select count(*) as "delete" from customers', "select * from customers where customer_name like '%;%'",
      'with customers as (select 1 as x) select * from customers', 'summarize customers', 'describe customers', 'select * from information_schema.tables',
      'select * from range(10)', 'select unnest([1, 2])', 'from customers select customer_id limit 1', 'values (1), (2)',
      'select * from customers using sample 10', 'select list(x) from range(3) t(x)', 'select customer_id, row_number() over (order by lifetime_revenue desc) from customers qualify row_number() over (order by lifetime_revenue desc) <= 3',
      "select * from targets", `select * from read_csv('${path.join(project, 'data', 'targets.csv')}')`, '/* what the model assumed */ select 1',
      'select 1 -- trailing comment', 'select 1;', "pivot (select order_date, marketing_channel, amount from orders limit 100) on marketing_channel in ('email', 'direct') using sum(amount)",
      "select * from (unpivot (select 1 as a, 2 as b) on a, b into name k value v)",
      "select * from customers where email = 'update@example.com'", "select 'x' as \"select\"", 'select current_date', 'select now()',
    ];
    for (const sql of legit) {
      const cursor = await duck.run(sql).catch((e: ExecutionError) => assert.fail(`${sql} refused: ${e.message}`));
      cursor.close();
    }
  });
});
