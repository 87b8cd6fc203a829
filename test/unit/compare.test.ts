import * as assert from 'node:assert/strict';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { pagesOf, type ResultRow } from '../../src/core/execution/result';
import { birdEqual, spiderEqual } from '../../src/core/execution/compare';
import { judge } from '../../src/core/learning/evaluation';
import { orderKeyColumns } from '../../src/core/sql/ordering';
import { sampleWithDatabase } from '../support/sampleDb';

describe('ordered comparison with ties', () => {
  const cols = ['product', 'category', 'units'];

  it('finds the output columns the outermost ORDER BY sorts on', () => {
    assert.deepEqual(orderKeyColumns('select p.name as product, category, sum(q) as units from t group by 1, 2 order by units desc', cols), [2]);
    assert.deepEqual(orderKeyColumns('select name as product, category, sum(q) as units from t group by 1, 2 order by 3 desc, 1', cols), [2, 0]);
    assert.deepEqual(orderKeyColumns('select name as product, category, sum(q) as units from t group by 1, 2 order by sum(q) desc nulls last', cols), [2]);
    assert.deepEqual(orderKeyColumns('select name product, category, sum(q) units from t group by 1, 2 order by t.category', cols), [1]);
    assert.deepEqual(orderKeyColumns('with x as (select * from t order by a) select a as product, b as category, c as units from x order by "UNITS" limit 3', cols), [2]);
  });

  it('gives up where a sort key is not an output column, or the query has no outer ORDER BY', () => {
    assert.equal(orderKeyColumns('select name as product, category, units from t order by created_at', cols), undefined);
    assert.equal(orderKeyColumns('select name as product, category, units from t order by units * 2', cols), undefined);
    assert.equal(orderKeyColumns('select name as product, category, row_number() over (order by units) as units from t', cols), undefined);
    assert.equal(orderKeyColumns('select * from (select * from t order by units) limit 3', cols), undefined);
    assert.equal(orderKeyColumns('select a, b, c from t order by 4', cols), undefined);
  });

  const gold: ResultRow[] = [['tote', 'bags', 90], ['mug', 'home', 50], ['candle', 'home', 50], ['hat', 'wear', 20]];
  it('lets rows that tie on the sort keys come in any order, and nothing else', () => {
    const swapped = [gold[0]!, gold[2]!, gold[1]!, gold[3]!];
    assert.ok(spiderEqual({ rows: gold }, { rows: swapped }, [2]));
    assert.ok(!spiderEqual({ rows: gold }, { rows: swapped }, true), 'strict order still sees the swap');
    assert.ok(!spiderEqual({ rows: gold }, { rows: [gold[1]!, gold[0]!, gold[2]!, gold[3]!] }, [2]), 'rows that do not tie keep their order');
    assert.ok(!spiderEqual({ rows: gold }, { rows: [gold[0]!, gold[2]!, ['mug', 'home', 51], gold[3]!] }, [2]), 'a changed value in a tie');
    assert.ok(!spiderEqual({ rows: gold }, { rows: [gold[0]!, gold[2]!, gold[2]!, gold[3]!] }, [2]), 'a duplicated row in a tie');
    // Columns permuted, ties swapped.
    assert.ok(spiderEqual({ rows: gold }, { rows: swapped.map((r) => [r[2]!, r[0]!, r[1]!]) }, [2]));
    assert.ok(!spiderEqual({ rows: gold }, { rows: swapped }, [7]), 'an out-of-range key falls back to strict order');
  });

  it('judges a result DuckDB returned with its ties in another order as correct, on real queries', async () => {
    const { project, database } = await sampleWithDatabase();
    const engine = await DuckDbEngine.open({ database, baseDirectory: project });
    try {
      const rowsOf = async (sql: string) => {
        const cursor = await engine.run(sql, { pageSize: 10_000 });
        const rows: ResultRow[] = [];
        for await (const page of pagesOf(cursor)) rows.push(...page.rows);
        return { columns: cursor.first.columns.map((c) => c.name), rows };
      };
      const sql = 'select k as product, k % 3 as grp, count(*) as units from range(0, 60) t(k) group by all order by units desc, grp';
      const g = await rowsOf(sql);
      const tiesReversed = await rowsOf(`${sql}, product desc`);
      assert.notDeepEqual(tiesReversed.rows, g.rows);
      assert.deepEqual(judge({ sql, ...g }, tiesReversed), { spider: true, bird: true }, 'rows tie on (units, grp) in thirds: any order within them');
      const other = await rowsOf('select k as product, k % 3 as grp, count(*) as units from range(0, 60) t(k) group by all order by grp desc');
      assert.equal(judge({ sql, ...g }, other).spider, false, 'groups in another order are not the same ranking');
      assert.equal(birdEqual(g, other), true);
    } finally {
      engine.close();
    }
  });
});
