import * as assert from 'node:assert/strict';
import { buildAskContext } from '../../src/core/answer/askContext';
import type { IndexedRelation } from '../../src/core/index/workspaceIndex';
import { approvedPair } from '../support/pairs';


describe('grounding: which tables the model is shown, and how much of them', () => {
  const col = (name: string, extra: Partial<IndexedRelation['columns'][number]> = {}) => ({ name, type: 'VARCHAR', ...extra });
  const table = (name: string, columns: IndexedRelation['columns'], description?: string): IndexedRelation => ({ key: name, kind: 'model', name, from: 'files', columns, ...(description ? { description } : {}) });
  const relations: IndexedRelation[] = [
    table('customers', [col('customer_id', { tests: ['unique'] }), col('customer_name'), col('country', { values: ['DE', 'FR', 'NL'] })], 'One row per customer'),
    table('orders', [col('order_id', { tests: ['unique'] }), col('customer_id'), col('amount', { type: 'DECIMAL(12,2)' }), col('ordered_at', { type: 'DATE' })], 'One row per order'),
    table('order_items', [col('order_id'), col('product_id'), col('quantity', { type: 'INTEGER' })]),
    table('products', [col('product_id', { tests: ['unique'] }), col('product_name'), col('category', { values: ['shoes', 'hats'] })]),
    table('marketing_daily', [col('day', { type: 'DATE' }), col('channel', { values: ['email', 'search'] }), col('spend', { type: 'DECIMAL(12,2)' })], 'Marketing spend per channel and day'),
  ];
  const joins = [
    { left: 'orders', leftColumn: 'customer_id', right: 'customers', rightColumn: 'customer_id', count: 3, seen: [] },
    { left: 'order_items', leftColumn: 'order_id', right: 'orders', rightColumn: 'order_id', count: 2, seen: [] },
    { left: 'order_items', leftColumn: 'product_id', right: 'products', rightColumn: 'product_id', count: 2, seen: [] },
  ];
  const context = (options: { budget?: number; pairs?: Parameters<typeof buildAskContext>[0]['pairs'] } = {}) =>
    buildAskContext({ projectRoot: '/p', pairs: options.pairs ?? [], relations, joins, dialect: 'duckdb', ...(options.budget ? { budget: options.budget } : {}) });
  const chosen = (g: { tables: Array<{ key: string }> }) => g.tables.map((t) => t.key);

  it('chooses a table named in the question, and one holding a value the question mentions, saying why', () => {
    const g = context().ground('How many customers do we have in NL?');
    assert.equal(g.tables[0]!.key, 'customers');
    assert.ok(g.tables[0]!.reasons.some((r) => r.startsWith('named in the question')));
    assert.ok(g.tables[0]!.reasons.some((r) => /holds the value NL \(country\)/.test(r)), g.tables[0]!.reasons.join('; '));
    assert.ok(!chosen(g).includes('marketing_daily'), 'a table nothing points at is left out');
  });

  it('adds the tables on the join path between two chosen ones, so a many-to-many join can be written', () => {
    const g = context().ground('Which product category do customers in FR buy?');
    const keys = chosen(g);
    for (const k of ['customers', 'products', 'orders', 'order_items']) assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
    const bridge = g.tables.find((t) => t.key === 'order_items')!;
    assert.ok(bridge.reasons.some((r) => /^joins (customers to products|products to customers)$/.test(r)), bridge.reasons.join('; '));
    assert.ok(g.joins.some((j) => /order_items\.product_id = products\.product_id|products\.product_id = order_items\.product_id/.test(j.on)));
  });

  it('keeps the tables an approved pair like the question read together', () => {
    const pairs = [approvedPair({ id: 'spend', question: 'How much did we spend on marketing per channel?', sql: 'select channel, sum(spend) from marketing_daily group by channel', tables: ['marketing_daily'] })];
    const g = context({ pairs }).ground('How much did we spend per channel last month?');
    assert.equal(g.tables[0]!.key, 'marketing_daily');
    assert.ok(g.tables[0]!.reasons.some((r) => r.startsWith('used by approved pair askdata/pairs/spend.yml')));
    assert.deepEqual(g.examples.map((e) => e.id), ['spend']);
  });

  it('shrinks to the budget: fewer columns of a table first, then fewer tables, never none', () => {
    const wide = { ...relations[1]!, columns: Array.from({ length: 30 }, (_, i) => col(`metric_${i}`, { description: `Metric number ${i} of the order, as the finance team defines it for the monthly report` })) };
    const ground = (budget?: number) => buildAskContext({ projectRoot: '/p', pairs: [], relations: [wide, relations[0]!], joins: [], dialect: 'duckdb', ...(budget ? { budget } : {}) }).ground('orders and customers');
    const roomy = ground();
    assert.equal(roomy.tables.find((t) => t.key === 'orders')!.omittedColumns, 0);
    assert.ok(roomy.tokens.schema > 450, `the wide table alone is ${roomy.tokens.schema} tokens`);
    const shrunk = ground(450);
    assert.ok(shrunk.tokens.schema <= 450, `schema ${shrunk.tokens.schema} tokens within 450`);
    const orders = shrunk.tables.find((t) => t.key === 'orders')!;
    assert.ok(orders.omittedColumns > 0 && orders.columns.length >= 4, `${orders.columns.length} columns kept, ${orders.omittedColumns} left out`);
    // The schema floor (400 tokens) holds whatever the budget: the model is never shown nothing.
    assert.ok(ground(10).tables.length >= 1);
  });
});
