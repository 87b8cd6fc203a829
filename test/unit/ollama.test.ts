import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { OllamaClient, OllamaError, resolveOllamaHost } from '../../src/adapters/ollama';
import { answerQuestion, type QueryRunner } from '../../src/core/answer/answer';
import { buildAskContext } from '../../src/core/answer/askContext';
import { ExecutionError, type ExecutionErrorClass } from '../../src/core/execution/errors';
import type { IndexedRelation } from '../../src/core/index/workspaceIndex';
import type { Pair } from '../../src/core/pairs/pairStore';
import { FakeOllama } from '../support/fakeOllama';
import { tempDir } from '../support/tempDir';

/**
 * Our Ollama client against a fake of Ollama's HTTP API on loopback. The tests that need no
 * scripted misbehaviour also run against a real Ollama when OLLAMA_HOST reaches one (with
 * OLLAMA_TEST_MODEL, default qwen2.5-coder:1.5b, pulled there).
 */
async function realOllama(): Promise<string | undefined> {
  if (!process.env.OLLAMA_HOST) return undefined;
  const host = resolveOllamaHost(undefined);
  try {
    const r = await fetch(`${host}/api/version`, { signal: AbortSignal.timeout(1500) });
    return r.ok ? host : undefined;
  } catch {
    return undefined;
  }
}

const MODEL = process.env.OLLAMA_TEST_MODEL ?? 'qwen2.5-coder:1.5b';

describe('Ollama client: behaviour any Ollama shows', () => {
  const targets: Array<{ name: string; host: () => Promise<string | undefined>; stop?: () => Promise<void> }> = [];
  const fake = new FakeOllama({ models: [MODEL], reply: () => ({ content: '```sql\nselect 42 as answer\n```', chunkDelayMs: 1 }) });
  targets.push({ name: 'fake server', host: () => fake.start() });
  targets.push({ name: 'real Ollama (OLLAMA_HOST)', host: realOllama });
  after(() => fake.stop());

  for (const target of targets) {
    describe(target.name, () => {
      let host: string | undefined;
      before(async function () {
        host = await target.host();
        if (!host) this.skip();
      });

      it('reports the server reachable and whether the model is pulled', async () => {
        const status = await new OllamaClient({ host: host!, model: MODEL }).status();
        assert.equal(status.reachable, true);
        assert.ok(status.version);
        assert.equal(status.modelPulled, true);
        const missing = await new OllamaClient({ host: host!, model: 'askdata-no-such-model:0b' }).status();
        assert.equal(missing.modelPulled, false);
        assert.match(missing.problem!, /ollama pull askdata-no-such-model:0b/);
      });

      it('streams a chat answer token by token, to the done line', async function () {
        this.timeout(120_000);
        const tokens: string[] = [];
        const text = await new OllamaClient({ host: host!, model: MODEL }).chat([{ role: 'user', content: 'Write SQL that selects the number 42 as answer.' }], { onToken: (t) => tokens.push(t) });
        assert.ok(tokens.length > 1, 'more than one chunk');
        assert.equal(tokens.join(''), text);
        assert.match(text, /select/i);
      });

      it('explains a model that is not pulled, with the pull command', async () => {
        await assert.rejects(new OllamaClient({ host: host!, model: 'askdata-no-such-model:0b' }).chat([{ role: 'user', content: 'hi' }]), (e: OllamaError) => e.kind === 'model-missing' && /ollama pull askdata-no-such-model:0b/.test(e.message));
      });

      it('stops when aborted', async () => {
        const controller = new AbortController();
        const chat = new OllamaClient({ host: host!, model: MODEL }).chat([{ role: 'user', content: 'Count slowly from 1 to 500.' }], { signal: controller.signal });
        setTimeout(() => controller.abort(), 5);
        await assert.rejects(chat, (e: OllamaError) => e.kind === 'aborted');
      });

      it('builds a model from the base with a system prompt, messages and parameters, lists it, and removes it', async function () {
        this.timeout(120_000);
        const client = new OllamaClient({ host: host!, model: MODEL });
        const name = `askdata-client-test:${Date.now().toString(36)}`;
        const steps: string[] = [];
        await client.create({ model: name, from: MODEL, system: 'You write SQL.', messages: [{ role: 'user', content: 'How many customers?' }, { role: 'assistant', content: '```sql\nselect count(*) from customers\n```' }], parameters: { temperature: 0, num_ctx: 4096 } }, (s) => steps.push(s));
        assert.equal(steps.at(-1), 'success');
        assert.ok((await client.list()).includes(name));
        assert.equal((await client.info(name)).family, (await client.info(MODEL)).family);
        await client.remove(name);
        assert.ok(!(await client.list()).includes(name));
      });

      it('uploads a blob once: the second time the server already has it', async () => {
        const file = path.join(await tempDir(), 'blob.bin');
        await fs.writeFile(file, `askdata blob test ${Date.now()}\n`.repeat(1000));
        const client = new OllamaClient({ host: host!, model: MODEL });
        const first = await client.uploadBlob(file);
        assert.equal(first.uploaded, true);
        assert.match(first.digest, /^sha256:[0-9a-f]{64}$/);
        assert.deepEqual(await client.uploadBlob(file), { digest: first.digest, uploaded: false });
      });
    });
  }
});

describe('Ollama client: failures the fake server plays', () => {
  let fake: FakeOllama;
  let client: OllamaClient;
  beforeEach(async () => {
    fake = new FakeOllama({ pullable: ['qwen2.5-coder:7b'] });
    client = new OllamaClient({ host: await fake.start(), model: 'qwen2.5-coder:1.5b', numCtx: 4096, keepAlive: '10m', seed: 7 });
  });
  afterEach(() => fake.stop());

  it('asks deterministically: temperature 0, a fixed seed, explicit num_ctx, keep_alive, streaming', async () => {
    await client.chat([{ role: 'user', content: 'q' }]);
    const body = fake.calls('/api/chat')[0]!.body!;
    assert.equal(body.stream, true);
    assert.equal(body.keep_alive, '10m');
    assert.deepEqual(body.options, { temperature: 0, seed: 7, num_ctx: 4096 });
  });

  it('says how to start Ollama when nothing listens', async () => {
    const down = new OllamaClient({ host: 'http://127.0.0.1:9', model: 'm' });
    await assert.rejects(down.chat([{ role: 'user', content: 'q' }]), (e: OllamaError) => e.kind === 'unreachable' && /ollama serve/.test(e.message));
    const status = await down.status();
    assert.equal(status.reachable, false);
    assert.match(status.problem!, /not running at http:\/\/127\.0\.0\.1:9/);
  });

  it('reports an {"error"} line in the middle of a stream, after the tokens already shown', async () => {
    fake.reply = () => ({ content: 'select 1 from', errorMidStream: 'llama runner process has terminated: signal: killed' });
    const tokens: string[] = [];
    await assert.rejects(client.chat([{ role: 'user', content: 'q' }], { onToken: (t) => tokens.push(t) }), (e: OllamaError) => e.kind === 'stream' && /llama runner process has terminated/.test(e.message));
    assert.equal(tokens.join(''), 'select 1 from');
  });

  it('reports a stream that ends without its done line', async () => {
    fake.reply = () => ({ content: 'select 1', dropAfterContent: true });
    await assert.rejects(client.chat([{ role: 'user', content: 'q' }]), (e: OllamaError) => e.kind === 'stream');
  });

  it('aborts while waiting for a slow first byte', async () => {
    fake.reply = () => ({ content: 'select 1', delayMs: 5000 });
    const started = Date.now();
    await assert.rejects(client.chat([{ role: 'user', content: 'q' }], { signal: AbortSignal.timeout(100) }), (e: OllamaError) => e.kind === 'aborted' && /did not answer in time/.test(e.message));
    assert.ok(Date.now() - started < 4000, 'the abort did not wait for the server');
  });

  it('refuses a prompt longer than the context instead of letting Ollama cut the schema off', async () => {
    await assert.rejects(client.chat([{ role: 'system', content: 'x'.repeat(20_000) }, { role: 'user', content: 'q' }]), (e: OllamaError) => e.kind === 'prompt-too-long' && /num_ctx/.test(e.message));
    assert.equal(fake.calls('/api/chat').length, 0);
  });

  it('pulls a model with progress, after which it is listed', async () => {
    const bigger = new OllamaClient({ host: fake.url, model: 'qwen2.5-coder:7b' });
    assert.equal((await bigger.status()).modelPulled, false);
    const progress: Array<{ status: string; fraction?: number }> = [];
    await bigger.pull((p) => progress.push(p));
    const fractions = progress.flatMap((p) => (p.fraction === undefined ? [] : [p.fraction]));
    assert.deepEqual(fractions, [...fractions].sort((a, b) => a - b));
    assert.equal(fractions.at(-1), 1);
    assert.equal(progress.at(-1)!.status, 'success');
    assert.equal((await bigger.status()).modelPulled, true);
    await assert.rejects(new OllamaClient({ host: fake.url, model: 'nope:1b' }).pull(() => undefined), /file does not exist/);
  });

  it('warms the model up with an empty prompt that keeps it loaded', async () => {
    await client.warmUp();
    assert.deepEqual(fake.calls('/api/generate')[0]!.body, { model: 'qwen2.5-coder:1.5b', prompt: '', keep_alive: '10m', stream: false });
  });

  it('caches embeddings by text', async () => {
    const [a] = await client.embed(['top customers']);
    const [b, c] = await client.embed(['top customers', 'sales last month']);
    assert.deepEqual(a, b);
    assert.notDeepEqual(b, c);
    assert.deepEqual(fake.calls('/api/embed').map((r) => r.body!.input), [['top customers'], ['sales last month']]);
  });
});

describe('answering with a model: repair, feedback and fallback', () => {
  const relations = [{ key: 'orders', kind: 'table', name: 'orders', from: 'database', columns: [{ name: 'order_id' }, { name: 'amount' }, { name: 'status', values: ['placed', 'returned'] }] }] as IndexedRelation[];
  const approved = (id: string, question: string, sql: string): Pair => ({ id, path: `/p/askdata/pairs/${id}.yml`, question, sql, status: 'approved', tags: [], tables: ['orders'], history: [], data: { question, sql, status: 'approved', approved: { by: 'A <a@b.c>', at: '2026-11-01T00:00:00Z' } } });
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
