import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { answeringModel, augmentProject, evaluateProject, exportTrainingData, importAdapter, readLearningRecords, trainProject } from '../../src/usecases/learning';
import { NodePairFiles } from '../../src/adapters/nodePairFiles';
import { OllamaClient, OllamaError } from '../../src/adapters/ollama';
import { main } from '../../src/cli/main';
import { kFolds, promotion, promotionDecision, versionReport, type CaseResult } from '../../src/core/learning/evaluation';
import { adapterFacts, GgufError, readGgufHeader } from '../../src/core/learning/gguf';
import { huggingFaceBase } from '../../src/core/learning/lora';
import { learningCurve, promotedModel } from '../../src/core/learning/records';
import { selectRepresentative, supersededModels, type LearningPair } from '../../src/core/learning/training';
import { PairStore } from '../../src/core/pairs/pairStore';
import { evaluationReportHtml } from '../../src/host/evaluationReportHtml';
import { FakeOllama } from '../support/fakeOllama';
import { writeGguf } from '../support/gguf';
import { sampleWithDatabase } from '../support/sampleDb';
import { tempDir } from '../support/tempDir';

const BASE = 'qwen2.5-coder:1.5b';

async function sampleCopy(): Promise<string> {
  const { project: built } = await sampleWithDatabase();
  const project = path.join(await tempDir('askdata-learning-'), 'shop');
  await fs.cp(built, project, { recursive: true });
  return project;
}

/** Every question of the sample's pairs → its SQL: a fake model that answers what it is asked correctly. */
async function oracle(project: string): Promise<Map<string, string>> {
  const store = new PairStore(project, new NodePairFiles());
  await store.load();
  return new Map(store.pairs.map((p) => [p.question, p.sql]));
}

const lastUser = (messages: Array<{ role: string; content: string }>) => [...messages].reverse().find((m) => m.role === 'user')!.content;
const fenced = (sql: string) => `\`\`\`sql\n${sql}\n\`\`\``;

describe('learning: Ollama model building against the fake server', function () {
  this.timeout(60_000);
  const fake = new FakeOllama({ models: [BASE, 'gemma3:1b'] });
  let host = '';
  before(async () => (host = await fake.start()));
  after(() => fake.stop());
  beforeEach(() => (fake.requests.length = 0));

  it('creates a model with exactly the recipe it is given, streaming the status lines', async () => {
    const client = new OllamaClient({ host, model: BASE });
    const steps: string[] = [];
    const recipe = { model: 'askdata-t:abc', from: BASE, system: 'You write SQL.', messages: [{ role: 'user' as const, content: 'q' }, { role: 'assistant' as const, content: fenced('select 1') }], parameters: { temperature: 0, num_ctx: 8192, seed: 42 } };
    await client.create(recipe, (s) => steps.push(s));
    const [call] = fake.calls('/api/create');
    assert.deepEqual(call!.body, { ...recipe, stream: true });
    assert.equal(steps.at(0), `using existing layer sha256:${createHash('sha256').update(BASE).digest('hex')}`);
    assert.deepEqual(steps.slice(-2), ['writing manifest', 'success']);
    assert.ok(fake.models.has('askdata-t:abc'));
    await client.remove('askdata-t:abc');
    assert.equal(fake.calls('/api/delete')[0]!.method, 'DELETE');
    assert.ok(!fake.models.has('askdata-t:abc'));
    await client.remove('askdata-t:abc'); // already gone: not an error
  });

  it('reports a base model the server does not have, and a refused adapter, in Ollama\'s words', async () => {
    const client = new OllamaClient({ host, model: BASE });
    await assert.rejects(client.create({ model: 'x:1', from: 'nope:1b' }, () => undefined), (e: OllamaError) => /could not build x:1: pull model manifest: file does not exist/.test(e.message));
    const digest = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(client.create({ model: 'x:2', from: BASE, adapters: { 'a.gguf': digest } }, () => undefined), (e: OllamaError) => e.message.includes(`open ${digest}: no such file or directory`));
    fake.blobs.set(digest, 1);
    await assert.rejects(client.create({ model: 'x:3', from: 'gemma3:1b', adapters: { 'a.gguf': digest } }, () => undefined), (e: OllamaError) => /could not build x:3: gemma3 models do not support adapters/.test(e.message));
  });

  it('uploads a blob with HEAD then a streamed POST under its digest, and not again once the server has it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'adapter.gguf');
    await writeGguf(file, { 'general.type': 'adapter', 'general.architecture': 'qwen2' }, 3 * 1024 * 1024);
    const bytes = await fs.readFile(file);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const client = new OllamaClient({ host, model: BASE });
    const progress: number[] = [];
    const first = await client.uploadBlob(file, (sent) => progress.push(sent));
    assert.deepEqual(first, { digest, uploaded: true });
    assert.deepEqual(fake.requests.map((r) => `${r.method} ${r.path}`), [`HEAD /api/blobs/${digest}`, `POST /api/blobs/${digest}`]);
    assert.deepEqual(fake.requests[1]!.upload, { bytes: bytes.length, digest, contentLength: String(bytes.length) });
    assert.ok(progress.length > 1, 'progress while streaming');
    assert.equal(progress.at(-1), bytes.length);
    fake.requests.length = 0;
    assert.deepEqual(await client.uploadBlob(file), { digest, uploaded: false });
    assert.deepEqual(fake.requests.map((r) => r.method), ['HEAD']);
  });
});

describe('learning: pure parts', () => {
  const pair = (id: string, sql: string, tags: string[], approvedAt = '2026-11-01T00:00:00Z'): LearningPair => ({ id, file: `askdata/pairs/${id}.yml`, question: `question ${id}`, sql, tags, approvedAt });

  it('selects pairs that cover tables, tags and query shapes before near-duplicates, within the budget', () => {
    const pairs = [
      pair('rev-1', 'select sum(amount) from orders where month = 1', ['time-series'], '2026-11-10T00:00:00Z'),
      pair('rev-2', 'select sum(amount) from orders where month = 2', ['time-series'], '2026-11-11T00:00:00Z'),
      pair('rev-3', 'select sum(amount) from orders where month = 3', ['time-series'], '2026-11-12T00:00:00Z'),
      pair('returns', 'select category, avg(returned) from order_items join products using (product_id) group by 1', ['ratio']),
      pair('spend', 'select channel, sum(spend) from marketing_daily group by channel', ['categories']),
    ];
    const { chosen, left } = selectRepresentative(pairs, 3 * 40);
    assert.deepEqual(chosen.map((p) => p.id).sort(), ['returns', 'rev-3', 'spend']);
    assert.deepEqual(left.map((p) => p.id), ['rev-1', 'rev-2']);
    assert.equal(selectRepresentative(pairs, 10_000).chosen.length, 5);
  });

  it('deals folds deterministically, each pair in exactly one', () => {
    const pairs = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}` }));
    const folds = kFolds(pairs, 5);
    assert.equal(folds.length, 5);
    assert.deepEqual(folds.flat().map((p) => p.id).sort(), pairs.map((p) => p.id).sort());
    assert.deepEqual(kFolds([...pairs].reverse(), 5), folds);
    assert.equal(kFolds(pairs.slice(0, 3), 5).length, 3);
  });

  it('promotes a candidate that is not worse, and scores per tag', () => {
    const c = (pair: string, version: string, ok: boolean, tags = ['ranking']): CaseResult => ({ pair, tags, fold: 0, version, status: ok ? 'correct' : 'wrong-result', spider: ok, bird: ok, sql: 'select 1' });
    const cases = [c('a', 'base', true), c('b', 'base', false, ['ratio']), c('a', 'spec', true), c('b', 'spec', true, ['ratio'])];
    const base = versionReport('base', 'base', cases);
    const spec = versionReport('spec', 'specialised', cases);
    assert.deepEqual(base.perTag, { ranking: { cases: 1, spider: 1, bird: 1, accuracy: 1 }, ratio: { cases: 1, spider: 0, bird: 0, accuracy: 0 } });
    assert.equal(promotion(base, spec).promote, true);
    assert.equal(promotion(spec, base).promote, false);
    assert.match(promotion(spec, base).reason, /worse than spec 100\.0% \(2\/2\)/);
  });

  it('decides whom a candidate is judged against: the current model, or the base model when the candidate rebuilds it', () => {
    const c = (pair: string, version: string, ok: boolean): CaseResult => ({ pair, tags: [], fold: 0, version, status: ok ? 'correct' : 'wrong-result', spider: ok, bird: ok, sql: 'select 1' });
    const cases = [c('a', 'base', true), c('b', 'base', false), c('a', 'specialised', true), c('b', 'specialised', true), c('a', 'adapter', true), c('b', 'adapter', true)];
    const reports = [versionReport('base', 'base', cases), versionReport('specialised', 'specialised', cases), versionReport('adapter', 'adapter', cases)];
    const first = promotionDecision(reports, { candidate: 'specialised', current: 'base', strict: false })!;
    assert.deepEqual([first.incumbent.version, first.promote], ['base', true]);
    // A specialised model answers already: its rebuild cannot be told from it by folds, so it is judged against the base model.
    const rebuild = promotionDecision(reports, { candidate: 'specialised', current: 'specialised', strict: false })!;
    assert.deepEqual([rebuild.incumbent.version, rebuild.promote], ['base', true]);
    // An adapter only as good as the specialised model is not used.
    const adapter = promotionDecision(reports, { candidate: 'adapter', current: 'specialised', strict: true })!;
    assert.deepEqual([adapter.incumbent.version, adapter.promote], ['specialised', false]);
    assert.match(adapter.reason, /is no better than specialised .* An adapter is used only when it is better\./);
    assert.equal(promotionDecision(reports.slice(0, 1), { candidate: 'specialised', current: 'base', strict: false }), undefined, 'nothing to decide without the candidate');
  });

  it('reads an adapter\'s GGUF header, and refuses what is not GGUF', async () => {
    const file = path.join(await tempDir(), 'a.gguf');
    await writeGguf(file, { 'general.type': 'adapter', 'general.architecture': 'qwen2', 'adapter.type': 'lora', 'adapter.lora.alpha': 32 });
    const info = readGgufHeader(await fs.readFile(file));
    assert.equal(info.version, 3);
    assert.equal(info.metadata.get('adapter.lora.alpha'), 32);
    assert.deepEqual(adapterFacts(info), { isAdapter: true, architecture: 'qwen2', adapterType: 'lora' });
    assert.throws(() => readGgufHeader(Buffer.from('PK\u0003\u0004 not gguf')), GgufError);
    const whole = await fs.readFile(file);
    assert.throws(() => readGgufHeader(whole.subarray(0, 40)), /longer than the 40 bytes/);
  });

  it('names the Hugging Face base of an Ollama model, and the superseded builds of a project', () => {
    assert.equal(huggingFaceBase('qwen2.5-coder:1.5b'), 'Qwen/Qwen2.5-Coder-1.5B-Instruct');
    assert.equal(huggingFaceBase('qwen2.5-coder:0.5b'), 'Qwen/Qwen2.5-Coder-0.5B-Instruct');
    assert.equal(huggingFaceBase('llama3.2:3b'), 'meta-llama/Llama-3.2-3B-Instruct');
    assert.equal(huggingFaceBase('mystery:7b'), undefined);
    assert.deepEqual(supersededModels(['askdata-shop:aaa', 'askdata-shop:bbb', 'askdata-shopping:ccc', BASE], 'shop', ['askdata-shop:bbb']), ['askdata-shop:aaa']);
    assert.equal(answeringModel('askdata-shop:bbb', ['askdata-shop:bbb'], { unrestricted: true }), 'askdata-shop:bbb');
    assert.equal(answeringModel('askdata-shop:bbb', ['askdata-shop:bbb'], { unrestricted: false }), undefined, 'a restricted asker never talks to a model taught what they may not see');
    assert.equal(answeringModel('askdata-shop:bbb', [BASE], { unrestricted: true }), undefined);
  });
});

describe('the evaluation report page', () => {
  it('draws bars and the learning curve with nothing from pairs or models unescaped, and no script', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const cases: CaseResult[] = [
      { pair: `askdata/pairs/${evil}.yml`, tags: [evil], fold: 0, version: 'recall', status: 'correct', spider: true, bird: true, sql: 'select 1' },
      { pair: 'askdata/pairs/b.yml', tags: ['ranking'], fold: 1, version: 'recall', status: 'failed', spider: false, bird: false, sql: 'select x', detail: `unknown-column: ${evil}` },
    ];
    const record = { version: 1 as const, at: '2026-11-21T10:00:00.000Z', approvedPairs: 2, k: 2, versions: [versionReport('recall', 'recall', cases)], cases, decision: { current: 'base', candidate: 'recall', promote: false, reason: evil, model: null } };
    const html = evaluationReportHtml({ project: 'shop', record, file: 'askdata/learning/eval.json', curve: learningCurve({ evaluations: [record, { ...record, at: '2026-11-22T10:00:00.000Z', approvedPairs: 30 }] }), nonce: 'abc', cspSource: 'vscode-resource:' });
    assert.ok(!html.includes('<img'), 'no markup from data');
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(!/<script/i.test(html));
    assert.match(html, /default-src 'none'; style-src 'nonce-abc'/);
    assert.ok(!/ style="/.test(html), 'no inline style attributes, which the CSP would block');
    assert.equal((html.match(/<rect /g) ?? []).length, 3, 'one bar per version for all questions and for each of the two tags');
    assert.match(html, /<polyline [^>]*points="[^"]+ [^"]+"/, 'the curve joins the two evaluations');
    assert.match(html, /50\.0% <span class="muted">1\/2 \(1\)<\/span>/);
  });
});

describe('learning on the sample project, with the fake Ollama', function () {
  this.timeout(120_000);
  let fake: FakeOllama;
  let host = '';
  let project = '';
  let answers: Map<string, string>;
  beforeEach(async () => {
    project = await sampleCopy();
    answers = await oracle(project);
    fake = new FakeOllama({ models: [BASE, 'gemma3:1b'] });
    host = await fake.start();
  });
  afterEach(() => fake.stop());

  it('trains: the exact /api/create request, not rebuilt when unchanged, rebuilt and the old tag removed after an approval', async () => {
    const client = new OllamaClient({ host, model: BASE });
    const first = await trainProject(project, { client, by: 'Erin <erin@shop.example>' });
    assert.match(first.model, /^askdata-shop:[0-9a-f]{12}$/);
    assert.equal(first.built, true);
    assert.equal(first.pairs.length, 19);
    const [create] = fake.calls('/api/create');
    const body = create!.body as { model: string; from: string; system: string; messages: Array<{ role: string; content: string }>; parameters: Record<string, unknown>; stream: boolean };
    assert.deepEqual(Object.keys(body).sort(), ['from', 'messages', 'model', 'parameters', 'stream', 'system']);
    assert.equal(body.model, first.model);
    assert.equal(body.from, BASE);
    assert.deepEqual(body.parameters, { temperature: 0, num_ctx: 8192, seed: 42 });
    assert.match(body.system, /^You write one read-only DuckDB SQL query/);
    assert.match(body.system, /## Schema\nCREATE TABLE /);
    assert.ok(body.system.includes((await fs.readFile(path.join(project, 'askdata', 'rules.md'), 'utf8')).trim().slice(0, 60)), 'rules.md is in the system prompt');
    assert.equal(body.messages.length, 38);
    const top = body.messages.findIndex((m) => m.content === 'Who are my top customers?');
    assert.equal(body.messages[top + 1]!.content, fenced(answers.get('Who are my top customers?')!.trim()));
    assert.ok(!body.messages.some((m) => m.content.includes('How many customers do we have?')), 'a rejected pair is not taught');

    const again = await trainProject(project, { client });
    assert.equal(again.built, false);
    assert.equal(again.model, first.model);
    assert.equal(fake.calls('/api/create').length, 1);

    const store = new PairStore(project, new NodePairFiles());
    await store.load();
    const pending = store.pairs.find((p) => p.status === 'pending')!;
    await store.approve(pending.id, 'Erin <erin@shop.example>');
    const third = await trainProject(project, { client });
    assert.notEqual(third.model, first.model);
    assert.deepEqual(third.removed, [first.model]);
    assert.ok(fake.calls('/api/delete').some((r) => (r.body as { name?: string; model?: string }).name === first.model || (r.body as { model?: string }).model === first.model));
    const records = await readLearningRecords(project);
    assert.deepEqual(records.models.map((m) => m.model), [first.model, third.model]);
    assert.equal(records.problems.length, 0);
  });

  it('evaluates k-fold: no version sees the pair it is tested on; a specialised model that is not worse is promoted and then answers', async () => {
    // The fake answers a question correctly only if the question is among the messages it was given before it.
    fake.reply = ({ messages }) => {
      const q = lastUser(messages);
      const seen = messages.slice(0, -1).some((m) => m.role === 'user' && m.content === q);
      return { content: fenced(seen ? answers.get(q)! : 'select 1 as wrong') };
    };
    const client = new OllamaClient({ host, model: BASE });
    const outcome = await evaluateProject(project, { client, by: 'Erin <erin@shop.example>', k: 4 });
    const { record } = outcome;
    assert.equal(record.k, 4);
    assert.deepEqual(record.versions.map((v) => v.kind), ['recall', 'base', 'specialised']);
    for (const v of record.versions) assert.equal(v.overall.cases, 19);
    // Held out means held out: a version that had seen the pair would have answered it.
    assert.equal(record.versions.find((v) => v.kind === 'specialised')!.overall.spider, 0);
    assert.equal(record.versions.find((v) => v.kind === 'base')!.overall.spider, 0);
    const foldCreates = fake.calls('/api/create').filter((c) => String((c.body as { model: string }).model).startsWith('askdata-eval-shop:'));
    assert.equal(foldCreates.length, 4);
    assert.ok([...fake.models].every((m) => !m.startsWith('askdata-eval-')), 'fold models are removed');
    assert.equal(record.decision!.promote, true, record.decision!.reason);
    assert.match(record.decision!.model!, /^askdata-shop:[0-9a-f]{12}$/);
    assert.ok(fake.models.has(record.decision!.model!));
    const records = await readLearningRecords(project);
    assert.equal(promotedModel(records), record.decision!.model);
    assert.equal(learningCurve(records).length, 1);
    assert.deepEqual(Object.keys(record.versions[2]!.perTag).sort(), ['categories', 'joins', 'kpi', 'period', 'period-comparison', 'ranking', 'ratio', 'time-series']);

    // `askdata ask` now uses the promoted model for an unrestricted asker.
    fake.requests.length = 0;
    let out = '';
    await main(['ask', '--project', project, '--host', host, '--engine', 'ollama', '--as', 'erin@shop.example', '--json', 'Which payment methods do customers use most?'], (s) => (out += s), () => undefined);
    assert.equal(fake.calls('/api/chat')[0]!.body!.model, record.decision!.model);
    assert.equal(JSON.parse(out).model, record.decision!.model);
    // A marketing member (restricted by policies.yml) is answered by the base model.
    fake.requests.length = 0;
    await main(['ask', '--project', project, '--host', host, '--engine', 'ollama', '--as', 'sam.okafor@shop.example', '--json', 'Which payment methods do customers use most?'], () => undefined, () => undefined);
    assert.equal(fake.calls('/api/chat')[0]!.body!.model, BASE);

    // One more approval, evaluated again: the specialised recipe is still no worse than the base
    // model, so a build with today's pairs replaces the old one.
    const store = new PairStore(project, new NodePairFiles());
    await store.load();
    await store.approve(store.pairs.find((p) => p.status === 'pending')!.id, 'Erin <erin@shop.example>');
    const second = await evaluateProject(project, { client, k: 4 });
    assert.equal(second.record.decision!.current, `base ${BASE}`);
    assert.equal(second.record.decision!.promote, true);
    assert.notEqual(second.record.decision!.model, record.decision!.model);
    assert.equal(promotedModel(await readLearningRecords(project)), second.record.decision!.model);
    assert.ok(!fake.models.has(record.decision!.model!), 'the superseded build is removed');
  });

  it('keeps the current model when the candidate is worse', async () => {
    // The base model answers everything; anything built from it answers nothing right.
    fake.reply = ({ model, messages }) => ({ content: fenced(model === BASE ? answers.get(lastUser(messages))! : 'select 1 as wrong') });
    const outcome = await evaluateProject(project, { client: new OllamaClient({ host, model: BASE }), k: 3 });
    const base = outcome.record.versions.find((v) => v.kind === 'base')!;
    assert.equal(base.overall.spider, 19);
    assert.equal(base.overall.bird, 19);
    assert.equal(outcome.record.decision!.promote, false);
    assert.match(outcome.record.decision!.reason, /is worse than base qwen2\.5-coder:1\.5b 100\.0% \(19\/19\)/);
    assert.equal(outcome.record.decision!.model, null);
    assert.ok([...fake.models].every((m) => !m.startsWith('askdata-shop:')), 'nothing was built for promotion');
  });

  it('askdata eval --engine recall reports per-type accuracy without a model', async () => {
    await fake.stop();
    let out = '';
    const code = await main(['eval', '--project', project, '--engine', 'recall', '--host', 'http://127.0.0.1:9', '--json'], (s) => (out += s), () => undefined);
    assert.equal(code, 0);
    const { record, file } = JSON.parse(out);
    assert.equal(record.versions.length, 1);
    assert.equal(record.versions[0].kind, 'recall');
    assert.equal(record.versions[0].overall.cases, 19);
    assert.ok(record.versions[0].perTag.ranking.cases >= 4);
    const stats = record.cases.reduce((m: Record<string, number>, c: CaseResult) => ({ ...m, [c.status]: (m[c.status] ?? 0) + 1 }), {});
    assert.equal(Object.values(stats).reduce((a, b) => (a as number) + (b as number), 0), 19);
    assert.ok(await fs.stat(path.join(project, file)));
    let text = '';
    await main(['eval', '--project', project, '--engine', 'recall', '--host', 'http://127.0.0.1:9'], (s) => (text += s), () => undefined);
    assert.match(text, /^query type +recall$/m);
    assert.match(text, /^ranking +\d+\.\d% \(\d+\)$/m);
  });

  it('exports LoRA data in the inference chat format, without a pair\'s own answer among its examples', async () => {
    const out = path.join(await tempDir(), 'lora');
    const report = await exportTrainingData(project, out, { client: new OllamaClient({ host, model: BASE }) });
    assert.equal(report.huggingFace, 'Qwen/Qwen2.5-Coder-1.5B-Instruct');
    assert.equal(report.train.length + report.validation.length, 19);
    assert.equal(report.validation.length, kFolds(report.train.concat(report.validation).map((id) => ({ id })), 5)[0]!.length);
    const lines = (await fs.readFile(path.join(out, 'train.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    assert.equal(lines.length, report.train.length);
    for (const { messages } of lines) {
      assert.equal(messages[0]!.role, 'system');
      assert.match(messages[0]!.content, /^You write one read-only DuckDB SQL query/);
      const question = messages.at(-2)!.content;
      assert.equal(messages.at(-2)!.role, 'user');
      assert.equal(messages.at(-1)!.content, fenced(answers.get(question)!.trim()));
      assert.ok(!messages.slice(0, -2).some((m) => m.content === question), 'the pair is not its own example');
    }
    const readme = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    assert.match(readme, /convert_lora_to_gguf\.py/);
    assert.match(readme, /rank 16, alpha 16–32/);
    assert.match(readme, /has not been run by us/);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'askdata-export.json'), 'utf8'));
    assert.equal(manifest.ollamaBase, BASE);
  });

  it('imports an adapter: checks the file and the base, uploads it, creates with adapters, evaluates, promotes only if better', async () => {
    fake.reply = ({ messages }) => ({ content: fenced(answers.get(lastUser(messages))!) });
    const dir = await tempDir();
    const adapter = path.join(dir, 'shop-lora.gguf');
    await writeGguf(adapter, { 'general.type': 'adapter', 'general.architecture': 'qwen2', 'adapter.type': 'lora' }, 100_000);
    const digest = `sha256:${createHash('sha256').update(await fs.readFile(adapter)).digest('hex')}`;
    const client = new OllamaClient({ host, model: BASE });
    const report = await importAdapter(project, adapter, { client, k: 3 });
    assert.equal(report.digest, digest);
    assert.deepEqual(fake.requests.slice(0, 4).map((r) => `${r.method} ${r.path}`), ['POST /api/show', `HEAD /api/blobs/${digest}`, `POST /api/blobs/${digest}`, 'GET /api/tags']);
    const create = fake.calls('/api/create')[0]!.body as Record<string, unknown>;
    assert.match(String(create.model), /^askdata-adapter-shop:[0-9a-f]{12}$/);
    assert.equal(create.from, BASE);
    assert.deepEqual(create.adapters, { 'shop-lora.gguf': digest });
    assert.equal((create.messages as unknown[]).length, 38);
    const adapterVersion = report.evaluation.record.versions.find((v) => v.kind === 'adapter')!;
    assert.equal(adapterVersion.overall.spider, 19);
    // Every version answers every pair here, so the adapter is no better: it is not used.
    assert.equal(report.evaluation.record.decision!.promote, false);
    assert.match(report.evaluation.record.decision!.reason, /no better than .* An adapter is used only when it is better\./);

    fake.requests.length = 0;
    const wrongArch = path.join(dir, 'llama-lora.gguf');
    await writeGguf(wrongArch, { 'general.type': 'adapter', 'general.architecture': 'llama' });
    await assert.rejects(importAdapter(project, wrongArch, { client }), /trained for llama, but qwen2\.5-coder:1\.5b is a qwen2 model/);
    await assert.rejects(importAdapter(project, adapter, { client: new OllamaClient({ host, model: 'gemma3:1b' }) }), /gemma3:1b is a gemma3 model, and Ollama loads LoRA adapters only for/);
    const model = path.join(dir, 'model.gguf');
    await writeGguf(model, { 'general.type': 'model', 'general.architecture': 'qwen2' });
    await assert.rejects(importAdapter(project, model, { client }), /is a GGUF model, not a LoRA adapter/);
    assert.ok(!fake.requests.some((r) => r.path.startsWith('/api/blobs')), 'nothing uploaded for a refused adapter');
  });

  it('augments: paraphrases and an equal SQL variant become pending synthetic pairs; a variant with other data is dropped', async () => {
    const target = 'customers-by-country.yml';
    fake.reply = ({ messages }) => {
      const ask = lastUser(messages);
      if (ask.includes('other ways a colleague could ask')) return { content: '1. What is the number of customers per country?\n2. "Customer count by country"\nHow many customers do we have in each country?' };
      return { content: fenced('with per_country as (\n  select country, count(customer_id) as customers from customers group by country\n)\nselect * from per_country order by customers desc') };
    };
    const client = new OllamaClient({ host, model: BASE });
    const report = await augmentProject(project, { client, by: 'Erin <erin@shop.example>', only: [target], paraphrases: 3 });
    assert.deepEqual(report.written.map((w) => w.kind), ['paraphrase', 'paraphrase', 'variant']);
    assert.deepEqual(report.written.slice(0, 2).map((w) => w.question), ['What is the number of customers per country?', 'Customer count by country?']);
    const store = new PairStore(project, new NodePairFiles());
    await store.load();
    for (const w of report.written) {
      const p = store.pairs.find((x) => x.path === path.join(project, w.file))!;
      assert.equal(p.status, 'pending');
      assert.equal(p.data.synthetic, true);
      assert.deepEqual(p.history.map((h) => [h.event, h.by, h.model, h.text]), [['generated', 'Erin <erin@shop.example>', BASE, `${w.kind === 'variant' ? 'SQL variant' : 'paraphrase'} of askdata/pairs/${target}`]]);
    }

    fake.reply = ({ messages }) => (lastUser(messages).includes('other ways') ? { content: '' } : { content: fenced('select country, count(*) as customers from customers where country <> \'DE\' group by country') });
    const second = await augmentProject(project, { client, by: 'Erin <erin@shop.example>', only: [target], paraphrases: 1 });
    assert.equal(second.written.length, 0);
    assert.match(second.dropped.find((d) => d.kind === 'variant')!.reason, /returns other data than the approved SQL/);
  });
});
