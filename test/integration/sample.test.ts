import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { NodePairFiles } from '../../src/adapters/nodePairFiles';
import { PairStore } from '../../src/core/pairs/pairStore';
import { referencedRelations } from '../../src/core/sql/relations';
import { sampleWithDatabase } from '../support/sampleDb';
import { repoRoot } from '../support/tempDir';

// The build script is plain JavaScript (it runs before anything is compiled).
const loadData = () => import(path.join(repoRoot, 'scripts', 'sample-data.mjs')) as Promise<{ generateShopData(lastDay: string): Record<string, Array<Record<string, unknown>>> }>;

describe('sample shop', function () {
  let db: string;
  let store: PairStore;

  before(async function () {
    const { project, database } = await sampleWithDatabase();
    db = database;
    store = new PairStore(project, new NodePairFiles());
    await store.load();
  });

  it('has at least 15 approved pairs, some pending and one rejected, all valid', () => {
    const count = (s: string) => store.pairs.filter((p) => p.status === s).length;
    assert.ok(count('approved') >= 15, `approved: ${count('approved')}`);
    assert.ok(count('pending') >= 2);
    assert.equal(count('rejected'), 1);
    assert.deepEqual(store.invalid, []);
    for (const q of ['Who are my top customers?', 'Show me our ROI on ad spend from the last 3 months', 'Show me sales from the last 30 days']) {
      assert.ok(store.pairs.some((p) => p.question === q && p.status === 'approved'), q);
    }
    const tags = new Set(store.pairs.filter((p) => p.status === 'approved').flatMap((p) => p.tags));
    for (const t of ['ranking', 'time-series', 'period-comparison', 'ratio', 'joins']) assert.ok(tags.has(t), `a pair tagged ${t}`);
  });

  it('runs every approved pair on the freshly built database, and "last 30 days" has data', async () => {
    const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    try {
      for (const pair of store.pairs.filter((p) => p.status !== 'rejected')) {
        const reader = await connection.runAndReadAll(pair.sql).catch((e: Error) => assert.fail(`${pair.id}: ${e.message}`));
        assert.ok(reader.currentRowCount > 0, `${pair.id} returns rows`);
        if (pair.id === 'sales-last-30-days') assert.ok(reader.currentRowCount >= 28, 'a row for (nearly) every one of the last 30 days');
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it("lists in each pair's tables exactly the relations its SQL reads", () => {
    for (const pair of store.pairs) assert.deepEqual([...pair.tables].sort(), referencedRelations(pair.sql), pair.id);
  });

  it('generates the same history whatever day it is built: a later build only appends days', async () => {
    const { generateShopData } = await loadData();
    const a = generateShopData('2025-06-30');
    const b = generateShopData('2025-07-31');
    for (const [table, rows] of Object.entries(a)) {
      const key = table === 'raw_marketing_spend' ? 'spend_date' : undefined;
      const later = b[table]!.slice(0, rows.length);
      if (key) assert.deepEqual(later, rows, table);
      else if (table !== 'raw_orders' && table !== 'raw_payments') assert.deepEqual(later, rows, table);
    }
    // Orders placed in the final days change status as they age (placed → shipped → completed);
    // everything older than that is identical.
    const settled = a.raw_orders!.filter((o) => String(o.ordered_at) < '2025-06-20');
    assert.deepEqual(b.raw_orders!.slice(0, settled.length), settled);
    assert.ok(b.raw_orders!.length > a.raw_orders!.length);
  });
});
