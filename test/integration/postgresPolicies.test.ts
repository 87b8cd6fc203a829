import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { PostgresEngine } from '../../src/adapters/postgresEngine';
import { readProjectPolicies } from '../../src/adapters/projectPolicies';
import { ExecutionError } from '../../src/core/execution/errors';
import { canonicalJson } from '../../src/core/execution/fingerprint';
import { decideAccess, type AccessDecision } from '../../src/core/policies/access';
import type { PolicyFile } from '../../src/core/policies/policySchema';
import { permittedView, samplePostgres } from '../support/postgres';
import { sampleShop } from '../support/tempDir';

/**
 * Access policies on PostgreSQL, judged by content: each query runs as the asker on the full
 * sample, and the same SQL runs on a database holding only what that asker may see (built by hand
 * below, by DuckDB over the sample — never by the policy code). An answer that differs from the
 * permitted view's, or rows where the permitted view has no such table, is a leak; a refusal where
 * the permitted view answers is over-blocking. Both are counted.
 */
const SAM = 'sam.okafor@shop.example';
const LENA = 'lena.fischer@country.shop.example';
const TOM = 'tom.baker@country.shop.example';
const NO_COUNTRY = 'new.manager@country.shop.example';
const OUTSIDER = 'visitor@elsewhere.example';

const country = (c: string): Record<string, string> => ({
  customers: `SELECT * FROM customers WHERE country = '${c}'`,
  orders: `SELECT * FROM orders WHERE shipping_country = '${c}'`,
  order_items: `SELECT * FROM order_items WHERE order_id IN (SELECT order_id FROM orders WHERE shipping_country = '${c}')`,
  products: 'SELECT * FROM products',
});
const VIEWS: Record<string, Record<string, string>> = {
  [SAM]: {
    customers: 'SELECT * EXCLUDE (email) FROM customers', orders: 'SELECT * FROM orders', order_items: 'SELECT * FROM order_items',
    products: 'SELECT * FROM products', marketing_daily: 'SELECT * FROM marketing_daily',
  },
  [LENA]: country('DE'),
  [TOM]: country('GB'),
  [NO_COUNTRY]: { products: 'SELECT * FROM products' },
};

/** `select count(*) from NAME` for each spelling of a relation's name. */
const countFrom = (names: string[]) => names.map((n) => `select count(*) from ${n}`);
/** `select EXPRESSION from customers c` for each whole-row or column expression. */
const fromCustomers = (expressions: string[]) => expressions.map((e) => `select ${e} from customers c`);

/** Attacks by class: each is run as each restricted asker. */
const ATTACKS: Record<string, string[]> = {
  'a CTE named like a relation a row filter reads': [
    "with orders as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select count(*) from order_items",
    "with orders as (select g as order_id, 'GB' as shipping_country from generate_series(1, 200000) g) select count(*) from order_items",
    "with \"orders\" as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select count(*) from order_items",
    "with ORDERS as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select count(*) from order_items",
    "with Orders as (select g as order_id, 'DE'::text as shipping_country from generate_series(1, 200000) g) select sum(quantity) from order_items",
    "with x as (with orders as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select count(*) as n from order_items) select n from x",
    "select (with orders as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select count(*) from order_items)",
    "with recursive orders(order_id, shipping_country) as (select 1, 'DE' union all select order_id + 1, 'DE' from orders where order_id < 5000) select count(*) from order_items",
    "with orders as (select * from order_items) select count(*) from order_items",
    "with orders as (select order_id, 'DE'::text as shipping_country from order_items) select count(*) from order_items",
    "with customers as (select customer_id, 'DE' as country from order_items) select count(*) from customers",
    "with order_items as (select * from order_items) select count(*) from order_items",
    "with orders as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select count(*) from order_items i join orders o using (order_id)",
    "with orders as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select count(*) from order_items union all select count(*) from orders",
    "with orders as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g), order_items2 as (select * from order_items) select count(*) from order_items2",
    "select count(*) from (with orders as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select * from order_items) s",
    "with \"public.orders\" as (select g as order_id, 'DE' as shipping_country from generate_series(1, 200000) g) select count(*) from order_items",
  ],
  'case, quoting, Unicode and the search path in names': [
    ...countFrom([
      'ORDERS', '"orders"', 'PUBLIC.ORDERS', 'public."orders"', 'U&"orders"', 'U&"\\006Frders"', 'U&"!006Frders" UESCAPE \'!\'', '"ORDERS"', '"Orders"',
      '"mar\u212Aeting_daily"', 'public . orders', 'public/* x */.orders', '"customer\u017F"', 'customers as "ORDERS"', 'Customers c', '"customers "',
      'U&"\\0063ustomers"', '"custo\u200Bmers"', '"$user".orders', 'pg_temp.orders', 'pg_catalog.orders', 'pg_toast.orders',
    ]),
    "with \"mar\u212Aeting_daily\" as (select 1 as x) select count(*) from marketing_daily",
    'with "ORDERS" as (select 1 as order_id) select count(*) from order_items',
  ],
  'functions that read SQL, the catalog, the session, settings or files': [
    "select query_to_xml('select * from raw_payments', true, true, '')", "select table_to_xml('raw_payments', true, true, '')",
    "select pg_get_viewdef('customers'::regclass)", 'select pg_get_viewdef(c.oid) from pg_class c', "select current_setting('search_path')",
    "select set_config('search_path', 'pg_catalog', false)", 'select current_query()', 'select format_type(23, -1)', "select pg_read_file('/etc/passwd')",
    "select pg_ls_dir('.')", "select lo_import('/etc/passwd')", "select to_regclass('raw_payments')", "select 'raw_payments'::regclass::oid",
    "select cast('raw_payments' as regclass)", 'select txid_current()', 'select version()', 'select inet_server_addr()', 'select pg_backend_pid()',
    "select has_table_privilege('raw_payments', 'select')", 'select obj_description(1)', "select pg_relation_size('raw_payments')", 'select pg_sleep(1)',
    'select pg_advisory_lock(1)', 'select pg_terminate_backend(1)', 'select current_user', 'select session_user', 'select current_schema',
    'select current_database()', 'select current_schemas(true)', 'select "LOWER"(\'x\')', "select public.lower('x')", "select xmlparse(content '<a/>')",
    "select json_populate_record(null::customers, '{}')", "select row_security_active('customers')", 'select pg_typeof(1)', "select pg_catalog.pg_get_expr(null, 0)",
    "select dblink('host=127.0.0.1', 'select 1')", 'select lastval()', "select pg_notify('c', 'x')",
  ],
  'statistics and the catalog': [
    'select * from pg_stats', 'select * from pg_statistic', 'select relname, reltuples from pg_class', 'select * from pg_stat_user_tables',
    'select attname from pg_attribute', 'select * from information_schema.columns', 'select table_name from information_schema.tables',
    'select * from pg_catalog.pg_namespace', 'select * from pg_views', 'select * from pg_stat_activity', 'select * from pg_locks', 'select * from pg_settings',
    'select * from pg_roles', 'select * from pg_tables', 'select n_distinct from pg_stats where tablename = \'customers\'', 'select * from pg_catalog.pg_proc',
  ],
  'hidden columns through whole rows, casts and column notation': [
    ...fromCustomers([
      'email', 'c.email', '(c).email', 'row_to_json(c)', 'to_jsonb(c)', 'c::text', 'json_agg(c)', 'c', 'row(c.*)::text', "string_agg(c::text, ',')",
      'cast(c as text)', '(c.*)::text', 'c.record_out', '(c).record_out', 'c.hash_record', 'c.pg_column_size', 'c::regclass', 'c.customer_id::regclass',
      'count(*) filter (where c::text like \'%@%\')',
    ]),
    'select customers.* from customers', "select count(*) from customers where email like '%@%'", 'select customer_id from customers order by email limit 5',
    'select count(distinct email) from customers', 'select * from (select * from customers) s', 'with x as (select * from customers) select * from x',
    'select (select email from customers limit 1)', 'select * from customers natural join (select 1 as x) y',
  ],
  'set-returning functions, LATERAL, TABLE, ONLY and recursive CTEs': [
    'select count(*) from unnest(array(select country from customers)) x', 'select k, count(*) from customers c, jsonb_object_keys(to_jsonb(c)) k group by k', 'select count(*) from jsonb_array_elements((select jsonb_agg(c) from customers c)) x',
    'select count(*) from generate_series(1, (select count(*) from orders)::int) g', 'select count(*) from customers c, jsonb_each_text(to_jsonb(c)) e where e.value like \'%@%\'',
    'table customers', 'select count(*) from (table customers) t', 'with x as (table orders) select count(*) from x', 'table orders order by order_id limit 3',
    'select count(*) from customers c cross join lateral (select c.*) l', 'select count(*) from customers c, lateral (select c.email) l',
    "select count(*) from orders o, lateral (select o.*) l where l.shipping_country <> 'DE'", 'select count(*) from products p, lateral (select * from orders o where o.order_id = p.product_id) l',
    'with recursive r(n) as (select 1 union all select n + 1 from r where n < (select count(*) from customers)) select max(n) from r',
    'with recursive orders(order_id) as (select 1 union all select order_id + 1 from orders where order_id < 3) select count(*) from orders',
    'with recursive x as (select customer_id from customers union select customer_id from x) select count(*) from x',
    'with recursive a as (select * from customers), customers as (select 1 as customer_id) select count(*) from a',
    'select count(*) from only customers', 'select count(*) from only products', 'select count(*) from only public.orders',
  ],
  'errors the asker\'s own conditions raise on rows a filter hides': [
    "select count(*) from customers where decode(country, 'hex') is not null", "select count(*) from orders where decode(shipping_country, 'hex') is not null",
    "select count(*) from customers c join products p on decode(c.country, 'hex') is not null where p.product_id = 1",
    "select count(*) from (select * from customers) s where decode(country, 'hex') is not null",
    "select count(*) from order_items i join orders o using (order_id) where decode(o.shipping_country, 'hex') is not null",
    "with x as (select * from orders) select count(*) from x where decode(shipping_country, 'hex') is not null",
    "select count(*) from customers where exists (select 1 where decode(country, 'hex') is not null)",
    "select count(*) from orders where decode(shipping_country, 'hex') is null or shipping_country = 'DE'",
  ],
  'functions and operators the database defines (column notation, search path)': [
    'select o.email_of from orders o order by o.order_id limit 5', 'select (o).email_of from orders o order by o.order_id limit 5',
    'select p.all_emails from products p order by p.product_id limit 1', "select count(*) from orders where customer_id === 'sam.jones.1@example.com'",
    "select count(*) from orders where customer_id operator(public.===) 'sam.jones.1@example.com'", "select count(*) from orders where customer_id operator(public.===) any (select 'x')",
    'select * from products order by product_id using operator(public.<<<)', 'select product_id from products order by product_id using ===',
    'select count(*) from orders o join customers c using (customer_id) where c.customer_id === c.email', "select count(*) from customers where customer_id === 'x' is not null",
  ],
  'row filters through other routes': [
    'select count(*) from orders', 'select count(*) from public.orders', 'select count(*) from only orders', 'select count(*) from orders o',
    'select count(*) from (select * from orders) s', 'select shipping_country, count(*) from orders group by 1', 'select count(*) from orders union all select count(*) from customers',
    'select count(*) from order_items i where not exists (select 1 from orders o where o.order_id = i.order_id)', 'select count(*) from archive.orders',
    'select count(*) from stg_orders', 'select count(*) from raw_orders', 'select count(*) over () from customers limit 1',
    'select count(*) from customers c, lateral (select * from orders o where o.customer_id = c.customer_id) l', 'select max(customer_id) from customers',
    "select count(*) from orders where shipping_country <> 'DE'", 'select count(*) from order_items', 'select sum(quantity) from order_items join orders using (order_id)',
    'select count(*) from customers intersect select count(*) from customers', "select count(*) from orders where shipping_country in (select country from customers)",
  ],
  'errors and suggestions built from the asker\'s view': [
    'select * from nosuch.customers', 'select emai from customers', 'select * from raw_customer', 'select * from stg_order', 'select * from marketing_dail',
    'select * from customer', 'select countr from customers', 'select shipping_countr from orders', 'select emial from customers', 'select * from raw_payment',
    'select * from stg_payment', 'select * from order_item', 'select custome_id from order_items', 'select * from product', 'select revenu from customers',
    'select e_mail from customers', 'select * from stg_customer',
  ],
  // PostgreSQL reads x.f as f(x) for a value of any type, not only a whole row: a text value is
  // enough to reach ts_stat (which runs its argument as a query), table sizes, settings.
  'functions reached by column notation on values of any type': [
    "select ('select to_tsvector(''simple'', email) from customers'::text).ts_stat order by 1 limit 5",
    "select count(*) from (select ('select to_tsvector(''simple'', email) from customers'::text).ts_stat) s",
    "select count(*) from (select ('select to_tsvector(''simple'', country) from customers'::text).ts_stat) s",
    "select (q.t).ts_stat from (select 'select to_tsvector(''simple'', shipping_country) from orders'::text as t) q",
    "select t.ts_stat from (select 'select to_tsvector(''simple'', shipping_country) from orders'::text as t) q",
    "with q(t) as (select 'select to_tsvector(''simple'', country) from raw_customers'::text) select t.ts_stat from q",
    "select count(*) from (select ('select to_tsvector(''simple'', email) from raw_customers'::text).ts_stat) s",
    "select (s.q).ts_stat from (values ('select to_tsvector(''simple'', first_name) from stg_customers')) s(q)",
    "select x.ts_stat from unnest(array['select to_tsvector(''simple'', payment_method) from raw_payments']) x",
    "select count(*) from customers c where (('select to_tsvector(''simple'', email) from customers where customer_id = ' || c.customer_id)::text).ts_stat is not null",
    "select (('select to_tsvector(''simple'', string_agg(distinct country, '' '')) from customers')::text).ts_stat",
    "select ('customers'::text).pg_relation_size", "select ('orders'::text).pg_total_relation_size", "select ('order_items'::text).pg_table_size",
    "select ('customers'::text).to_regclass is not null", "select ('search_path'::text).current_setting", "select (c.country).pg_column_size from customers c order by c.customer_id limit 1",
    "select ('raw_payments'::text).pg_relation_size > 0", "select (c.customer_id).txid_status from customers c limit 1", "select (p.sku).pg_typeof from products p limit 1",
    "select (c.email).md5 from customers c order by c.customer_id limit 3", "select (o.amount).sum from orders o", "select (p.category).upper from products p order by p.product_id limit 3",
  ],
  'errors raised on hidden rows, by every path': [
    "select count(*) from customers order by decode(country, 'hex')", "select count(*) from customers group by decode(country, 'hex')",
    "select count(*) over (partition by decode(country, 'hex')) from customers limit 1", "select customer_id from customers order by decode(country, 'hex') limit 1",
    "select count(*) from (select country from customers union all select 'DE') s where decode(country, 'hex') is not null",
    "with c as materialized (select * from customers) select count(*) from c where decode(country, 'hex') is not null",
    "with c as not materialized (select * from customers) select count(*) from c where decode(country, 'hex') is not null",
    "select count(*) filter (where decode(country, 'hex') is not null) from customers", "select sum(case when decode(country, 'hex') is null then 0 else 1 end) from customers",
    "select count(*) from customers c join orders o on c.customer_id = o.customer_id and decode(c.country, 'hex') is not null",
    "select count(*) from customers c, lateral (select decode(c.country, 'hex')) l", "select count(*) from customers having min(decode(country, 'hex')) is not null",
    "select distinct on (decode(country, 'hex')) customer_id from customers", "select array(select decode(country, 'hex') from customers) is not null",
    "select count(*) from orders where 1 / (case when shipping_country = 'US' then 0 else 1 end) = 1",
    "select count(*) from order_items where 1 / (case when customer_id % 3 = 0 then 0 else 1 end) = 1",
    "select count(*) from customers where customer_id = any (select customer_id from orders where 1 / (case when shipping_country = 'US' then 0 else 1 end) = 1)",
    "select row_number() over (order by decode(country, 'hex')) from customers limit 1", "select * from customers order by 1 / (case when country = 'US' then 0 else 1 end) limit 1",
    "select country from customers group by country having sum(1 / (case when country = 'US' then 0 else 1 end)) > 0",
    "select count(*) from customers c where (select decode(c.country, 'hex')) is not null", "select count(*) from customers where country::int > 0",
  ],
  'PostgreSQL syntax corners': [
    'select count(*) from customers c cross join lateral (select c.country) l', "select * from rows from (generate_series(1, 3), unnest(array['a', 'b'])) with ordinality as t(a, b, n)",
    'select count(*) from customers tablesample system (50)', 'select count(*) from orders tablesample bernoulli (100) repeatable (1)',
    'select country, acquisition_channel, count(*) from customers group by grouping sets ((country), (acquisition_channel), ()) order by 1, 2, 3',
    'select country, count(*) from customers group by cube (country) order by 1, 2', 'select shipping_country, status, count(*) from orders group by rollup (shipping_country, status) order by 1, 2, 3',
    "select count(*) filter (where country = 'US') from customers", 'select percentile_cont(0.5) within group (order by lifetime_revenue) from customers',
    'select customer_id, sum(lifetime_revenue) over (order by customer_id rows between unbounded preceding and current row) from customers order by 1 limit 5',
    'select count(*) from (values (1), (2)) v(x) join customers c on c.customer_id = v.x',
    'with recursive r as (select customer_id, country from customers where customer_id = 1 union all select c.customer_id, c.country from customers c join r on c.customer_id = r.customer_id + 1 where c.customer_id < 50) select country, count(*) from r group by 1 order by 1',
    'select row(c.*)::text from customers c order by customer_id limit 3', 'select c from customers c order by customer_id limit 3', 'select to_jsonb(c) from customers c order by customer_id limit 3',
    'select cardinality(array(select country from customers))', "select format('%s', c) from customers c order by customer_id limit 2",
    'select count(*) from generate_series(1, (select max(customer_id) from customers)) g', 'select xmlagg(xmlelement(name x, country)) from customers',
    "select table_to_xml('customers', true, true, '')", 'select ctid from customers limit 3', 'select tableoid from customers limit 1',
    'select count(*) from customers *', 'table only orders', 'select count(*) from only (customers)', 'select public.customers.country, count(*) from public.customers group by 1 order by 1',
    'select distinct on (country) country, customer_id from customers order by country, customer_id', 'select count(*) from customers natural join orders',
    'select count(*) from (select country from customers except select shipping_country from orders) e', "select mode() within group (order by country) from customers",
    'select customer_id from customers order by customer_id fetch first 2 rows with ties', 'select count(*) from customers limit (select count(*) from orders)',
  ],
  'writes hidden in a query': [
    'with d as (delete from orders returning *) select count(*) from d', 'with u as (update customers set country = \'DE\' returning *) select 1',
    'select * from orders for update', 'select * into stolen from orders', 'select count(*) from orders; delete from orders',
  ],
};

/** Ordinary questions every asker should have answered, exactly as their permitted view answers them. */
const LEGITIMATE = [
  'select count(*) from products', 'select category, count(*) from products group by category order by category',
  'select count(*) from customers', "select date_trunc('month', ordered_at)::date as month, count(*) from orders group by 1 order by 1",
  'select customer_id, lifetime_revenue from customers order by lifetime_revenue desc, customer_id limit 10',
  'select o.shipping_country, sum(i.quantity) from order_items i join orders o using (order_id) group by 1 order by 1',
  'with orders as (select * from orders where status = \'completed\') select count(*) from orders',
  'with recursive n(x) as (select 1 union all select x + 1 from n where x < 10) select sum(x) from n',
  'select count(*) from customers c where exists (select 1 from orders o where o.customer_id = c.customer_id)',
  'select c.country, count(distinct o.order_id) from customers c left join orders o on o.customer_id = c.customer_id group by 1 order by 1',
  'select product_id, rank() over (order by product_id desc) from products order by product_id limit 5',
  'select * from customers order by customer_id limit 3', 'select count(*) from customers as "ORDERS"', 'select count(*) from ORDERS',
  'select count(*) from (select * from order_items) s', 'select coalesce(sum(quantity), 0) from order_items',
  "select to_char(ordered_at, 'YYYY-MM') as m, count(*) from orders group by 1 order by 1 desc limit 3",
  'select g, (select count(*) from orders) from generate_series(1, 2) g', "select extract(year from ordered_at)::int, count(*) from orders group by 1 order by 1",
  'select lower(country), upper(customer_name) from customers order by customer_id limit 3', 'select row_to_json(c) from customers c order by customer_id limit 2',
  'values (1, \'a\'), (2, \'b\')', 'table products', 'select count(*) from marketing_daily',
  // Operators resolved by the search path (citext's are on it too), column notation on real columns, fenced row filters.
  'select count(*) from orders join customers using (customer_id)', "select case status when 'completed' then 1 else 0 end as done, count(*) from orders group by 1 order by 1",
  'select count(*) from orders where order_id between 100 and 2000', 'select product_id from products order by product_id using > limit 3',
  'select c.customer_id, (c).country from customers c order by c.customer_id limit 3', 'select count(*) from orders where order_id = 42',
  // A text that reads ERROR (the parser's wrapper once took the word for a failed parse).
  "select count(*) from orders where status <> 'ERROR'", 'select count(*) as "ERROR" from products',
  // ONLY, the inheritance star and schema-qualified column references keep working under policies.
  'select count(*) from only customers', 'select count(*) from customers *', 'table only products', 'select count(*) from only (orders) o',
  'select public.products.category, count(*) from public.products group by 1 order by 1', 'select products.category, count(*) from public.products group by 1 order by 1',
  'select (c.customer_name).length from customers c order by c.customer_id limit 2',
  // Columns qualified by schema and table of a restricted (row-filtered) table (found, 15c: refused before).
  'select public.customers.country, count(*) from public.customers group by 1 order by 1',
  'select public.orders.status, count(*) from orders group by public.orders.status order by 1',
  'select public.order_items.order_id from public.order_items order by 1 limit 3',
  'select public.customers.customer_id, public.orders.order_id from public.customers join public.orders on public.orders.customer_id = public.customers.customer_id order by 2 limit 3',
  'select "public"."customers"."country" from public.customers where public.customers.customer_id < 50 order by public.customers.customer_id limit 3',
  // A column the query names like an immutable built-in (name(text)) is the column.
  'select t.name from (select customer_name as name from customers) t order by 1 limit 3', 'with x(name) as (select category from products) select x.name, count(*) from x group by 1 order by 1',
  "select count(*) from customers where country in ('DE', 'GB') and customer_id not between 5 and 10",
];

describe('access policies enforced on PostgreSQL, judged against the permitted view', function () {
  this.timeout(300_000);
  let engine: PostgresEngine;
  const oracles = new Map<string, PostgresEngine>();
  let policy: PolicyFile;

  before(async () => {
    const sample = await samplePostgres();
    engine = await PostgresEngine.open(sample.connection);
    policy = (await readProjectPolicies(sampleShop))!;
    // Relations an attacker might hope to reach: another schema's copy of a filtered table, and a
    // table whose name folds to an allowed one only under Unicode case rules.
    const admin = new pg.Client({ ...sample.connection, ssl: false });
    await admin.connect();
    await admin.query('create schema if not exists archive; create table if not exists archive.orders as select * from public.orders; create table if not exists "mar\u212Aeting_daily" as select * from marketing_daily');
    // What the database's owners may have defined: functions taking a row (reachable as o.email_of)
    // and an operator, each reading what policies hide. And an extension whose operators (citext's
    // =, <, …) are on the search path: legitimate queries must not be refused for them.
    await admin.query(`create or replace function public.email_of(o public.orders) returns text language sql stable as $$ select email from public.customers where customer_id = o.customer_id $$;
      create or replace function public.all_emails(p public.products) returns text language sql stable as $$ select string_agg(email, ',' order by email) from public.customers $$;
      create or replace function public.has_email(a bigint, b text) returns boolean language sql stable as $$ select exists (select 1 from public.customers where customer_id = a and email = b) $$;
      drop operator if exists public.=== (bigint, text);
      create operator public.=== (leftarg = bigint, rightarg = text, function = public.has_email);
      create extension if not exists citext; create extension if not exists pg_buffercache`);
    await admin.end();
    let i = 0;
    for (const [asker, relations] of Object.entries(VIEWS)) {
      const view = await permittedView(`view_${i++}`, relations);
      oracles.set(asker, await PostgresEngine.open({ ...view, schema: 'public', sslmode: 'disable' }));
    }
  });
  after(async () => {
    engine?.close();
    for (const o of oracles.values()) o.close();
    const admin = new pg.Client({ ...(await samplePostgres()).connection, ssl: false });
    await admin.connect();
    await admin.query(`drop operator if exists public.=== (bigint, text); drop function if exists public.has_email(bigint, text), public.email_of(public.orders), public.all_emails(public.products);
      drop extension if exists citext; drop extension if exists pg_buffercache; drop table if exists part_sales, inh_notes, audit_people cascade`);
    for (const db of ['view_auditor', 'view_outsider', 'latin_c', 'latin_c_view', 'latin_l', 'latin_l_view']) await admin.query(`drop database if exists ${db} with (force)`);
    await admin.end();
  });

  type Outcome = { rows: string[]; columns: string[] } | { error: ExecutionError };
  const outcome = async (e: PostgresEngine, sql: string, access?: AccessDecision): Promise<Outcome> => {
    try {
      const cursor = await e.run(sql, { access, pageSize: 100_000, rowCap: 100_000, timeoutMs: 20_000 });
      cursor.close();
      return { columns: cursor.first.columns.map((c) => c.name), rows: cursor.first.rows.map((r) => canonicalJson(r)).sort() };
    } catch (err) {
      if (!(err instanceof ExecutionError)) throw err;
      return { error: err };
    }
  };
  const same = (a: Outcome, b: Outcome) => 'rows' in a && 'rows' in b && canonicalJson(a) === canonicalJson(b);

  /** Every name of the full sample that the asker's view lacks: no message may name one. */
  async function hiddenNames(asker: string): Promise<string[]> {
    const all = await engine.catalog();
    const seen = await oracles.get(asker)!.catalog();
    const tables = new Set(seen.map((c) => c.table));
    const columns = new Set(seen.map((c) => c.column));
    return [...new Set([...all.filter((c) => !tables.has(c.table)).map((c) => c.table), ...all.filter((c) => !columns.has(c.column)).map((c) => c.column)])];
  }

  const totals = { cases: 0, leaks: 0, refused: 0, overBlocked: 0, answeredSame: 0 };
  const overBlocked: string[] = [];
  for (const [category, cases] of Object.entries(ATTACKS)) {
    it(`no leak: ${category} (${cases.length} attacks × ${Object.keys(VIEWS).length} askers)`, async () => {
      const leaks: string[] = [];
      for (const asker of Object.keys(VIEWS)) {
        const access = decideAccess(policy, asker);
        const hidden = await hiddenNames(asker);
        for (const sql of cases) {
          const [got, truth] = [await outcome(engine, sql, access), await outcome(oracles.get(asker)!, sql)];
          totals.cases++;
          if ('error' in got) {
            // A query that fails at run time where the permitted view answers failed on what the
            // asker may not see (an error raised on a hidden row): that tells of it.
            if (got.error.errorClass === 'runtime' && 'rows' in truth) {
              leaks.push(`${asker}: ${sql} → failed where the permitted view answers: ${got.error.message}`);
              continue;
            }
            totals.refused++;
            if ('rows' in truth) {
              totals.overBlocked++;
              overBlocked.push(`${asker.split('@')[0]}: ${sql} (${got.error.compact})`);
            }
            // Fixed texts (the allow-list's refusals) name nothing of the catalog; the attribute a row
            // policy needs is named on purpose.
            const attribute = /needs your (\w+)/.exec(got.error.message)?.[1];
            const named = got.error.errorClass === 'not-read-only' ? [] : hidden.filter((n) => n !== attribute && new RegExp(`\\b${n}\\b`, 'i').test(got.error.message) && !sql.includes(n));
            if (named.length) leaks.push(`${asker}: ${sql} → error names ${named.join(', ')}: ${got.error.message}`);
            continue;
          }
          if (same(got, truth)) totals.answeredSame++;
          else leaks.push(`${asker}: ${sql} → ${got.rows.length} rows ${got.rows.slice(0, 2).join(' ')}; permitted view: ${'error' in truth ? truth.error.message : `${truth.rows.length} rows ${truth.rows.slice(0, 2).join(' ')}`}`);
        }
      }
      totals.leaks += leaks.length;
      assert.deepEqual(leaks, []);
    });
  }

  it(`answers legitimate questions exactly as the permitted view does (${LEGITIMATE.length} questions × ${Object.keys(VIEWS).length} askers)`, async () => {
    const wrong: string[] = [];
    let answered = 0;
    let expectedRefusals = 0;
    for (const asker of Object.keys(VIEWS)) {
      const access = decideAccess(policy, asker);
      for (const sql of LEGITIMATE) {
        const [got, truth] = [await outcome(engine, sql, access), await outcome(oracles.get(asker)!, sql)];
        if ('error' in truth) {
          // The permitted view has no such table: the asker must be refused, with a reason. (Any other
          // failure of the truth — the guard refusing it for everyone — is over-blocking of its own.)
          if (truth.error.errorClass !== 'unknown-table') wrong.push(`${asker}: ${sql} → the permitted view fails too: ${truth.error.errorClass}: ${truth.error.message}`);
          else if ('error' in got) expectedRefusals++;
          else wrong.push(`${asker}: ${sql} answered, but the permitted view cannot (${truth.error.message})`);
        } else if (same(got, truth)) answered++;
        else wrong.push(`${asker}: ${sql} → ${'error' in got ? `refused: ${got.error.message}` : `${got.rows.length} rows, not the permitted view's ${truth.rows.length}`}`);
      }
    }
    process.stdout.write(`      legitimate: ${answered} answered as the permitted view, ${expectedRefusals} refused where the view has no such table, ${wrong.length} wrong or over-blocked\n`);
    assert.deepEqual(wrong, []);
    assert.ok(answered >= LEGITIMATE.length * 2);
  });

  it('holds a parent\'s policies for its partitions and inheritance children, and for views over what is hidden, judged against a hand-built permitted view', async () => {
    // An asker who may read every table but audit_people, and only the DE rows of part_sales; the
    // secret child of inh_notes shows no rows.
    const auditor = 'ada@audit.shop.example';
    const own: PolicyFile = {
      version: 1,
      groups: { auditors: { members: [auditor], tables: { deny: ['audit_people'] } } },
      row_policies: [{ name: 'de_sales_only', applies_to: { groups: ['auditors'] }, filters: { part_sales: "region = 'DE'", inh_notes_secret: '1 = 0' } }],
    };
    const { connection } = await samplePostgres();
    const admin = new pg.Client({ ...connection, ssl: false });
    await admin.connect();
    await admin.query(`drop table if exists part_sales, inh_notes cascade; drop table if exists audit_people cascade;
      create table part_sales (region text, amount int) partition by list (region);
      create table part_sales_de partition of part_sales for values in ('DE');
      create table part_sales_gb partition of part_sales for values in ('GB');
      insert into part_sales values ('DE', 1), ('DE', 2), ('GB', 10), ('GB', 20), ('GB', 30);
      create table inh_notes (id int, body text); insert into inh_notes values (1, 'parent');
      create table inh_notes_secret () inherits (inh_notes); insert into inh_notes_secret values (2, 'secret');
      create table audit_people (name text, country text); insert into audit_people values ('cafe', 'DE'), ('bob', 'GB'), ('zed', 'FR');
      create view audit_de_people as select name from audit_people where country = 'DE';
      create view audit_de_people_sb with (security_barrier) as select name from audit_people where country = 'DE';
      create view audit_de_people_2 as select * from audit_de_people`);
    // The permitted view, written out by hand: the parent with its permitted rows (its partitions are
    // read through it), the views' rows, and audit_people not at all.
    await admin.query('drop database if exists view_auditor');
    await admin.query('create database view_auditor');
    await admin.end();
    const truthDb = new pg.Client({ ...connection, database: 'view_auditor', ssl: false });
    await truthDb.connect();
    // part_sales stays partitioned (ONLY part_sales holds no rows of its own), with only its DE rows.
    await truthDb.query(`create table part_sales (region text, amount int) partition by list (region);
      create table part_sales_de partition of part_sales for values in ('DE'); insert into part_sales values ('DE', 1), ('DE', 2);
      create table inh_notes (id int, body text); insert into inh_notes values (1, 'parent');
      create table inh_notes_secret (id int, body text);
      create table audit_de_people (name text); insert into audit_de_people values ('cafe');
      create table audit_de_people_sb (name text); insert into audit_de_people_sb values ('cafe');
      create table audit_de_people_2 (name text); insert into audit_de_people_2 values ('cafe')`);
    await truthDb.end();
    const truthEngine = await PostgresEngine.open({ ...connection, database: 'view_auditor' });
    const access = decideAccess(own, auditor);
    const cases = [
      'select count(*), sum(amount) from part_sales', 'select sum(amount) from part_sales_gb', 'select sum(amount) from part_sales_de', 'select * from part_sales_gb',
      "select count(*) from part_sales where decode(region, 'hex') is not null", 'select count(*) from only part_sales', 'select * from public.part_sales_gb',
      'select * from inh_notes order by id', 'select * from only inh_notes', 'select * from inh_notes_secret', 'select count(*) from inh_notes n join inh_notes_secret s using (id)',
      'select * from audit_de_people', "select count(*) from audit_de_people where decode(name, 'hex') is not null", "select count(*) from audit_de_people_sb where decode(name, 'hex') is not null",
      "select count(*) from audit_de_people_2 where decode(name, 'hex') is not null", "select count(*) from (select * from audit_de_people) x where decode(name, 'hex') is not null",
      'select * from audit_people', "select count(*) from audit_de_people d join part_sales s on decode(d.name, 'hex') is not null",
    ];
    const leaks: string[] = [];
    let answered = 0;
    try {
      for (const sql of cases) {
        const [got, truth] = [await outcome(engine, sql, access), await outcome(truthEngine, sql)];
        if ('error' in got) {
          if (got.error.errorClass === 'runtime' && 'rows' in truth) leaks.push(`${sql} → failed where the permitted view answers: ${got.error.message}`);
        } else if (same(got, truth)) answered++;
        else leaks.push(`${sql} → ${got.rows.join(' ')}; permitted view: ${'error' in truth ? truth.error.message : truth.rows.join(' ')}`);
      }
    } finally {
      truthEngine.close();
    }
    assert.deepEqual(leaks, []);
    // What the permitted view answers through the parent, ONLY and the views is answered, not refused.
    assert.ok(answered >= 9, `only ${answered} answered`);
  });

  it('refuses an asker without the attribute a row policy needs only where the policy applies, naming the attribute', async () => {
    const access = decideAccess(policy, NO_COUNTRY);
    await assert.rejects(engine.run('select count(*) from customers', { access }), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'permission-denied' && /needs your country/.test(e.message));
    const cursor = await engine.run('select count(*) from products', { access });
    assert.ok(Number(cursor.first.rows[0]![0]) > 0);
  });

  it('leaves an asker in no group unrestricted, never the server: catalogs, statistics, settings, files, SQL as text, extensions', async () => {
    // The sample has no default:, so an outsider may read every table (their permitted view is a
    // full copy of the sample), and the allow-list holds for them as for everyone.
    const access = decideAccess(policy, OUTSIDER);
    const full = await PostgresEngine.open({ ...(await permittedView('view_outsider', undefined)), schema: 'public', sslmode: 'disable' });
    const wrong: string[] = [];
    try {
      for (const sql of LEGITIMATE) {
        const [got, truth] = [await outcome(engine, sql, access), await outcome(full, sql)];
        if (!same(got, truth)) wrong.push(`${sql} → ${'error' in got ? got.error.message : got.rows.join(' ')}; a copy of the sample: ${'error' in truth ? truth.error.message : truth.rows.join(' ')}`);
      }
    } finally {
      full.close();
    }
    const server = /pg_|current_|version|inet_|txid|lastval|to_regclass|::regclass|as regclass|ts_stat|_to_xml|xmlparse|dblink|lo_import|set_config|has_table|obj_description|format_type|"LOWER"|public\.lower|row_security|json_populate/;
    const attacks = [...ATTACKS['functions that read SQL, the catalog, the session, settings or files']!, ...ATTACKS['statistics and the catalog']!.filter((q) => !/information_schema/.test(q)),
      ...ATTACKS['functions reached by column notation on values of any type']!.filter((q) => server.test(q)), 'select * from pg_buffercache limit 1', 'select count(*) from public.pg_buffercache'];
    for (const sql of attacks) {
      const got = await outcome(engine, sql, access);
      if (!('error' in got) || !['not-read-only', 'syntax', 'permission-denied'].includes(got.error.errorClass)) wrong.push(`${sql} → ${'error' in got ? `${got.error.errorClass}: ${got.error.message}` : `answered ${got.rows.slice(0, 2).join(' ')}`}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal(Number((await engine.run('select count(distinct country) from raw_customers', { access })).first.rows[0]![0]), 7);
  });

  /** A database in LATIN1 (the C locale folds no letter beyond ASCII; `locale` one that does, when given). */
  async function latinDatabases(locale: string) {
    const { connection } = await samplePostgres();
    const admin = new pg.Client({ ...connection, database: 'postgres', ssl: false });
    await admin.connect();
    const tag = locale === 'C' ? 'c' : 'l';
    try {
      for (const db of [`latin_${tag}`, `latin_${tag}_view`]) {
        await admin.query(`drop database if exists ${db} with (force)`);
        await admin.query(`create database ${db} encoding 'LATIN1' lc_collate '${locale}' lc_ctype '${locale}' template template0`);
      }
    } finally {
      await admin.end();
    }
    // The full table, and the permitted view written by hand: only the DE row.
    for (const [db, rows] of [[`latin_${tag}`, "('anna', 'DE'), ('bob', 'GB'), ('carl', 'US')"], [`latin_${tag}_view`, "('anna', 'DE')"]] as const) {
      const c = new pg.Client({ ...connection, database: db, ssl: false });
      await c.connect();
      await c.query(`create table "kundenö" (name text, land text); insert into "kundenö" values ${rows}; create table plain (name text, city text); insert into plain values ('anna', 'Köln'), ('bob', 'Leeds')`);
      await c.end();
    }
    const open = (db: string) => PostgresEngine.open({ ...connection, database: db });
    const policy: PolicyFile = { version: 1, groups: { de: { members: ['ute@latin.example'], tables: { allow: ['kundenö', 'plain'] } } }, row_policies: [{ name: 'de_only', applies_to: { groups: ['de'] }, filters: { 'kundenö': "land = 'DE'" } }] };
    return { shop: await open(`latin_${tag}`), view: await open(`latin_${tag}_view`), access: decideAccess(policy, 'ute@latin.example') };
  }
  const FOLDED = ['select count(*) from KUNDENÖ', 'select * from KUNDENÖ k order by 1', 'with "kundenÖ" as (select 1 as x) select * from KUNDENÖ', 'select count(*) from "kundenö"', 'select k.NAMË from plain k'];

  it('refuses names beyond ASCII on a database in a single-byte encoding, whose server folds them otherwise than the parser; ASCII names and any text run', async () => {
    const { shop, view, access } = await latinDatabases('C');
    try {
      for (const a of [access, undefined]) {
        for (const sql of FOLDED) await assert.rejects(shop.run(sql, { access: a }), (e: unknown) => e instanceof ExecutionError && /encoding \(LATIN1\)/.test(e.message), sql);
        const cursor = await shop.run("select count(*) from plain where city = 'Köln' or name = 'björn'", { access: a });
        assert.equal(Number(cursor.first.rows[0]![0]), 1);
      }
      assert.equal((await view.run('select count(*) from plain')).first.rows[0]![0], '2');
    } finally {
      shop.close();
      view.close();
    }
  });

  it('reads no hidden row through a name the server folds by its Latin-1 locale (needs such a locale on the machine)', async function () {
    const locales = spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout?.split('\n') ?? [];
    const latin = locales.find((l) => /^[a-z]{2}_[A-Z]{2}\.(iso88591|ISO-8859-1)$/.test(l.trim()))?.trim();
    if (!latin) this.skip();
    const { shop, view, access } = await latinDatabases(latin!);
    const leaks: string[] = [];
    try {
      for (const sql of FOLDED) {
        const [got, truth] = [await outcome(shop, sql, access), await outcome(view, sql)];
        if ('rows' in got && !same(got, truth)) leaks.push(`${sql} → ${got.rows.join(' ')}; permitted view: ${'error' in truth ? truth.error.message : truth.rows.join(' ')}`);
      }
    } finally {
      shop.close();
      view.close();
    }
    assert.deepEqual(leaks, []);
  });

  after(() => {
    process.stdout.write(`      PostgreSQL policy attacks: ${totals.cases} run, ${totals.leaks} leaks, ${totals.refused} refused (${totals.overBlocked} of them where the permitted view answers), ${totals.answeredSame} answered exactly as the permitted view\n`);
    if (overBlocked.length) process.stdout.write(`      refused where the permitted view answers:\n${overBlocked.map((o) => `        ${o}\n`).join('')}`);
  });
});
