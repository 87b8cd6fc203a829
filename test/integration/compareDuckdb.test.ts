import * as assert from 'node:assert/strict';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { birdEqual } from '../../src/core/execution/compare';
import { pagesOf, type ResultRow } from '../../src/core/execution/result';
import { judge } from '../../src/core/learning/evaluation';
import { sampleWithDatabase } from '../support/sampleDb';

describe('ordered comparison with ties, on results DuckDB returned', () => {
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
