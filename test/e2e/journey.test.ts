import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { NodePairFiles } from '../../src/adapters/nodePairFiles';
import { PairStore } from '../../src/core/pairs/pairStore';
import { WorkspaceFiles } from '../../src/adapters/workspaceFiles';
import { pairStaleness } from '../../src/core/index/staleness';
import { approvedPairsUsing } from '../../src/core/queue/approvalQueue';
import { slugify } from '../../src/core/pairs/pairStore';
import { FakeOllama } from '../support/fakeOllama';
import { sampleWithDatabase } from '../support/sampleDb';
import { repoRoot } from '../support/tempDir';
import { freePort, reportFailure, startSession, type Session } from './codeServer';
import { askWithModel, closeAllEditors, editorTab, eventually, openAskDataView, quickOpen, runCommand, setUpModel, treeRow, webview } from './workbench';

const TESTER = { name: 'Erin Tester', email: 'erin@shop.example' };
const JOURNEY_QUESTION = 'Who are our five biggest customers by revenue?';
const JOURNEY_PAIR = slugify(JOURNEY_QUESTION);
const BY_REVENUE = '-- assumption: "biggest" means highest lifetime revenue\nselect customer_id, customer_name, lifetime_revenue\nfrom customers\norder by lifetime_revenue desc\nlimit 5';
const BY_ORDERS = '-- assumption: "biggest" means the most orders\nselect customer_id, customer_name, order_count\nfrom customers\norder by order_count desc\nlimit 5';

/** The model, played by a fake Ollama: scripted SQL for the questions of the journey. */
function scriptedModel({ messages }: { messages: Array<{ role: string; content: string }> }) {
  const last = messages.at(-1)!.content;
  const sql = /not quite right/.test(last) || /most orders/.test(last) ? BY_ORDERS
    : last === JOURNEY_QUESTION ? BY_REVENUE
      : /email/.test(last) ? 'select customer_name, email from customers order by lifetime_revenue desc limit 5'
        : 'select 1 as one';
  return { content: `\`\`\`sql\n${sql}\n\`\`\``, chunkDelayMs: 5 };
}

describe('Ask Data in a real VS Code (code-server + Chromium)', function () {
  let s: Session;
  let ollamaPort: number;
  let ollamaHost: string;
  // Not listening until the journey starts: the first questions are asked without a model.
  const ollama = new FakeOllama({ reply: scriptedModel });
  /** The messages of the last chat request the model received. */
  const lastPrompt = () => ollama.calls('/api/chat').at(-1)!.body!.messages as Array<{ role: string; content: string }>;
  /** A new Ask panel, from the palette, with `question` asked in it. */
  const askInNewPanel = async (question: string) => {
    await closeAllEditors(s.page);
    await runCommand(s.page, 'Ask Data: Ask data');
    const view = webview(s.page);
    await view.locator('#question').click();
    await s.page.keyboard.type(question);
    await s.page.keyboard.press('Control+Enter');
    return view;
  };
  const pairFile = (id: string) => path.join(s.workspace, 'askdata', 'pairs', `${id}.yml`);
  const readPair = async (id: string) => parse(await fs.readFile(pairFile(id), 'utf8'));

  before(async function () {
    ollamaPort = await freePort();
    ollamaHost = `http://127.0.0.1:${ollamaPort}`;
    const { project } = await sampleWithDatabase();
    s = await startSession({ workspaceFrom: project, gitUser: TESTER, settings: { 'askData.ollama.host': ollamaHost } });
  });

  afterEach(async function () {
    await reportFailure(s, this.currentTest);
  });

  after(async () => {
    await s?.close();
    await ollama.stop();
  });

  it('opens the sample: the extension activates and the status bar counts the pairs', async () => {
    const { page } = s;
    await page.locator('.statusbar-item', { hasText: '19 approved · 3 pending' }).waitFor({ timeout: 60_000 });
    await s.screenshot('01-sample-opened');
  });

  it('lists the sample pairs in the approval queue by group', async () => {
    const { page } = s;
    await openAskDataView(page);
    await treeRow(page, 'Who are my top customers?').waitFor();
    const labels = await page.locator('.monaco-list-row[role="treeitem"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
    assert.equal(labels[0], '3 pending pairs');
    assert.ok(labels.includes('19 approved pairs'), labels.join(' | '));
    assert.ok(labels.includes('1 rejected pair'), labels.join(' | '));
    assert.ok(labels.includes('What is our gross margin by category?, pending, uses order_items'));
    assert.ok(labels.includes('Who are my top customers?, approved, uses customers'));
    const pendingIndex = labels.indexOf('3 pending pairs');
    const approvedIndex = labels.indexOf('19 approved pairs');
    assert.deepEqual(labels.slice(pendingIndex + 1, approvedIndex).map((l) => l.split(', ').at(-2)), ['pending', 'pending', 'pending']);
    await s.screenshot('02-approval-queue');
  });

  it('approves a pending pair from the tree: its file is rewritten as approved, by the git identity', async () => {
    const { page } = s;
    const row = treeRow(page, 'What is our gross margin by category?');
    await row.hover();
    await row.locator('.action-label[aria-label="Approve"]').click();
    const data = await eventually(async () => {
      const d = await readPair('gross-margin-by-category');
      return d.status === 'approved' ? d : undefined;
    }, 'the pair file to say approved');
    assert.equal(data.approved.by, `${TESTER.name} <${TESTER.email}>`);
    assert.match(data.approved.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(data.history.at(-1), { at: data.approved.at, event: 'approved', by: data.approved.by });
    await page.locator('.monaco-list-row[aria-label="20 approved pairs"]').waitFor();
    await page.locator('.statusbar-item', { hasText: '20 approved · 2 pending' }).waitFor();
    await s.screenshot('03-approved-from-queue');
  });

  it('shows on the customers mart how many approved questions use it; the lens filters the queue', async () => {
    const { page } = s;
    const store = new PairStore(s.workspace, new NodePairFiles());
    await store.load();
    const expected = approvedPairsUsing(store.pairs, 'customers').length;
    assert.ok(expected >= 5, 'the sample has several approved questions on customers');
    await quickOpen(page, 'models/marts/customers.sql');
    const lens = page.locator('.codelens-decoration a', { hasText: 'use this model' });
    await lens.waitFor({ timeout: 30_000 });
    assert.equal(await lens.textContent(), `${expected} approved questions use this model`);
    await page.locator('.codelens-decoration a', { hasText: 'Ask about this model' }).waitFor();
    await s.screenshot('04-code-lens-customers');
    await lens.click();
    await page.locator('.pane-header[aria-label*="model: customers"]').waitFor({ state: 'attached' });
    await page.locator('.monaco-list-row[aria-label="' + `${expected} approved pairs` + '"]').waitFor();
    const pairRows = page.locator('.monaco-list-row[role="treeitem"][aria-level="2"]');
    await eventually(async () => ((await pairRows.count()) === expected ? true : undefined), `${expected} pair rows`);
    const labels = await pairRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
    assert.ok(labels.every((l) => /uses .*customers/.test(l)), labels.join(' | '));
    await s.screenshot('05-queue-filtered-by-model');
    await runCommand(page, 'Ask Data: Clear Approval Queue Filter');
    await page.locator('.monaco-list-row[aria-label="20 approved pairs"]').waitFor();
  });

  it('hovers a model with its description and columns; renaming a column flags the approved questions that use it', async () => {
    const { page } = s;
    const modelFile = path.join(s.workspace, 'models', 'marts', 'customers.sql');
    const original = await fs.readFile(modelFile, 'utf8');
    await quickOpen(page, 'models/marts/customers.sql');
    await page.locator('.codelens-decoration a', { hasText: 'use this model' }).waitFor({ timeout: 30_000 });
    // Put the cursor on `orders` in {{ ref('orders') }} and ask for the hover, as a keyboard user would.
    const lines = original.split('\n');
    const line = lines.findIndex((l) => l.includes("ref('orders')"));
    const column = lines[line]!.indexOf("ref('orders')") + "ref('".length + 2;
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').fill(`:${line + 1}:${column}`);
    await page.keyboard.press('Enter');
    await runCommand(page, 'Show or Focus Hover');
    const hover = page.locator('.monaco-hover', { hasText: 'One row per order' });
    await hover.waitFor({ timeout: 30_000 });
    const text = (await hover.textContent()) ?? '';
    assert.match(text, /orders — model · table · main\.orders/);
    assert.match(text, /order_id/);
    assert.match(text, /approved questions/);
    await page.waitForTimeout(400); // the hover fades in
    await s.screenshot('06a-hover-on-a-model');
    await page.keyboard.press('Escape');

    // Rename the mart's last column, as a dbt developer would; the index follows the file.
    const lastAs = original.lastIndexOf('as lifetime_revenue');
    await fs.writeFile(modelFile, `${original.slice(0, lastAs)}as lifetime_value${original.slice(lastAs + 'as lifetime_revenue'.length)}`);
    const files = new WorkspaceFiles(s.workspace);
    await files.scan();
    const index = files.indexer.build();
    const store = new PairStore(s.workspace, new NodePairFiles());
    await store.load();
    const stale = approvedPairsUsing(store.pairs, 'customers').filter((p) => pairStaleness(p, index)?.columns.includes('customers.lifetime_revenue'));
    assert.ok(stale.length >= 1, 'some approved pair uses customers.lifetime_revenue');
    const staleLens = page.locator('.codelens-decoration a', { hasText: 'may be stale' });
    await staleLens.waitFor({ timeout: 30_000 });
    assert.equal((await staleLens.textContent())?.trim(), `${stale.length} approved question${stale.length === 1 ? '' : 's'} may be stale`);
    await s.screenshot('06b-stale-lens-after-a-column-rename');
    await staleLens.click();
    const staleRows = page.locator('.monaco-list-row[role="treeitem"][aria-level="2"][aria-label*="may be stale"]');
    await eventually(async () => ((await staleRows.count()) === stale.length ? true : undefined), `${stale.length} stale rows in the queue`);
    const using = approvedPairsUsing(store.pairs, 'customers').length;
    const pairRows = page.locator('.monaco-list-row[role="treeitem"][aria-level="2"]');
    await eventually(async () => ((await pairRows.count()) === using ? true : undefined), `the queue filtered to the ${using} questions on customers`);
    await s.screenshot('06c-queue-marks-stale-pairs');
    await runCommand(page, 'Ask Data: Clear Approval Queue Filter');

    await fs.writeFile(modelFile, original);
    await staleLens.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('offers "Add as a pending pair" on an analysis and writes the pair', async () => {
    const { page } = s;
    await quickOpen(page, 'analyses/channel_payback.sql');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Add as a pending pair' });
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill('How many months does each channel take to pay back its spend?');
    await s.screenshot('06-add-pending-pair-prompt');
    await page.keyboard.press('Enter');
    const data = await eventually(async () => {
      try {
        return await readPair('how-many-months-does-each-channel-take-to-pay-back-its-spend');
      } catch {
        return undefined;
      }
    }, 'the new pending pair file');
    assert.equal(data.status, 'pending');
    assert.deepEqual(data.tables, ['marketing_daily']);
    assert.match(data.sql, /payback_months/);
    assert.equal(data.history[0].by, `${TESTER.name} <${TESTER.email}>`);
    await page.locator('.statusbar-item', { hasText: '20 approved · 3 pending' }).waitFor();
    await page.locator('.notifications-toasts', { hasText: 'Added to the approval queue as pending' }).waitFor();
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  it('without a model: the onboarding appears, and a question an approved pair covers is answered by recall', async () => {
    const { page } = s;
    await closeAllEditors(page);
    await page.locator('.statusbar-item', { hasText: 'no model' }).waitFor({ timeout: 30_000 });
    await runCommand(page, 'Ask Data: Ask data');
    await page.locator('.notifications-toasts', { hasText: `Ollama is not running at ${ollamaHost}` }).waitFor();
    const view = webview(page);
    await view.locator('#setup-model', { hasText: 'No model: recall only' }).waitFor({ timeout: 30_000 });
    await view.locator('#question').click();
    await page.keyboard.type('Show me sales from the last 90 days');
    await view.locator('ul.similar button', { hasText: 'sales' }).first().waitFor();
    await s.screenshot('07a-ask-panel-without-a-model');
    await page.keyboard.press('Control+Enter');
    await view.locator('#source .badge', { hasText: 'recall' }).waitFor({ timeout: 30_000 });
    assert.match(await view.locator('#source').innerText(), /sales-last-30-days\.yml/);
    assert.match(await view.locator('#sql .cm-content').innerText(), /interval 90 day/);
    await view.locator('#row-count', { hasText: 'rows' }).waitFor();
    assert.ok((await view.locator('.grid [role="gridcell"]').count()) > 0, 'the result has rows');
    await s.screenshot('07b-answered-by-recall');
    assert.equal(ollama.calls('/api/chat').length, 0);

    // A branch checked out without the pairs: the folder goes whole (its watcher reports only the
    // folder), and the very next ask must not reuse a pair that is no longer there.
    const pairs = path.join(s.workspace, 'askdata', 'pairs');
    await fs.rename(pairs, `${pairs}-elsewhere`);
    try {
      await view.locator('#question').click();
      await page.keyboard.press('Control+Enter');
      await view.locator('#notice', { hasText: 'No answer' }).waitFor({ timeout: 30_000 });
      assert.doesNotMatch(await view.locator('#source').innerText().catch(() => ''), /sales-last-30-days\.yml/);
      await s.screenshot('07c-pairs-gone-no-recall');
    } finally {
      await fs.rename(`${pairs}-elsewhere`, pairs);
    }
    await page.locator('.statusbar-item', { hasText: '20 approved' }).waitFor({ timeout: 30_000 });
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  it('with the model (a fake Ollama): asks, shows SQL, assumptions and result; edits and runs; regenerates from feedback; approves', async () => {
    const { page } = s;
    await ollama.start(ollamaPort);
    await setUpModel(page);
    const view = await askWithModel(page, JOURNEY_QUESTION);
    await view.locator('#assumptions li', { hasText: '"biggest" means highest lifetime revenue' }).waitFor({ timeout: 30_000 });
    await view.locator('#row-count', { hasText: '5 rows' }).waitFor();
    assert.equal(await view.locator('#source .badge').innerText(), 'model: qwen2.5-coder:1.5b');
    const firstPrompt = lastPrompt();
    assert.match(firstPrompt[0]!.content, /CREATE TABLE customers/);
    assert.equal(firstPrompt.at(-1)!.content, JOURNEY_QUESTION);
    await s.screenshot('08a-answer-with-sql-assumptions-and-result');

    // Edit the SQL and run it.
    await view.locator('#sql .cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('3');
    await page.keyboard.press('Control+Enter');
    await view.locator('#row-count', { hasText: '3 rows' }).waitFor();
    await view.locator('#edited', { hasText: 'Edited by you' }).waitFor();
    await s.screenshot('08b-sql-edited-and-run');

    // Not quite right? Regenerate.
    await view.locator('#feedback').click();
    await page.keyboard.type('rank by order count instead');
    await page.keyboard.press('Enter');
    await eventually(async () => ((await view.locator('#sql .cm-content').innerText()).includes('order by order_count desc') ? true : undefined), 'the regenerated SQL');
    await view.locator('#row-count', { hasText: '5 rows' }).waitFor();
    const regenerate = lastPrompt();
    assert.match(regenerate.at(-1)!.content, /It returned 3 rows with columns customer_id, customer_name, lifetime_revenue\. That is not quite right: rank by order count instead/);
    assert.match(regenerate.at(-2)!.content, /limit 3/);
    await s.screenshot('08c-regenerated-from-feedback');
    await view.locator('#tab-chart').click();
    await view.locator('.chart-box canvas[aria-label^="Bar chart of order_count by customer_name"]').waitFor();
    await view.locator('#result').scrollIntoViewIfNeeded();
    await s.screenshot('08c2-result-as-a-chart');
    await view.locator('#tab-table').click();

    // Approve: the pair file appears with who approved it and the result fingerprint.
    await view.locator('#approve').click();
    await view.locator('#status-line', { hasText: 'approved' }).waitFor();
    const file = pairFile(JOURNEY_PAIR);
    const data = await eventually(async () => readPair(JOURNEY_PAIR).catch(() => undefined), `${file}`);
    assert.equal(data.status, 'approved');
    assert.equal(data.question, JOURNEY_QUESTION);
    assert.equal(data.approved.by, `${TESTER.name} <${TESTER.email}>`);
    assert.deepEqual(data.tables, ['customers']);
    assert.deepEqual(data.result.columns, ['customer_id', 'customer_name', 'order_count']);
    assert.equal(data.result.rows, 5);
    assert.match(data.result.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(data.history.map((h: { event: string }) => h.event), ['asked', 'edited', 'feedback', 'approved']);
    assert.equal(data.history[0].model, 'qwen2.5-coder:1.5b');
    assert.equal(data.history[2].text, 'rank by order count instead');
    // The fingerprint is the one `askdata run` computes for the same SQL on the same database.
    const cli = JSON.parse(execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'run', '--project', s.workspace, '--json', '--', data.sql], { encoding: 'utf8' }));
    assert.equal(data.result.fingerprint, cli.fingerprint);
    await s.screenshot('08d-approved-in-panel');

    // Hidden behind a file and shown again, the panel is that pair's: VS Code loads its page anew,
    // which the extension rewrote when it was hidden.
    await quickOpen(page, 'models/marts/customers.sql');
    await editorTab(page, JOURNEY_QUESTION.slice(0, 30)).click();
    await webview(page).locator('#status-line', { hasText: 'approved' }).waitFor({ timeout: 30_000 });
    assert.equal(await webview(page).locator('#question').evaluate((e) => (e as HTMLTextAreaElement).value), JOURNEY_QUESTION);

    await openAskDataView(page);
    await treeRow(page, JOURNEY_QUESTION).waitFor();
    await page.locator('.statusbar-item', { hasText: '21 approved' }).waitFor();
    await s.screenshot('08e-approved-pair-in-the-queue');
  });

  it('asking a paraphrase now shows the approved pair among the examples the model saw', async () => {
    const view = await askInNewPanel('Which five customers placed the most orders?');
    await view.locator('#row-count', { hasText: 'rows' }).waitFor({ timeout: 30_000 });
    const prompt = lastPrompt();
    assert.ok(prompt.some((m) => m.role === 'user' && m.content === JOURNEY_QUESTION), 'the approved question is an example in the prompt');
    await view.locator('#saw summary').click();
    await view.locator('#saw-examples button', { hasText: JOURNEY_QUESTION }).waitFor();
    await view.locator('#saw-examples').scrollIntoViewIfNeeded();
    await s.screenshot('09-paraphrase-uses-the-approved-pair');
  });

  it('shows a policy denial clearly: the class, what it means, and no Fix', async () => {
    // Erin joins the marketing group, which may not read customers' email addresses.
    const policies = path.join(s.workspace, 'askdata', 'policies.yml');
    const original = await fs.readFile(policies, 'utf8');
    await fs.writeFile(policies, original.replace('"sam.okafor@shop.example"]', `"sam.okafor@shop.example", "${TESTER.email}"]`));
    const view = await askInNewPanel('What are the email addresses of our top customers?');
    await view.locator('#query-error .badge', { hasText: 'permission-denied' }).waitFor({ timeout: 30_000 });
    const refusal = await view.locator('#query-error').innerText();
    assert.match(refusal, /hide from you/);
    assert.doesNotMatch(refusal, /\bemail\b/, 'the refusal does not name the hidden column');
    assert.equal(await view.locator('#fix').count(), 0);
    const prompt = lastPrompt();
    assert.doesNotMatch(prompt[0]!.content, /^\s*email\b/m, 'the schema shown to the model for a marketing member has no email column');
    await s.screenshot('10-policy-denial');
    await fs.writeFile(policies, original);
  });

  it('shows a pair from the queue with its question, SQL and history, and rejects it from the panel', async () => {
    const { page } = s;
    await closeAllEditors(page);
    await treeRow(page, 'What is our gross margin by category?').click();
    const view = webview(page);
    await view.locator('#status-line', { hasText: 'approved' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('#question').evaluate((e) => (e as HTMLTextAreaElement).value), 'What is our gross margin by category?');
    assert.match(await view.locator('#sql .cm-content').innerText(), /gross_margin/);
    await view.locator('#history li', { hasText: 'approved' }).first().waitFor();
    await s.screenshot('11-pair-in-panel-dark');

    await view.locator('#reject').click();
    await view.locator('#reject-reason').click();
    await page.keyboard.type('margin should use paid amounts');
    await page.keyboard.press('Enter');
    const data = await eventually(async () => {
      const d = await readPair('gross-margin-by-category');
      return d.status === 'rejected' ? d : undefined;
    }, 'the pair file to say rejected');
    assert.deepEqual(data.rejected, { by: `${TESTER.name} <${TESTER.email}>`, at: data.rejected.at, reason: 'margin should use paid amounts' });
    assert.equal(data.approved, undefined);
    await view.locator('#status-line', { hasText: 'margin should use paid amounts' }).waitFor();
    await s.screenshot('12-pair-rejected-in-panel');
  });

  it('follows files changed outside the editor: an invalid pair is marked and reported, a fixed one returns', async () => {
    const { page } = s;
    const file = pairFile('customers-by-country');
    const original = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, original.replace('status: approved', 'status: aproved'));
    await page.locator('.monaco-list-row', { hasText: 'Invalid files' }).waitFor();
    await treeRow(page, 'customers-by-country.yml').waitFor();
    await page.locator('.statusbar-item', { hasText: '19 approved' }).waitFor();
    assert.equal(await fs.readFile(file, 'utf8'), original.replace('status: approved', 'status: aproved'), 'the broken file is left as it is');
    await runCommand(page, 'View: Focus Problems');
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'status: must be one of pending, approved, rejected' }).waitFor();
    // A policies.yml with groups and no default: — what askers in no group read is said in Problems too.
    const policies = path.join(s.workspace, 'askdata', 'policies.yml');
    const policiesText = await fs.readFile(policies, 'utf8');
    assert.match(policiesText, /^default: allow\n/m);
    await fs.writeFile(policies, policiesText.replace(/^default: allow\n/m, ''));
    const noDefault = page.locator('.markers-panel .monaco-list-row', { hasText: 'defines groups but no default:' });
    await noDefault.waitFor();
    await s.screenshot('13-invalid-pair-reported');
    await fs.writeFile(policies, policiesText);
    await noDefault.waitFor({ state: 'detached' });
    await fs.writeFile(file, original);
    await page.locator('.statusbar-item', { hasText: '20 approved' }).waitFor();
    await eventually(async () => ((await page.locator('.monaco-list-row', { hasText: 'Invalid files' }).count()) === 0 ? true : undefined), 'the invalid group to go');
    await page.keyboard.press('Control+J');
    await page.locator('.markers-panel').waitFor({ state: 'hidden' });
  });

  it('trains the specialised model and evaluates it with the fake Ollama, then shows the report and the Learning view', async () => {
    const { page } = s;
    await closeAllEditors(page);
    await runCommand(page, 'Notifications: Clear All Notifications');
    ollama.requests.length = 0;
    // A model that is right about some questions: the base model about those of even length, a
    // model built from approved pairs also about those whose length is a multiple of three.
    const known = new PairStore(s.workspace, new NodePairFiles());
    await known.load();
    const gold = new Map(known.pairs.map((p) => [p.question, p.sql]));
    const rightFor = (model: string, q: string) => q.length % 2 === 0 || (model.startsWith('askdata-') && q.length % 3 === 0);
    ollama.reply = (request) => {
      const q = request.messages.at(-1)!.content;
      return gold.has(q) && rightFor(request.model, q) ? { content: `\`\`\`sql\n${gold.get(q)}\n\`\`\`` } : scriptedModel(request);
    };
    await runCommand(page, 'Ask Data: Train Model');
    const built = page.locator('.notification-toast', { hasText: 'Built askdata-shop:' });
    await built.waitFor({ timeout: 60_000 });
    const create = ollama.calls('/api/create')[0]!.body as { model: string; from: string; system: string; messages: unknown[]; parameters: Record<string, unknown> };
    assert.match(create.model, /^askdata-shop:[0-9a-f]{12}$/);
    assert.equal(create.from, 'qwen2.5-coder:1.5b');
    assert.deepEqual(create.parameters, { temperature: 0, num_ctx: 8192, seed: 42 });
    // The sample's approved pairs plus the two approved during the journey, as user/assistant messages.
    const approved = known.pairs.filter((p) => p.status === 'approved');
    assert.equal(create.messages.length, 2 * approved.length);
    await s.screenshot('16a-model-built');

    await built.locator('a.monaco-button', { hasText: 'Evaluate' }).click();
    const report = webview(page);
    await report.locator('h1', { hasText: 'Evaluation of shop' }).waitFor({ timeout: 120_000 });
    assert.match(await report.locator('.decision').innerText(), /Promoted\.|Not promoted\./);
    const header = await report.locator('table').first().locator('thead').innerText();
    assert.match(header, /recall/);
    assert.match(header, /base qwen2\.5-coder:1\.5b/);
    assert.match(header, /specialised/);
    assert.ok(await report.locator('svg[role="img"] rect').count() > 0, 'bars are drawn');
    // The fake's right answers, scored as right: the table says so per version.
    const overall = await report.locator('table').first().locator('tbody tr').first().locator('td').allInnerTexts();
    const expected = (model: string) => approved.filter((p) => rightFor(model, p.question)).length;
    assert.match(overall[1]!, new RegExp(`${expected('qwen2.5-coder:1.5b')}/${approved.length} `));
    assert.match(overall[2]!, new RegExp(`${expected('askdata-eval-shop')}/${approved.length} `));
    assert.ok(ollama.calls('/api/create').some((c) => String((c.body as { model: string }).model).startsWith('askdata-eval-shop:')), 'fold models were built');
    assert.ok([...ollama.models].every((m) => !m.startsWith('askdata-eval-')), 'and removed');
    const records = (await fs.readdir(path.join(s.workspace, 'askdata', 'learning'))).sort();
    assert.ok(records.some((f) => f.startsWith('eval-')) && records.some((f) => f.startsWith('model-')), records.join(', '));
    await s.screenshot('16b-evaluation-report');

    await openAskDataView(page);
    // The queue folds away so the Learning section has the room.
    const queueHeader = page.locator('.pane-header[aria-label^="Approval queue"]');
    if ((await queueHeader.getAttribute('aria-expanded')) === 'true') await queueHeader.click();
    const learning = page.locator('.pane-header[aria-label^="Learning"]');
    if ((await learning.getAttribute('aria-expanded')) !== 'true') await learning.click();
    await treeRow(page, 'Last evaluation:').waitFor({ timeout: 30_000 });
    await treeRow(page, 'Answering:').waitFor();
    await treeRow(page, 'Models built: 1').click();
    await s.screenshot('16c-learning-view');
    await queueHeader.click();
    ollama.reply = scriptedModel;
    await closeAllEditors(page);
  });

  it('tests the approved pairs from the editor: a pair whose SQL no longer runs is reported in Problems on its file', async () => {
    const { page } = s;
    const file = pairFile('who-are-my-top-customers');
    const original = await fs.readFile(file, 'utf8');
    // As after a schema change: the approved SQL reads a column the database does not have.
    await fs.writeFile(file, original.replace('lifetime_revenue\n  from customers', 'lifetime_value\n  from customers'));
    await eventually(async () => (await readPair('who-are-my-top-customers')).sql.includes('lifetime_value') || undefined, 'the edited pair');
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'Ask Data: Test Approved Pairs');
    const toast = page.locator('.notification-toast', { hasText: 'Approved pairs of shop:' });
    await toast.waitFor({ timeout: 60_000 });
    assert.match(await toast.innerText(), /\d+ passed, 1 failed, \d+ ran without a recorded result/);
    await toast.locator('a.monaco-button', { hasText: 'Show Problems' }).click();
    try {
      await page.locator('.markers-panel .monaco-list-row[aria-label^="Error: askdata/pairs/who-are-my-top-customers.yml no longer runs"]', { hasText: 'lifetime_value' }).waitFor({ timeout: 20_000 });
      await s.screenshot('17-approved-pair-test-failure-in-problems');
    } finally {
      await fs.writeFile(file, original);
    }
    // Restored: the failure goes from Problems, once the change has been picked up.
    await page.locator('.markers-panel .monaco-list-row[aria-label^="Error: askdata/pairs/who-are-my-top-customers.yml"]').waitFor({ state: 'detached', timeout: 20_000 });
    await runCommand(page, 'View: Hide Panel');
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  it('follows the theme: the panel in a light theme', async () => {
    const { page } = s;
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+T');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
    await page.locator('.quick-input-widget input').fill('Light Modern');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Light Modern' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-workbench.vs').waitFor({ state: 'attached' });
    await closeAllEditors(page);
    await treeRow(page, 'Who are my top customers?').click();
    await webview(page).locator('#status-line', { hasText: 'approved' }).waitFor({ timeout: 30_000 });
    await s.screenshot('14-pair-in-panel-light');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+T');
    await page.locator('.quick-input-widget input').fill('Dark High Contrast');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Dark High Contrast' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-workbench.hc-black').waitFor({ state: 'attached' });
    await webview(page).locator('#row-count').waitFor();
    await s.screenshot('14b-pair-in-panel-high-contrast');
  });

  const DRAFTS = ['How many orders were placed last week?', 'Which products sell best in Germany?'];
  const questionIn = (view: ReturnType<typeof webview>) => view.locator('#question').evaluate((e) => (e as HTMLTextAreaElement).value);

  it('keeps each panel\'s unsaved question while it is hidden behind another', async () => {
    const { page } = s;
    for (const question of DRAFTS) {
      await runCommand(page, 'Ask Data: Ask data');
      const view = webview(page);
      await view.locator('#question').click();
      await page.keyboard.type(question);
      await eventually(async () => ((await questionIn(view)) === question ? true : undefined), 'the question typed');
    }
    // The first panel was hidden when the second opened; shown again, it has its own question.
    await editorTab(page, 'Ask data').first().click();
    await eventually(async () => ((await questionIn(webview(page))) === DRAFTS[0] ? true : undefined), 'the first panel\'s question, back');
    await s.screenshot('14c-draft-kept-while-hidden');
  });

  it('brings every panel back after the window reloads: the pair\'s, and each draft with its question', async () => {
    const { page } = s;
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForSelector('.monaco-workbench');
    await editorTab(page, 'Who are my top customers?').click();
    const view = webview(page);
    await view.locator('#status-line', { hasText: 'approved' }).waitFor({ timeout: 60_000 });
    assert.equal(await questionIn(view), 'Who are my top customers?');
    await s.screenshot('15-panel-restored-after-reload');
    for (const [i, question] of DRAFTS.entries()) {
      await editorTab(page, 'Ask data').nth(i).click();
      await eventually(async () => ((await questionIn(webview(page))) === question ? true : undefined), `draft ${i + 1} restored`, 60_000);
    }
    await s.screenshot('15b-draft-restored-after-reload');
  });
});
