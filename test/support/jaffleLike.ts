import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tempDir, writeFiles } from './tempDir';

/**
 * A small project shaped like jaffle_shop's marts (customers with lifetime value and order counts,
 * orders with a status and the amount paid by each payment method), with data generated here, a
 * rules.md glossary and five hand-written approved pairs: the setting of a team that wrote a few
 * pairs by hand over a dbt project. The data is deterministic (arithmetic on the row number), so
 * results do not change between runs; dates are fixed in 2018, so "this year" holds no rows. Two
 * statuses never have as many orders as each other (returned twice as often as return_pending),
 * so an answer counting the wrong one cannot be judged right by luck.
 */
let built: Promise<string> | undefined;

export function jaffleLikeProject(): Promise<string> {
  built ??= (async () => {
    const project = await tempDir('askdata-jaffle-like-');
    const database = path.join(project, 'jaffle.duckdb');
    const db = await DuckDBInstance.create(database);
    const c = await db.connect();
    try {
      await c.run(`
        create table orders as
        select order_id,
               1 + (order_id * 37) % 100 as customer_id,
               date '2018-01-01' + cast((order_id * 53) % 365 as integer) as order_date,
               ['completed', 'completed', 'completed', 'shipped', 'placed', 'returned', 'return_pending', 'completed', 'shipped', 'returned'][1 + (order_id * 7) % 10] as status,
               cast(case when order_id % 3 = 0 then (order_id * 13) % 40 + 1 else 0 end as decimal(10, 2)) as credit_card_amount,
               cast(case when order_id % 5 = 1 then (order_id * 11) % 25 + 1 else 0 end as decimal(10, 2)) as coupon_amount,
               cast(case when order_id % 3 = 1 then (order_id * 17) % 30 + 1 else 0 end as decimal(10, 2)) as bank_transfer_amount,
               cast(case when order_id % 3 = 2 then (order_id * 19) % 20 + 1 else 0 end as decimal(10, 2)) as gift_card_amount
        from range(1, 400) as t(order_id);
        alter table orders add column amount decimal(10, 2);
        update orders set amount = credit_card_amount + coupon_amount + bank_transfer_amount + gift_card_amount;
        create table customers as
        select c.customer_id,
               ['Michael', 'Shawn', 'Kathleen', 'Jimmy', 'Katherine', 'Sarah', 'Martin', 'Frank', 'Jennifer', 'Henry'][1 + c.customer_id % 10] as first_name,
               chr(65 + cast(c.customer_id * 7 % 26 as integer)) || '.' as last_name,
               min(o.order_date) as first_order,
               max(o.order_date) as most_recent_order,
               count(o.order_id) as number_of_orders,
               sum(o.amount) as customer_lifetime_value
        from range(1, 101) as c(customer_id)
        left join orders as o on o.customer_id = c.customer_id
        group by c.customer_id;
      `);
    } finally {
      c.closeSync();
      db.closeSync();
    }
    const pair = (question: string, sql: string) =>
      `version: 1\nquestion: ${JSON.stringify(question)}\nsql: ${JSON.stringify(sql)}\nstatus: approved\napproved: { by: "Ana Lima <ana@jaffle.example>", at: 2026-10-01T09:00:00Z }\n`;
    await writeFiles(project, {
      'askdata/askdata.yml': `database: ${JSON.stringify(database)}\n`,
      'askdata/rules.md': [
        '# Glossary',
        '',
        '- **Lifetime value** (CLV): `customers.customer_lifetime_value`, everything a customer has paid, in dollars.',
        '- **Returned order**: an order whose status is `returned`; `return_pending` is not returned yet.',
        '- Amounts are dollars with cents; the raw payments were in cents.',
        '',
      ].join('\n'),
      'askdata/pairs/returned-orders.yml': pair('How many orders were returned?', "select count(*) as orders from orders where status = 'returned'"),
      'askdata/pairs/top-customers-by-ltv.yml': pair('Who are our top 10 customers by lifetime value?', 'select customer_id, first_name, last_name, customer_lifetime_value from customers order by customer_lifetime_value desc, customer_id limit 10'),
      'askdata/pairs/monthly-orders.yml': pair('How many orders did we get each month?', "select date_trunc('month', order_date) as month, count(*) as orders from orders group by 1 order by 1"),
      'askdata/pairs/credit-card-total.yml': pair('What is the total amount paid by credit card?', 'select sum(credit_card_amount) as credit_card_amount from orders'),
      'askdata/pairs/repeat-customers.yml': pair('How many customers placed more than 2 orders?', 'select count(*) as customers from customers where number_of_orders > 2'),
    });
    await fs.access(database);
    return project;
  })();
  return built;
}
