import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { extractSql } from '../../src/core/answer/prompt';
import { adaptSql } from '../../src/core/recall/adapt';
import { questionLiterals } from '../../src/core/recall/questionText';
import { RecallEngine } from '../../src/core/recall/recall';
import { skeletonKey } from '../../src/core/sql/skeleton';
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


describe('question literals', () => {
  it('reads periods, top-N, quoted names, dates and numbers, each once', () => {
    const ls = questionLiterals('Top 5 customers in "DE" over the last 30 days since 2026-01-01 with more than twenty orders');
    assert.deepEqual(ls.map((l) => [l.kind, l.value, l.unit]), [
      ['top', '5', undefined], ['quoted', 'DE', undefined], ['period', '30', 'day'], ['date', '2026-01-01', undefined], ['number', '20', undefined],
    ]);
  });

  it('does not read an apostrophe or "the one whose" as a value', () => {
    assert.deepEqual(questionLiterals("What is the customer's name for the one whose id is 7?").map((l) => l.value), ['7']);
  });
});

describe('adapting an approved pair to a new question', () => {
  const pair = { question: 'Show me sales from the last 30 days', sql: 'select order_date, sum(amount) from orders\nwhere order_date >= current_date - interval 30 day\ngroup by 1' };

  it('changes a relative period, unit included, and nothing else', () => {
    const days = adaptSql(pair, 'Show me sales from the last 90 days', 'duckdb');
    assert.ok(days.ok);
    assert.equal(days.sql, pair.sql.replace('interval 30 day', 'interval 90 day'));
    assert.deepEqual(days.adaptations, [{ kind: 'period', from: 'last 30 days', to: 'last 90 days' }]);
    const months = adaptSql(pair, 'Show me sales from the last 3 months', 'duckdb');
    assert.ok(months.ok);
    assert.match(months.sql, /interval 3 month\n/);
  });

  it("writes SQLite's date modifiers in days, months or years", () => {
    const sqlite = { question: 'orders in the last 30 days', sql: "select count(*) from orders where order_date >= date('now', '-30 days')" };
    const r = adaptSql(sqlite, 'orders in the last 2 weeks', 'sqlite');
    assert.ok(r.ok);
    assert.match(r.sql, /date\('now', '-14 days'\)/);
  });

  it('changes top-N in LIMIT, also when the approved question gave no number', () => {
    const r = adaptSql({ question: 'Who are my top customers?', sql: 'select * from customers order by revenue desc limit 10' }, 'Who are my top 3 customers?', 'duckdb');
    assert.ok(r.ok);
    assert.match(r.sql, /limit 3$/);
  });

  it('swaps quoted names as escaped string literals', () => {
    const r = adaptSql({ question: 'Orders from "Acme"', sql: "select * from orders where customer = 'Acme'" }, "Orders from \"O'Brien & Co\"", 'duckdb');
    assert.ok(r.ok);
    assert.equal(r.sql, "select * from orders where customer = 'O''Brien & Co'");
  });

  it('swaps one known value of a column for another of the same column', () => {
    const r = adaptSql({ question: 'customers in DE', sql: "select * from customers where country = 'DE'" }, 'customers in FR', 'duckdb', {
      inPair: [{ value: 'DE', column: 'customers.country' }],
      inQuestion: [{ value: 'FR', column: 'customers.country' }],
    });
    assert.ok(r.ok);
    assert.equal(r.sql, "select * from customers where country = 'FR'");
  });

  it('refuses when the new question has a value the pair has no place for, or the SQL hides the old one', () => {
    const extra = adaptSql({ question: 'How many customers?', sql: 'select count(*) from customers' }, 'How many customers signed up in the last 7 days?', 'duckdb');
    assert.equal(extra.ok, false);
    assert.match((extra as { reason: string }).reason, /last 7 days/);
    const hidden = adaptSql({ question: 'revenue in the last 3 months', sql: "select sum(amount) from orders where order_date >= current_date - interval '3' month" }, 'revenue in the last 6 months', 'duckdb');
    assert.equal(hidden.ok, false);
    assert.match((hidden as { reason: string }).reason, /does not show where/);
    const truncated = adaptSql({ question: 'revenue last month', sql: "select sum(amount) from orders where date_trunc('month', order_date) = date_trunc('month', current_date) - interval 1 month" }, 'revenue last year', 'duckdb');
    assert.equal(truncated.ok, false);
    assert.match((truncated as { reason: string }).reason, /by month/);
  });

  it('keeps a value the new question does not restate, and says so', () => {
    const r = adaptSql(pair, 'Show me recent sales', 'duckdb');
    assert.ok(r.ok);
    assert.equal(r.sql, pair.sql);
    assert.deepEqual(r.kept, ['period last 30 days kept from the approved question']);
  });
});

describe('recall engine', () => {
  const pairs = [
    { id: 'count-pets', file: 'askdata/pairs/count-pets.yml', question: 'How many pets are heavier than 10?', sql: 'SELECT count(*) FROM pets WHERE weight > 10' },
    { id: 'youngest', file: 'askdata/pairs/youngest.yml', question: 'Find the weight of the youngest dog.', sql: 'SELECT weight FROM pets ORDER BY pet_age LIMIT 1' },
    { id: 'by-type', file: 'askdata/pairs/by-type.yml', question: 'List the maximum weight and type for each type of pet.', sql: 'SELECT max(weight), pettype FROM pets GROUP BY pettype' },
  ];
  const relations = [{ key: 'pets', columns: [{ name: 'petid' }, { name: 'pettype', values: ['cat', 'dog'] }, { name: 'pet_age' }, { name: 'weight' }] }];
  const engine = new RecallEngine(pairs, relations, 'sqlite');

  it('answers a paraphrase with the approved SQL, adapting the number', () => {
    const r = engine.answer('Count the pets whose weight is greater than 20.');
    assert.equal(r.abstained, false);
    if (r.abstained) return;
    assert.equal(r.pair.id, 'count-pets');
    assert.equal(r.sql, 'SELECT count(*) FROM pets WHERE weight > 20');
  });

  it('tells apart questions that share words by what their SQL does', () => {
    const r = engine.answer('What is the heaviest weight of each pet type?');
    assert.equal(r.abstained, false);
    assert.equal(!r.abstained && r.pair.id, 'by-type');
  });

  it('abstains, with the reason, on a question no pair covers or that names something the pair does not', () => {
    const unrelated = engine.answer('What is the capital of France?');
    assert.equal(unrelated.abstained, true);
    const named = engine.answer('How many pets does Kyle own that are heavier than 10?');
    assert.equal(named.abstained, true);
    assert.match(named.abstained ? named.reason : '', /Kyle/);
    assert.equal(new RecallEngine([], relations, 'sqlite').answer('How many pets?').abstained, true);
  });

  it('only ever returns an approved SQL with literal values changed', () => {
    const questions = ['pets heavier than 3', 'the youngest dog weight', 'top 4 weights by pet type', 'pets lighter than 100 in the last 30 days', 'how many pets weigh over 7.5'];
    for (const q of questions) {
      const r = engine.answer(q);
      if (r.abstained) continue;
      assert.equal(skeletonKey(r.sql), skeletonKey(r.pair.sql), q);
    }
  });
});

describe('extracting SQL from a model reply', () => {
  it('takes the fenced block, keeping assumption comments, without the trailing semicolon', () => {
    assert.equal(extractSql('Here you go:\n```sql\n-- assumption: top means revenue\nselect 1;\n```\nHope it helps'), '-- assumption: top means revenue\nselect 1');
  });
  it('takes bare SQL, and refuses prose', () => {
    assert.equal(extractSql('SELECT a FROM t'), 'SELECT a FROM t');
    assert.equal(extractSql('I cannot answer that from this schema.'), undefined);
    assert.equal(extractSql('```\nwith x as (select 1) select * from x\n```'), 'with x as (select 1) select * from x');
  });
});

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
