import * as assert from 'node:assert/strict';
import { answerQuestion, type QueryRunner } from '../../src/core/answer/answer';
import { buildAskContext } from '../../src/core/answer/askContext';
import { ExecutionError, type ExecutionErrorClass } from '../../src/core/execution/errors';
import type { IndexedRelation } from '../../src/core/index/workspaceIndex';
import { OllamaClient } from '../../src/adapters/ollama';
import { FakeOllama } from '../support/fakeOllama';
import { approvedPair } from '../support/pairs';

// The answer pipeline (core/answer/answer.ts) on its own: a question, a grounding context, a
// runner that plays the guarded engine, and a model played by the fake Ollama.
describe('answering with a model: repair, feedback and fallback', () => {
  const relations = [{ key: 'orders', kind: 'table', name: 'orders', from: 'database', columns: [{ name: 'order_id' }, { name: 'amount' }, { name: 'status', values: ['placed', 'returned'] }] }] as IndexedRelation[];
  const approved = (id: string, question: string, sql: string) => approvedPair({ id, question, sql, tables: ['orders'] });
  const context = buildAskContext({
    projectRoot: '/p',
    pairs: [approved('revenue', 'What is our total revenue?', "select sum(amount) as revenue from orders where status = 'placed'"), approved('returns', 'How many orders were returned?', "select count(*) from orders where status = 'returned'")],
    relations,
    joins: [],
    dialect: 'duckdb',
  });
  // A stand-in for the guarded engine: it knows one table and raises the engine's error classes.
  const run: QueryRunner = async (sql) => {
    if (/\bprice\b/.test(sql)) throw new ExecutionError('unknown-column', 'Column price does not exist on orders; did you mean amount?', 'unknown column price (did you mean amount?)');
    if (/\bcustomers\b/.test(sql)) throw new ExecutionError('permission-denied', 'You may not read customers.', 'permission denied: customers');
    return { columns: [{ name: 'x', type: 'INTEGER' }], rows: [[1]], rowCount: 1, capped: false };
  };
  let fake: FakeOllama;
  let model: OllamaClient;
  beforeEach(async () => {
    fake = new FakeOllama();
    model = new OllamaClient({ host: await fake.start(), model: 'qwen2.5-coder:1.5b' });
  });
  afterEach(() => fake.stop());

  it('grounds the prompt in the schema, rules and examples, and keeps stated assumptions', async () => {
    fake.reply = () => ({ content: 'Sure.\n```sql\n-- assumption: average means mean per order\nselect avg(amount) from orders\n```' });
    const a = await answerQuestion('What is the average order amount?', context, run, { engine: 'auto', model });
    assert.equal(a.source, 'model');
    assert.equal(a.model, 'qwen2.5-coder:1.5b');
    assert.deepEqual(a.assumptions, ['average means mean per order']);
    const messages = fake.calls('/api/chat')[0]!.body!.messages as Array<{ role: string; content: string }>;
    assert.equal(messages[0]!.role, 'system');
    assert.match(messages[0]!.content, /CREATE TABLE orders/);
    assert.match(messages[0]!.content, /values: 'placed', 'returned'/);
    assert.ok(messages.some((m) => m.role === 'assistant' && /sum\(amount\)/.test(m.content)), 'an approved pair as a few-shot example');
    assert.deepEqual(messages.at(-1), { role: 'user', content: 'What is the average order amount?' });
  });

  it('repairs from the error class and message, at most twice', async () => {
    let n = 0;
    fake.reply = () => ({ content: n++ === 0 ? '```sql\nselect avg(price) from orders\n```' : '```sql\nselect avg(amount) from orders\n```' });
    const a = await answerQuestion('Average order price?', context, run, { engine: 'ollama', model });
    assert.equal(a.error, null);
    assert.deepEqual(a.attempts.map((t) => t.error?.class ?? 'ok'), ['unknown-column', 'ok']);
    const second = fake.calls('/api/chat')[1]!.body!.messages as Array<{ content: string }>;
    assert.match(second.at(-1)!.content, /failed \(unknown-column\): unknown column price \(did you mean amount\?\)/);

    fake.reply = () => ({ content: 'I am not sure what you mean.' });
    const b = await answerQuestion('Average order price?', context, run, { engine: 'ollama', model });
    assert.equal(b.attempts.length, 3);
    assert.equal(b.error!.class, 'no-sql');
  });

  it('does not try to repair around an access policy', async () => {
    fake.reply = () => ({ content: '```sql\nselect * from customers\n```' });
    const a = await answerQuestion('List customers', context, run, { engine: 'ollama', model });
    assert.equal(a.error!.class, 'permission-denied');
    assert.equal(fake.calls('/api/chat').length, 1);
  });

  it('repairs only the errors a rewrite can fix, by their class', async () => {
    // Never repaired: a policy (repairing would work around it), nothing to run on, a stopped or
    // too slow query (a faster one asks something else), a broken database.
    const expected: Array<[ExecutionErrorClass, boolean]> = [
      ['syntax', true], ['unknown-table', true], ['unknown-column', true], ['not-read-only', true], ['runtime', true],
      ['permission-denied', false], ['timeout', false], ['cancelled', false], ['database-missing', false], ['database-locked', false], ['database-corrupt', false], ['not-run', false],
    ];
    for (const [errorClass, repaired] of expected) {
      const broken: QueryRunner = async (sql) => {
        if (/broken/.test(sql)) throw new ExecutionError(errorClass, `failed with ${errorClass}`);
        return { columns: [{ name: 'x', type: 'INTEGER' }], rows: [[1]], rowCount: 1, capped: false };
      };
      const before = fake.calls('/api/chat').length;
      let n = 0;
      fake.reply = () => ({ content: n++ === 0 ? '```sql\nselect broken from orders\n```' : '```sql\nselect amount from orders\n```' });
      const a = await answerQuestion('Amounts?', context, broken, { engine: 'ollama', model });
      assert.equal(fake.calls('/api/chat').length - before, repaired ? 2 : 1, errorClass);
      assert.equal(a.error?.class ?? null, repaired ? null : errorClass, errorClass);
    }
  });

  it('says a question stopped while the model writes is cancelled — by its signal — and neither repairs nor falls back to recall', async () => {
    const controller = new AbortController();
    fake.reply = () => ({ content: '```sql\nselect count(*) from orders where status = \'placed\'\n```', chunkDelayMs: 30 });
    // Recall has a near pair for this question: a model that failed would fall back to it.
    const a = await answerQuestion('How many orders were placed?', context, run, { engine: 'auto', model, signal: controller.signal, onToken: () => controller.abort() });
    assert.equal(a.error?.class, 'cancelled');
    assert.equal(a.source, 'model');
    assert.equal(a.result, null);
    assert.equal(fake.calls('/api/chat').length, 1);
  });

  it('says a query stopped while it runs is cancelled, whatever error the engine raised, and does not repair it', async () => {
    const controller = new AbortController();
    fake.reply = () => ({ content: '```sql\nselect avg(amount) from orders\n```' });
    const interrupted: QueryRunner = async () => {
      controller.abort();
      throw new ExecutionError('runtime', 'INTERRUPT Error: Interrupted!');
    };
    const a = await answerQuestion('Average order amount?', context, interrupted, { engine: 'ollama', model, signal: controller.signal });
    assert.equal(a.error?.class, 'cancelled');
    assert.equal(a.sql, 'select avg(amount) from orders');
    assert.equal(fake.calls('/api/chat').length, 1);
  });

  it('regenerates from feedback with the previous SQL and the shape of its result', async () => {
    await answerQuestion('What is our total revenue?', context, run, {
      engine: 'ollama',
      model,
      turns: [{ kind: 'feedback', sql: 'select sum(amount) from orders', shape: { columns: ['sum'], rows: 1 }, text: 'only placed orders count' }],
    });
    const messages = fake.calls('/api/chat')[0]!.body!.messages as Array<{ role: string; content: string }>;
    assert.deepEqual(messages.slice(-2), [
      { role: 'assistant', content: '```sql\nselect sum(amount) from orders\n```' },
      { role: 'user', content: 'It returned 1 row with columns sum. That is not quite right: only placed orders count\nWrite the corrected query for the same question.' },
    ]);
  });

  it('reuses an approved SQL for a near-identical question without asking the model', async () => {
    const a = await answerQuestion('What is our total revenue?', context, run, { engine: 'auto', model });
    assert.equal(a.source, 'recall');
    assert.equal(a.pair!.file, 'askdata/pairs/revenue.yml');
    assert.equal(fake.calls('/api/chat').length, 0);
  });

  it('falls back to recall, saying why, when the model fails mid-answer', async () => {
    fake.reply = () => ({ content: 'select', errorMidStream: 'out of memory' });
    // Not the approved question itself (a value differs), so the model is asked first.
    const a = await answerQuestion('How many orders were placed?', context, run, { engine: 'auto', model, samples: 1 });
    assert.equal(fake.calls('/api/chat').length > 0, true);
    assert.equal(a.source, 'recall');
    assert.match(a.reason!, /out of memory/);
    assert.equal(a.pair!.id, 'returns');
    assert.match(a.sql!, /status = 'placed'/);
  });

  it('votes between samples by result when asked for self-consistency', async () => {
    fake.reply = (req) => ({ content: req.options?.seed === 1 ? '```sql\nselect avg(price) from orders\n```' : '```sql\nselect avg(amount) from orders\n```' });
    const a = await answerQuestion('Average amount per order?', context, run, { engine: 'ollama', model, samples: 3 });
    assert.equal(fake.calls('/api/chat').length, 3);
    assert.equal(a.sql, 'select avg(amount) from orders');
    assert.deepEqual(fake.calls('/api/chat').map((c) => (c.body!.options as { temperature: number }).temperature), [0, 0.7, 0.7]);
  });
});
