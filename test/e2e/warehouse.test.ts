import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { FakeOllama } from '../support/fakeOllama';
import { snowflakeProject } from '../support/snowflakeProject';
import { freePort, reportFailure, startSession, type Session } from './codeServer';
import { askWithModel, eventually, openAskDataView, setUpModel, treeRow, webview } from './workbench';

const QUESTION = 'How many orders per region?';
const SQL = 'select c.region, count(*) as orders\nfrom fct_orders o join dim_customers c on c.customer_id = o.customer_id\ngroup by c.region';

/**
 * A warehouse team in a real VS Code: a Snowflake project Ask Data cannot run on. The model's SQL is
 * shown and marked not run; approving it is a deliberate choice in a dialog, and the pair is then
 * shown as unverified — as is the one the project already has.
 */
describe('a warehouse project in a real VS Code (code-server + Chromium)', function () {
  let s: Session;
  const ollama = new FakeOllama({ reply: () => ({ content: `\`\`\`sql\n${SQL}\n\`\`\``, chunkDelayMs: 5 }) });

  before(async () => {
    const port = await freePort();
    await ollama.start(port);
    s = await startSession({ workspaceFrom: await snowflakeProject({ artifacts: true }), settings: { 'askData.ollama.host': `http://127.0.0.1:${port}` } });
  });

  afterEach(async function () {
    await reportFailure(s, this.currentTest, 'warehouse-');
  });

  after(async () => {
    await s?.close();
    await ollama.stop();
  });

  it('shows a pair approved without running as unverified, and offers no result to record where nothing runs', async () => {
    const { page } = s;
    await openAskDataView(page);
    await treeRow(page, 'What is our revenue by region?').click();
    const view = webview(page);
    await view.locator('#status-line #unverified').waitFor({ timeout: 60_000 });
    assert.match(await view.locator('#unverified-note').innerText(), /Approved without being run/);
    await view.locator('#query-error .badge', { hasText: 'not-run' }).waitFor();
    assert.equal(await view.locator('#verify').evaluate((e) => (e as HTMLElement & { disabled: boolean }).disabled), true);
    await s.screenshot('30a-warehouse-pair-unverified');
  });

  it('asks: the SQL is shown, marked not run; approving it asks first, and records it unverified', async () => {
    const { page } = s;
    await setUpModel(page);
    const view = await askWithModel(page, QUESTION);
    await view.locator('#query-error .badge', { hasText: 'not-run' }).waitFor({ timeout: 30_000 });
    assert.match(await view.locator('#sql .cm-content').innerText(), /group by c\.region/);
    assert.match(await view.locator('#query-error').innerText(), /has not been checked against data/);
    await s.screenshot('30b-warehouse-sql-not-run');

    await view.locator('#approve').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /could not be run.*records result: unverified/s);
    await s.screenshot('30c-warehouse-approve-unverified-dialog');
    await dialog.locator('.monaco-button', { hasText: 'Approve Unverified' }).click();
    await view.locator('#status-line #unverified').waitFor();
    const file = path.join(s.workspace, 'askdata', 'pairs', 'how-many-orders-per-region.yml');
    const data = await eventually(async () => parse(await fs.readFile(file, 'utf8').catch(() => '')) ?? undefined, file);
    assert.equal(data.status, 'approved');
    assert.equal(data.result, 'unverified');
    await s.screenshot('30d-warehouse-approved-unverified');
  });
});
