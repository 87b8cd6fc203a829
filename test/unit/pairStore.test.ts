import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { NodePairFiles } from '../../src/adapters/nodePairFiles';
import { PairStore, PairStoreError, slugify } from '../../src/core/pairs/pairStore';
import { tempDir, writeFiles } from '../support/tempDir';

const ME = 'Ada Lovelace <ada@example.com>';
const fixedNow = () => new Date('2026-11-20T10:12:00Z');

const pending = `# reviewed in PR #42
question: Who are my top 10 customers?
sql: |
  -- assumption: "top" means highest lifetime revenue
  select customer_id, sum(amount) as revenue
  from orders
  group by all order by revenue desc limit 10
status: pending
tags: [ranking]
tables: [customers, orders]
owner_team: growth   # a field this version does not know
x-review: { ticket: DATA-7, priority: 2 }
history:
  - { at: 2026-11-20T10:10:02Z, event: asked, by: "Jane Doe <jane@example.com>", model: "qwen2.5-coder:1.5b" }
`;

async function projectWith(files: Record<string, string>): Promise<{ root: string; store: PairStore }> {
  const root = await tempDir();
  await writeFiles(root, Object.fromEntries(Object.entries(files).map(([k, v]) => [`askdata/pairs/${k}`, v])));
  const store = new PairStore(root, new NodePairFiles(), fixedNow);
  await store.load();
  return { root, store };
}

const pairPath = (root: string, name: string) => path.join(root, 'askdata', 'pairs', name);

describe('pair store', () => {
  it('loads valid pairs and reports malformed files with line numbers, without touching them', async () => {
    const broken = {
      'bad-yaml.yml': 'question: Revenue?\nsql: select 1\nstatus: [pending\n',
      'bad-status.yml': 'question: Revenue?\nsql: select 1\nstatus: maybe\n',
      'no-sql.yml': 'question: Revenue?\nstatus: pending\n',
      'not-a-map.yml': '- just\n- a list\n',
      'approved-without-who.yml': 'question: Revenue?\nsql: select 1\nstatus: approved\n',
    };
    const { root, store } = await projectWith({ 'top.yml': pending, ...broken, 'notes.txt': 'ignored' });
    assert.deepEqual(store.pairs.map((p) => p.id), ['top']);
    const byId = Object.fromEntries(store.invalid.map((f) => [f.id, f.problems]));
    assert.deepEqual(Object.keys(byId).sort(), ['approved-without-who', 'bad-status', 'bad-yaml', 'no-sql', 'not-a-map']);
    assert.equal(byId['bad-status']![0]!.line, 3);
    assert.match(byId['bad-status']![0]!.message, /^status: must be one of pending, approved, rejected$/);
    assert.equal(byId['no-sql']![0]!.message, 'sql: is missing');
    assert.match(byId['bad-yaml']![0]!.message, /^YAML: /);
    assert.match(byId['approved-without-who']![0]!.message, /who approved it/);
    for (const [name, text] of Object.entries(broken)) {
      assert.equal(await fs.readFile(pairPath(root, name), 'utf8'), text, `${name} must be left as it was`);
    }
  });

  it('refuses to change a file it cannot parse, and leaves its bytes alone', async () => {
    const { root, store } = await projectWith({ 'top.yml': pending });
    const broken = pending.replace('status: pending', 'status: pending\n  bad indent: [');
    await fs.writeFile(pairPath(root, 'top.yml'), broken);
    await assert.rejects(store.approve('top', ME), (e: unknown) => e instanceof PairStoreError && /not a valid pair file/.test(e.message));
    assert.equal(await fs.readFile(pairPath(root, 'top.yml'), 'utf8'), broken);
    assert.deepEqual(store.invalid.map((f) => f.id), ['top']);
  });

  it('approves: status, approved.by/at and a history entry, keeping comments and unknown fields', async () => {
    const { root, store } = await projectWith({ 'top.yml': pending });
    const pair = await store.approve('top', ME);
    assert.equal(pair.status, 'approved');
    const text = await fs.readFile(pairPath(root, 'top.yml'), 'utf8');
    const data = parse(text);
    assert.deepEqual(data.approved, { by: ME, at: '2026-11-20T10:12:00Z' });
    assert.equal(data.owner_team, 'growth');
    assert.deepEqual(data['x-review'], { ticket: 'DATA-7', priority: 2 });
    assert.match(text, /^# reviewed in PR #42\n/);
    assert.match(text, /owner_team: growth +# a field this version does not know/);
    assert.match(text, /\ntags: \[ranking\]\n/, 'untouched flow lists keep their look');
    assert.ok(text.indexOf('approved:') < text.indexOf('history:'), 'new keys go before the history log');
    assert.equal(data.sql, 'select customer_id, sum(amount) as revenue\nfrom orders\ngroup by all order by revenue desc limit 10\n'.replace(/^/, '-- assumption: "top" means highest lifetime revenue\n'));
    assert.deepEqual(data.history.map((h: { event: string }) => h.event), ['asked', 'approved']);
    assert.equal(data.history[1].by, ME);
  });

  it('keeps history append-only across reject, re-approve and removal of approval', async () => {
    const { root, store } = await projectWith({ 'top.yml': pending });
    const before = parse(pending).history;
    await store.reject('top', ME, 'wrong grain');
    await store.approve('top', ME);
    await store.removeApproval('top', ME);
    const data = parse(await fs.readFile(pairPath(root, 'top.yml'), 'utf8'));
    assert.equal(data.status, 'pending');
    assert.equal(data.approved, undefined);
    assert.equal(data.rejected, undefined, 'approving clears the rejection');
    assert.deepEqual(data.history.slice(0, before.length), before);
    assert.deepEqual(data.history.slice(before.length).map((h: { event: string; text?: string }) => [h.event, h.text]), [
      ['rejected', 'wrong grain'], ['approved', undefined], ['approval removed', undefined],
    ]);
    await assert.rejects(store.removeApproval('top', ME), /is not approved/);
  });

  it('editing the SQL of an approved pair sends it back to pending and drops its result summary', async () => {
    const approved = pending.replace('status: pending', 'status: approved\napproved: { by: "X <x@example.com>", at: 2026-11-19T09:00:00Z }\nresult: { rows: 10, columns: [customer_id, revenue] }');
    const { root, store } = await projectWith({ 'top.yml': approved });
    await store.edit('top', { sql: 'select 1 as one' }, ME);
    const data = parse(await fs.readFile(pairPath(root, 'top.yml'), 'utf8'));
    assert.equal(data.status, 'pending');
    assert.equal(data.approved, undefined);
    assert.equal(data.result, undefined);
    assert.equal(data.sql, 'select 1 as one\n');
    assert.deepEqual(data.history.at(-1), { at: '2026-11-20T10:12:00Z', event: 'edited', by: ME, text: 'sql' });
    const unchanged = await fs.readFile(pairPath(root, 'top.yml'), 'utf8');
    await store.edit('top', { sql: 'select 1 as one\n' }, ME);
    assert.equal(await fs.readFile(pairPath(root, 'top.yml'), 'utf8'), unchanged, 'an edit that changes nothing writes nothing');
  });

  it('writes atomically and keeps an external edit made while it was writing', async () => {
    const root = await tempDir();
    await writeFiles(root, { 'askdata/pairs/top.yml': pending });
    let externalEdits = 0;
    // Real files throughout; the only interference is a second writer (as git or an editor would be)
    // changing the file after the store read it and before it renamed its temporary file over it.
    class RacingFiles extends NodePairFiles {
      override async replace(file: string, text: string, expected: string | undefined): Promise<void> {
        if (externalEdits === 0) {
          externalEdits++;
          await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('tags: [ranking]', 'tags: [ranking, vip]'));
        }
        return super.replace(file, text, expected);
      }
    }
    const store = new PairStore(root, new RacingFiles(), fixedNow);
    await store.load();
    await store.approve('top', ME);
    const data = parse(await fs.readFile(pairPath(root, 'top.yml'), 'utf8'));
    assert.equal(externalEdits, 1);
    assert.deepEqual(data.tags, ['ranking', 'vip'], 'the external edit survives');
    assert.equal(data.status, 'approved', 'and so does ours');
    const leftovers = (await fs.readdir(path.join(root, 'askdata', 'pairs'))).filter((n) => n !== 'top.yml');
    assert.deepEqual(leftovers, [], 'no temporary files are left behind');
  });

  it('serialises concurrent operations on one pair from this process', async () => {
    const { root, store } = await projectWith({ 'top.yml': pending });
    await Promise.all([store.reject('top', ME, 'first'), store.approve('top', ME), store.edit('top', { question: 'Who are my best customers?' }, ME)]);
    const data = parse(await fs.readFile(pairPath(root, 'top.yml'), 'utf8'));
    assert.deepEqual(data.history.map((h: { event: string }) => h.event), ['asked', 'rejected', 'approved', 'edited']);
    assert.equal(data.question, 'Who are my best customers?');
  });

  it('adds pending pairs under a free slug and never overwrites an existing file', async () => {
    const { root, store } = await projectWith({ 'who-are-my-top-customers.yml': pending });
    const pair = await store.add({ question: 'Who are my top customers?', sql: 'select 1', tables: ['customers'], by: ME });
    assert.equal(pair.id, 'who-are-my-top-customers-2');
    assert.equal(await fs.readFile(pairPath(root, 'who-are-my-top-customers.yml'), 'utf8'), pending);
    const data = parse(await fs.readFile(pair.path, 'utf8'));
    assert.deepEqual(data, {
      version: 1, question: 'Who are my top customers?', sql: 'select 1\n', status: 'pending', tables: ['customers'],
      history: [{ event: 'created', at: '2026-11-20T10:12:00Z', by: ME }],
    });
  });

  it('saves an answer as approved with its result and the steps that led to it, or as rejected with why', async () => {
    const { store } = await projectWith({});
    const steps = [
      { at: '2026-11-20T10:10:02Z', event: 'asked', by: ME, model: 'qwen2.5-coder:1.5b' },
      { at: '2026-11-20T10:11:40Z', event: 'feedback', by: ME, text: 'rank by revenue, not order count' },
    ];
    const result = { rows: 10, columns: ['customer_id', 'revenue'], fingerprint: `sha256:${'a'.repeat(64)}` };
    const approved = await store.add({ question: 'Who are my top 10 customers?', sql: 'select 1', status: 'approved', by: ME, history: steps, result });
    const data = parse(await fs.readFile(approved.path, 'utf8'));
    assert.deepEqual(data.approved, { by: ME, at: '2026-11-20T10:12:00Z' });
    assert.deepEqual(data.result, result);
    assert.deepEqual(data.history, [...steps, { event: 'approved', at: '2026-11-20T10:12:00Z', by: ME }]);
    assert.deepEqual(Object.keys(data), ['version', 'question', 'sql', 'status', 'approved', 'result', 'history']);

    const rejected = await store.add({ question: 'How many orders?', sql: 'select 2', status: 'rejected', by: ME, reason: 'counts customers', history: steps.slice(0, 1) });
    const r = parse(await fs.readFile(rejected.path, 'utf8'));
    assert.deepEqual(r.rejected, { by: ME, at: '2026-11-20T10:12:00Z', reason: 'counts customers' });
    assert.deepEqual(r.history.at(-1), { event: 'rejected', at: '2026-11-20T10:12:00Z', by: ME, text: 'counts customers' });
  });

  it('records the result an approval signed off on, and appends the steps before an edit', async () => {
    const { root, store } = await projectWith({ 'top.yml': pending });
    const result = { rows: 3, columns: ['customer_id', 'revenue'], fingerprint: `sha256:${'b'.repeat(64)}` };
    await store.approve('top', ME, result);
    const data = parse(await fs.readFile(pairPath(root, 'top.yml'), 'utf8'));
    assert.deepEqual(data.result, result);
    assert.equal(data.owner_team, 'growth');
    await store.edit('top', { sql: 'select 2 as two' }, ME, [{ at: '2026-11-20T10:11:00Z', event: 'feedback', by: ME, text: 'only this year' }]);
    const edited = parse(await fs.readFile(pairPath(root, 'top.yml'), 'utf8'));
    assert.equal(edited.result, undefined, 'an edit drops the result of the SQL that was approved');
    assert.deepEqual(edited.history.slice(-2).map((h: { event: string }) => h.event), ['feedback', 'edited']);
  });

  it('picks up files changed, added or deleted outside the store', async () => {
    const { root, store } = await projectWith({ 'top.yml': pending });
    let changes = 0;
    store.onDidChange(() => changes++);
    await fs.writeFile(pairPath(root, 'top.yml'), pending.replace('status: pending', 'status: rejected'));
    await store.refresh(pairPath(root, 'top.yml'));
    assert.equal(store.get('top')?.status, 'rejected');
    await fs.rm(pairPath(root, 'top.yml'));
    await store.refresh(pairPath(root, 'top.yml'));
    assert.equal(store.get('top'), undefined);
    assert.equal(changes, 2);
  });

  it('rejects a file written by a newer format version, saying so', async () => {
    const { store } = await projectWith({ 'future.yml': `version: 2\n${pending}` });
    assert.match(store.invalid[0]!.problems[0]!.message, /newer pair format/);
  });

  it('makes readable slugs', () => {
    assert.equal(slugify('Who are my top customers?'), 'who-are-my-top-customers');
    assert.equal(slugify('Umsatz für München — 2026'), 'umsatz-fur-munchen-2026');
    assert.equal(slugify('???'), 'question');
  });
});
