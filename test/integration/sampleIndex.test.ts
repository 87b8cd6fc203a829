import { strict as assert } from 'node:assert';
import { main } from '../../src/cli/main';
import { WorkspaceFiles } from '../../src/adapters/workspaceFiles';
import { type WorkspaceIndex } from '../../src/core/index/workspaceIndex';
import { sampleWithDatabase } from '../support/sampleDb';

const rel = (index: WorkspaceIndex, key: string) => {
  const r = index.relations.find((x) => x.key === key);
  assert.ok(r, `no relation ${key} in ${index.relations.map((x) => x.key).join(', ')}`);
  return r;
};


describe('workspace index on the sample', function () {
  this.timeout(60_000);
  it('indexes every model, seed, doc, join path and the live database, without warnings', async () => {
    const { project: root } = await sampleWithDatabase();
    const out: string[] = [];
    const code = await main(['index', '--project', root, '--json', '--no-cache'], (s) => out.push(s));
    assert.equal(code, 0);
    const report = JSON.parse(out.join(''));
    assert.equal(report.projects, 1);
    assert.equal(report.models, 11);
    assert.equal(report.seeds, 6);
    assert.deepEqual(report.refs, { resolved: 21, unresolved: 0 });
    assert.equal(report.source, 'files');
    assert.deepEqual(report.warnings, []);
    assert.ok(report.documentedColumns >= 30, `documented columns: ${report.documentedColumns}`);
    assert.ok(report.joinEdges >= 8);

    const files = new WorkspaceFiles(root);
    await files.scan();
    const { index } = { index: files.indexer.build() };
    assert.ok(index.joins.some((j) => j.left === 'customers' && j.leftColumn === 'customer_id' && j.right === 'orders' && j.rightColumn === 'customer_id'), 'the relationships test and the marts join customers to orders');
    const customers = rel(index, 'customers');
    assert.equal(customers.relation, 'main.customers');
    assert.equal(customers.materialized, 'table');
    assert.deepEqual(customers.columns.find((c) => c.name === 'country')?.values, ['US', 'GB', 'DE', 'FR', 'NL', 'CA', 'AU']);
    assert.deepEqual(customers.definedColumns?.slice(0, 3), ['customer_id', 'customer_name', 'email']);
    assert.ok(index.dateBuckets.some((b) => b.unit === 'month'));
    assert.deepEqual(index.queries.map((q) => q.file), ['analyses/black_friday_uplift.sql', 'analyses/channel_payback.sql', 'analyses/cohort_retention.sql']);
  });
});
