import * as assert from 'node:assert/strict';
import { extractSql } from '../../src/core/answer/prompt';
import { adaptSql } from '../../src/core/recall/adapt';
import { questionLiterals } from '../../src/core/recall/questionText';
import { RecallEngine } from '../../src/core/recall/recall';
import { skeletonKey } from '../../src/core/sql/skeleton';



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

