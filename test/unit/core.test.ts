import * as assert from 'node:assert/strict';
import { classifySqlFile, parseDbtProject, DbtProjectError } from '../../src/core/dbt/dbtProject';
import { similarQuestions } from '../../src/core/pairs/similar';
import { referencedRelations } from '../../src/core/sql/relations';

describe('referencedRelations', () => {
  it('finds tables after FROM and JOIN, skipping CTEs, subqueries, strings and comments', () => {
    const sql = `-- from secret_table
      with recent as (select * from orders where note = 'from fake'), "Big Ones" as (select 1)
      select * from recent join "Main"."Customers" c using (customer_id)
      left join (select * from payments) p on true, lateral (select 1) x
      join big_ones on true /* join hidden */`;
    assert.deepEqual(referencedRelations(sql), ['big_ones', 'customers', 'orders', 'payments']);
  });
  it('reads dbt ref() and source()', () => {
    assert.deepEqual(referencedRelations("select * from {{ ref('orders') }} join {{ ref('pkg', 'dim_date', v=2) }} using (d) join {{ source('shop', 'raw_payments') }} using (id)"), ['dim_date', 'orders', 'raw_payments']);
  });
});

describe('dbt project layout', () => {
  it('reads model and analysis paths, with dbt defaults', () => {
    const layout = parseDbtProject('name: shop\nmodel-paths: ["transform/"]\nvars: {region: EU}\n');
    assert.deepEqual(layout, {
      name: 'shop',
      modelPaths: ['transform'],
      analysisPaths: ['analyses'],
      seedPaths: ['seeds'],
      macroPaths: ['macros'],
      snapshotPaths: ['snapshots'],
      packagesPath: 'dbt_packages',
      docsPaths: ['transform', 'seeds', 'snapshots', 'analyses', 'macros'],
      vars: { region: 'EU' },
      configs: { models: undefined, seeds: undefined, snapshots: undefined },
      dispatch: {},
      duplicates: [],
    });
    assert.deepEqual(classifySqlFile(layout, 'transform/marts/customers.sql'), { kind: 'model', name: 'customers' });
    assert.deepEqual(classifySqlFile(layout, 'analyses/adhoc.sql'), { kind: 'analysis', name: 'adhoc' });
    assert.deepEqual(classifySqlFile(layout, 'scripts/check.sql'), { kind: 'query' });
    assert.deepEqual(classifySqlFile(undefined, 'models/x.sql'), { kind: 'query' });
  });
  it('reports malformed YAML with its line', () => {
    assert.throws(() => parseDbtProject('name: shop\nmodel-paths: [models\n'), (e: unknown) => e instanceof DbtProjectError && e.line !== undefined);
  });
});

describe('similarQuestions', () => {
  const approved = [
    { id: 'top', question: 'Who are my top customers?' },
    { id: 'sales30', question: 'Show me sales from the last 30 days' },
    { id: 'roi', question: 'Show me our ROI on ad spend from the last 3 months' },
  ];
  it('ranks by shared rare words', () => {
    assert.deepEqual(similarQuestions('top 5 customers by revenue', approved).map((s) => s.id), ['top']);
    assert.equal(similarQuestions('sales in the last 90 days', approved)[0]?.id, 'sales30');
  });
  it('returns nothing for an unrelated or empty question', () => {
    assert.deepEqual(similarQuestions('weather in Paris', approved), []);
    assert.deepEqual(similarQuestions('the of and', approved), []);
  });
});
