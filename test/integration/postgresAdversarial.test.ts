import * as assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresEngine } from '../../src/adapters/postgresEngine';
import { ExecutionError } from '../../src/core/execution/errors';
import { samplePostgres } from '../support/postgres';

/**
 * Attacks on the read-only guard on PostgreSQL, run as the cluster's superuser (who could do all of
 * it): every case must be refused, and afterwards the database, its settings and the server's
 * files are checked for any change. Policy bypasses are in postgresPolicies.test.ts.
 */
const ATTACKS: Record<string, string[]> = {
  'writes and DDL': [
    'drop table customers', 'delete from customers', 'update customers set email = null', 'insert into customers select * from customers', 'truncate customers',
    'alter table customers add column x int', 'create table x as select 1', 'create view v as select 1', 'create temp table t as select 1', 'create sequence s',
    'create schema s', 'create index i on customers(customer_id)', "create type mood as enum ('a')", "comment on table customers is 'x'",
    'update customers set email = null returning *', 'merge into customers c using customers d on c.customer_id = d.customer_id when matched then delete',
    'create function f() returns int language sql as $$ select 1 $$', 'grant all on customers to public', 'alter system set work_mem = \'1GB\'', 'refresh materialized view m',
    'create extension dblink', 'drop database shop', 'create role r superuser', 'security label on table customers is \'x\'', 'reindex table customers',
  ],
  'files, programs and the network': [
    "copy customers to '/tmp/askdata-leak.csv'", "copy customers to program 'id > /tmp/askdata-pwned'", "copy customers from '/etc/passwd'", 'copy (select 1) to stdout',
    "select pg_read_file('/etc/passwd')", "select pg_read_binary_file('/etc/passwd')", "select pg_ls_dir('/')", "select pg_stat_file('/etc/passwd')",
    "select lo_import('/etc/passwd')", "select lo_export(1, '/tmp/x')", "select dblink_exec('dbname=shop', 'drop table customers')", "load '/tmp/evil.so'",
    "select * from pg_ls_waldir()", "select pg_file_write('/tmp/x', 'x', false)",
  ],
  'settings, transactions and the session': [
    'set default_transaction_read_only = off', 'set transaction read write', "select set_config('default_transaction_read_only', 'off', false)", 'reset all',
    'begin', 'commit', 'rollback', 'start transaction read write', 'savepoint s', 'prepare p as select 1', 'execute p', 'deallocate all', 'discard all',
    'listen c', "notify c, 'x'", 'lock table customers', 'vacuum', 'analyze customers', 'checkpoint', 'explain analyze delete from customers', 'explain select 1',
    'show all', "select current_setting('data_directory')", 'select pg_reload_conf()', 'select pg_terminate_backend(pg_backend_pid())', 'do $$ begin drop table customers; end $$',
    'call p()', 'select pg_sleep(60)', 'select pg_advisory_lock(42)', "select nextval('s')",
  ],
  'several statements': [
    'select 1; drop table customers', 'select 1;drop table customers;', 'select 1 -- c\n; delete from customers', "select ';'; delete from customers",
    'select $$;$$; drop table customers', 'drop table customers; select 1', 'select 1;; select 2', "select 'a'';'; drop table customers",
    'select 1 /* ; */ ; select 2', 'with x as (select 1) select * from x; delete from customers',
  ],
  'comment and quoting tricks': [
    '/* select */ drop table customers', '-- select\n drop table customers', 'DrOp TaBlE customers', 'drop/**/table customers', '\ufeffdrop table customers',
    'drop table "customers"', '(drop table customers)', 'select/**/1;/**/drop/**/table/**/customers', '/* /* nested */ select */ delete from customers',
    'U&"drop" table customers',
  ],
  'writes hidden in a query': [
    'with d as (delete from customers returning *) select * from d', 'with u as (update customers set email = null returning *) select count(*) from u',
    'with i as (insert into customers select * from customers returning *) select 1', 'select * from customers for update', 'select * from customers for share',
    'select * into stolen from customers', 'select * from customers for no key update skip locked', 'with x as (select 1) delete from customers',
    'select * from (with d as (delete from customers returning *) select * from d) s', 'select (select 1 from customers for update limit 1)',
  ],
  // What the database's owners defined (created below): the tree shows no call, PostgreSQL makes one.
  'functions and operators the database defines, reached without a call': [
    'select o.peek_file from orders o limit 1', 'select (o).peek_file from orders o limit 1', 'select (select o.peek_file) from orders o limit 1',
    'select count(*) from orders o where o.peek_file is not null', 'select o.nap from orders o limit 1', 'select count(*) from orders where order_id ~~~ 1',
    'select count(*) from orders where order_id operator(public.~~~) 1', 'select count(*) from orders where order_id operator(public.~~~) any (select 1)',
    'select * from orders order by order_id using operator(public.~~~)', 'select order_id from orders order by order_id using ~~~',
    'select count(*) from orders where order_id ~~~ any (array[1, 2])', 'select count(*) from orders o where not (o.order_id ~~~ 1)',
  ],
  // x.f is f(x) for a value of any type: any one-argument function is a call away, not only those taking a row.
  'functions reached by column notation on values of any type': [
    "select ('/etc/hostname'::text).pg_read_file", "select ('/etc/passwd'::text).pg_read_binary_file", "select ('/'::text).pg_ls_dir", "select ('/etc/passwd'::text).pg_stat_file",
    "select ('data_directory'::text).current_setting", "select ('select 1'::text).ts_stat", "select (42::bigint).pg_advisory_lock", "select (42::bigint).pg_advisory_xact_lock",
    'select (2147483647).pg_terminate_backend', 'select (2147483647).pg_cancel_backend', "select ('customers'::text).pg_relation_size", "select ('shop'::name).pg_database_size",
    'select (0.01).pg_sleep', "select ('customers'::text).to_regclass", "select ('x'::text).lo_import", 'select (1259::oid).obj_description', 'select (16384::oid).pg_stat_get_live_tuples',
    "select (o.order_id).pg_advisory_lock from orders o limit 1", "select (select 'x'::text).pg_read_file", "select t.pg_read_file from (select '/etc/hostname'::text as t) s",
    "with q(f) as (select '/etc/hostname'::text) select f.pg_read_file from q", "select x.pg_read_file from unnest(array['/etc/hostname']) x",
    "select ('/etc/hostname'::text).pg_catalog.pg_read_file", 'select (1).pg_log_backend_memory_contexts', 'select (1).pg_typeof',
    // Marked immutable, yet reads the catalog through its regclass argument.
    "select ('orders'::text).pg_partition_root", 'select (o.order_id).pg_partition_root from orders o limit 1',
  ],
  // What an extension installs in the database's schema describes the server (its buffers, every session's queries).
  "extensions' relations": [
    'select * from pg_buffercache limit 1', 'select count(*) from public.pg_buffercache', 'table pg_buffercache', 'with b as (select * from pg_buffercache) select count(*) from b',
    'select relfilenode, count(*) from pg_buffercache group by 1', 'select * from pg_stat_statements', 'select * from pg_stat_statements_info', 'select count(*) from only pg_buffercache',
  ],
};

const LEGITIMATE = [
  'with customers as (select 1 as x) select * from customers', "select 'drop table customers' as text", 'select 1 as "delete"', "select '; delete from customers'",
  'select count(*) from customers where customer_name like \'%drop%\'', 'select * from information_schema.tables where table_schema = \'public\'',
  'select date_trunc(\'month\', now())::date is not null', 'select * from generate_series(1, 3) g', 'select unnest(array[1, 2])',
  "select jsonb_build_object('a', 1) ->> 'a'", 'values (1), (2)', 'table products', 'select /* comment */ 1 -- trailing', 'select $$quoted$$ as dollar',
  "select regexp_replace('a-b', '-', '_')", 'select count(*) filter (where country = \'DE\') from customers', 'select 1 where exists (select 1 from orders)',
];

describe('adversarial queries on PostgreSQL', function () {
  this.timeout(120_000);
  let engine: PostgresEngine;
  let admin: pg.Client;
  const snapshot = async () => {
    const tables = await admin.query("select string_agg(c.relname || ':' || c.relkind::text, ',' order by c.relname) as s from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'");
    const customers = await admin.query("select count(*)::text || '/' || sum(customer_id)::text || '/' || count(email)::text as s from customers");
    const settings = await admin.query("select string_agg(name || '=' || setting, ',' order by name) as s from pg_settings where source not in ('default', 'session', 'client')");
    // Advisory locks outlive a transaction: one taken by a query would stay with its pooled connection.
    const locks = await admin.query("select count(*)::int as n from pg_locks where locktype = 'advisory'");
    return [tables.rows[0].s, customers.rows[0].s, settings.rows[0].s, (await admin.query('select count(*)::int as n from pg_largeobject_metadata')).rows[0].n, locks.rows[0].n];
  };
  let before0: unknown[];

  before(async () => {
    const sample = await samplePostgres();
    engine = await PostgresEngine.open(sample.connection);
    admin = new pg.Client({ ...sample.connection, ssl: false });
    await admin.connect();
    await admin.query(`create or replace function public.peek_file(o public.orders) returns text language sql as $$ select pg_read_file('/etc/hostname') $$;
      create or replace function public.nap(o public.orders) returns int language sql as $$ select 1 from pg_sleep(5) $$;
      create or replace function public.tilde3(a bigint, b bigint) returns boolean language sql as $$ select pg_read_file('/etc/hostname') is not null $$;
      drop operator if exists public.~~~ (bigint, bigint);
      create operator public.~~~ (leftarg = bigint, rightarg = bigint, function = public.tilde3);
      create extension if not exists pg_buffercache; create extension if not exists pg_stat_statements`);
    before0 = await snapshot();
  });
  after(async () => {
    engine?.close();
    await admin?.query('drop operator if exists public.~~~ (bigint, bigint); drop function if exists public.peek_file(public.orders), public.nap(public.orders), public.tilde3(bigint, bigint); drop extension if exists pg_buffercache; drop extension if exists pg_stat_statements');
    await admin?.end();
  });

  for (const [category, cases] of Object.entries(ATTACKS)) {
    it(`refuses every case of: ${category} (${cases.length})`, async () => {
      const through: string[] = [];
      for (const sql of cases) {
        const outcome = await engine.run(sql, { timeoutMs: 5000 }).then((c) => (c.close(), 'ran'), (e: unknown) => e);
        if (!(outcome instanceof ExecutionError)) through.push(`${sql} → ${String(outcome)}`);
        else if (!['not-read-only', 'syntax'].includes(outcome.errorClass)) through.push(`${sql} → ${outcome.errorClass}: ${outcome.message}`);
      }
      assert.deepEqual(through, []);
    });
  }

  it('leaves the database, its settings and the file system as they were', async () => {
    assert.deepEqual(await snapshot(), before0);
    const fs = await import('node:fs');
    assert.ok(!fs.existsSync('/tmp/askdata-leak.csv') && !fs.existsSync('/tmp/askdata-pwned'));
  });

  it(`runs legitimate queries that look suspicious (${LEGITIMATE.length})`, async () => {
    for (const sql of LEGITIMATE) {
      const cursor = await engine.run(sql).catch((e: ExecutionError) => assert.fail(`${sql} refused: ${e.message}`));
      cursor.close();
    }
  });
});
