import * as assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { main } from '../../src/cli/main';
import { sampleWithDatabase } from '../support/sampleDb';

async function context(project: string, question: string): Promise<{ schema: string }> {
  let out = '';
  const code = await main(['context', '--project', project, '--json', question], (s) => (out += s), () => undefined);
  assert.equal(code, 0);
  return JSON.parse(out) as { schema: string };
}

describe('grounding: the schema text the model is shown', () => {
  it('is valid SQL: every CREATE TABLE it shows runs in DuckDB as written, comments and all', async () => {
    const { project } = await sampleWithDatabase();
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    try {
      for (const question of ['Who are my top customers?', 'How much did we spend on marketing by channel?', 'Which products are bought together?']) {
        const { schema } = await context(project, question);
        const blocks = schema.split(/\n\n(?=CREATE TABLE )/);
        assert.ok(blocks.length >= 1 && blocks.every((b) => b.startsWith('CREATE TABLE ')), schema);
        for (const block of blocks) {
          assert.doesNotMatch(block, /,\s*(--[^\n]*)?\n\);/, 'no comma after the last column');
          await connection.run(`drop table if exists ${/^CREATE TABLE (\S+)/.exec(block)![1]}`);
          await connection.run(block);
        }
      }
    } finally {
      connection.closeSync();
    }
  });
});
