import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { OllamaClient, OllamaError, resolveOllamaHost } from '../../src/adapters/ollama';
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
