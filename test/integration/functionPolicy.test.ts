import * as assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  FILE_TABLE_FUNCTIONS, neverReason, PURE_TABLE_FUNCTIONS, REFUSED_TABLE_FUNCTIONS, restrictedMayCall, UNRESTRICTED_ONLY_FUNCTIONS,
} from '../../src/core/execution/functionPolicy';

describe('the function allow-list', () => {
  it('classifies every function of the pinned DuckDB: allowed under policies, for unrestricted askers only, or for nobody', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      // Pragmas are statements (PRAGMA x), which the guard refuses; their table forms are pragma_*.
      const rows = (await c.runAndReadAll("SELECT DISTINCT function_type, function_name FROM duckdb_functions() WHERE function_type <> 'pragma'")).getRows();
      assert.ok(rows.length > 700, `${rows.length} functions`);
      const unreviewed = rows.filter(([type, n]) => {
        const name = String(n);
        if (neverReason(name)) return false;
        if (String(type).startsWith('table')) return !PURE_TABLE_FUNCTIONS.has(name) && !FILE_TABLE_FUNCTIONS.has(name) && !REFUSED_TABLE_FUNCTIONS.includes(name);
        return !restrictedMayCall(name) && !UNRESTRICTED_ONLY_FUNCTIONS.includes(name);
      }).map(([type, name]) => `${type} ${name}`);
      assert.deepEqual(unreviewed, [], 'a function of this DuckDB is on no list: review it and add it to one');
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });

  it('refuses, to everyone, what reads SQL as text, plans, statistics, the catalog or the session, however it is spelt', () => {
    for (const name of ['json_serialize_plan', 'JSON_SERIALIZE_SQL', 'query', 'query_table', 'current_query', 'stats', 'STATS', 'pg_get_viewdef', 'format_type', 'pg_get_constraintdef', 'duckdb_tables', 'duc\u212Adb_tables', 'current_setting', 'getvariable', 'version', 'current_database', 'nextval', 'ｓｔａｔｓ']) {
      assert.ok(neverReason(name), name);
      assert.ok(!restrictedMayCall(name), name);
    }
  });

  it('lets restricted askers compute: arithmetic, text, dates, aggregates and window functions', () => {
    for (const name of ['lower', 'UPPER', 'sum', 'count_star', 'date_trunc', 'strftime', 'row_number', 'lag', 'list_value', 'regexp_matches', 'json_extract', '+', '~~', 'concat', 'icu_collate_de', 'formatReadableSize']) {
      assert.ok(restrictedMayCall(name), name);
    }
    assert.ok(!restrictedMayCall('error'), 'error() composes a message from anything it can reach');
    assert.ok(!restrictedMayCall('lower\u0131'), 'a name DuckDB does not know is not allowed');
  });
});
