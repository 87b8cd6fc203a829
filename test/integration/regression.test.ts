import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { NodePairFiles } from '../../src/adapters/nodePairFiles';
import { main } from '../../src/cli/main';
import { PairStore } from '../../src/core/pairs/pairStore';
import { sampleWithDatabase } from '../support/sampleDb';
import { tempDir } from '../support/tempDir';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

async function sql(database: string, statement: string): Promise<void> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  try {
    await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('askdata test: approved pairs as regression tests', function () {
  this.timeout(60_000);

  it('passes on the sample; after a column an approved pair uses is renamed, fails naming the pair and the column', async () => {
    const { project: built } = await sampleWithDatabase();
    const project = await tempDir('askdata-regression-');
    await fs.cp(built, project, { recursive: true });
    const database = path.join(project, 'shop.duckdb');

    const before = await cli(['test', '--project', project, '--json']);
    assert.equal(before.code, 0, before.err);
    const first = JSON.parse(before.out);
    assert.equal(first.failed, 0);
    assert.ok(first.noBaseline >= 15, 'the sample pairs run; none has a recorded result yet');

    // Approve one pair again, recording its result, as the panel does.
    const engine = await DuckDbEngine.open({ database, baseDirectory: project });
    const store = new PairStore(project, new NodePairFiles());
    await store.load();
    const top = store.get('who-are-my-top-customers')!;
    const recorded = await engine.fingerprint(top.sql);
    engine.close();
    await store.approve(top.id, 'Erin Tester <erin@shop.example>', { rows: recorded.rows, columns: recorded.columns, fingerprint: recorded.fingerprint });
    const recordedRun = JSON.parse((await cli(['test', '--project', project, '--json'])).out);
    assert.equal(recordedRun.passed, 1);
    assert.equal(recordedRun.pairs.find((p: { id: string }) => p.id === top.id).status, 'passed');

    // Data changes under a pair: it fails as "changed", saying how.
    await sql(database, "update customers set lifetime_revenue = lifetime_revenue + 1 where customer_id = (select customer_id from customers order by lifetime_revenue desc limit 1)");
    const changed = await cli(['test', '--project', project]);
    assert.equal(changed.code, 1);
    assert.match(changed.err, /FAIL {2}askdata\/pairs\/who-are-my-top-customers\.yml\n {6}askdata\/pairs\/who-are-my-top-customers\.yml returns other data than when it was approved \(same rows and columns, different values\)/);

    // The column is renamed in the database (as a dbt change would): the pairs using it no longer run.
    await sql(database, 'alter table customers rename column lifetime_revenue to lifetime_value');
    const renamed = await cli(['test', '--project', project, '--json']);
    assert.equal(renamed.code, 1);
    const report = JSON.parse(renamed.out);
    const failing = report.pairs.filter((p: { status: string }) => p.status === 'failed-to-run');
    const check = failing.find((p: { id: string }) => p.id === top.id);
    assert.equal(check.error.class, 'unknown-column');
    assert.match(check.message, /^askdata\/pairs\/who-are-my-top-customers\.yml no longer runs: .*lifetime_revenue/);
    assert.ok(failing.every((p: { message: string }) => /lifetime_revenue/.test(p.message)), 'every failing pair names the renamed column');
    assert.equal(report.failed, failing.length);
  });
});
