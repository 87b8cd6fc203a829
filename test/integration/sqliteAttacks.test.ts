import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Database } from 'sql.js';
import { SqliteEngine } from '../../src/adapters/sqliteEngine';
import { ExecutionError } from '../../src/core/execution/errors';
import { decideAccess } from '../../src/core/policies/access';
import { parsePolicyFile, type PolicyFile } from '../../src/core/policies/policySchema';
import { ASKERS, namesOneOf, rowsKey, type Asker } from '../support/permittedView';
import { PATTERN_ASKER, patternPolicyText } from '../support/patternPolicy';
import { sampleWithDatabase } from '../support/sampleDb';
import { permittedSqliteShop, writeSqliteShop } from '../support/sqliteShop';
import { tempDir } from '../support/tempDir';

/**
 * The SQLite engine under the same attack classes, where they apply: it removes what the asker
 * may not read from a private in-memory copy before anything runs, so the classes become "does
 * the copy hold exactly the permitted view, and does anything else (the schema table, SQLite's
 * statistics, rowids, triggers, views, error messages) say more". Judged like the DuckDB suite:
 * the same SQL on a database holding only the asker's permitted view, built here by hand.
 */

const POLICY: PolicyFile = {
  groups: {
    marketing: { members: ['sam.okafor@shop.example'], tables: { allow: ['marketing_daily', 'orders', 'order_items', 'products', 'customers', 'customer_countries'] }, columns: { deny: ['customers.email'] } },
    country_managers: { members: ['*@country.shop.example'], tables: { allow: ['customers', 'orders', 'order_items', 'products', 'customer_countries', 'customer_audit'] } },
  },
  row_policies: [{
    name: 'country_managers_see_their_country',
    applies_to: { groups: ['country_managers'] },
    filters: {
      customers: 'country = {{ asker.country }}',
      orders: 'shipping_country = {{ asker.country }}',
      order_items: 'order_id in (select order_id from orders where shipping_country = {{ asker.country }})',
    },
  }],
  askers: { 'lena.fischer@country.shop.example': { country: 'DE' }, 'tom.baker@country.shop.example': { country: 'GB' } },
};

const ASKED: readonly Asker[] = ['sam', 'lena', 'tom', 'nora'];

/** Each asker's permitted view, by hand: keep, filter and rebuild, drop. */
function permitted(asker: Asker): string[] {
  const drop = (...names: string[]) => names.map((n) => (n.startsWith('v:') ? `DROP VIEW ${n.slice(2)}` : `DROP TABLE ${n}`));
  const rebuild = (name: string, select: string) => [`CREATE TABLE keep_${name} AS ${select}`, `DROP ${name === 'customer_countries' ? 'VIEW' : 'TABLE'} ${name}`, `ALTER TABLE keep_${name} RENAME TO ${name}`];
  const stats = ['DROP TABLE sqlite_stat1', 'DROP TRIGGER keep_deleted', 'DROP TABLE customer_notes', 'DELETE FROM sqlite_sequence'];
  const country = (c: string) => [
    ...stats,
    // Views first, while what they read is whole: customer_countries is a relation of its own.
    ...rebuild('customer_countries', 'SELECT * FROM customer_countries'),
    ...drop('v:stg_customers', 'raw_customers', 'marketing_daily'),
    `CREATE TABLE keep_items AS SELECT * FROM order_items WHERE order_id IN (SELECT order_id FROM orders WHERE shipping_country = '${c}')`,
    ...rebuild('customers', `SELECT * FROM customers WHERE country = '${c}'`),
    ...rebuild('orders', `SELECT * FROM orders WHERE shipping_country = '${c}'`),
    'DROP TABLE order_items', 'ALTER TABLE keep_items RENAME TO order_items',
  ];
  switch (asker) {
    case 'sam':
      return [...stats, ...rebuild('customer_countries', 'SELECT * FROM customer_countries'), ...drop('v:stg_customers', 'raw_customers', 'customer_audit'),
        ...rebuild('customers', 'SELECT customer_id, customer_name, country, signup_date, acquisition_channel, first_order_date, last_order_date, order_count, lifetime_revenue FROM customers')];
    case 'lena':
      return country('DE');
    case 'tom':
      return country('GB');
    case 'nora':
      return [...stats, ...rebuild('customer_countries', 'SELECT * FROM customer_countries'), ...drop('v:stg_customers', 'raw_customers', 'marketing_daily', 'customers', 'orders', 'order_items')];
    default:
      return [];
  }
}

const HIDDEN_NAMES: Record<string, string[]> = {
  sam: ['raw_customers', 'stg_customers', 'customer_audit', 'customer_notes', 'customers.email', 'first_name', 'last_name'],
  lena: ['raw_customers', 'stg_customers', 'marketing_daily', 'customer_notes', 'first_name', 'last_name', 'attributed_revenue'],
  tom: ['raw_customers', 'stg_customers', 'marketing_daily', 'customer_notes', 'first_name', 'last_name', 'attributed_revenue'],
  nora: ['raw_customers', 'stg_customers', 'marketing_daily', 'customer_notes', 'first_name', 'last_name'],
};

const K = '\u212A';
const CLASSES: Record<string, string[]> = {
  'S1. a CTE or a name captures what a row filter reads': [
    "with orders as (select value as order_id, 'DE' as shipping_country from json_each('[1,2,3,4,5,6,7,8,9,10]')) select count(*) from order_items",
    "with ORDERS as (select 1 as order_id, 'DE' as shipping_country) select count(*) from order_items",
    "with \"Orders\" as (select 1 as order_id, 'DE' as shipping_country) select sum(line_amount) from order_items",
    "with recursive orders(order_id, shipping_country) as (select 1, 'DE' union all select order_id + 1, 'DE' from orders where order_id < 20000) select count(*) from order_items",
    'with customers as (select * from customers) select count(*) from customers',
    "with x as (with orders as (select 1 as order_id, 'DE' as shipping_country) select count(*) as n from order_items) select n from x",
    "select (with orders as (select 1 as order_id, 'DE' as shipping_country) select count(*) from order_items)",
    'select count(*) from main.order_items', 'select count(*) from "main"."customers"', 'select count(*) from (select * from orders)',
    'select count(*) from order_items i join orders o using (order_id)', 'select count(*) from customers where customer_id in (select customer_id from orders)',
    'select count(distinct order_id) from order_items', 'select count(*) from orders union all select count(*) from orders',
    "with orders as (select order_id, 'DE' as shipping_country from order_items) select count(*) from order_items",
  ],
  'S2. identifier case folding': [
    `with "mar${K}eting_daily" as (select 1 as x) select count(*) from marketing_daily`, `select count(*) from "mar${K}eting_daily"`,
    'with "cuſtomers" as (select 1 as x) select count(*) from customers', 'select count(*) from "CUSTOMERS"', 'select count(*) from Customers',
    'select count(*) from "MARKETING_DAILY"', 'select count(*) from "Raw_Customers"', 'select count(*) from STG_CUSTOMERS', 'select count(*) from MAIN.CUSTOMERS',
    'select count(*) from "main"."Orders"', 'select count(*) from "ｃｕｓｔｏｍｅｒｓ"', 'select EMAIL from customers', 'select "Email" from customers',
    'select count(*) from "customer_Countries"', 'with "ORDERS" as (select 1 as order_id) select count(*) from "orders"',
  ],
  'S3. functions, the schema table and virtual tables': [
    'select sqlite_version()', 'select sqlite_source_id()', 'select sqlite_compileoption_get(0)', "select load_extension('x')", 'select changes(), total_changes()',
    'select last_insert_rowid()', 'select * from sqlite_master', 'select sql from sqlite_schema', 'select * from sqlite_temp_master', "select * from pragma_table_info('raw_customers')",
    'select * from pragma_table_list', 'select * from pragma_database_list', "select * from pragma_index_list('customers')", 'select name from sqlite_master where type = \'trigger\'',
    'select sqlite_offset(customer_id) from customers', "select * from pragma_table_info('customers')",
  ],
  'S4. statistics': [
    'select * from sqlite_stat1', "select stat from sqlite_stat1 where tbl = 'customers'", 'select * from sqlite_stat4', "select * from pragma_index_info('customers_country')",
    "select * from pragma_index_xinfo('customers_country')", 'select * from dbstat', "select * from pragma_stats", 'select count(*) from sqlite_stat1',
    "select * from customers indexed by customers_country where country = 'FR'", "select count(*) from customers indexed by customers_country where country > ''",
    'select max(rowid) from customers', 'select max(_rowid_) from orders', 'select max(oid) from order_items', "select * from pragma_table_xinfo('customers')",
    'select count(*) from customers not indexed',
    'select * from sqlite_sequence', "select seq from sqlite_sequence where name = 'customer_notes'", 'select count(*) from sqlite_sequence',
  ],
  'S5. errors and suggestions': [
    'select * from raw_customer', 'select * from stg_customer', 'select emai from customers', 'select email from customers', 'select first_name from customers',
    'select * from marketing_dail', 'select * from "raw_customers"', 'select c.email from customers c', 'select * from customers join raw_customers using (customer_id)',
    'select * from customers where emial = 1', 'select * from nosuch.customers', 'select attributed_revenue from marketing_daily', 'select * from stg_customers',
    'select cast(customer_name as integer) + abs(-9223372036854775808) from customers', 'select json_extract(customer_name, \'$.a\') from customers',
  ],
  'S6. rowids, triggers and views': [
    'select rowid, customer_id from customers', 'select min(rowid), max(rowid), count(*) from orders', 'select * from customer_audit', 'select count(*) from customer_audit',
    'select * from customer_countries', 'select sum(customers) from customer_countries', 'select rowid from order_items order by rowid desc limit 1',
    'select * from stg_customers limit 5', 'select count(*) from customers c join customer_countries k using (country)', 'select _rowid_, * from customers limit 3',
    'select group_concat(customer_name) from customers', 'select * from customers where rowid > 0', 'select count(*) from customer_audit where country is not null',
    'select country, customers from customer_countries order by customers desc', 'select typeof(rowid) from customers limit 1',
  ],
};

const LEGITIMATE: Record<string, string[]> = {
  sam: ['select count(*) from customers', 'select * from customers order by customer_id limit 20', 'select channel, sum(spend) from marketing_daily group by channel',
    'with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) select sum(n) from r', 'select customer_name, row_number() over (order by lifetime_revenue desc) as r from customers order by r limit 5'],
  lena: ['select count(*) from customers', 'select distinct country from customers', 'select country, count(*) from customers c join orders o using (customer_id) group by country',
    'with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) select sum(n) from r', 'select customer_id, sum(amount) over (partition by customer_id) from orders',
    'select count(*) from customers where customer_id in (select customer_id from orders)', 'select * from products order by product_id', 'select count(*) from order_items i join products p using (product_id)'],
  tom: ['select count(*) from customers', 'select distinct shipping_country from orders', 'select status, count(*) from orders group by status order by status',
    // Columns qualified by schema and table (found class 15c for DuckDB and PostgreSQL; SQLite's private copy answers them).
    'select main.customers.country, count(*) from main.customers group by 1 order by 1', 'select main.orders.status, count(*) from orders group by main.orders.status order by 1',
    'select main.customers.customer_id, main.orders.order_id from main.customers join main.orders on main.orders.customer_id = main.customers.customer_id order by 2 limit 3'],
  nora: ['select count(*), avg(list_price) from products', 'select category, count(*) from products group by category order by category',
    'with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) select sum(n) from r', 'select product_name, rank() over (order by list_price desc) from products'],
};

describe('access policies against an attacker, SQLite (judged by content against each asker\'s permitted view)', function () {
  this.timeout(300_000);
  let file: string;
  const engines = new Map<Asker, SqliteEngine>();
  const views = new Map<Asker, Database>();
  const report: string[] = [];

  before(async () => {
    const sample = await sampleWithDatabase();
    file = await writeSqliteShop(sample.database, path.join(await tempDir('askdata-sqlite-shop-'), 'shop.sqlite'));
    for (const a of ASKED) {
      engines.set(a, await SqliteEngine.open({ database: file, access: decideAccess(POLICY, ASKERS[a]) }));
      views.set(a, await permittedSqliteShop(file, permitted(a)));
    }
  });
  after(() => {
    for (const e of engines.values()) e.close();
    for (const v of views.values()) v.close();
    if (report.length) console.log(`\n    ${report.join('\n    ')}\n`);
  });

  async function viaEngine(a: Asker, sql: string): Promise<{ ok: true; columns: string[]; rows: unknown[][] } | { ok: false; error: string }> {
    try {
      const cursor = await engines.get(a)!.run(sql, { pageSize: 100_000, rowCap: 100_000 });
      cursor.close();
      return { ok: true, columns: cursor.first.columns.map((c) => c.name), rows: cursor.first.rows };
    } catch (e) {
      if (!(e instanceof ExecutionError)) throw e;
      return { ok: false, error: e.message };
    }
  }
  function truth(a: Asker, sql: string): { ok: true; columns: string[]; rows: unknown[][] } | { ok: false; error: string } {
    try {
      const [r] = views.get(a)!.exec(sql);
      return { ok: true, columns: r?.columns ?? [], rows: (r?.values ?? []).map((row) => row.map((v) => (v instanceof Uint8Array ? [...v].join(',') : v))) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  for (const [name, attacks] of Object.entries(CLASSES)) {
    it(`${name}: ${attacks.length} attacks, no leak`, async () => {
      assert.ok(attacks.length >= 15);
      const leaks: string[] = [];
      let refused = 0;
      for (const sql of attacks) {
        for (const a of ASKED) {
          const got = await viaEngine(a, sql);
          if (!got.ok) {
            refused++;
            const named = namesOneOf(got.error, HIDDEN_NAMES[a]!);
            if (named) leaks.push(`${a}: ${sql} → refused naming ${named}: ${got.error}`);
            continue;
          }
          const t = truth(a, sql);
          if (!t.ok) leaks.push(`${a}: ${sql} → ${got.rows.length} rows where the permitted view has none (${t.error})`);
          else if (rowsKey(got.rows.map((r) => r.map((v) => (typeof v === 'string' && /^\\x/.test(v) ? v : v)))) !== rowsKey(t.rows)) leaks.push(`${a}: ${sql} → other rows than the permitted view (${JSON.stringify(got.rows.slice(0, 2))} vs ${JSON.stringify(t.rows.slice(0, 2))})`);
        }
      }
      report.push(`${name}: ${attacks.length} attacks, ${attacks.length * ASKED.length} runs, ${leaks.length} leaks, ${refused} refused`);
      assert.deepEqual(leaks, []);
    });
  }

  it('answers legitimate questions as the permitted view does (over-blocking counted)', async () => {
    const problems: string[] = [];
    let total = 0;
    for (const a of ASKED) {
      for (const sql of LEGITIMATE[a]!) {
        total++;
        const got = await viaEngine(a, sql);
        const t = truth(a, sql);
        assert.ok(t.ok, `${a}: ${sql}: ${t.ok ? '' : t.error}`);
        if (!got.ok) problems.push(`${a}: over-blocked: ${sql} → ${got.error}`);
        else if (rowsKey(got.rows) !== rowsKey(t.rows)) problems.push(`${a}: wrong: ${sql}`);
      }
    }
    report.push(`SQLite legitimate questions: ${total}, ${total - problems.length} answered as the permitted view does, ${problems.length} over-blocked or wrong`);
    assert.deepEqual(problems, []);
  });

  it('refuses the country manager without a country what needs it, naming the attribute, and answers the rest', async () => {
    const got = await viaEngine('nora', 'select count(*) from customers');
    assert.ok(!got.ok && /needs your country/.test(got.error), JSON.stringify(got));
    assert.ok((await viaEngine('nora', 'select count(*) from products')).ok);
  });
});

/**
 * SQLite under a policy written as people write it: `*` patterns in table and column entries and
 * a name quoted as SQL quotes it (found class 15b: before, such entries matched nothing and so
 * restricted nothing). Judged against the permitted view built here by hand.
 */
describe('SQLite under policies.yml with patterns and quoted names (found class 15b), judged by content', function () {
  this.timeout(120_000);
  const POLICY_TEXT = patternPolicyText(['raw_*', 'STG_*', 'customer_*'], ['*.email']);
  const DE = "SELECT customer_id FROM customers WHERE country = 'DE'";
  const PERMITTED = [
    'DROP TABLE sqlite_stat1', 'DROP TRIGGER keep_deleted', 'DROP TABLE customer_notes', 'DELETE FROM sqlite_sequence',
    'DROP VIEW stg_customers', 'DROP VIEW customer_countries', 'DROP TABLE customer_audit', 'DROP TABLE raw_customers',
    `CREATE TABLE keep_orders AS SELECT * FROM orders WHERE customer_id IN (${DE})`,
    `CREATE TABLE keep_items AS SELECT * FROM order_items WHERE customer_id IN (${DE})`,
    "CREATE TABLE keep_customers AS SELECT customer_id, customer_name, country, signup_date, acquisition_channel, first_order_date, last_order_date, order_count, lifetime_revenue FROM customers WHERE country = 'DE'",
    'DROP TABLE orders', 'DROP TABLE order_items', 'DROP TABLE customers',
    'ALTER TABLE keep_orders RENAME TO orders', 'ALTER TABLE keep_items RENAME TO order_items', 'ALTER TABLE keep_customers RENAME TO customers',
  ];
  const HIDDEN = ['raw_customers', 'stg_customers', 'customer_countries', 'customer_audit', 'customer_notes', 'customers.email', 'first_name', 'last_name'];
  const ATTACKS = [
    'select count(*) from raw_customers', 'select count(*) from "RAW_CUSTOMERS"', 'select count(*) from stg_customers', 'select * from customer_countries', 'select count(*) from customer_audit',
    'select count(*) from customer_notes', 'select email from customers', 'select * from customers order by customer_id limit 5', 'select count(*), count(distinct country) from customers',
    'select count(*), sum(amount) from orders', 'select count(*), sum(line_amount) from order_items',
    "with customers as (select value as customer_id, 'DE' as country from json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]')) select count(*) from orders",
    'select count(*) from products', 'select count(*) from marketing_daily', 'select max(rowid), count(*) from customers', "select '{\"a\": 1}' ->> '$.a', '{\"a\": 1}' -> '$.a'",
    'select count(*) from sqlite_sequence',
  ];

  it(`${ATTACKS.length} queries: no leak`, async () => {
    const sample = await sampleWithDatabase();
    const file = await writeSqliteShop(sample.database, path.join(await tempDir('askdata-sqlite-patterns-'), 'shop.sqlite'));
    const parsed = parsePolicyFile(POLICY_TEXT);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const engine = await SqliteEngine.open({ database: file, access: decideAccess(parsed.value, PATTERN_ASKER) });
    const view = await permittedSqliteShop(file, PERMITTED);
    const leaks: string[] = [];
    let refused = 0;
    try {
      for (const sql of ATTACKS) {
        let got: { ok: true; rows: unknown[][] } | { ok: false; error: string };
        try {
          const cursor = await engine.run(sql, { pageSize: 100_000, rowCap: 100_000 });
          cursor.close();
          got = { ok: true, rows: cursor.first.rows };
        } catch (e) {
          if (!(e instanceof ExecutionError)) throw e;
          got = { ok: false, error: e.message };
        }
        let truth: { ok: true; rows: unknown[][] } | { ok: false; error: string };
        try {
          truth = { ok: true, rows: view.exec(sql)[0]?.values ?? [] };
        } catch (e) {
          truth = { ok: false, error: (e as Error).message };
        }
        if (!got.ok) {
          refused++;
          const named = namesOneOf(got.error, HIDDEN);
          if (named) leaks.push(`${sql} → refused naming ${named}: ${got.error}`);
        } else if (!truth.ok) leaks.push(`${sql} → ${got.rows.length} rows where the permitted view has none (${truth.error})`);
        else if (rowsKey(got.rows) !== rowsKey(truth.rows)) leaks.push(`${sql} → other rows than the permitted view (${JSON.stringify(got.rows.slice(0, 2))} vs ${JSON.stringify(truth.rows.slice(0, 2))})`);
      }
    } finally {
      engine.close();
      view.close();
    }
    console.log(`\n    SQLite, policies with patterns and quoted names: ${ATTACKS.length} queries, ${leaks.length} leaks, ${refused} refused\n`);
    assert.deepEqual(leaks, []);
  });
});
