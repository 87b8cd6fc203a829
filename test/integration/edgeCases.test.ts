import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { augmentProject } from '../../src/usecases/learning';
import { NodePairFiles } from '../../src/adapters/nodePairFiles';
import { edgeCaseQuestions } from '../../src/core/learning/augment';
import { PairStore } from '../../src/core/pairs/pairStore';
import { skeletonKey } from '../../src/core/sql/skeleton';
import { sampleWithDatabase } from '../support/sampleDb';
import { tempDir } from '../support/tempDir';

describe('edge-case augmentation', function () {
  this.timeout(120_000);

  it('moves one literal of a question to an edge: shortest and long periods, top 1, a threshold, another value, another grain', () => {
    const cases = edgeCaseQuestions('Who are our top 5 customers in Germany over the last 30 days, each week, with more than 2 orders?', [{ text: 'Germany', others: ['France'] }]);
    const questions = cases.map((c) => c.question);
    assert.ok(questions.includes('Who are our top 5 customers in Germany over the last 1 day, each week, with more than 2 orders?'));
    assert.ok(questions.includes('Who are our top 5 customers in Germany over the last 120 days, each week, with more than 2 orders?'));
    assert.ok(questions.includes('Who are our top 1 customers in Germany over the last 30 days, each week, with more than 2 orders?'));
    assert.ok(questions.includes('Who are our top 5 customers in Germany over the last 30 days, each week, with more than 3 orders?'));
    assert.ok(questions.includes('Who are our top 5 customers in France over the last 30 days, each week, with more than 2 orders?'));
    assert.ok(questions.includes('Who are our top 5 customers in Germany over the last 30 days, each month, with more than 2 orders?'));
  });

  it('writes pending synthetic pairs that recall adapted from an approved pair and that run; approves none', async () => {
    const { project: sample } = await sampleWithDatabase();
    const project = await tempDir('askdata-edge-');
    await fs.cp(sample, project, { recursive: true });
    const report = await augmentProject(project, { by: 'Test <t@example.com>', only: ['top-customers-in-germany', 'sales-last-30-days', 'new-customers-per-week'], now: () => new Date('2026-11-20T00:00:00Z') });
    assert.ok(report.written.length >= 5, JSON.stringify(report, null, 1));
    const store = new PairStore(project, new NodePairFiles());
    await store.load();
    const written = report.written.map((w) => store.pairs.find((p) => p.path === path.join(project, w.file))!);
    const db = await DuckDBInstance.create(path.join(project, 'shop.duckdb'), { access_mode: 'READ_ONLY' });
    const connection = await db.connect();
    try {
      for (const [i, p] of written.entries()) {
        assert.equal(p.status, 'pending', p.id);
        assert.equal(p.data.synthetic, true, p.id);
        const of = store.pairs.find((x) => report.written[i]!.of.endsWith(`${x.id}.yml`))!;
        assert.equal(skeletonKey(p.sql), skeletonKey(of.sql), `${p.question}: only literals change`);
        await connection.runAndReadAll(p.sql);
      }
    } finally {
      connection.closeSync();
      db.closeSync();
    }
    const questions = report.written.map((w) => w.question);
    assert.ok(questions.includes('Who are our top 1 customers in Germany?'), questions.join('\n'));
    assert.ok(questions.some((q) => /top 5 customers in (Australia|Canada|France)/.test(q)), questions.join('\n'));
    assert.ok(questions.includes('Show me sales from the last 1 day'), questions.join('\n'));
    assert.ok(questions.includes('How many new customers signed up each month this year?'), questions.join('\n'));
    const original = new PairStore(sample, new NodePairFiles());
    await original.load();
    const approved = (s: PairStore) => s.pairs.filter((p) => p.status === 'approved').map((p) => p.id).sort();
    assert.deepEqual(approved(store), approved(original), 'nothing generated is approved');
  });
});
