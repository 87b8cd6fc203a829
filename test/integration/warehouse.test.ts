import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { PairStore } from '../../src/core/pairs/pairStore';
import { NodePairFiles } from '../../src/adapters/nodePairFiles';
import { judgePair } from '../../src/core/regression/regression';
import { readPairText } from '../../src/core/pairs/pairDocument';
import { FakeOllama } from '../support/fakeOllama';
import { snowflakeProject } from '../support/snowflakeProject';
import { tempDir, writeFiles } from '../support/tempDir';

/**
 * A warehouse team's project (see test/support/snowflakeProject.ts): a dbt project on Snowflake, a
 * profile Ask Data has no engine for, and no database file anywhere. Everything but running works
 * from the index, in Snowflake's dialect.
 */
async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('a warehouse project with no database Ask Data can reach (Snowflake profile)', function () {
  this.timeout(60_000);
  let fake: FakeOllama;
  let host: string;
  before(async () => {
    fake = new FakeOllama({ reply: () => ({ content: '```sql\n-- assumption: revenue is order_total\nselect c.region, sum(o.order_total) as revenue from fct_orders o join dim_customers c on c.customer_id = o.customer_id group by c.region\n```' }) });
    host = await fake.start();
  });
  after(() => fake?.stop());

  it('context grounds from dbt docs and catalog.json, in Snowflake\'s dialect', async () => {
    const project = await snowflakeProject({ artifacts: true });
    const { code, out, err } = await cli(['context', '--project', project, '--json', 'What is our revenue by region in EMEA?']);
    assert.equal(code, 0, err);
    const g = JSON.parse(out);
    assert.equal(g.dialect, 'snowflake');
    assert.match(g.dialectNotes.join(' '), /Snowflake SQL\. Dates: dateadd/);
    assert.match(g.schema, /CREATE TABLE fct_orders \( -- One row per order placed in the web shop\./);
    assert.match(g.schema, /ORDER_TOTAL NUMBER\(12,2\)|order_total NUMBER\(12,2\)/i, 'types from catalog.json');
    assert.match(g.schema, /EMEA/, 'known values from accepted_values');
    assert.ok(g.examples.some((e: { file: string }) => e.file === 'askdata/pairs/revenue-by-region.yml'), 'an unverified approved pair is still an example');
    assert.ok(g.joins.some((j: { on: string }) => /customer_id/.test(j.on)));
  });

  it('context reads columns from the SQL when there is no catalog.json', async () => {
    const project = await snowflakeProject({ artifacts: false });
    const g = JSON.parse((await cli(['context', '--project', project, '--json', 'revenue by region'])).out);
    assert.equal(g.dialect, 'snowflake');
    assert.match(g.schema, /CREATE TABLE dim_customers[\s\S]*region/);
    assert.match(g.schema, /CREATE TABLE fct_orders[\s\S]*order_total/);
  });

  it("ask shows the model's SQL, written for Snowflake, marked not run", async () => {
    const project = await snowflakeProject({ artifacts: true });
    const { code, out, err } = await cli(['ask', '--project', project, '--engine', 'ollama', '--host', host, '--json', 'What was our revenue in EMEA?']);
    assert.equal(code, 0, err);
    const a = JSON.parse(out);
    assert.equal(a.source, 'model');
    assert.match(a.sql, /sum\(o\.order_total\)/);
    assert.equal(a.error.class, 'not-run');
    assert.match(a.error.message, /Snowflake, which Ask Data cannot run queries on/);
    assert.equal(a.result, null);
    assert.equal(a.attempts.length, 1, 'nothing to repair from: no run, no second guess');
    const chat = fake.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as { messages: Array<{ role: string; content: string }> };
    assert.match(chat.messages[0]!.content, /You write one read-only Snowflake SQL query/);
    assert.match(chat.messages[0]!.content, /dateadd\(day, -30, current_date\(\)\)/);
    const text = await cli(['ask', '--project', project, '--engine', 'ollama', '--host', host, 'What was our revenue in EMEA?']);
    assert.match(text.out, /-- NOT RUN: no database to run it on/);
    // Recall answers from the approved pair, not run either.
    const recalled = JSON.parse((await cli(['ask', '--project', project, '--engine', 'recall', '--json', 'What is our revenue by region?'])).out);
    assert.equal(recalled.source, 'recall');
    assert.equal(recalled.error.class, 'not-run');
  });

  it('exports LoRA training data with Snowflake prompts', async () => {
    const project = await snowflakeProject({ artifacts: true });
    const out = path.join(project, 'lora');
    const r = await cli(['train', 'export', '--project', project, '--out', out, '--host', host, '--json']);
    assert.equal(r.code, 0, r.err);
    const lines = (await fs.readFile(path.join(out, 'train.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l.messages[0].content, /read-only Snowflake SQL/);
  });

  it('askdata test says nothing could be run, and lists the unverified pair apart', async () => {
    const project = await snowflakeProject({ artifacts: true });
    const r = await cli(['test', '--project', project]);
    assert.equal(r.code, 1, 'nothing checked is not a pass');
    assert.match(r.err, /NOT RUN {2}askdata\/pairs\/orders-last-week\.yml/);
    assert.match(r.err, /Unverified \(approved without running; not counted as passed\):\n {2}askdata\/pairs\/revenue-by-region\.yml/);
    assert.match(r.err, /0 passed, 0 failed, 0 ran without a recorded result, 1 unverified, 1 not run/);
    const json = JSON.parse((await cli(['test', '--project', project, '--json'])).out);
    assert.deepEqual([json.unverified, json.notRun, json.ok], [1, 1, false]);
    // Only unverified pairs, none of which can run: still nothing checked, not a pass.
    await fs.rm(path.join(project, 'askdata/pairs/orders-last-week.yml'));
    const only = await cli(['test', '--project', project]);
    assert.equal(only.code, 1, only.out);
    assert.match(only.err, /0 passed, 0 failed, 0 ran without a recorded result, 1 unverified; 1 of the unverified could not run either, so nothing about it was checked/);
    assert.deepEqual((({ unverified, unverifiedNotRun, notRun, ok }) => ({ unverified, unverifiedNotRun, notRun, ok }))(JSON.parse((await cli(['test', '--project', project, '--json'])).out)), { unverified: 1, unverifiedNotRun: 1, notRun: 0, ok: false });
  });

  it('index and pairs validate work, and evaluation says why it cannot run', async () => {
    const project = await snowflakeProject({ artifacts: true });
    const index = JSON.parse((await cli(['index', '--project', project, '--json'])).out);
    assert.equal(index.source, 'manifest');
    assert.equal((await cli(['pairs', 'validate', '--project', project])).code, 0);
    const ev = await cli(['eval', '--project', project, '--engine', 'recall']);
    assert.equal(ev.code, 1);
    assert.match(ev.err, /no database to run them on: .*Snowflake/);
  });

  it('shows an asker whom policies restrict no approved pair, since none can be checked without the database, and says so', async () => {
    const project = await snowflakeProject({ artifacts: true });
    await writeFiles(project, {
      'askdata/policies.yml': 'version: 1\ndefault: deny\ngroups:\n  sales:\n    members: ["rita@acme.example"]\n    tables: { allow: [fct_orders, dim_customers] }\n  emea:\n    members: ["emil@acme.example"]\n    tables: { allow: [fct_orders, dim_customers] }\nrow_policies:\n  - name: emea_only\n    applies_to: { groups: [emea] }\n    filters: { dim_customers: "region = \'EMEA\'" }\n',
    });
    const pairSql = (await fs.readFile(path.join(project, 'askdata/pairs/revenue-by-region.yml'), 'utf8')).match(/sum\(o\.order_total\)/)![0];
    // Allowed every table the pairs read (rita), row-filtered (emil), in no group (default deny).
    for (const asker of ['rita@acme.example', 'emil@acme.example', 'nobody@acme.example']) {
      const list = await cli(['pairs', 'list', '--project', project, '--as', asker, '--json']);
      assert.equal(list.code, 0, list.err);
      const l = JSON.parse(list.out);
      assert.deepEqual([l.pairs.length, l.counts.approved, l.counts.hidden], [0, 0, 2], asker);
      assert.match(l.unchecked, /No pair could be checked against your access policies, so none is shown: .*Snowflake/);
      assert.match((await cli(['pairs', 'list', '--project', project, '--as', asker])).out, /2 not shown: without the database their SQL cannot be checked against your access policies/);
      const g = JSON.parse((await cli(['context', '--project', project, '--as', asker, '--json', 'What is our revenue by region?'])).out);
      assert.deepEqual(g.examples, [], asker);
      assert.deepEqual(g.pairsNotShown, { count: 2, reason: 'without the database their SQL cannot be checked against your access policies' });
      assert.match((await cli(['context', '--project', project, '--as', asker, 'What is our revenue by region?'])).out, /Examples \(0; 2 approved pairs not shown: without the database/);
      const a = JSON.parse((await cli(['ask', '--project', project, '--engine', 'recall', '--as', asker, '--json', 'What is our revenue by region?'])).out);
      assert.ok(a.pair === null || a.pair === undefined, `${asker} was answered from a pair`);
      assert.ok(!String(a.sql ?? '').includes(pairSql), asker);
    }
    // Without policies the same pairs are examples and answers (the check above can fail).
    await fs.rm(path.join(project, 'askdata/policies.yml'));
    assert.equal(JSON.parse((await cli(['context', '--project', project, '--json', 'What is our revenue by region?'])).out).pairsNotShown, undefined);
    assert.equal(JSON.parse((await cli(['pairs', 'list', '--project', project, '--json'])).out).pairs.length, 2);
    assert.equal(JSON.parse((await cli(['ask', '--project', project, '--engine', 'recall', '--json', 'What is our revenue by region?'])).out).pair.file, 'askdata/pairs/revenue-by-region.yml');
  });
});

describe('result: unverified in a pair file', () => {
  it('is written only by a deliberate approval, read back, and judged apart from passing pairs', async () => {
    const dir = await tempDir();
    const store = new PairStore(dir, new NodePairFiles());
    await store.load();
    const pair = await store.add({ question: 'Revenue by region?', sql: 'select 1', status: 'pending', by: 'Ana <ana@acme.example>' });
    const approved = await store.approve(pair.id, 'Ana <ana@acme.example>', 'unverified');
    const text = await fs.readFile(approved.path, 'utf8');
    assert.match(text, /^result: unverified$/m);
    const read = readPairText(text);
    assert.ok(read.ok && read.pair.result === 'unverified');
    assert.equal(judgePair(approved, 'p.yml', { ok: true, result: { rows: 3, columns: ['a'], fingerprint: 'sha256:x' } }).status, 'unverified');
    assert.equal(judgePair(approved, 'p.yml', { ok: false, error: { class: 'not-run', message: 'Not run: x' } }).status, 'unverified');
    const bad = readPairText(text.replace('result: unverified', 'result: maybe'));
    assert.ok(!bad.ok && /result: must be \{ rows, columns, fingerprint \} or unverified/.test(bad.problems[0]!.message));
  });
});
