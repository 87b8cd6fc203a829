import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { readProjectPolicies } from '../../src/adapters/projectPolicies';
import { main } from '../../src/cli/main';
import { ExecutionError } from '../../src/core/execution/errors';
import { decideAccess, type AccessDecision } from '../../src/core/policies/access';
import type { PolicyFile } from '../../src/core/policies/policySchema';
import { ASKERS, buildPermittedViews, namesOneOf, quotesOneOf, REFUSED_FOR_AN_ATTRIBUTE, RESTRICTED, rowsKey, type Asker, type Outcome, type PermittedViews } from '../support/permittedView';
import { sampleWithDatabase } from '../support/sampleDb';
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
};

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
LEGITIMATE.lena = FOR_EVERY_COUNTRY_MANAGER.map((sql) => ({ sql }));
LEGITIMATE.tom = FOR_EVERY_COUNTRY_MANAGER.map((sql) => ({ sql }));
LEGITIMATE.sam.push(...FOR_SAM.map((sql) => ({ sql })));


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

  async function viaEngine(sql: string, a: AccessDecision): Promise<Outcome> {
    try {
      const cursor = await engine.run(sql, { access: a, pageSize: 200_000, rowCap: 200_000 });
      const rows = [...cursor.first.rows];
      let page = cursor.first;
      while (page.hasMore) rows.push(...(page = await cursor.next()).rows);
      cursor.close();
      return { ok: true, columns: cursor.first.columns.map((c) => c.name), rows };
    } catch (e) {
      if (!(e instanceof ExecutionError)) throw e;
      return { ok: false, error: e.message };
    }
  }

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

  async function judge(a: Asker, attack: Attack): Promise<{ verdict: 'refused' | 'answered' | 'leak'; detail?: string }> {
    const got = await viaEngine(attack.sql, access(a));
    if (!got.ok) {
      const leak = messageLeak(a, got.error);
      return leak ? { verdict: 'leak', detail: `refused, but the message ${leak}: ${got.error}` } : { verdict: 'refused' };
    }
    const truth = await views.run(a, attack.truth ?? attack.sql);
    if (!truth.ok) return { verdict: 'leak', detail: `answered ${got.rows.length} rows where the permitted view has none (${truth.error.split('\n')[0]})` };
    if (got.columns.join('|') !== truth.columns.join('|')) return { verdict: 'leak', detail: `columns ${got.columns.join(', ')} where the permitted view has ${truth.columns.join(', ')}` };
    if (rowsKey(got.rows) !== rowsKey(truth.rows)) return { verdict: 'leak', detail: `rows differ from the permitted view's (${got.rows.length} vs ${truth.rows.length}; first ${JSON.stringify(got.rows[0])} vs ${JSON.stringify(truth.rows[0])})` };
    return { verdict: 'answered' };
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

  it('leaves askers in no group unrestricted, as the sample says (it has no default:)', async () => {
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

    before(async () => {
      shop = await tempDir('askdata-attack-shop-');
      await fs.cp(project, shop, { recursive: true });
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
