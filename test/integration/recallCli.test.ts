import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { writePetsDatabase } from '../support/petsDb';
import { sampleWithDatabase } from '../support/sampleDb';
import { tempDir, writeFiles } from '../support/tempDir';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('askdata ask and context on the sample', function () {
  this.timeout(120_000);
  let project: string;
  before(async () => {
    ({ project } = await sampleWithDatabase());
  });

  it('answers "sales from the last 90 days" by adapting the approved 30-day pair, and runs it', async () => {
    const { code, out } = await cli(['ask', '--project', project, '--engine', 'recall', '--json', 'Show me sales from the last 90 days']);
    assert.equal(code, 0);
    const a = JSON.parse(out);
    assert.equal(a.source, 'recall');
    assert.equal(a.pair.file, 'askdata/pairs/sales-last-30-days.yml');
    assert.match(a.sql, /interval 90 day/);
    assert.doesNotMatch(a.sql, /interval 30 day/);
    assert.deepEqual(a.adaptations, [{ kind: 'period', from: 'last 30 days', to: 'last 90 days' }]);
    assert.ok(a.assumptions[0].startsWith('sales means revenue orders'));
    assert.ok(a.result.rowCount > 30, `90 days of sales, got ${a.result.rowCount} rows`);
    assert.deepEqual(a.result.columns.map((c: { name: string }) => c.name), ['order_date', 'orders', 'revenue']);
    assert.equal(a.error, null);
  });

  it('abstains on a question no pair covers, saying why, with exit code 1', async () => {
    const { code, out } = await cli(['ask', '--project', project, '--engine', 'recall', '--json', 'What is the weather in Paris tomorrow?']);
    assert.equal(code, 1);
    const a = JSON.parse(out);
    assert.equal(a.abstained, true);
    assert.equal(a.sql, null);
    assert.match(a.reason, /No approved question/);
  });

  it('with --engine auto and no Ollama, answers from recall and says the model is missing when it abstains', async () => {
    const { out } = await cli(['ask', '--project', project, '--host', 'http://127.0.0.1:9', '--json', 'What is the weather in Paris tomorrow?']);
    assert.match(JSON.parse(out).reason, /Ollama is not running at http:\/\/127\.0\.0\.1:9/);
  });

  it('prints exactly the grounding, and never shows a column the asker may not see', async () => {
    const { code, out } = await cli(['context', '--project', project, '--json', 'Who are my top customers?']);
    assert.equal(code, 0);
    const g = JSON.parse(out);
    assert.equal(g.tables[0].key, 'customers');
    assert.ok(g.tables[0].reasons.some((r: string) => r.startsWith('named in the question')));
    assert.equal(g.examples[0].file, 'askdata/pairs/who-are-my-top-customers.yml');
    assert.ok(g.examples.length >= 3 && g.examples.length <= 5);
    assert.match(g.rules, /Top customer/);
    assert.ok(g.tokens.total <= g.tokens.budget && g.tokens.total === g.tokens.schema + g.tokens.rules + g.tokens.examples);
    assert.match(g.schema, /CREATE TABLE customers[\s\S]*email VARCHAR/);

    const marketing = JSON.parse((await cli(['context', '--project', project, '--as', 'sam.okafor@shop.example', '--json', 'Who are my top customers?'])).out);
    assert.doesNotMatch(marketing.schema, /^\s*email\b/m);
    assert.equal(marketing.hidden.columns > 0, true);
    const manager = JSON.parse((await cli(['context', '--project', project, '--as', 'lena.fischer@country.shop.example', '--json', 'How much did we spend on marketing by channel?'])).out);
    assert.ok(!manager.tables.some((t: { key: string }) => t.key === 'marketing_daily'));
    assert.doesNotMatch(manager.schema, /marketing_daily/);
    assert.ok(manager.examples.every((e: { sql: string }) => !/marketing_daily/.test(e.sql)), 'no example reads a table the asker may not read');
  });

  it('answers a batch in one process, one JSON line per input with its id, bad lines included', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'q.jsonl');
    await fs.writeFile(file, '{"id": "a", "question": "Show me sales from the last 7 days"}\nnot json\n{"id": 3, "question": "What is the weather?"}\n');
    const { code, out } = await cli(['ask', '--project', project, '--engine', 'recall', '--batch', file]);
    assert.equal(code, 0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.id), ['a', null, 3]);
    assert.match(lines[0].sql, /interval 7 day/);
    assert.equal(lines[1].error.class, 'input');
    assert.equal(lines[2].abstained, true);
  });
});

describe('a project without dbt: askdata.yml names the database', () => {
  it('answers a paraphrase from an approved pair, with the schema read from the database', async () => {
    const project = await tempDir();
    const database = await writePetsDatabase(path.join(await tempDir(), 'pets.sqlite'));
    await writeFiles(project, {
      'askdata/askdata.yml': `database: ${JSON.stringify(database)}\n`,
      'askdata/pairs/heavy-pets.yml': 'question: Find the number of pets whose weight is heavier than 10.\nsql: SELECT count(*) FROM pets WHERE weight  >  10\nstatus: approved\napproved: { by: "A <a@b.c>", at: 2026-11-01T00:00:00Z }\n',
      'askdata/pairs/pet-owners.yml': 'question: Find the first name of students who have a dog.\nsql: SELECT T1.Fname FROM student AS T1 JOIN has_pet AS T2 ON T1.stuid = T2.stuid JOIN pets AS T3 ON T3.petid = T2.petid WHERE T3.pettype = \'dog\'\nstatus: approved\napproved: { by: "A <a@b.c>", at: 2026-11-01T00:00:00Z }\n',
    });
    const a = JSON.parse((await cli(['ask', '--project', project, '--engine', 'recall', '--json', 'How many pets have a greater weight than 5?'])).out);
    assert.equal(a.sql, 'SELECT count(*) FROM pets WHERE weight  >  5');
    assert.equal(a.result.rows[0].length, 1);
    const g = JSON.parse((await cli(['context', '--project', project, '--json', 'Which students own a cat?'])).out);
    assert.deepEqual(g.tables.map((t: { key: string }) => t.key.toLowerCase()).sort(), ['has_pet', 'pets', 'student']);
    assert.ok(g.joins.some((j: { on: string }) => /stuid/i.test(j.on)), 'the join path mined from the approved pair');
  });
});
