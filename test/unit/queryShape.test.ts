import * as assert from 'node:assert/strict';
import { queryShape } from '../../src/core/sql/queryShape';

// What a query does, read lexically: the habits grounding teaches a model (join keys, filters,
// aggregations, date buckets), from SQL we did not write — and never a throw on half-rendered SQL.
describe('query shapes', () => {
  it('reads joins (ON and USING), filters, aggregations and date buckets through aliases and CTEs', () => {
    const shape = queryShape(`
      with paid as (select * from payments where status = 'paid')
      select date_trunc('month', o.ordered_at) as month, c.country, sum(p.amount) as revenue, count(distinct o.order_id)
      from orders o
      join customers as c on c.customer_id = o.customer_id
      left join paid p using (order_id)
      where o.status in ('shipped', 'completed') and c.country = 'DE' and o.ordered_at >= current_date - interval 30 day
      group by all`);
    assert.deepEqual(shape.relations, ['customers', 'orders', 'payments']);
    assert.deepEqual(shape.ctes.map((c) => c.name), ['paid']);
    const joins = shape.joins.map((j) => `${j.left.relation}.${j.left.column}=${j.right.relation}.${j.right.column}`);
    assert.deepEqual(joins.sort(), ['customers.customer_id=orders.customer_id', 'orders.order_id=payments.order_id']);
    assert.ok(shape.filters.some((f) => f.relation === 'orders' && f.column === 'status' && f.op === 'in' && f.value === "('shipped', 'completed')"));
    assert.ok(shape.filters.some((f) => f.relation === 'customers' && f.column === 'country' && f.value === "'DE'"));
    assert.ok(shape.filters.some((f) => f.relation === 'payments' && f.column === 'status' && f.value === "'paid'"), 'filters inside CTEs count, on the relation they read');
    assert.ok(shape.aggregations.some((a) => a.fn === 'sum' && a.relation === 'payments' && a.column === 'amount'));
    assert.ok(shape.aggregations.some((a) => a.fn === 'count distinct' && a.relation === 'orders' && a.column === 'order_id'));
    assert.deepEqual(shape.dateBuckets.map((b) => `${b.unit}:${b.relation}.${b.column}`), ['month:orders.ordered_at']);
    assert.deepEqual(shape.output.map((o) => ('name' in o ? o.name : '*')), ['month', 'country', 'revenue', '']);
  });

  it('never throws on half-rendered or unbalanced SQL', () => {
    for (const sql of ['select (', 'select * from', ')))', "select 'unterminated", 'with x as (select', 'select a from b join on', '']) {
      assert.doesNotThrow(() => queryShape(sql), sql);
    }
  });
});

describe('query shapes: what grounding and the index mine from them', () => {
  it('resolves a CTE that reads one relation to that relation, and leaves a CTE over several out', () => {
    const shape = queryShape(`
      with recent as (select * from orders where ordered_at > current_date - 7),
           both_ as (select * from orders join customers using (customer_id))
      select r.order_id, b.country from recent r join both_ b on b.order_id = r.order_id`);
    assert.deepEqual(shape.relations, ['customers', 'orders']);
    assert.deepEqual(shape.ctes.map((c) => c.name), ['recent', 'both_']);
    assert.ok(shape.joins.every((j) => j.left.relation !== 'both_' && j.right.relation !== 'both_'), 'a join to a CTE of several relations teaches no join key');
  });

  it('reads every statement of a model, and the last one as its output', () => {
    const shape = queryShape("set x = 1; select a.id, sum(b.amount) as total from a join b on b.a_id = a.id group by 1");
    assert.deepEqual(shape.output.map((o) => ('name' in o ? o.name : '*')), ['id', 'total']);
    assert.deepEqual(shape.joins.map((j) => `${j.left.relation}.${j.left.column}=${j.right.relation}.${j.right.column}`), ['b.a_id=a.id']);
  });

  it('reads date buckets written as date_trunc, date_part and functions named after the unit', () => {
    const shape = queryShape("select date_trunc('week', o.ordered_at), date_part('year', o.ordered_at), month(o.ordered_at) from orders o");
    assert.deepEqual(shape.dateBuckets.map((b) => b.unit).sort(), ['month', 'week', 'year']);
    assert.ok(shape.dateBuckets.every((b) => b.relation === 'orders' && b.column === 'ordered_at'));
  });
});
