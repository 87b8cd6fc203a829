import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import type { Engine } from '../../src/adapters/engine';
import { SqliteEngine } from '../../src/adapters/sqliteEngine';
import { birdEqual, hasOrderBy, spiderEqual } from '../../src/core/execution/compare';
import { ExecutionError } from '../../src/core/execution/errors';
import { pagesOf, type ResultRow } from '../../src/core/execution/result';
import { requiredDataDir } from '../support/dataDir';
import { repoRoot } from '../support/tempDir';

// Real text-to-SQL data written by others, read in place from the folder ASKDATA_DATA names.

async function allRows(engine: Engine, sql: string): Promise<{ columns: string[]; rows: ResultRow[] }> {
  const cursor = await engine.run(sql, { pageSize: 5000, rowCap: 1_000_000, timeoutMs: 60_000 });
  const rows: ResultRow[] = [];
  for await (const page of pagesOf(cursor)) rows.push(...page.rows);
  return { columns: cursor.first.columns.map((c) => c.name), rows };
}

/** A deterministic shuffle, so a failure reproduces. */
function shuffled<T>(xs: readonly T[], seed = 7): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function changedValue(v: unknown): ResultRow[number] {
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'string') return `${v}·changed`;
  if (v === null) return 'was null';
  return 'changed';
}

/** The comparison's properties, checked on one real result. Returns how many checks ran. */
function checkComparison(sql: string, rows: ResultRow[], label: string): number {
  const ordered = hasOrderBy(sql);
  const r = { rows };
  let checks = 0;
  const ok = (cond: boolean, what: string) => {
    assert.ok(cond, `${label}: ${what}`);
    checks++;
  };
  ok(spiderEqual(r, r, ordered), 'equals itself');
  ok(birdEqual(r, r), 'equals itself (BIRD)');
  const width = rows[0]?.length ?? 0;
  if (width > 1) {
    const permuted = rows.map((row) => [...row].reverse());
    ok(spiderEqual(r, { rows: permuted }, ordered), 'equals itself with columns permuted');
  }
  if (!ordered && rows.length > 1) ok(spiderEqual(r, { rows: shuffled(rows) }, false), 'equals itself with rows shuffled');
  if (rows.length > 0) {
    const changed = rows.map((row, i) => (i === 0 ? [changedValue(row[0]), ...row.slice(1)] : row));
    ok(!spiderEqual(r, { rows: changed }, ordered), 'differs after one changed value');
    ok(!birdEqual(r, { rows: changed }) || rows.slice(1).some((row) => JSON.stringify(row) === JSON.stringify(changed[0])), 'differs after one changed value (BIRD)');
    ok(!spiderEqual(r, { rows: rows.slice(1) }, ordered), 'differs after a dropped row');
    ok(!spiderEqual(r, { rows: [...rows, rows[0]!] }, ordered), 'differs after a duplicated row');
    ok(birdEqual(r, { rows: [...rows, rows[0]!] }), 'BIRD ignores a duplicated row');
  }
  return checks;
}

describe('real data: Spider dev through sql.js with the guard on', function () {
  this.timeout(300_000);
  let spiderDir = '';
  before(() => (spiderDir = requiredDataDir('spider-dev')));

  it('runs every gold query (none refused), and the comparison holds on every result', async () => {
    const questions = JSON.parse(await fs.readFile(path.join(spiderDir, 'questions.json'), 'utf8')) as Array<{ db_id: string; query: string }>;
    const byDb = new Map<string, Set<string>>();
    for (const q of questions) (byDb.get(q.db_id) ?? byDb.set(q.db_id, new Set()).get(q.db_id)!).add(q.query);
    let ran = 0;
    let checks = 0;
    const failures: string[] = [];
    for (const [db, queries] of byDb) {
      const engine = await SqliteEngine.open({ database: path.join(spiderDir, 'database', db, `${db}.sqlite`) });
      try {
        for (const sql of queries) {
          try {
            const { rows } = await allRows(engine, sql);
            ran++;
            checks += checkComparison(sql, rows, `${db}: ${sql}`);
          } catch (e) {
            failures.push(`${db}: ${sql}\n  → ${e instanceof ExecutionError ? `${e.errorClass}: ${e.message}` : (e as Error).message}`);
          }
        }
      } finally {
        engine.close();
      }
    }
    assert.deepEqual(failures, [], `${failures.length} gold queries failed:\n${failures.join('\n')}`);
    assert.ok(ran >= 200, `ran ${ran} distinct gold queries`);
    console.log(`      ${ran} distinct Spider gold queries over ${byDb.size} databases ran; ${checks} comparison checks held`);
  });
});

/** What a read-only engine must do with each DuckDB-NSQL gold query. */
function nsqlExpectation(query: string, setup: string): { runs: true } | { runs: false; why: string } {
  const keyword = /^\s*([A-Za-z]+)/.exec(query)?.[1]?.toUpperCase() ?? '';
  if (['CREATE', 'INSERT', 'UPDATE', 'DELETE', 'ALTER', 'COPY', 'SET', 'PRAGMA', 'CALL', 'ATTACH', 'EXPLAIN'].includes(keyword)) {
    return { runs: false, why: `${keyword} is not a read-only query: refused by the guard` };
  }
  if (/https?:\/\//i.test(query)) return { runs: false, why: 'reads over the network: refused (and offline here)' };
  if (/read_\w+\s*\(\s*'[^/']/i.test(query) || (setup.trim() && setup.trim() !== ';')) {
    return { runs: false, why: 'reads a relative file its setup SQL writes: relative paths are refused (data-folder files are views)' };
  }
  return { runs: true };
}

describe('real data: DuckDB-NSQL through the DuckDB engine', function () {
  this.timeout(300_000);
  let nsqlDir = '';
  before(() => (nsqlDir = requiredDataDir('duckdb-nsql')));

  it('runs every runnable gold query, refuses the writes, and the comparison holds', async () => {
    const items = JSON.parse(await fs.readFile(path.join(nsqlDir, 'dev.json'), 'utf8')) as Array<{ db_id: string; query: string; setup_sql: string | null }>;
    const engines = new Map<string, DuckDbEngine>();
    const report: Array<{ db: string; query: string; outcome: string }> = [];
    const failures: string[] = [];
    let checks = 0;
    try {
      for (const item of items) {
        const file = path.join(nsqlDir, 'databases', item.db_id, `${item.db_id}.duckdb`);
        let engine = engines.get(item.db_id);
        if (!engine) {
          engine = await DuckDbEngine.open({ database: file, baseDirectory: path.dirname(file) });
          engines.set(item.db_id, engine);
        }
        const expected = nsqlExpectation(item.query, item.setup_sql ?? '');
        try {
          const { rows } = await allRows(engine, item.query);
          if (!expected.runs) failures.push(`${item.db_id}: expected refusal (${expected.why}) but it ran: ${item.query}`);
          // USING SAMPLE is random: its result cannot be compared with itself run again, but with itself it can.
          checks += checkComparison(item.query, rows, `${item.db_id}: ${item.query}`);
          report.push({ db: item.db_id, query: item.query, outcome: 'ran' });
        } catch (e) {
          const error = e as ExecutionError;
          if (expected.runs) failures.push(`${item.db_id}: ${item.query}\n  → ${error.errorClass ?? ''}: ${error.message}`);
          else assert.equal(error.errorClass, 'not-read-only', `${item.query}: ${error.message}`);
          report.push({ db: item.db_id, query: item.query, outcome: `refused: ${expected.runs ? error.message : expected.why}` });
        }
      }
    } finally {
      for (const e of engines.values()) e.close();
    }
    await fs.mkdir(path.join(repoRoot, 'test-results'), { recursive: true });
    await fs.writeFile(path.join(repoRoot, 'test-results', 'duckdb-nsql.json'), JSON.stringify(report, null, 2));
    assert.deepEqual(failures, [], failures.join('\n'));
    const ran = report.filter((r) => r.outcome === 'ran').length;
    console.log(`      ${ran} of ${items.length} DuckDB-NSQL gold queries ran; ${items.length - ran} refused as expected (test-results/duckdb-nsql.json); ${checks} comparison checks held`);
  });
});
