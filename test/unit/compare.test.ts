import * as assert from 'node:assert/strict';
import type { ResultRow } from '../../src/core/execution/result';
import { spiderEqual } from '../../src/core/execution/compare';
import { orderKeyColumns } from '../../src/core/sql/ordering';

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
});
