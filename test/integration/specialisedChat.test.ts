import * as assert from 'node:assert/strict';
import { OllamaClient, OllamaError } from '../../src/adapters/ollama';
import { buildChat, fence, forBuiltIn } from '../../src/core/answer/prompt';
import { estimateTokens, type Grounding } from '../../src/core/grounding/grounding';
import { assembleChat, FakeOllama } from '../support/fakeOllama';

const BASE = 'qwen2.5-coder:1.5b';
const pair = (i: number) => ({ question: `How many orders came from channel ${i}?`, sql: `select count(*) from orders where channel = 'c${i}'` });
const builtInMessages = [0, 1, 2, 3].flatMap((i) => [{ role: 'user' as const, content: pair(i).question }, { role: 'assistant' as const, content: fence(pair(i).sql) }]);
const SYSTEM = 'You write DuckDB SQL for the shop.\n## Schema\nCREATE TABLE orders (order_id INTEGER, channel VARCHAR, amount DECIMAL);';

function grounding(examples: Array<{ question: string; sql: string }>): Grounding {
  return {
    question: 'q', dialect: 'duckdb', tables: [], tablesAvailable: 1, hidden: { tables: 0, columns: 0 }, joins: [],
    examples: examples.map((e, i) => ({ id: `p${i}`, file: `p${i}.yml`, ...e, score: 1, questionScore: 1, structureScore: 1, skeletonScore: 1 })),
    rules: '', dialectNotes: [], schema: 'CREATE TABLE orders (order_id INTEGER, channel VARCHAR);', tokens: { schema: 0, rules: 0, examples: 0, total: 0, budget: 3000 },
  };
}

describe('the fake server assembles a chat as Ollama does', () => {
  const created = { from: BASE, family: 'qwen2', system: SYSTEM, messages: builtInMessages, parameters: { num_ctx: 4096 } };

  it("puts the model's messages first and prepends its system only when the request has none first", () => {
    const withoutSystem = assembleChat('m', created, [{ role: 'user', content: 'How many orders?' }]);
    assert.equal(withoutSystem.system, SYSTEM);
    assert.equal(withoutSystem.modelSystemDropped, false);
    assert.deepEqual(withoutSystem.messages.slice(0, 2), builtInMessages.slice(0, 2));
    assert.equal(withoutSystem.messages.at(-1)!.content, 'How many orders?');
    const withSystem = assembleChat('m', created, [{ role: 'system', content: 'Per-question rules.' }, { role: 'user', content: 'How many orders?' }]);
    assert.equal(withSystem.system, 'Per-question rules.');
    assert.equal(withSystem.modelSystemDropped, true);
  });

  it('joins every system message, merges consecutive turns of one role, and drops the oldest messages silently past num_ctx', () => {
    const joined = assembleChat('m', undefined, [{ role: 'system', content: 'a' }, { role: 'user', content: 'u1' }, { role: 'system', content: 'b' }, { role: 'user', content: 'u2' }]);
    assert.equal(joined.system, 'a\n\nb');
    assert.deepEqual(joined.messages, [{ role: 'user', content: 'u1\n\nu2' }]);
    const long = 'x'.repeat(2000);
    const cut = assembleChat('m', { ...created, parameters: { num_ctx: 600 } }, [{ role: 'user', content: `${long} the question` }]);
    assert.ok(cut.dropped > 0, 'built-in examples dropped');
    assert.equal(cut.system, SYSTEM, 'system messages survive truncation');
    assert.equal(cut.messages.at(-1)!.content, `${long} the question`, 'the last message is always kept');
    assert.ok(cut.promptTokens <= 600);
  });
});

describe('what Ask Data sends a specialised model', () => {
  let fake: FakeOllama;
  let host: string;
  before(async () => {
    fake = new FakeOllama();
    host = await fake.start();
  });
  after(() => fake.stop());

  it('fits it: no example sent twice, its system kept, the whole chat within num_ctx', async () => {
    const base = new OllamaClient({ host, model: BASE, numCtx: 4096 });
    await base.create({ model: 'askdata-shop:abc', from: BASE, system: SYSTEM, messages: builtInMessages, parameters: { temperature: 0, num_ctx: 4096, seed: 1 } }, () => undefined);
    const model = base.withModel('askdata-shop:abc');
    // Grounding picks two examples the model already carries and one it does not.
    const messages = buildChat(grounding([pair(1), pair(7), pair(2)]), 'How many orders came from channel 9?');
    await model.chat(messages);
    const seen = fake.chats.at(-1)!;
    const examples = seen.messages.filter((m) => m.role === 'user').map((m) => m.content);
    assert.equal(new Set(examples).size, examples.length, `an example twice: ${examples.join(' | ')}`);
    assert.ok(examples.includes(pair(7).question), 'the example the model does not carry is sent');
    assert.ok(seen.system.startsWith(SYSTEM), "the model's own system prompt is kept");
    assert.match(seen.system, /CREATE TABLE orders \(order_id INTEGER, channel VARCHAR\);/);
    assert.equal(seen.dropped, 0);
    assert.ok(seen.promptTokens <= seen.numCtx, `${seen.promptTokens} tokens in ${seen.numCtx}`);
    assert.equal(seen.messages.at(-1)!.content, 'How many orders came from channel 9?');
  });

  it('counts the built-in messages before the prompt-length check: refused rather than cut', async () => {
    const base = new OllamaClient({ host, model: BASE, numCtx: 2048 });
    const many = Array.from({ length: 60 }, (_, i) => pair(100 + i)).flatMap((p) => [{ role: 'user' as const, content: p.question }, { role: 'assistant' as const, content: fence(p.sql) }]);
    await base.create({ model: 'askdata-shop:big', from: BASE, system: SYSTEM, messages: many, parameters: { temperature: 0, num_ctx: 2048, seed: 1 } }, () => undefined);
    const request = buildChat(grounding([pair(1)]), 'How many orders?');
    const own = request.reduce((s, m) => s + estimateTokens(m.content) + 4, 0);
    assert.ok(own < 2048 * 0.9, 'the request alone would pass');
    const before = fake.chats.length;
    await assert.rejects(base.withModel('askdata-shop:big').chat(request), (e) => e instanceof OllamaError && e.kind === 'prompt-too-long');
    assert.equal(fake.chats.length, before, 'nothing was sent to be truncated silently');
    const fitted = forBuiltIn(request, { system: SYSTEM, messages: many }, estimateTokens);
    assert.ok(fitted.tokens > 2048 * 0.9);
  });
});
