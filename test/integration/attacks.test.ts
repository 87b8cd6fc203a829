import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { readProjectPolicies } from '../../src/adapters/projectPolicies';
import { main } from '../../src/cli/main';
import { ExecutionError } from '../../src/core/execution/errors';
import { decideAccess, type AccessDecision } from '../../src/core/policies/access';
import { parsePolicyFile, type PolicyFile } from '../../src/core/policies/policySchema';
import { ASKERS, buildPermittedViews, namesOneOf, quotesOneOf, REFUSED_FOR_AN_ATTRIBUTE, RESTRICTED, rowsKey, type Asker, type Outcome, type PermittedViews } from '../support/permittedView';
import { sampleWithDatabase } from '../support/sampleDb';
import { askerView } from '../../src/adapters/askerView';
import { buildAskContext } from '../../src/core/answer/askContext';
import { visibleRelations } from '../../src/core/grounding/grounding';
import type { IndexedColumn, IndexedRelation } from '../../src/core/index/types';
import { FakeOllama } from '../support/fakeOllama';
import { PATTERN_ASKER, patternPolicyText } from '../support/patternPolicy';
import { tempDir } from '../support/tempDir';

/**
 * Attacks on the access policies, by class, judged by what comes back. Each attack runs as each
 * restricted asker of the sample through the engine, and the same SQL runs on a database holding
 * only that asker's permitted view (test/support/permittedView, written by hand from the policy).
 * A leak is an answer holding data that database does not give — different rows, or rows where
 * it has none — or a refusal whose message names a table or column hidden from the asker, or
 * quotes a value hidden from them. Legitimate questions are judged the same way: an answer that
 * differs is wrong, a refusal is over-blocking. Both are counted and reported.
 */

const K = '\u212A'; // KELVIN SIGN: JavaScript lower-cases it to k, DuckDB does not.
const ORDERS_CTE = "orders as (select range as order_id, 'DE' as shipping_country from range(0, 200000))";

interface Attack {
  sql: string;
  /** Only these askers (default: every restricted one). */
  as?: readonly Asker[];
  /** The SQL whose answer on the permitted view is the truth, when the attack's own cannot run there. */
  truth?: string;
  /** An error at run time where the permitted view answers is a leak: it depends on rows the asker may not see. */
  oracle?: true;
}

const CLASSES: Record<string, Attack[]> = {
  '1. a CTE captures a relation a row filter names': [
    { sql: `with ${ORDERS_CTE} select count(*) from order_items` },
    { sql: `with ${ORDERS_CTE.replace('orders', 'ORDERS')} select count(*) from order_items` },
    { sql: `with ${ORDERS_CTE.replace('orders', '"Orders"')} select count(*) from order_items` },
    { sql: `with ${ORDERS_CTE.replace('orders', '"orders"')} select sum(line_amount) from order_items` },
    { sql: `with x as (with ${ORDERS_CTE} select count(*) as n from order_items) select n from x` },
    { sql: `select (with ${ORDERS_CTE} select count(*) from order_items) as n` },
    { sql: `with ${ORDERS_CTE.replace(' as (', ' as materialized (')} select count(*) from order_items` },
    { sql: "with recursive orders as (select 0::bigint as order_id, 'DE' as shipping_country union all select order_id + 1, 'DE' from orders where order_id < 60000) select count(*) from order_items" },
    { sql: `with ${ORDERS_CTE}, order_items as (select * from order_items) select count(*) from order_items` },
    { sql: "with orders as (select order_id, 'DE' as shipping_country from main.order_items) select count(*) from order_items" },
    { sql: `with ${ORDERS_CTE} select count(*) from order_items i join products p using (product_id)` },
    { sql: `with ${ORDERS_CTE} select count(*) from main.order_items` },
    { sql: `with ${ORDERS_CTE} select count(*) from shop.main.order_items` },
    { sql: `with ${ORDERS_CTE} select count(*) from (select * from order_items) t` },
    { sql: `with ${ORDERS_CTE} select count(*) from range(1) r, lateral (select * from order_items) x` },
    { sql: `with ${ORDERS_CTE} select count(*) from (select order_id from order_items union all select order_id from order_items)` },
    { sql: `with customers as (select range as customer_id from range(10)), ${ORDERS_CTE} select count(*) from order_items` },
    { sql: `with ${ORDERS_CTE} select count(*) from order_items where exists (select 1 from orders o where o.order_id = order_items.order_id)` },
    { sql: `with ${ORDERS_CTE.replace('orders', '"ORDERS"')} select count(distinct order_id) from order_items` },
    { sql: "with customers as (select * from customers), orders as (select order_id, 'DE' as shipping_country from range(200000) t(order_id)) select count(*) from order_items" },
  ],
  '2. identifier case folding differs from DuckDB': [
    { sql: `with "mar${K}eting_daily" as (select 1 as x) select count(*) from marketing_daily` },
    { sql: `with "mar${K}eting_daily" as (select 1 as x) select sum(spend) from marketing_daily` },
    { sql: `with "raw_mar${K}eting_spend" as (select 1 as x) select count(*) from raw_marketing_spend` },
    { sql: `with "stg_mar${K}eting_spend" as (select 1 as x) select count(*) from stg_marketing_spend` },
    { sql: `select count(*) from "mar${K}eting_daily"` },
    { sql: 'with "cuſtomers" as (select 1 as x) select count(*) from customers' },
    { sql: 'with "ｃｕｓｔｏｍｅｒｓ" as (select 1 as x) select count(*) from customers' },
    { sql: 'with "customers\u0301" as (select 1 as x) select count(*) from customers' },
    { sql: 'select count(*) from "CUSTOMERS"' },
    { sql: 'select count(*) from "cUsToMeRs"' },
    { sql: 'select count(*) from "MAIN"."CUSTOMERS"' },
    { sql: 'select count(*) from SHOP.MAIN.CUSTOMERS' },
    { sql: 'select count(*) from "shop"."Main"."orders"' },
    { sql: 'select count(*) from "MARKETING_DAILY"' },
    { sql: 'select count(*) from "Stg_Customers"' },
    { sql: 'select count(*) from RAW_CUSTOMERS' },
    { sql: 'with "ORDERS" as (select 1 as order_id) select count(*) from "orders"' },
    { sql: 'with "Customers" as (select * from customers) select count(*) from CUSTOMERS' },
    { sql: `select count(*) from (with "mar${K}eting_daily" as (select 1) select * from marketing_daily)` },
    { sql: 'select count(*) from "or\u200bders"' },
  ],
  '3. functions that read SQL as text, plans, the catalog or the session': [
    { sql: 'select pg_get_viewdef(1)' },
    { sql: 'select pg_catalog.pg_get_viewdef(1)' },
    { sql: "select json_serialize_plan('select * from raw_payments')" },
    { sql: "select json_serialize_plan('select min(country), max(country) from customers', optimize := true)" },
    { sql: "select json_serialize_sql('select * from raw_payments')" },
    { sql: 'select current_query()' },
    { sql: 'select format_type(1, 1)' },
    { sql: 'select pg_get_constraintdef(1)' },
    { sql: 'select "pg_get_viewdef"(1)' },
    { sql: "select current_setting('threads')" },
    { sql: 'select * from duckdb_tables()' },
    { sql: 'select sql from duckdb_views()' },
    { sql: "select * from query('select * from raw_customers')" },
    { sql: "select * from query_table('raw_customers')" },
    { sql: "select getvariable('x')" },
    { sql: 'select version()' },
    { sql: 'select current_database(), current_schema()' },
    { sql: "select * from sql_auto_complete('select * from ra')" },
    { sql: "select col_description(1, 1), obj_description(1, 'pg_class')" },
    { sql: "select has_table_privilege('raw_customers', 'select')" },
    { sql: "select * from pragma_table_info('raw_customers')" },
    { sql: 'select customer_id, current_query() from customers limit 1' },
    { sql: "select json_deserialize_sql(json_serialize_sql('select 1'))" },
  ],
  '4. statistics that ignore the row filter': [
    { sql: 'select stats(country) from customers' },
    { sql: 'select stats(customer_id) from customers' },
    { sql: 'select stats(order_date) from orders' },
    { sql: "select stats(shipping_country) from orders where shipping_country = 'DE'" },
    { sql: 'select stats(c.country) from customers c' },
    { sql: 'select (select stats(country) from customers) as s' },
    { sql: 'with x as (select stats(lifetime_revenue) as s from customers) select * from x' },
    { sql: "select stats(country || '') from customers" },
    { sql: 'select STATS(country) from customers' },
    { sql: 'select "stats"(country) from customers' },
    { sql: 'summarize customers' },
    { sql: 'summarize select * from customers' },
    { sql: 'describe customers' },
    { sql: 'show tables' },
    { sql: 'show all tables' },
    { sql: "select * from pragma_storage_info('customers')" },
    { sql: "select * from duckdb_table_sample('customers')" },
    { sql: "select * from duckdb_columns() where table_name = 'customers'" },
    { sql: 'select stats(order_id) from order_items' },
    { sql: 'select max(stats(country)) over () from customers' },
  ],
  '5. errors and suggestions built from the whole catalog': [
    { sql: 'select * from nosuch.customers' },
    { sql: 'select emai from customers' },
    { sql: 'select * from raw_customer' },
    { sql: 'select * from stg_customer' },
    { sql: 'select * from customer' },
    { sql: 'select * from marketing_dail' },
    { sql: 'select * from "raw_customers"' },
    { sql: 'select email from customers' },
    { sql: 'select c.email from customers c' },
    { sql: 'select customers.email from customers' },
    { sql: 'select first_name from customers' },
    { sql: 'select payment_method from stg_payments' },
    { sql: 'select * from main.raw_customers' },
    { sql: 'select * from shop.raw_customers' },
    { sql: 'select * from customers join raw_orders using (customer_id)' },
    { sql: 'select * exclude (nope) from customers' },
    { sql: 'select * from customers where emial = 1' },
    { sql: 'select * from customers c join orders o on c.customer_id = o.custmer_id' },
    { sql: 'select * from stg_customers' },
    { sql: 'select spend from marketing_daily' },
    { sql: 'select * from raw_payments where paymnt_status = 1' },
    { sql: 'select lower(emal) from customers' },
    { sql: 'select marketing_daily.spend from customers' },
    { sql: 'select raw_customers.email from customers' },
    { sql: 'select stg_orders.order_id from orders' },
    { sql: 'select main.customers.country from main.customers' },
  ],
  'found: runtime errors that quote values': [
    { sql: 'select cast(customer_name as int) from customers' },
    { sql: 'select cast(customer_name || country as int) from customers' },
    { sql: "select count(*) from customers where case when country <> 'DE' then cast(customer_name as int) end is null" },
    { sql: "select count(*) from customers where case when country = 'FR' then cast(customer_name as int) end is null" },
    { sql: "select count(*) from orders where case when shipping_country = 'FR' then cast(customer_id::varchar || 'x' as int) end is null" },
    { sql: 'select cast(email as date) from customers' },
    { sql: "select strptime(customer_name, '%Y') from customers" },
    { sql: 'select json_extract(customer_name, \'$.a\') from customers' },
    { sql: 'select cast(product_name as int) from order_items' },
    { sql: "select count(*) from order_items where (case when order_id = 1 then cast(product_name as int) end) is null" },
    { sql: 'select customer_name::blob::int from customers' },
    { sql: "select regexp_matches(customer_name, customer_name || '(') from customers" },
    { sql: 'select list_extract([1], cast(customer_name as int)) from customers' },
    { sql: "select error(customer_name) from customers" },
    { sql: 'select cast(c.customer_name as int) from customers c join orders o using (customer_id)' },
    { sql: 'select sum(cast(customer_name as int)) over () from customers' },
  ],
  'found: the system catalog as relations': [
    { sql: 'select * from information_schema.columns' },
    { sql: 'select * from information_schema.tables' },
    { sql: 'select * from "information_schema"."tables"' },
    { sql: 'select * from INFORMATION_SCHEMA.VIEWS' },
    { sql: 'select * from pg_catalog.pg_class' },
    { sql: 'select * from pg_class' },
    { sql: 'select * from pg_tables' },
    { sql: 'select * from pg_views' },
    { sql: 'select * from sqlite_master' },
    { sql: 'select * from sqlite_schema' },
    { sql: 'select * from duckdb_tables' },
    { sql: 'select * from duckdb_views' },
    { sql: 'select * from system.main.duckdb_tables()' },
    { sql: 'select * from pg_attribute' },
    { sql: 'select count(*) from customers where exists (select 1 from information_schema.columns)' },
    { sql: 'select * from customers, lateral (select * from pg_tables) t limit 1' },
  ],
  'found: result column names built from the rewrite (its filters, qualified names, marker)': [
    { sql: 'select (select count(*) from orders)' },
    { sql: 'select exists(select 1 from orders)' },
    { sql: 'select (select max(country) from customers)' },
    { sql: 'select 1 in (select order_id from order_items)' },
    { sql: 'select array(select customer_id from customers order by customer_id limit 3)' },
    { sql: 'select (select count(*) from customers) + 1' },
    { sql: 'select coalesce((select min(order_id) from orders), 0)' },
    { sql: 'select (from orders select count(*))' },
    { sql: 'select alias((select count(*) from orders))' },
    { sql: 'select typeof((select count(*) from orders))' },
    { sql: 'select (select count(*) from orders o where o.customer_id = c.customer_id) from customers c order by c.customer_id limit 5' },
    { sql: 'select count(*) filter (where customer_id in (select customer_id from orders)) from customers' },
    { sql: 'select case when exists(select 1 from customers) then 1 end' },
    { sql: 'select * from (select (select count(*) from orders))' },
    { sql: 'select to_json((select list(country order by country) from customers))' },
    { sql: 'select (select count(*) from products) + (select count(*) from orders)' },
    { sql: 'select (select count(*) from order_items i where i.order_id = o.order_id) from orders o order by o.order_id limit 3' },
    { sql: 'select to_json(t) from (select (select count(*) from orders)) t' },
    { sql: 'unpivot (select (select count(*) from orders), (select count(*) from order_items)) on columns(*) into name k value v' },
    { sql: 'select alias(columns(*)) from (select (select count(*) from order_items))' },
    { sql: "select columns('.*DE.*') from (select (select count(*) from orders))" },
    { sql: "select columns(c -> c like '%shipping_country%') from (select (select count(*) from order_items))" },
    { sql: "select columns(c -> c like '%askdata%') from (select (select count(*) from customers))" },
    { sql: 'select t from (select exists(select 1 from customers where country = \'FR\')) t' },
  ],
  'found: other shapes of reading a protected table': [
    { sql: 'select c from customers c' },
    { sql: 'select to_json(c) from customers c' },
    { sql: 'select customers from customers' },
    { sql: "select columns('e.*') from customers" },
    { sql: 'select #3 from customers' },
    { sql: 'select count(*) from customers at (version => 1)' },
    { sql: 'select count(*) from customers tablesample 100%' },
    { sql: 'from customers select count(*)' },
    { sql: 'select * from (from customers) limit 1000000' },
    { sql: "pivot (select country, 1 as n from customers) on country in ('DE', 'FR', 'GB', 'US') using sum(n)" },
    { sql: 'unpivot (select customer_id, country from customers) on country into name k value v' },
    { sql: 'select count(*) from customers c1, customers c2 where c1.customer_id = c2.customer_id' },
    { sql: 'select count(*) from customers union by name select count(*) from customers' },
    { sql: 'select (select count(*) from orders o where o.customer_id = c.customer_id) from customers c' },
    { sql: 'select count(*) from customers positional join orders' },
    { sql: 'select rowid from customers' },
    { sql: 'select count(*) from orders o asof join customers c on o.customer_id = c.customer_id and o.order_date >= c.signup_date' },
    { sql: 'select max(customer_id) from customers where customer_id in (select customer_id from orders)' },
    { sql: "select * from read_csv('/etc/passwd')" },
    { sql: "select count(*) from 'shop.duckdb'" },
  ],
  // Found in the second review (issue 15b). A subquery in an expression is named by DuckDB after
  // its text, and a query can read those names back: a reference Ask Data renamed there (a
  // qualified one, or one the query's own WITH list renames) must not make the answer differ
  // from the permitted view's, nor let the asker test a hidden column's name.
  'found (15b): names the query reads back through a reference Ask Data renamed': [
    // 15c: a column qualified by schema and table, in an expression DuckDB names after its text.
    { sql: 'select main.orders.amount + 1 from main.orders order by 1 limit 3' },
    { sql: 'select sum(main.orders.amount), lower(shop.main.orders.status) from shop.main.orders group by all order by 2' },
    { sql: 'select * from (select main.customers.customer_id * 2 from main.customers) order by 1 limit 2' },
    { sql: "select columns(c -> c like '%main%') from (select main.customers.customer_id + 0 from main.customers) limit 1" },
    { sql: "select columns(c -> c like '%ask%' or c = 'email') from (select *, (select count(*) from main.customers) from main.customers)" },
    { sql: "select columns(c -> c = 'email') from (select *, (select 1 from main.customers limit 1) from customers)" },
    { sql: "select columns(c -> c like '%mail%') from (select *, (select max(customer_id) from shop.main.customers) from customers)" },
    { sql: "select columns('.*askdata.*') from (select (select count(*) from main.orders))" },
    { sql: 'select alias((select count(*) from main.orders))' },
    { sql: 'select to_json(t) from (select (select count(*) from shop.main.orders)) t' },
    { sql: 'unpivot (select (select count(*) from main.orders), (select count(*) from main.order_items)) on columns(*) into name k value v' },
    { sql: 'select "(SELECT count_star() FROM main.orders)" from (select (select count(*) from main.orders))' },
    { sql: "select columns(c -> c like '%main.customers%') from (select (select count(*) from main.customers) as x, (select count(*) from main.customers))" },
    { sql: 'select struct_keys(t) from (select (select max(customer_id) from main.customers)) t' },
    { sql: "with orders as (select 1 as order_id) select columns(c -> c like '%ask%') from (select (select count(*) from shop.main.orders))" },
    { sql: 'select json_keys(to_json(t)) from (select (select count(*) from main.order_items)) t' },
    { sql: "select columns(c -> c like '%first_name%' or c like '%ask%') from (select (select count(*) from main.customers))" },
    { sql: 'select * from (select (select count(*) from main.customers)) natural join (select 1 as "(SELECT count_star() FROM main.customers)")' },
    { sql: 'select typeof(t) from (select (select count(*) from main.orders)) t' },
    { sql: 'select exists(select 1 from shop.main.customers), (select count(*) from main.orders)' },
    { sql: 'with customers as (select (select count(*) from customers) as n) select * from customers' },
    { sql: 'select (select count(*) from main.orders) union by name select 0 as "(SELECT count_star() FROM main.orders)"' },
    { sql: "select count(*) from orders where customer_id in (select columns(c -> c like '%ask%') from (select (select max(customer_id) from main.customers)))" },
    { sql: "select count(*) from orders where alias((select count(*) from main.orders)) like '%ask%'" },
  ],
  // Unicode spellings beyond the Kelvin sign: homoglyphs, compatibility forms, joiners and
  // combining marks, as CTE names that would capture a row filter's relation and as table names.
  'found (15b): Unicode spellings of protected names (homoglyphs, joiners, combining marks, fullwidth, ß, ı, ς)': [
    ...['\u03BFrders', '\u043Erders', 'orders\u200D', 'orders\u0301', '\uFF4F\uFF52\uFF44\uFF45\uFF52\uFF53', 'order\u0455', 'orde\u0280s', 'order\u03C2', 'ORDERS\u200B'].map((n) => ({ sql: `with "${n}" as (select range as order_id, 'DE' as shipping_country from range(0, 200000)) select count(*) from order_items` })),
    { sql: 'select count(*) from "market\u0131ng_daily"' },
    { sql: 'select count(*) from "MARKET\u0130NG_DAILY"' },
    { sql: 'select count(*) from "marketing_dai\u0142y"' },
    { sql: 'select count(*) from "raw_customer\u00DF"' },
    { sql: 'select count(*) from "m\u0430in".customers' },
    { sql: 'select count(*) from shop."MA\u0130N".customers' },
    { sql: 'with "custo\u1D0Ders" as (select 1 as x) select count(*) from customers' },
    { sql: 'with "cus\u0074\u200Comers" as (select 1 as x) select count(*) from customers' },
    { sql: 'select count(*) from "stg\uFF3Fcustomers"' },
  ],
  // Errors raised only for rows a row policy removes would tell an asker those rows exist (and what
  // they hold). Judged strictly: a run-time error where the permitted view answers is a leak.
  'found (15b): errors conditioned on rows a filter removes (judged strictly)': [
    { sql: "select count(*) from orders where cast(case when shipping_country = 'FR' then 'x' else '1' end as int) = 1", oracle: true },
    { sql: "select count(*) from customers where cast(case when country = 'US' then 'x' else '1' end as int) = 1", oracle: true },
    { sql: "select count(*) from order_items where cast(case when order_id = 1 then 'x' else '1' end as int) = 1", oracle: true, as: ['lena'] },
    { sql: "select count(*) from orders where (case when shipping_country = 'FR' then 9223372036854775807 + order_id else 0 end) > 0", oracle: true },
    { sql: "select count(*) from customers where strptime(case when country = 'FR' then 'x' else '2020' end, '%Y') is not null", oracle: true },
    { sql: "select count(*) from customers where 1 // (case when country = 'FR' then 0 else 1 end) = 1", oracle: true },
    { sql: "select count(*) from customers where cast(case when country = 'FR' then 'x' else '2020-01-01' end as date) is not null", oracle: true },
    { sql: "select count(*) from customers where regexp_matches(customer_name, case when country = 'FR' then '(' else 'a' end)", oracle: true },
    { sql: "select count(*) from customers where make_date(2020, case when country = 'FR' then 13 else 1 end, 1) is not null", oracle: true },
    { sql: "select count(*) from customers c join products p on p.product_id = (case when c.country = 'FR' then 'x' else '1' end)::int", oracle: true },
    { sql: "select sum((case when country = 'FR' then 'x' else '1' end)::int) over () from customers limit 1", oracle: true },
    { sql: "select country, count(*) from customers group by country having sum((case when country = 'FR' then 'x' else '1' end)::int) > 0", oracle: true },
    { sql: "select customer_id from customers order by (case when country = 'FR' then 'x' else '1' end)::int, customer_id limit 1", oracle: true },
    { sql: "select count(*) from customers c, lateral (select (case when c.country = 'FR' then 'x' else '1' end)::int as v) l", oracle: true },
    { sql: "select count(*) from order_items i join orders o using (order_id) where (case when o.shipping_country = 'FR' then 'x' else '1' end)::int = 1", oracle: true },
    { sql: "select count(*) from customers where exists (select 1 from orders o where (case when o.shipping_country = 'FR' then 'x' else '1' end)::int = 1)", oracle: true },
    { sql: "select count(*) from customers where json_extract(case when country = 'FR' then '{' else '{}' end, '$.a') is null", oracle: true },
    { sql: "select count(*) from orders where to_timestamp(case when shipping_country = 'FR' then 1e20 else 1 end) is not null", oracle: true },
  ],
  // DuckDB's own syntax corners, as ways of reading a protected table.
  'found (15b): DuckDB syntax corners (FROM-first, comma joins, POSITIONAL, SAMPLE, PIVOT, COLUMNS, row packing, lambdas, GROUPING SETS, USING KEY)': [
    { sql: 'from customers select count(*), count(distinct country)' },
    { sql: 'select count(*) from customers, orders where customers.customer_id = orders.customer_id' },
    { sql: 'select count(*) from (select customer_id from customers order by customer_id) positional join (select order_id from orders order by order_id)' },
    { sql: 'select count(*) from customers using sample 100 percent (bernoulli)' },
    { sql: "select * from (pivot customers on country in ('DE', 'FR', 'GB', 'US') using count(*) group by acquisition_channel) order by acquisition_channel" },
    { sql: "select * from (unpivot (select customer_id, country, acquisition_channel from customers) on country, acquisition_channel into name k value v) order by all limit 20" },
    { sql: 'select max(columns(*)) from customers' },
    { sql: "select min(columns('.*_date')) from customers" },
    { sql: 'select * replace (upper(country) as country) from customers order by customer_id limit 5' },
    { sql: 'select * rename (country as land) from customers order by customer_id limit 5' },
    { sql: 'select struct_pack(c := customers) from customers order by customer_id limit 3' },
    { sql: 'select max(to_json(customers)) from customers' },
    { sql: "select list_filter(list(country order by customer_id), x -> x <> 'DE')[1:3] from customers" },
    { sql: 'select country, count(*) from customers group by grouping sets ((country), ()) order by all' },
    { sql: 'select country, acquisition_channel, count(*) from customers group by cube (country, acquisition_channel) order by all' },
    { sql: 'with recursive t(n, c) using key (n) as (select 1, (select count(*) from customers) union select n + 1, c from t where n < 3) select * from t order by n' },
    { sql: 'with c as materialized (select * from customers) select count(*), max(country) from c' },
    { sql: 'select * from (values (1)) v(x), (select count(*) from order_items) t' },
    { sql: 'select count(*) from customers qualify row_number() over (order by customer_id) = 1' },
    { sql: 'select histogram(country) from customers' },
    { sql: 'select approx_top_k(country, 3) from customers' },
    { sql: 'select hash(max(customers)) is not null from customers' },
    { sql: 'select arg_max(customer_name, lifetime_revenue), any_value(country) is not null from customers' },
  ],
  // Which rows a seeded sample picks depends on where rows lie in storage and in DuckDB's chunks:
  // a system sample is of the table's vectors before the policy's filter, a reservoir of the
  // filtered chunks. Only seeded samples are here: without a seed no two runs agree anyway.
  'found (15c): seeded samples (USING SAMPLE, TABLESAMPLE) of what a row policy filters': [
    { sql: 'select sum(customer_id) from customers using sample 100 rows (reservoir, 42)' },
    { sql: 'select count(*) from customers using sample 10 percent (system, 7)' },
    { sql: 'select count(*) from customers tablesample system(50%) repeatable (1)' },
    { sql: 'select count(*) from customers tablesample bernoulli(10%) repeatable (3)' },
    { sql: 'select count(*) from customers using sample 10% (bernoulli, 42)' },
    { sql: 'select sum(order_id) from (select * from orders using sample 1000 rows (reservoir, 5))' },
    { sql: 'select count(*) from order_items using sample 20 percent (system, 11)' },
    { sql: 'select count(*) from order_items tablesample reservoir(500 rows) repeatable (2) where quantity > 1' },
    { sql: 'select count(*) from (select * from customers) using sample 20 percent (system, 11)' },
    { sql: 'select count(*) from customers c join orders o using (customer_id) using sample 20 percent (system, 11)' },
    { sql: 'select count(*) from customers where customer_id in (select customer_id from customers using sample 10 rows (reservoir, 1))' },
    { sql: 'select count(*) from products tablesample reservoir(10 rows) repeatable (5), customers' },
    { sql: 'with s as (select * from orders using sample 5 percent (system, 9)) select count(*), sum(amount) from s' },
    { sql: 'select max(customer_id) from (select customer_id from customers order by customer_id) using sample 3 rows (reservoir, 8)' },
    { sql: 'select count(*) from (select order_id from order_items union all select order_id from orders) using sample 25 percent (system, 4)' },
    { sql: 'select country, count(*) from customers tablesample 30 percent (system, 6) group by country order by country' },
  ],
  // order_items is filtered by a semi join on orders; the asker's own condition names the order
  // ids of other countries (order 2 ships to the US): an error would say such an order has lines.
  'found (15c): errors conditioned on rows an IN-subquery filter removes (order_items of other countries)': [
    { sql: "select count(*) from order_items where cast(case when order_id = 2 then 'x' else '1' end as int) = 1", oracle: true },
    { sql: "select count(*) from order_items i where (case when i.order_id = 2 then 'x' else '1' end)::int = 1 and i.order_id > 0", oracle: true },
    { sql: "select count(*) from order_items where order_id = 2 and cast(product_id || 'x' as int) = 1", oracle: true },
    { sql: "select count(*) from order_items where order_id in (2, 5) and cast('x' || product_id as int) = 1", oracle: true },
    { sql: "select order_id from order_items where order_id = 2 and 1 = (case when product_id > 0 then 'y' else '1' end)::int", oracle: true },
    { sql: "select count(*) from (select * from order_items where order_id = 2) where cast('x' || product_id as int) = 1", oracle: true },
    { sql: "select sum(cast(case when order_id = 2 then 'x' else '1' end as int)) from order_items", oracle: true },
    { sql: "select count(*) from order_items group by order_id having cast(case when order_id = 2 then 'x' else '1' end as int) = 1", oracle: true },
    { sql: "select count(*) from order_items where json_extract(case when order_id = 2 then '{' else '{}' end, '$.a') is null", oracle: true },
    { sql: "select count(*) from order_items where order_id = 2 and json_extract(category, '$.x') is null", oracle: true },
    { sql: "select count(*) from order_items where order_id = 2 and regexp_matches('a', '(' || product_name)", oracle: true },
    { sql: "select count(*) from order_items where order_id = 2 and strptime(product_name, '%Y') is null", oracle: true },
    { sql: 'select count(*) from order_items where order_id between 1 and 5 and make_date(2020, order_id + 10, 1) is not null', oracle: true },
    { sql: "select count(*) from orders where order_id = 2 and cast(status as int) = 1", oracle: true },
    { sql: "select count(*) from customers where customer_id = 1 and json_extract(customer_name, '$.x') is null", oracle: true },
    { sql: "select count(*) from order_items i join orders o using (order_id) where o.order_id = 2 and cast(o.status as int) = 1", oracle: true },
  ],
  'found (15c): set operations, semi and anti joins, DISTINCT ON, FILTER, ASOF, POSITIONAL: permitted and hidden rows side by side': [
    { sql: 'select count(*) from customers positional join products' },
    { sql: 'select count(*), count(p.product_id), count(c.customer_id) from products p positional join customers c' },
    { sql: 'select * from (select * from customers order by customer_id limit 3) positional join (select * from orders order by order_id limit 3)' },
    { sql: 'select count(*) from orders o asof left join customers c on o.customer_id = c.customer_id and o.order_date >= c.first_order_date where c.customer_id is null' },
    { sql: 'select count(*) from customers c semi join orders o on c.customer_id = o.customer_id' },
    { sql: 'select count(*) from customers c anti join orders o on c.customer_id = o.customer_id' },
    { sql: 'select count(*) from orders o anti join customers c on c.customer_id = o.customer_id' },
    { sql: 'select count(*) from order_items i anti join orders o using (order_id)' },
    { sql: 'select count(*) from orders o left join customers c using (customer_id) where c.customer_id is null' },
    { sql: 'select count(*) from (select order_id from order_items except select order_id from orders)' },
    { sql: 'select count(*) from order_items where order_id not in (select order_id from orders)' },
    { sql: 'select count(*) from customers union all select count(*) from orders except select count(*) from products' },
    { sql: 'select distinct on (country) country, customer_id from customers order by country, customer_id' },
    { sql: "select max(customer_id) filter (where country <> 'DE'), count(*) filter (where country = 'US') from customers" },
    { sql: 'select mode(country), arg_min(country, customer_id), approx_count_distinct(country) from customers' },
    { sql: 'select count(*) from customers natural join orders' },
    { sql: 'select count(*) from (select * from customers union by name select * from orders)' },
    { sql: "select [x for x in (select list(country) from customers) if x <> 'DE'][:3]" },
    { sql: 'with recursive r(i) as (select min(customer_id) from customers union all select (select min(customer_id) from customers where customer_id > i) from r where i < 200) select count(*), max(i) from r' },
    { sql: 'select customer_id, lead(customer_id, 1) over (order by customer_id) from customers order by customer_id desc limit 2' },
  ],
};

type Verdict = { verdict: 'refused' | 'answered' | 'leak'; detail?: string };

/**
 * An answer judged against the same SQL on the asker's permitted view: a refusal whose message
 * names or quotes what is hidden is a leak, and so (for `oracle` attacks) is a run-time error
 * where the permitted view answers; an answer is a leak when the permitted view has no answer,
 * other columns or other rows.
 */
async function judgeAnswer(got: Outcome & { errorClass?: string }, truthOf: () => Promise<Outcome>, messageLeak: (message: string) => string | undefined, oracle?: true): Promise<Verdict> {
  if (!got.ok) {
    const leak = messageLeak(got.error);
    if (leak) return { verdict: 'leak', detail: `refused, but the message ${leak}: ${got.error}` };
    if (oracle && got.errorClass === 'runtime' && (await truthOf()).ok) {
      return { verdict: 'leak', detail: `failed at run time where the permitted view answers (the error depends on rows it does not hold): ${got.error}` };
    }
    return { verdict: 'refused' };
  }
  const truth = await truthOf();
  if (!truth.ok) return { verdict: 'leak', detail: `answered ${got.rows.length} rows where the permitted view has none (${truth.error.split('\n')[0]})` };
  if (got.columns.join('|') !== truth.columns.join('|')) return { verdict: 'leak', detail: `columns ${got.columns.join(', ')} where the permitted view has ${truth.columns.join(', ')}` };
  if (rowsKey(got.rows) !== rowsKey(truth.rows)) return { verdict: 'leak', detail: `rows differ from the permitted view's (${got.rows.length} vs ${truth.rows.length}; first ${JSON.stringify(got.rows[0])} vs ${JSON.stringify(truth.rows[0])})` };
  return { verdict: 'answered' };
}

/** Everything a query returns through the engine as a restricted asker, or its error. */
async function outcomeOf(engine: DuckDbEngine, sql: string, a: AccessDecision): Promise<Outcome & { errorClass?: string }> {
  try {
    const cursor = await engine.run(sql, { access: a, pageSize: 200_000, rowCap: 200_000 });
    const rows = [...cursor.first.rows];
    let page = cursor.first;
    while (page.hasMore) rows.push(...(page = await cursor.next()).rows);
    cursor.close();
    return { ok: true, columns: cursor.first.columns.map((c) => c.name), rows };
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    return { ok: false, error: e.message, errorClass: e.errorClass };
  }
}

/** Questions each restricted asker may legitimately ask: they must answer exactly as their own database does. */
const LEGITIMATE: Record<Asker, Attack[]> = {
  sam: [
    { sql: 'select * exclude (email) from customers', truth: 'select * from customers' },
    { sql: 'select * exclude (email, country) from customers', truth: 'select * exclude (country) from customers' },
    { sql: 'select c.* exclude (c.email) from customers c', truth: 'select c.* from customers c' },
    { sql: 'select columns(* exclude (email)) from customers', truth: 'select columns(*) from customers' },
    { sql: 'select max(columns(* exclude (email, customer_name))) from customers', truth: 'select max(columns(* exclude (customer_name))) from customers' },
    { sql: 'select * exclude "email" from customers', truth: 'select * from customers' },
    { sql: 'select * from customers' },
    { sql: 'select count(*) from marketing_daily' },
  ],
  lena: [],
  tom: [],
  nora: [
    { sql: 'select count(*), avg(list_price) from products' },
    { sql: 'select category, count(*) from products group by all order by 1' },
    { sql: 'with recursive r as (select 1 as n union all select n + 1 from r where n < 10) select * from r' },
    { sql: 'select product_name, rank() over (order by list_price desc) from products' },
    { sql: 'select * exclude (sku) from products' },
  ],
  outsider: [],
  analyst: [],
};
const FOR_EVERY_COUNTRY_MANAGER = [
  'select count(*) from customers',
  'select distinct country from customers',
  'with recursive r as (select 1 as n union all select n + 1 from r where n < 10) select sum(n) from r',
  'with recursive days as (select min(order_date) as day from orders union all select day + 1 from days where day < (select min(order_date) + 30 from orders)) select count(*), min(day) from days',
  'with recursive chain as (select min(order_id) as id, 1 as n from orders union all select (select min(order_id) from orders where order_id > chain.id), n + 1 from chain where n < 25) select max(n), count(distinct id) from chain',
  'select * exclude (email) from customers',
  'select customer_id, sum(amount) over (partition by customer_id order by order_date rows between unbounded preceding and current row) as running from orders',
  'select c.country, count(*), sum(o.amount) from customers c join orders o using (customer_id) group by all',
  'select count(*) from order_items i join orders o using (order_id) join products p using (product_id)',
  'select count(*) from customers where customer_id in (select customer_id from orders where is_revenue)',
  'with customers as (select * from customers) select count(*) from customers',
  'select count(*) from main.customers',
  'select count(*) from shop.main.orders',
  'select count(*) from "Customers"',
  'select customer_name, row_number() over (order by lifetime_revenue desc) as r from customers qualify r <= 5',
  'select status, count(*) from orders group by status order by status',
  'select category, sum(line_amount) from order_items group by all',
  "pivot (select status, amount from orders) on status in ('placed', 'shipped', 'completed', 'cancelled', 'returned') using count(*)",
  'select o.order_id, (select count(*) from order_items i where i.order_id = o.order_id) as lines from orders o order by o.order_id limit 20',
  'select * from products where product_id not in (select product_id from order_items)',
  'select count(*) from customers c, lateral (select count(*) as n from orders o where o.customer_id = c.customer_id) l where l.n > 3',
  'select to_json(c) from customers c order by customer_id limit 3',
  'select max(order_date) - min(order_date) from orders',
];
const FOR_SAM = [
  'select count(*) from customers',
  'with recursive r as (select 1 as n union all select n + 1 from r where n < 10) select sum(n) from r',
  'select channel, sum(spend), sum(attributed_revenue) from marketing_daily group by all',
  'select c.country, count(*) from customers c join orders o using (customer_id) group by all',
  'select customer_name, lifetime_revenue from customers order by lifetime_revenue desc, customer_id limit 10',
  'select date, channel, sum(spend) over (partition by channel order by date) from marketing_daily',
  'select count(*) from order_items i join orders o using (order_id)',
  'with customers as (select * from customers) select count(*) from customers',
  "select columns('c.*') from customers limit 10",
  'select c from customers c limit 3',
  'select count(*) from main.marketing_daily',
  'select * from products order by product_id',
  'select count(distinct customer_id) from orders where customer_id in (select customer_id from customers where country = \'DE\')',
];
/**
 * SQL syntax DuckDB's parser turns into calls it writes as `main.<function>` (EXTRACT, list and
 * struct literals, row constructors, TRIM, SUBSTRING, POSITION, AT TIME ZONE, list comprehensions,
 * = ANY) and scalar UNNEST: everyday analytics, for everyone whom policies let read the tables.
 */
const PARSER_WRITTEN_CALLS = [
  'select extract(year from order_date) as y, count(*) from orders group by 1 order by 1',
  "select extract('month' from order_date) as m, sum(amount) from orders group by 1 order by 1",
  'select count(*) from orders where status = any([\'completed\', \'shipped\'])',
  "select count(*) from orders where status in ('completed', 'shipped')",
  'select list(distinct status order by status) from orders',
  "select [s for s in list(distinct status order by status) if s <> 'placed'] from orders",
  "select {'n': count(*), 's': sum(amount)} from orders",
  'select (count(*), max(order_id)) from orders',
  "select unnest(['a', 'b'])",
  'select unnest(list(distinct status order by status)) as s from orders order by s',
  'select substring(customer_name, 1, 3) from customers order by customer_id limit 5',
  'select substring(customer_name from 2 for 3) from customers order by customer_id limit 5',
  "select position('a' in customer_name) as p from customers order by customer_id limit 5",
  'select trim(customer_name), trim(both \' \' from customer_name) from customers order by customer_id limit 3',
  "select ordered_at at time zone 'UTC' from orders order by order_id limit 3",
  'select max(columns([\'amount\', \'units\'])) from orders',
  "select map {'orders': count(*)} from orders",
  'select [1, 2, 3][2], [order_id, customer_id][1] from orders order by order_id limit 2',
  "select main.lower('A'), system.main.upper('b')",
];
const PARSER_WRITTEN_CALLS_ON_PRODUCTS = [
  'select extract(year from current_date) > 2000, count(*) from products',
  "select [p for p in list(product_name order by product_id) if p like 'A%'] from products",
  "select {'category': category, 'n': count(*)} from products group by category order by category",
  'select substring(product_name, 1, 4), trim(sku) from products order by product_id limit 5',
  'select unnest(list(distinct category order by category)) from products',
];
/** Qualified names of restricted tables in subqueries that name no column (WHERE, ON, HAVING): answered. */
const QUALIFIED_IN_CONDITIONS = [
  'select count(*) from orders where customer_id in (select customer_id from main.customers)',
  'select count(*) from orders o where exists (select 1 from shop.main.order_items i where i.order_id = o.order_id)',
  'select count(*) from orders where amount > (select avg(amount) from main.orders)',
  'select o.order_id from orders o join main.customers c on c.customer_id = o.customer_id and c.customer_id in (select customer_id from main.customers) order by 1 limit 3',
  'select country, count(*) from customers group by country having count(*) > (select count(*) / 100 from shop.main.customers) order by 1',
];
/**
 * Columns qualified by schema (or database and schema) and table, as SQL allows when the table is
 * named so in FROM (found, 15c: refused before — the rewrite renamed the table under them).
 */
const QUALIFIED_COLUMNS = [
  'select main.customers.country, count(*) from main.customers group by 1 order by 1',
  'select shop.main.customers.country from shop.main.customers order by shop.main.customers.customer_id limit 3',
  'select "main"."customers"."country", count(*) from "main"."customers" group by all',
  'select MAIN.CUSTOMERS.COUNTRY, count(*) from main.customers group by all',
  'select main.customers.customer_id, main.orders.order_id from main.customers join main.orders on main.orders.customer_id = main.customers.customer_id order by 2 limit 3',
  'select main.order_items.order_id, count(*) from main.order_items group by 1 order by 1 limit 5',
  'select main . orders . status, count(*) from main.orders where main.orders.amount > 100 group by main.orders.status order by 1',
  'select count(*) from shop.main.orders where shop.main.orders.customer_id in (select main.customers.customer_id from main.customers where main.customers.lifetime_revenue > 100)',
  'select main.orders.amount + 1 as a, sum(main.orders.units) as u from main.orders group by all order by 1 limit 3',
  'select main.orders.status, count(*) as n from main.orders group by main.orders.status having sum(main.orders.amount) > 0 order by 1',
  // Comments between the parts of a qualified name (refused before: the rewrite stopped at the comment).
  'select count(*) from main /* the schema */ . customers',
  'select count(*), max(o.order_id) from shop -- the database\n.main.orders o',
];
LEGITIMATE.lena = [...FOR_EVERY_COUNTRY_MANAGER, ...PARSER_WRITTEN_CALLS, ...QUALIFIED_IN_CONDITIONS, ...QUALIFIED_COLUMNS].map((sql) => ({ sql }));
LEGITIMATE.tom = [...FOR_EVERY_COUNTRY_MANAGER, ...PARSER_WRITTEN_CALLS, ...QUALIFIED_IN_CONDITIONS, ...QUALIFIED_COLUMNS].map((sql) => ({ sql }));
LEGITIMATE.sam.push(...[...FOR_SAM, ...PARSER_WRITTEN_CALLS, ...PARSER_WRITTEN_CALLS_ON_PRODUCTS, ...QUALIFIED_IN_CONDITIONS, ...QUALIFIED_COLUMNS].map((sql) => ({ sql })));
LEGITIMATE.nora.push(...PARSER_WRITTEN_CALLS_ON_PRODUCTS.map((sql) => ({ sql })));


describe('access policies against an attacker (judged by content against each asker\'s permitted view)', function () {
  this.timeout(600_000);
  let engine: DuckDbEngine;
  let policy: PolicyFile;
  let views: PermittedViews;
  let project: string;
  const access = (a: Asker) => decideAccess(policy, ASKERS[a]);

  before(async () => {
    const sample = await sampleWithDatabase();
    project = sample.project;
    engine = await DuckDbEngine.open({ database: sample.database, baseDirectory: sample.project });
    policy = (await readProjectPolicies(sample.project))!;
    views = await buildPermittedViews(sample.database);
  });
  after(() => {
    engine?.close();
    views?.close();
  });

  const viaEngine = (sql: string, a: AccessDecision) => outcomeOf(engine, sql, a);

  /**
   * Names text may not use for this asker: the tables and views they may not read, `table.column`
   * of what is hidden in tables they may read, and hidden column names that read as identifiers
   * (first_name). A bare word such as "email" or "cost" is no evidence: "email" is also a value of
   * acquisition_channel the asker may see, "cost" a word of the rules. Whether a column is hidden
   * from what is shown is judged on structure instead (result columns, schema, SQL that must run).
   */
  function secretNames(a: Asker): string[] {
    const hidden = views.hidden(a);
    const granted = REFUSED_FOR_AN_ATTRIBUTE[a] ?? [];
    return [...hidden.relations.filter((r) => !granted.includes(r)), ...hidden.qualified, ...hidden.columns.filter((c) => c.includes('_'))];
  }

  /** What a message may not contain for this asker: hidden names, or values. */
  function messageLeak(a: Asker, message: string): string | undefined {
    const name = namesOneOf(message, secretNames(a));
    if (name) return `names ${name}`;
    const value = quotesOneOf(message, views.hiddenValues(a));
    return value ? `quotes ${value}` : undefined;
  }

  async function judge(a: Asker, attack: Attack): Promise<Verdict> {
    return judgeAnswer(await viaEngine(attack.sql, access(a)), () => views.run(a, attack.truth ?? attack.sql), (m) => messageLeak(a, m), attack.oracle);
  }

  const report: string[] = [];
  after(() => {
    if (report.length) console.log(`\n    ${report.join('\n    ')}\n`);
  });

  for (const [name, attacks] of Object.entries(CLASSES)) {
    it(`${name}: ${attacks.length} attacks, no leak`, async () => {
      assert.ok(attacks.length >= 15, 'at least 15 attacks per class');
      const leaks: string[] = [];
      let runs = 0;
      let refused = 0;
      for (const attack of attacks) {
        for (const a of attack.as ?? RESTRICTED) {
          runs++;
          const { verdict, detail } = await judge(a, attack);
          if (verdict === 'refused') refused++;
          if (verdict === 'leak') leaks.push(`${a}: ${attack.sql}\n      → ${detail}`);
        }
      }
      report.push(`${name}: ${attacks.length} attacks, ${runs} runs, ${leaks.length} leaks, ${refused} refused, ${runs - refused - leaks.length} answered as the permitted view does`);
      assert.deepEqual(leaks, [], `leaks:\n${leaks.join('\n')}`);
    });
  }

  it('answers the legitimate questions of restricted askers exactly as their permitted view does (over-blocking counted)', async () => {
    const problems: string[] = [];
    let total = 0;
    let overBlocked = 0;
    let wrong = 0;
    for (const a of RESTRICTED) {
      for (const q of LEGITIMATE[a]) {
        total++;
        const got = await viaEngine(q.sql, access(a));
        const truth = await views.run(a, q.truth ?? q.sql);
        assert.ok(truth.ok, `the truth of ${q.sql} for ${a} runs: ${truth.ok ? '' : truth.error}`);
        if (!got.ok) {
          overBlocked++;
          problems.push(`${a}: over-blocked: ${q.sql}\n      → ${got.error}`);
        } else if (got.columns.join('|') !== truth.columns.join('|') || rowsKey(got.rows) !== rowsKey(truth.rows)) {
          wrong++;
          problems.push(`${a}: wrong answer: ${q.sql}\n      → ${got.rows.length} rows (${got.columns.join(', ')}) vs ${truth.rows.length} (${truth.columns.join(', ')})`);
        }
      }
    }
    report.push(`legitimate questions: ${total} (asked by ${RESTRICTED.join(', ')}), ${total - overBlocked - wrong} answered as the permitted view does, ${overBlocked} over-blocked, ${wrong} wrong`);
    assert.deepEqual(problems, []);
  });

  it('leaves askers in no group unrestricted, as the sample says (default: allow)', async () => {
    for (const a of ['outsider', 'analyst'] as const) {
      for (const sql of ['select count(*) from raw_customers', 'select count(*) from customers', 'select sum(spend) from marketing_daily']) {
        const got = await viaEngine(sql, access(a));
        const truth = await views.run(a, sql);
        assert.ok(got.ok && truth.ok && rowsKey(got.rows) === rowsKey(truth.rows), `${a}: ${sql}`);
      }
    }
  });

  it('refuses the country manager without a country only what needs it, naming the attribute', async () => {
    const got = await viaEngine('select count(*) from customers', access('nora'));
    assert.ok(!got.ok);
    assert.match(got.error, /needs your country/);
    assert.match(got.error, /country_managers_see_their_country/);
    assert.ok((await viaEngine('select count(*) from products', access('nora'))).ok);
  });

  describe('what the commands show (grounding, approved pairs, commands with no asker)', () => {
    let shop: string;
    const attackPairs: Record<string, string> = {
      'emails-of-top-customers': 'select customer_name, email from customers order by lifetime_revenue desc limit 10',
      'payments-comma-join': 'select o.order_id, p.payment_method from orders o, stg_payments p where p.order_id = o.order_id limit 10',
      'emails-through-a-cte': 'with c as (select email from customers) select count(*) from c',
      'raw-customers-in-a-subquery': 'select count(*) from customers where customer_id in (select customer_id from raw_customers)',
      'qualified-staging': 'select * from main.stg_orders limit 5',
      'comment-names-raw': '-- reconciled against raw_payments\nselect count(*) as orders from orders',
      'lateral-raw': 'select c.customer_id, r.email from customers c, lateral (select email from raw_customers r where r.customer_id = c.customer_id) r limit 5',
      'marketing-spend-total': 'select sum(spend) as spend from marketing_daily',
      'kelvin-cte': `with "mar${K}eting_daily" as (select 1 as x) select count(*) as days from marketing_daily`,
      'union-staging': 'select customer_id from customers union select customer_id from stg_customers',
      'exists-raw-orders': 'select count(*) from customers c where exists (select 1 from raw_orders r where r.customer_id = c.customer_id)',
      'email-present': 'select count(*) filter (where email is not null) as with_email from customers',
      'qualify-staging': 'select * from stg_payments qualify row_number() over (order by payment_id) <= 3',
      'plan-of-raw': "select json_serialize_plan('select * from raw_payments') as plan",
      'describe-customers': 'describe customers',
      'stats-country': 'select stats(country) as s from customers',
    };
    const attackQuestions: Record<string, string> = {
      'emails-of-top-customers': 'What are the emails of our top customers?',
      'payments-comma-join': 'Which payment method did each order use?',
      'emails-through-a-cte': 'How many customer emails do we have?',
      'raw-customers-in-a-subquery': 'How many customers are in the raw seed?',
      'qualified-staging': 'Show me a few staged orders',
      'comment-names-raw': 'How many orders are reconciled?',
      'lateral-raw': 'Show customers with their raw email',
      'marketing-spend-total': 'What is our total marketing spend?',
      'kelvin-cte': 'How many days of marketing data do we have?',
      'union-staging': 'List all customer ids including staged ones',
      'exists-raw-orders': 'How many customers have raw orders?',
      'email-present': 'How many customers have an email address?',
      'qualify-staging': 'Show the first three payments',
      'plan-of-raw': 'Show the plan of the raw payments query',
      'describe-customers': 'Describe the customers table',
      'stats-country': 'What are the statistics of customer countries?',
    };
    const questions = [
      ...Object.values(attackQuestions),
      'Which countries do our customers come from?', 'Show orders by shipping country', 'How many customers are in France?', 'Revenue by country',
      'Who are my top customers?', 'How many orders per status?', 'Marketing spend by channel', 'What are the email addresses of our customers?',
      'Which products sell best?', 'Show sales from the last 30 days', 'Top customers in Germany', 'Customers by country',
    ];
    const cli = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await main(args, (s) => (out += s), (s) => (err += s));
      return { code, out, err };
    };

    /**
     * Pairs whose SQL any asker may run, but whose file says more: tags, the tables it lists, the
     * reason it was rejected. Each is shown with the pair (pairs list, the panel) or given to the
     * model ("do not answer like this"), so each must name nothing hidden from whoever sees it.
     */
    const metadataPairs: Array<{ id: string; question: string; extra: string; status: 'approved' | 'rejected' }> = [
      ...['raw_customers', 'stg_payments', 'customers.email', 'marketing_daily', 'raw_orders.shipping_cents'].map((tag, i) => ({ id: `tagged-${i}`, question: `How many products do we sell in total (${['first', 'second', 'third', 'fourth', 'fifth'][i]} count)?`, extra: `tags: [${tag}]`, status: 'approved' as const })),
      ...[['products', 'raw_products'], ['stg_orders'], ['raw_payments'], ['products', 'stg_products'], ['raw_marketing_spend']].map((tables, i) => ({ id: `listed-${i}`, question: `What is the number of products in the catalogue, take ${i + 1}?`, extra: `tables: [${tables.join(', ')}]`, status: 'approved' as const })),
      ...['should read raw_payments.amount_cents', 'use stg_customers instead', 'the marketing_daily table has it', 'first_name is in raw_customers', 'compare with raw_order_items'].map((reason, i) => ({ id: `rejected-${i}`, question: `How many products are listed, variant ${i + 1}?`, extra: `rejected: { by: "Jonas Weber <jonas@shop.example>", at: 2026-11-13T14:05:00Z, reason: "${reason}" }`, status: 'rejected' as const })),
    ];

    before(async () => {
      shop = await tempDir('askdata-attack-shop-');
      await fs.cp(project, shop, { recursive: true });
      for (const p of metadataPairs) {
        const signed = p.status === 'approved' ? 'approved: { by: "Jonas Weber <jonas@shop.example>", at: 2026-11-13T14:05:00Z }\n' : '';
        await fs.writeFile(path.join(shop, 'askdata', 'pairs', `${p.id}.yml`), `version: 1\nquestion: ${JSON.stringify(p.question)}\nsql: |\n  select count(*) as products from products\nstatus: ${p.status}\n${p.extra}\n${signed}`);
      }
      for (const [id, sql] of Object.entries(attackPairs)) {
        await fs.writeFile(path.join(shop, 'askdata', 'pairs', `${id}.yml`), `version: 1\nquestion: ${JSON.stringify(attackQuestions[id])}\nsql: |\n${sql.split('\n').map((l) => `  ${l}`).join('\n')}\nstatus: approved\napproved: { by: "Jonas Weber <jonas@shop.example>", at: 2026-11-13T14:05:00Z }\n`);
      }
    });

    /** A leak in what a command printed for the asker: names or values hidden from them, or SQL their view cannot run. */
    async function shownLeaks(a: Asker, printed: string, sqls: string[]): Promise<string[]> {
      const out: string[] = [];
      const named = namesOneOf(printed, secretNames(a));
      if (named) out.push(`names ${named}`);
      const value = quotesOneOf(printed, views.hiddenValues(a));
      if (value) out.push(`quotes ${value}`);
      for (const sql of new Set(sqls)) {
        const run = await views.run(a, sql);
        if (!run.ok) out.push(`shows SQL the permitted view cannot run (${run.error.split('\n')[0]}): ${sql}`);
      }
      return out;
    }

    it(`6. grounding (context) for ${questions.length} questions: known values, samples, joins, examples and rules only from the permitted view`, async () => {
      const batch = path.join(shop, 'questions.jsonl');
      await fs.writeFile(batch, questions.map((q, i) => JSON.stringify({ id: i, question: q })).join('\n'));
      const leaks: string[] = [];
      let shownValues = 0;
      for (const a of RESTRICTED) {
        const { code, out } = await cli(['context', '--project', shop, '--as', ASKERS[a], '--batch', batch]);
        assert.equal(code, 0, out);
        for (const line of out.trim().split('\n')) {
          const g = JSON.parse(line) as { question: string; schema: string; examples: Array<{ sql: string }>; joins: Array<{ on: string }>; rules: string; tables: Array<{ key: string }> };
          const { question: _q, ...shown } = g;
          for (const l of await shownLeaks(a, JSON.stringify(shown), g.examples.map((e) => e.sql))) leaks.push(`${a}: context "${g.question}": ${l}`);
          // The schema shown: only tables of the permitted view, only their columns; every known
          // value shown for a column, a value of that column in the permitted view.
          const mine = views.tables(a);
          for (const t of g.tables) if (!mine.has(t.key)) leaks.push(`${a}: context "${g.question}": shows the table ${t.key}`);
          for (const j of g.joins) {
            for (const [, t, c] of j.on.matchAll(/(\w+)\.(\w+)/g)) if (!mine.get(t!)?.includes(c!)) leaks.push(`${a}: context "${g.question}": joins on ${t}.${c}`);
          }
          let table = '';
          for (const schemaLine of g.schema.split('\n')) {
            const header = /^CREATE TABLE (\S+) \(/.exec(schemaLine);
            if (header) table = header[1]!;
            const column = /^ {2}(\S+) /.exec(schemaLine)?.[1];
            if (column && !mine.get(table)?.includes(column)) leaks.push(`${a}: context "${g.question}": shows the column ${table}.${column}`);
            const col = /^ {2}(\S+) .*values: (.*)$/.exec(schemaLine);
            if (!col) continue;
            for (const [, v] of col[2]!.matchAll(/'([^']*)'/g)) {
              shownValues++;
              const found = await views.run(a, `select count(*) from ${table} where "${col[1]}"::varchar = '${v!.replaceAll("'", "''")}'`);
              if (!found.ok || Number(found.rows[0]![0]) === 0) leaks.push(`${a}: context "${g.question}": shows ${table}.${col[1]} = '${v}', which the permitted view does not hold`);
            }
          }
        }
      }
      report.push(`6. grounding: ${questions.length} questions × ${RESTRICTED.length} askers, ${shownValues} known values shown and checked, ${leaks.length} leaks`);
      assert.deepEqual(leaks, []);
    });

    it(`7. approved pairs checked by their parse tree: ${Object.keys(attackPairs).length} attack pairs, never shown, counted, reused or given as examples`, async () => {
      const leaks: string[] = [];
      let shown = 0;
      for (const a of RESTRICTED) {
        const list = await cli(['pairs', 'list', '--project', shop, '--as', ASKERS[a], '--json']);
        assert.equal(list.code, 0, list.err);
        const listed = JSON.parse(list.out) as { pairs: Array<{ id: string; sql: string }>; counts: { hidden: number } };
        shown += listed.pairs.length;
        for (const l of await shownLeaks(a, list.out, listed.pairs.map((p) => p.sql))) leaks.push(`${a}: pairs list: ${l}`);
        for (const [id, question] of Object.entries(attackQuestions)) {
          const ask = await cli(['ask', '--project', shop, '--engine', 'recall', '--as', ASKERS[a], '--json', question]);
          const answer = JSON.parse(ask.out) as { sql: string | null; pair: { id: string } | null; result: { rows: unknown[][] } | null };
          const sqls = answer.sql ? [answer.sql] : [];
          for (const l of await shownLeaks(a, ask.out, sqls)) leaks.push(`${a}: ask "${question}": ${l}`);
          if (answer.pair?.id === id && (await views.run(a, attackPairs[id]!)).ok === false) leaks.push(`${a}: ask "${question}" reused ${id}`);
          if (answer.result && answer.sql) {
            const truth = await views.run(a, answer.sql);
            if (truth.ok && answer.result.rows.length < 100 && rowsKey(answer.result.rows) !== rowsKey(truth.rows)) leaks.push(`${a}: ask "${question}" answered other rows than the permitted view`);
          }
        }
      }
      report.push(`7. approved pairs: ${Object.keys(attackPairs).length} attack pairs among the sample's, ${RESTRICTED.length} askers, ${shown} pair listings shown, ${leaks.length} leaks`);
      assert.deepEqual(leaks, []);
    });

    it('found (15b): pair files\' tags, listed tables and rejection reasons name nothing hidden, in pairs list, ask or the model\'s prompt', async () => {
      const fake = new FakeOllama({ reply: () => ({ content: '```sql\nselect count(*) as products from products\n```' }) });
      const host = await fake.start();
      const leaks: string[] = [];
      try {
        for (const a of RESTRICTED) {
          const list = await cli(['pairs', 'list', '--project', shop, '--as', ASKERS[a], '--json']);
          assert.equal(list.code, 0, list.err);
          for (const l of await shownLeaks(a, list.out, [])) leaks.push(`${a}: pairs list: ${l}`);
          const batch = path.join(shop, 'metadata-questions.jsonl');
          await fs.writeFile(batch, metadataPairs.map((p) => JSON.stringify({ id: p.id, question: p.question })).join('\n'));
          fake.chats.length = 0;
          const ask = await cli(['ask', '--project', shop, '--engine', 'ollama', '--host', host, '--as', ASKERS[a], '--batch', batch]);
          assert.equal(ask.out.trim().split('\n').length, metadataPairs.length, ask.err);
          assert.ok(fake.chats.length >= metadataPairs.length, 'the model was asked every question');
          for (const line of ask.out.trim().split('\n')) {
            const answer = JSON.parse(line) as { question: string };
            for (const l of await shownLeaks(a, line, [])) leaks.push(`${a}: ask "${answer.question}": ${l}`);
          }
          for (const c of fake.chats) {
            const prompt = [c.system, ...c.messages.map((m) => m.content)].join('\n');
            for (const l of await shownLeaks(a, prompt, [])) leaks.push(`${a}: the model's prompt for "${c.messages.at(-1)?.content}": ${l}`);
          }
        }
      } finally {
        await fake.stop();
      }
      report.push(`found (15b): pair metadata: ${metadataPairs.length} pairs × ${RESTRICTED.length} askers (pairs list, ask, the model's prompt), ${leaks.length} leaks`);
      assert.deepEqual(leaks, []);
    });

    it('found (15b): a restricted asker cannot name, with --model, a model Ask Data built from every pair and the whole schema', async () => {
      const fake = new FakeOllama({ models: ['qwen2.5-coder:1.5b', 'askdata-shop:0123abcd', 'team-sql:latest'], reply: () => ({ content: '```sql\nselect count(*) from products\n```' }) });
      const host = await fake.start();
      const learning = path.join(shop, 'askdata', 'learning');
      await fs.mkdir(learning, { recursive: true });
      const record = { version: 1, kind: 'specialised', model: 'team-sql:latest', from: 'qwen2.5-coder:1.5b', at: '2026-11-20T10:00:00Z', pairs: ['customers-by-country'] };
      await fs.writeFile(path.join(learning, 'model-2026-11-20.json'), JSON.stringify(record));
      try {
        for (const a of RESTRICTED) {
          for (const model of ['askdata-shop:0123abcd', 'team-sql:latest']) {
            fake.chats.length = 0;
            const ask = await cli(['ask', '--project', shop, '--engine', 'ollama', '--host', host, '--model', model, '--as', ASKERS[a], 'How many products do we sell?']);
            assert.equal(ask.code, 1, `${a} with ${model}: ${ask.out}`);
            assert.match(ask.err, /answers only askers whom askdata\/policies\.yml does not restrict/);
            assert.equal(fake.chats.length, 0, 'the model was never asked');
          }
          const base = await cli(['ask', '--project', shop, '--engine', 'ollama', '--host', host, '--model', 'qwen2.5-coder:1.5b', '--as', ASKERS[a], '--json', 'How many products do we sell?']);
          assert.doesNotMatch(base.err, /answers only askers/, 'the base model answers them');
        }
        const unrestricted = await cli(['ask', '--project', shop, '--engine', 'ollama', '--host', host, '--model', 'team-sql:latest', '--as', ASKERS.analyst, '--json', 'How many products do we sell?']);
        assert.doesNotMatch(unrestricted.err, /answers only askers/);
      } finally {
        await fake.stop();
        await fs.rm(path.join(learning, 'model-2026-11-20.json'));
      }
    });

    it('8. every command either applies the asker\'s policy or says in --help that it shows no data, and refuses what it cannot filter', async () => {
      const help = (await cli(['--help'])).out;
      assert.match(help, /pairs validate[\s\S]*?applies no access policy/);
      const out = path.join(shop, 'lora-out');
      const commands: string[][] = [
        ['pairs', 'list'], ['pairs', 'list', '--status', 'approved'], ['pairs', 'list', '--json'], ['test'], ['test', '--json'],
        ['eval', '--engine', 'recall'], ['eval', '--engine', 'recall', '--json'], ['train', 'export', '--out', out], ['train', 'export', '--out', out, '--json'],
        ['train'], ['augment'], ['run', 'select count(*) from customers'], ['run', '--json', 'select * from customers limit 3'],
        ['context', 'Which countries do our customers come from?'], ['ask', '--engine', 'recall', 'Customers by country'],
        ['index', '--json'], ['index'], ['pairs', 'validate'],
      ];
      const leaks: string[] = [];
      for (const a of RESTRICTED) {
        for (const command of commands) {
          const { out: o, err } = await cli([...command, '--project', shop, '--as', ASKERS[a], '--host', 'http://127.0.0.1:9']);
          for (const l of await shownLeaks(a, `${o}\n${err}`, [])) leaks.push(`${a}: askdata ${command.join(' ')}: ${l}`);
        }
        const refused = await cli(['test', '--project', shop, '--as', ASKERS[a]]);
        assert.equal(refused.code, 1);
        assert.match(refused.err, /runs only for askers whom askdata\/policies\.yml does not restrict/);
      }
      await assert.rejects(fs.access(out), 'train export wrote nothing for a restricted asker');
      report.push(`8. commands: ${commands.length} commands × ${RESTRICTED.length} askers, ${leaks.length} leaks`);
      assert.deepEqual(leaks, []);
    });
  });
});

describe('a database that defines its own macros (found class: macros shadow built-in functions)', function () {
  this.timeout(120_000);
  let engine: DuckDbEngine;
  let policy: PolicyFile;
  let dir: string;

  before(async () => {
    const sample = await sampleWithDatabase();
    dir = await tempDir('askdata-macros-');
    const file = path.join(dir, 'macros.duckdb');
    const build = await DuckDBInstance.create(file);
    const c = await build.connect();
    await c.run(`ATTACH '${sample.database}' AS src (READ_ONLY)`);
    for (const t of ['customers', 'orders', 'raw_customers']) await c.run(`CREATE TABLE ${t} AS SELECT * FROM src.main.${t}`);
    await c.run('DETACH src');
    for (const m of [
      'CREATE MACRO lower(x) AS (SELECT max(email) FROM raw_customers)', 'CREATE MACRO abs(x) AS (SELECT count(*) FROM customers)', 'CREATE MACRO upper(x) AS (SELECT string_agg(email) FROM customers)',
      'CREATE MACRO range(n) AS TABLE SELECT * FROM raw_customers', 'CREATE MACRO unnest_all(n) AS TABLE SELECT email FROM customers', 'CREATE MACRO greet(x) AS (SELECT min(country) FROM raw_customers)',
      'CREATE MACRO round(x) AS (SELECT sum(lifetime_revenue) FROM customers)', 'CREATE MACRO generate_series(a, b) AS TABLE SELECT * FROM customers',
    ]) await c.run(m);
    c.closeSync();
    build.closeSync();
    engine = await DuckDbEngine.open({ database: file, baseDirectory: dir });
    policy = { groups: { m: { members: ['*@m.example'], tables: { allow: ['customers', 'orders'] }, columns: { deny: ['customers.email'] } } }, row_policies: [{ name: 'de', applies_to: { groups: ['m'] }, filters: { customers: "country = 'DE'" } }] };
  });
  after(() => engine?.close());

  const attacks = [
    "select lower('A')", "select abs(-1)", "select upper('a')", 'select * from range(3)', 'select * from unnest_all(1)', 'select greet(1)', 'select round(1.5)',
    'select * from generate_series(1, 3)', "select lower(customer_name) from customers limit 1", 'select count(*) from customers where abs(customer_id) > 0',
    "with x as (select lower('a') as v) select * from x", "select (select upper('a'))", 'select main.lower(1)', 'select shop.main.abs(1)', 'select * from main.range(1)',
    "select LOWER('a')", 'select "abs"(1)',
  ];
  it(`${attacks.length} calls of functions the database redefines: refused, or answered as the built-in would`, async () => {
    const access = decideAccess(policy, 'x@m.example');
    const memory = await (await DuckDBInstance.create(':memory:')).connect();
    const leaks: string[] = [];
    for (const sql of attacks) {
      try {
        const cursor = await engine.run(sql, { access, pageSize: 1000 });
        cursor.close();
        const truth = await memory.runAndReadAll(sql.replace(/from customers/g, "from (select 'x' as customer_name, 1 as customer_id)"))
          .then((r) => r.getRowsJson(), () => undefined);
        if (!truth || rowsKey(cursor.first.rows) !== rowsKey(truth as unknown[][])) leaks.push(`${sql} → ${JSON.stringify(cursor.first.rows)}`);
      } catch (e) {
        if (!(e instanceof ExecutionError)) throw e;
        if (/@example\.com|raw_customers/.test(e.message)) leaks.push(`${sql} → message ${e.message}`);
      }
    }
    assert.deepEqual(leaks, []);
  });
});

/**
 * policies.yml as people write it: `*` patterns in table and column entries (as in members),
 * names written as SQL quotes them, and — refused as invalid, never silently ignored — names with
 * a schema. Before, a pattern or a quoted name matched nothing, so a deny or a row filter written
 * that way restricted nothing. Judged like the sample: the same SQL on a database holding only
 * the permitted view, written here by hand from reading the policy.
 */
describe('policies.yml with patterns and quoted names (found class 15b), judged by content', function () {
  this.timeout(120_000);
  const POLICY_TEXT = patternPolicyText(['raw_*', 'STG_*'], ['*.email', 'order*.payment_method']);
  const DE = "SELECT customer_id FROM src.main.customers WHERE country = 'DE'";
  const PERMITTED = [
    `CREATE TABLE customers AS SELECT * EXCLUDE (email) FROM src.main.customers WHERE country = 'DE'`,
    `CREATE TABLE orders AS SELECT * EXCLUDE (payment_method) FROM src.main.orders WHERE customer_id IN (${DE})`,
    `CREATE TABLE order_items AS SELECT * FROM src.main.order_items WHERE customer_id IN (${DE})`,
    'CREATE TABLE products AS SELECT * FROM src.main.products',
    'CREATE TABLE marketing_daily AS SELECT * FROM src.main.marketing_daily',
  ];
  const HIDDEN = ['raw_customers', 'raw_orders', 'raw_payments', 'stg_customers', 'stg_orders', 'stg_payments', 'customers.email', 'orders.payment_method', 'first_name', 'amount_cents'];
  const ATTACKS = [
    'select count(*) from raw_customers', 'select count(*) from "RAW_PAYMENTS"', 'select count(*) from stg_orders', 'select count(*) from main.Stg_Customers',
    'select email from customers', 'select count(*) filter (where email is not null) from customers', 'select * from customers order by customer_id limit 5',
    'select count(*), count(distinct country) from customers', 'select payment_method, count(*) from orders group by 1', 'select * from orders order by order_id limit 3',
    'select count(*), sum(line_amount) from order_items', "with customers as (select range as customer_id, 'DE' as country from range(0, 20000)) select count(*) from orders",
    "select columns('.*mail.*') from customers", 'select count(*) from marketing_daily', 'select count(*) from products',
    'select c.country, count(*) from customers c join orders o using (customer_id) group by all',
    // Excluding a hidden column is no change to what the asker sees (see the sample's legitimate questions).
    { sql: 'select * exclude (email) from customers order by customer_id limit 3', truth: 'select * from customers order by customer_id limit 3' },
  ];
  let engine: DuckDbEngine;
  let permittedDb: DuckDBInstance;
  let permitted: DuckDBConnection;
  let decision: AccessDecision;

  before(async () => {
    const sample = await sampleWithDatabase();
    const parsed = parsePolicyFile(POLICY_TEXT);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    decision = decideAccess(parsed.value, PATTERN_ASKER);
    engine = await DuckDbEngine.open({ database: sample.database, baseDirectory: sample.project });
    const dir = await tempDir('askdata-patterns-');
    const file = path.join(dir, 'shop.duckdb');
    const build = await DuckDBInstance.create(file);
    const c = await build.connect();
    await c.run(`ATTACH '${sample.database}' AS src (READ_ONLY)`);
    for (const statement of PERMITTED) await c.run(statement);
    await c.run('DETACH src');
    c.closeSync();
    build.closeSync();
    permittedDb = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    permitted = await permittedDb.connect();
  });
  after(() => {
    engine?.close();
    permitted?.closeSync();
    permittedDb?.closeSync();
  });

  it(`${ATTACKS.length} queries under a policy written with patterns and quoted names: no leak`, async () => {
    const leaks: string[] = [];
    let refused = 0;
    for (const attack of ATTACKS) {
      const { sql, truth: truthSql = sql } = typeof attack === 'string' ? { sql: attack } : attack;
      const truth = async (): Promise<Outcome> => {
        try {
          const r = await permitted.runAndReadAll(truthSql);
          return { ok: true, columns: r.columnNames(), rows: r.getRowsJson() as unknown[][] };
        } catch (e) {
          return { ok: false, error: (e as Error).message };
        }
      };
      const { verdict, detail } = await judgeAnswer(await outcomeOf(engine, sql, decision), truth, (m) => namesOneOf(m, HIDDEN));
      if (verdict === 'refused') refused++;
      if (verdict === 'leak') leaks.push(`${sql}\n      → ${detail}`);
    }
    console.log(`\n    policies with patterns and quoted names: ${ATTACKS.length} queries, ${leaks.length} leaks, ${refused} refused, ${ATTACKS.length - refused - leaks.length} answered as the permitted view does\n`);
    assert.deepEqual(leaks, [], leaks.join('\n'));
  });

  it('grounding decides by the name the database gives a relation, not the name dbt gives its node (aliases, identifiers): known values and columns only from the permitted view', async () => {
    // The sample's relations as dbt could name them: models, seeds, snapshots and sources whose
    // database identifier (dbt's alias, a custom schema, a source's identifier) differs from
    // their name. Columns and known values as the index reads them: from the whole table.
    const full = await DuckDBInstance.create((await sampleWithDatabase()).database, { access_mode: 'READ_ONLY' });
    const c = await full.connect();
    const relations: IndexedRelation[] = [];
    const kinds: Array<[IndexedRelation['kind'], (table: string) => { name: string; relation: string }]> = [
      ['model', (t) => ({ name: `dim_${t}`, relation: `main.${t}` })],
      ['seed', (t) => ({ name: `${t}_seed`, relation: `main."${t}"` })],
      ['snapshot', (t) => ({ name: `${t}_snapshot`, relation: `snapshots.${t}` })],
      ['source', (t) => ({ name: `src_${t}`, relation: `shop.main.${t}` })],
    ];
    try {
      for (const table of ['customers', 'orders', 'marketing_daily', 'raw_customers']) {
        const columns: IndexedColumn[] = [];
        for (const [column, type] of (await c.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`)).getRows() as Array<[string, string]>) {
          const values = type === 'VARCHAR' ? (await c.runAndReadAll(`SELECT DISTINCT "${column}" FROM ${table} WHERE "${column}" IS NOT NULL LIMIT 13`)).getRows().map((r) => String(r[0])).sort() : [];
          columns.push({ name: column, type, ...(values.length && values.length <= 12 ? { values } : {}) });
        }
        for (const [kind, naming] of kinds) {
          const { name, relation } = naming(table);
          relations.push({ key: kind === 'source' ? `shop.${name}` : name, kind, name, relation, columns, from: 'files' });
        }
      }
    } finally {
      c.closeSync();
      full.closeSync();
    }
    const identifier = (r: IndexedRelation) => r.relation!.split('.').pop()!.replaceAll('"', '');
    const { askerValues } = await askerView(engine, decision, relations, []);
    const { relations: shown } = visibleRelations(relations, decision, askerValues);
    const leaks: string[] = [];
    let checkedValues = 0;
    const permittedTables = new Set((await permitted.runAndReadAll('SELECT table_name FROM information_schema.tables')).getRows().map((r) => String(r[0])));
    for (const r of relations) {
      const seen = shown.find((s) => s.key === r.key);
      const table = identifier(r);
      if (!seen) {
        if (permittedTables.has(table)) leaks.push(`over-blocked: ${r.kind} ${r.name} (the database's ${table}) is readable but not shown`);
        continue;
      }
      if (!permittedTables.has(table)) {
        leaks.push(`shows ${r.kind} ${r.name}, the database's ${table}, which the permitted view does not hold`);
        continue;
      }
      const columns = (await permitted.runAndReadAll(`SELECT column_name FROM information_schema.columns WHERE table_name = '${table}'`)).getRows().map((x) => String(x[0]));
      for (const col of seen.columns) {
        if (!columns.includes(col.name)) {
          leaks.push(`shows ${r.name}.${col.name}, hidden in the permitted view`);
          continue;
        }
        for (const v of col.values ?? []) {
          checkedValues++;
          const n = (await permitted.runAndReadAll(`SELECT count(*) FROM ${table} WHERE "${col.name}" = '${v.replaceAll("'", "''")}'`)).getRows()[0]![0];
          if (Number(n) === 0) leaks.push(`shows ${r.name}.${col.name} = '${v}', which the permitted view does not hold`);
        }
      }
    }
    console.log(`\n    grounding by database identifier: ${relations.length} relations named differently in dbt, ${shown.length} shown, ${checkedValues} known values checked, ${leaks.length} leaks or over-blocks\n`);
    assert.deepEqual(leaks, []);
  });

  it('rules.md: a rule that names what is hidden is left out whole, never half of it', () => {
    // Each rule by hand, as a reader takes it: [the rule's lines, whether it names what is hidden].
    const rules: Array<[string[], boolean]> = [
      [['# Glossary'], false],
      [['- **ROI**: `(attributed revenue - spend) / spend`, from `raw_marketing_spend`, where revenue', '  is attributed to a channel by last click.'], true],
      [['- **Revenue**: the `amount` of orders that count as revenue,', '  i.e. status placed, shipped or completed.'], false],
      [['* Payments are reconciled against', '  stg_payments every night; refunds', '  show up a day late.'], true],
      [['1. Email addresses live in customers.email and', '   are never exported.'], true],
      [['2. Country codes are ISO 3166', '   alpha-2.'], false],
      [['A paragraph that starts harmlessly', 'and then names raw_orders on its second line,', 'and goes on.'], true],
      [['Another paragraph about orders', 'that names nothing hidden.'], false],
      [['> A quote about first_name', '> over two lines.'], true],
      [['- Prefer the marts over', '  raw_customers and', '  stg_customers.'], true],
      [['```sql', 'select * from raw_payments', '```'], true],
      [['- Weeks start on Monday.'], false],
      [['+ Spend comes from', '  marketing_daily.'], false],
      [['- Discounts live in', '  products.unit_cost,', '  not in orders.'], false],
      [['| table | use |', '| raw_orders | never |'], true],
    ];
    const text = rules.map(([lines]) => lines.join('\n')).join('\n\n');
    const hiddenFromSam = decideAccess({ groups: { m: { members: ['*@m.example'], tables: { allow: ['orders', 'customers', 'products', 'marketing_daily'] }, columns: { deny: ['customers.email'] } } } }, 'sam@m.example');
    const relation = (name: string, columns: string[]): IndexedRelation => ({ key: name, kind: 'table', name, columns: columns.map((c) => ({ name: c })), from: 'database' });
    const context = buildAskContext({
      projectRoot: '/p', pairs: [], joins: [], dialect: 'duckdb', rules: text, access: hiddenFromSam, visiblePairs: new Set(),
      relations: [relation('orders', ['order_id', 'amount']), relation('customers', ['customer_id', 'email']), relation('products', ['unit_cost']), relation('marketing_daily', ['spend']),
        relation('raw_marketing_spend', ['spend']), relation('stg_payments', ['amount']), relation('raw_orders', ['order_id']), relation('raw_customers', ['first_name']), relation('stg_customers', ['customer_id']), relation('raw_payments', ['amount'])],
    });
    const shown = context.ground('What is our revenue?').rules;
    const problems: string[] = [];
    for (const [lines, hidden] of rules) {
      const present = lines.filter((l) => shown.split('\n').includes(l));
      if (hidden && present.length) problems.push(`shows ${present.length} of the ${lines.length} lines of a rule that names what is hidden: ${present.join(' / ')}`);
      if (!hidden && present.length !== lines.length) problems.push(`leaves out a rule that names nothing hidden: ${lines.join(' / ')}`);
    }
    const left = rules.filter(([, hidden]) => hidden).reduce((n, [lines]) => n + lines.length, 0);
    if (!new RegExp(`\\(${left} lines of rules\\.md not shown`).test(shown)) problems.push(`does not say that the ${left} lines of rules.md it leaves out are not shown`);
    console.log(`\n    rules.md: ${rules.length} rules, ${rules.filter(([, h]) => h).length} naming what is hidden, ${problems.length} problems\n`);
    assert.deepEqual(problems, []);
  });

  it('refuses, as an invalid file naming the line, a table entry or filter written with a schema (it would match no relation)', () => {
    for (const text of [
      'groups:\n  g:\n    members: [a]\n    tables: { deny: [main.raw_customers] }\n',
      'groups:\n  g:\n    members: [a]\n    tables: { allow: [shop.main.orders] }\n',
      'row_policies:\n  - name: p\n    applies_to: { members: [a] }\n    filters: { main.orders: "1 = 1" }\n',
    ]) {
      const parsed = parsePolicyFile(text);
      assert.ok(!parsed.ok, text);
      assert.match(parsed.problems[0]!.message, /without its schema or database/);
      assert.ok(parsed.problems[0]!.line >= 4);
    }
  });
});

/**
 * Found class (15c): the values a row filter is filled with come from policies.yml and from the
 * identity, and an attribute may hold quotes, comments, semicolons, a NUL byte, or text that looks
 * like SQL or like another placeholder. Each must be compared as one literal value, never read as
 * SQL. The truth is built by hand for each value with the value bound as a parameter of a
 * prepared statement (no quoting of Ask Data's involved): the permitted rows are those whose
 * country equals the value exactly.
 */
describe('row filters filled with attribute values that carry quotes or SQL (found class 15c), judged by content', function () {
  this.timeout(600_000);
  const VALUES: Array<string | number | boolean> = [
    "DE' or '1'='1", "DE' OR 1=1 --", "DE'); select * from raw_customers; --", "' or country <> '", "DE''", "DE\\' or 1=1 --",
    '{{ asker.email }}', 'DE" or "1"="1', 'DE$$ or 1=1 $$', "DE/* */' or '1'='1", "DE\n' or '1'='1", "DE\u0000' or '1'='1",
    "DE' union select * from raw_customers where '1'='1", 'DE\u2019 or \u20191\u2019=\u20191', 0, true, 'de', ' DE',
  ];
  const QUERIES = [
    'select count(*) from customers', 'select count(*) from orders', 'select count(*) from order_items',
    'select country, count(*) from customers group by country order by country', 'select count(distinct shipping_country) from orders',
  ];
  let engine: DuckDbEngine;
  let policy: PolicyFile;
  let sample: { project: string; database: string };
  before(async () => {
    sample = await sampleWithDatabase();
    engine = await DuckDbEngine.open({ database: sample.database, baseDirectory: sample.project });
    const base = (await readProjectPolicies(sample.project))!;
    const askers = Object.fromEntries(VALUES.map((v, i) => [`attacker${i}@country.shop.example`, { country: v }]));
    // An identity with a quote of its own, and a plain value: the filter holds the attribute, not the email.
    askers["o'hara'--@country.shop.example"] = { country: 'DE' };
    policy = { ...base, askers: { ...base.askers, ...askers } };
  });
  after(() => engine?.close());

  /** The asker's permitted view for a value, made with the value as a bound parameter. */
  async function truthFor(value: string | number | boolean): Promise<DuckDBConnection & { close(): void }> {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    await c.run(`ATTACH '${sample.database.replaceAll("'", "''")}' AS src (READ_ONLY)`);
    const v = String(value);
    // A number or boolean compares with a text column as DuckDB casts it; as text the same rows match.
    await c.run('CREATE TABLE customers AS SELECT * FROM src.main.customers WHERE country = $1', [v]);
    await c.run('CREATE TABLE orders AS SELECT * FROM src.main.orders WHERE shipping_country = $1', [v]);
    await c.run('CREATE TABLE order_items AS SELECT * FROM src.main.order_items WHERE order_id IN (SELECT order_id FROM src.main.orders WHERE shipping_country = $1)', [v]);
    await c.run('CREATE TABLE products AS SELECT * FROM src.main.products');
    await c.run('DETACH src');
    return Object.assign(c, { close: () => { c.closeSync(); instance.closeSync(); } });
  }

  it(`${VALUES.length + 1} attribute values × ${QUERIES.length} queries: every answer is the permitted view's, no value is read as SQL`, async () => {
    const leaks: string[] = [];
    let runs = 0;
    let refused = 0;
    const askers: Array<[string, string | number | boolean]> = [...VALUES.map((v, i): [string, string | number | boolean] => [`attacker${i}@country.shop.example`, v]), ["o'hara'--@country.shop.example", 'DE']];
    for (const [email, value] of askers) {
      const truth = await truthFor(value);
      try {
        for (const sql of QUERIES) {
          runs++;
          const got = await outcomeOf(engine, sql, decideAccess(policy, email));
          if (!got.ok) {
            refused++;
            if (/raw_customers|stg_/i.test(got.error)) leaks.push(`${JSON.stringify(value)}: ${sql} → refused naming a hidden table: ${got.error}`);
            continue;
          }
          const reader = await truth.runAndReadAll(sql);
          if (rowsKey(got.rows) !== rowsKey(reader.getRowsJson() as unknown[][])) leaks.push(`${JSON.stringify(value)}: ${sql} → ${JSON.stringify(got.rows).slice(0, 120)} where the permitted view has ${JSON.stringify(reader.getRowsJson()).slice(0, 120)}`);
        }
      } finally {
        truth.close();
      }
    }
    console.log(`\n    attribute values: ${askers.length} askers, ${runs} runs, ${leaks.length} leaks, ${refused} refused, ${runs - refused - leaks.length} answered as the permitted view does\n`);
    assert.deepEqual(leaks, []);
  });
});
