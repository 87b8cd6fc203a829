import * as assert from 'node:assert/strict';
import { errorClasses, isRepairable, type ErrorClass } from '../../src/protocol/errorClasses';
import type { AnswerView, PairView, PanelInit, PanelState, ResultView } from '../../src/protocol/messages';
import { WebviewHarness, type RequestHandler } from '../support/webviewHarness';

/** The Ask panel as built (dist/webview.js) in Chromium under its real CSP; the host is played here. */

const PROJECT = '/work/shop';
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

function grounding(): AnswerView['grounding'] {
  return {
    dialect: 'duckdb',
    tables: [{ name: 'customers', score: 3, reasons: ['named in the question'], columns: 4, omittedColumns: 0 }],
    tablesAvailable: 9,
    hidden: { tables: 1, columns: 2 },
    joins: ['orders.customer_id = customers.customer_id'],
    examples: [{ id: 'who-are-my-top-customers', file: 'askdata/pairs/who-are-my-top-customers.yml', question: 'Who are my top customers?', sql: 'select 1', score: 0.8 }],
    rules: `Revenue excludes refunds. ${HOSTILE}`,
    schema: `CREATE TABLE customers (name TEXT -- ${HOSTILE})`,
    tokens: { total: 320, budget: 3000 },
  };
}

function answer(result: ResultView | null, patch: Partial<AnswerView> = {}): AnswerView {
  return {
    question: 'Who are my top customers?',
    sql: '-- assumption: "top" means highest lifetime revenue\nselect name, revenue from customers order by revenue desc limit 3',
    source: 'model',
    model: 'qwen2.5-coder:1.5b',
    pair: null,
    adaptations: [],
    assumptions: ['"top" means highest lifetime revenue'],
    abstained: false,
    reason: null,
    error: null,
    attempts: 1,
    result,
    grounding: grounding(),
    ...patch,
  };
}

const small: ResultView = {
  columns: [{ name: 'name', type: 'VARCHAR' }, { name: 'revenue', type: 'DECIMAL(12,2)' }],
  rows: [[HOSTILE, '1234567.50'], ['Ada', '99.00'], ['Lin', null]],
  rowCount: 3,
  capped: false,
  ms: 4,
};

function rows(n: number): ResultView {
  const out: Array<Array<string | number>> = [];
  for (let i = 0; i < n; i++) out.push([i, `customer ${i}`, (i * 7919) % 100_003, `2026-01-${String((i % 28) + 1).padStart(2, '0')}`]);
  return {
    columns: [{ name: 'customer_id', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR' }, { name: 'score', type: 'BIGINT' }, { name: 'first_order', type: 'DATE' }],
    rows: out,
    rowCount: n,
    capped: false,
    ms: 30,
  };
}

/** Waits for something the panel posts to the host (the harness sees it in Node). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

function init(state: Partial<PanelState> = {}, model = true): PanelInit {
  return {
    state: { projectRoot: PROJECT, ...state },
    projectName: 'shop',
    pair: null,
    model: model ? { available: true, name: 'qwen2.5-coder:1.5b' } : { available: false, name: 'qwen2.5-coder:1.5b', problem: 'Ollama is not running at http://127.0.0.1:11434 (start it with: ollama serve).' },
  };
}

describe('the Ask panel in Chromium (built bundle, real CSP)', function () {
  this.timeout(60_000);
  let harness: WebviewHarness | undefined;
  /** A panel whose page carries `first`, its requests answered by `handler` from the start. */
  const open = async (first: PanelInit, handler: RequestHandler = () => undefined, options: Parameters<typeof WebviewHarness.open>[1] = {}) => {
    harness = await WebviewHarness.open(first, { ...options, onRequest: handler });
    return harness;
  };

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('asks, streams, shows SQL, assumptions and the result, and escapes everything from data, schema and model', async () => {
    const h = await open(init(), async (body, id) => {
      if (body.method === 'similar') return [];
      if (body.method !== 'ask') return undefined;
      await h.post({ type: 'progress', id, step: 'grounding' });
      await h.post({ type: 'progress', id, step: 'generating', detail: 'qwen2.5-coder:1.5b' });
      await h.post({ type: 'token', id, text: '```sql\nselect name' });
      await h.post({ type: 'progress', id, step: 'running' });
      return answer(small);
    });
    const { page } = h;
    await page.locator('#question').click();
    await page.keyboard.type('Who are my top customers?');
    await page.keyboard.press('Control+Enter');
    await page.locator('.grid [role="gridcell"]', { hasText: 'Ada' }).waitFor();
    assert.deepEqual(h.requests('ask').map((r) => r.body), [{ method: 'ask', question: 'Who are my top customers?' }]);
    assert.match(await page.locator('#sql .cm-content').innerText(), /assumption: "top" means highest lifetime revenue/);
    assert.equal(await page.locator('#assumptions li').innerText(), '"top" means highest lifetime revenue');
    assert.equal(await page.locator('#source .badge').innerText(), 'model: qwen2.5-coder:1.5b');
    assert.deepEqual(await page.locator('#progress li').allInnerTexts(), [
      'Grounding in your schema and approved pairs', 'Writing SQL with qwen2.5-coder:1.5b', 'Running the query',
    ]);
    // Hostile text from a row, the rules and the schema is shown as text and never runs.
    await page.locator('#saw summary').click();
    assert.equal(await page.locator('.grid [role="gridcell"]').first().innerText(), HOSTILE);
    assert.match(await page.locator('#saw').innerText(), /onerror/);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.match(await page.locator('#saw').innerText(), /hide 1 table and 2 columns/);
    // Decimals are grouped without losing digits; NULL is marked.
    assert.equal(await page.locator('.grid [role="gridcell"][aria-colindex="2"]').first().innerText(), '1,234,567.50');
    assert.equal(await page.locator('.grid .grid-cell.null').innerText(), 'NULL');
    assert.deepEqual(h.problems, []);
  });

  it('keeps a 100,000-row result virtual: few rows in the DOM, the last one reachable, sorting over all rows', async () => {
    const big = rows(100_000);
    const h = await open(init({ draft: { question: 'All customers', sql: 'select * from customers', answer: { ...answer(null), sql: 'select * from customers', result: null }, history: [] } }), (body) => (body.method === 'run' ? big : undefined));
    const { page } = h;
    await page.locator('#row-count', { hasText: '100,000 rows' }).waitFor();
    const grid = page.locator('.grid');
    assert.equal(await grid.getAttribute('aria-rowcount'), '100001');
    assert.ok((await page.locator('.grid-spacer .grid-row:not([hidden])').count()) < 60, 'only the rows in view are in the DOM');
    await grid.focus();
    await page.keyboard.press('Control+End');
    await page.locator('.grid [role="gridcell"]', { hasText: 'customer 99999' }).waitFor();
    assert.equal(await grid.getAttribute('aria-activedescendant'), 'gc-99999-3');
    // customer_id is an identifier: no thousands separator.
    assert.equal(await page.locator('.grid [role="gridcell"][aria-colindex="1"]', { hasText: '99999' }).first().innerText(), '99999');
    await page.locator('[role="columnheader"]', { hasText: 'score' }).click();
    await page.keyboard.press('Control+Home');
    assert.equal(await page.locator('[role="columnheader"][aria-sort="ascending"]').innerText(), 'score ▲');
    const first = await page.locator('.grid-spacer .grid-row[aria-rowindex="2"] [aria-colindex="3"]').innerText();
    assert.equal(first, '0');
    await page.locator('[role="columnheader"]', { hasText: 'score' }).click();
    const top = await page.locator('.grid-spacer .grid-row[aria-rowindex="2"] [aria-colindex="3"]').innerText();
    assert.equal(top, '100,002');
    assert.deepEqual(h.problems, []);
  });

  it('draws a line chart for a time series without breaking the CSP, and copies the result as CSV', async () => {
    const series: ResultView = {
      columns: [{ name: 'month', type: 'DATE' }, { name: 'revenue', type: 'DOUBLE' }],
      rows: [['2026-03-01', 30.5], ['2026-01-01', 10], ['2026-02-01', 20]],
      rowCount: 3,
      capped: false,
      ms: 2,
    };
    const copied: string[] = [];
    const h = await open(init({ draft: { question: 'Revenue by month', sql: 'select 1', answer: { ...answer(null), sql: 'select 1', result: null }, history: [] } }), (body) => {
      if (body.method === 'run') return series;
      if (body.method === 'copy') copied.push(body.text);
      return undefined;
    });
    const { page } = h;
    await page.locator('#tab-chart').click();
    await page.locator('.chart-box canvas[aria-label="Line chart of revenue over month"]').waitFor();
    await page.locator('#tab-table').click();
    await page.locator('#copy-csv').click();
    await page.waitForFunction(() => document.getElementById('live')?.textContent === 'Copied CSV');
    assert.deepEqual(copied, ['month,revenue\r\n2026-03-01,30.5\r\n2026-01-01,10\r\n2026-02-01,20\r\n']);
    assert.deepEqual(h.problems, []);
  });

  it('shows a query error with its class and a Fix that asks for a repair; a policy denial has no Fix', async () => {
    let fixes = 0;
    const h = await open(init({ draft: { question: 'Revenue', sql: 'select revenu from customers', answer: { ...answer(null), sql: 'select revenu from customers', result: null }, history: [] } }), (body) => {
      if (body.method === 'run') {
        const sql = body.sql;
        throw Object.assign(new Error(sql.includes('email') ? 'You may not read customers.email.' : 'Referenced column "revenu" not found'), { errorClass: sql.includes('email') ? 'permission-denied' : 'unknown-column' });
      }
      if (body.method === 'fix') {
        fixes++;
        assert.deepEqual(body.error, { class: 'unknown-column', message: 'Referenced column "revenu" not found' });
        return answer(small);
      }
      return undefined;
    });
    const { page } = h;
    await page.locator('#query-error .badge', { hasText: 'unknown-column' }).waitFor();
    await page.locator('#fix').click();
    await page.locator('.grid [role="gridcell"]', { hasText: 'Ada' }).waitFor();
    assert.equal(fixes, 1);
    await page.locator('#sql .cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('select email from customers');
    await page.keyboard.press('Control+Enter');
    await page.locator('#query-error .badge', { hasText: 'permission-denied' }).waitFor();
    assert.equal(await page.locator('#fix').count(), 0);
    assert.match(await page.locator('#query-error').innerText(), /access policies/);
  });

  it('approves an answer with the steps that led to it, and becomes that pair\'s panel', async () => {
    const h = await open(init(), (body) => {
      if (body.method === 'ask') return body.feedback ? answer(small, { sql: 'select name, count(*) as orders from orders group by 1 order by 2 desc limit 3' }) : answer(small);
      if (body.method === 'decide') {
        return { id: 'who-are-my-top-customers-2', file: 'askdata/pairs/who-are-my-top-customers-2.yml', question: body.question, sql: body.sql, status: 'approved', tags: [], tables: ['orders'], assumptions: [], approved: { by: 'Erin <erin@shop.example>', at: '2026-11-21T10:00:00Z' }, history: [...body.history, { at: '2026-11-21T10:00:00Z', event: 'approved', by: 'Erin <erin@shop.example>' }] };
      }
      return [];
    });
    const { page } = h;
    await page.locator('#question').click();
    await page.keyboard.type('Who are my top customers?');
    await page.keyboard.press('Control+Enter');
    await page.locator('#approve').waitFor();
    await page.locator('#feedback').click();
    await page.keyboard.type('rank by order count instead');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#sql .cm-content')?.textContent?.includes('count(*)'));
    await page.locator('#approve').click();
    await page.locator('#status-line', { hasText: 'approved' }).waitFor();
    const decide = h.requests('decide')[0]!.body as Extract<typeof h.received[number], { type: 'request' }>['body'] & { method: 'decide' };
    assert.equal(decide.decision, 'approve');
    assert.match(decide.sql, /count\(\*\)/);
    assert.deepEqual(decide.history.map((h) => [h.event, h.text ?? h.model]), [['asked', 'qwen2.5-coder:1.5b'], ['feedback', 'rank by order count instead']]);
    assert.equal(await page.locator('#history li').count(), 3);
    // The state kept for a reload is now the pair's, not the draft.
    assert.deepEqual(h.kept, { projectRoot: PROJECT, pairId: 'who-are-my-top-customers-2' });
  });

  it('marks a pair approved without being run as unverified, and approves it again with its result once it runs', async () => {
    const history = [{ at: '2026-11-21T10:00:00Z', event: 'approved', by: 'Erin <erin@shop.example>' }];
    const unverified: PairView = {
      id: 'revenue-by-name', file: 'askdata/pairs/revenue-by-name.yml', question: 'Revenue by name', sql: 'select name, revenue from customers',
      status: 'approved', tags: [], tables: ['customers'], assumptions: [], approved: { by: 'Erin <erin@shop.example>', at: '2026-11-21T10:00:00Z' }, unverified: true, history,
    };
    let reachable = false;
    // Theme colours come from VS Code's variables: the state is drawn in the warning colour.
    const h = await open({ ...init({ pairId: unverified.id }), pair: unverified }, async (body) => {
      if (body.method === 'run') {
        if (!reachable) throw Object.assign(new Error('Not run: the profile\'s target is snowflake, which Ask Data cannot run on.'), { errorClass: 'not-run' });
        return small;
      }
      if (body.method === 'approve') {
        await h.post({ type: 'pairChanged', pair: { ...unverified, unverified: undefined, result: { rows: 3, columns: ['name', 'revenue'], fingerprint: 'sha256:0123456789abcdef0123' }, history: [...history, { at: '2026-11-22T09:00:00Z', event: 'approved', by: 'Erin <erin@shop.example>' }] } });
      }
      return undefined;
    }, { theme: { '--vscode-editorWarning-foreground': 'rgb(200, 120, 0)' } });
    const { page } = h;
    assert.deepEqual(await page.locator('#status-line .status').allTextContents(), ['approved', 'unverified']);
    assert.equal(await page.locator('#unverified').evaluate((e) => getComputedStyle(e).color), 'rgb(200, 120, 0)');
    assert.match(await page.locator('#unverified-note').innerText(), /Approved without being run.*no result was checked or recorded/s);
    assert.equal(await page.locator('#unverified-note').getAttribute('role'), 'note');
    assert.equal(await page.locator('#recorded-result').count(), 0);
    // Where it cannot run, there is no result to record: approving again is not offered.
    await page.locator('#query-error .badge', { hasText: 'not-run' }).waitFor();
    assert.equal(await page.locator('#verify').evaluate((e) => (e as HTMLElement & { disabled: boolean }).disabled), true);
    assert.match(await page.locator('#verify').getAttribute('title') ?? '', /Run it where the data is first/);
    // Where it runs, it is offered, by keyboard too; approving records the result and the mark goes.
    reachable = true;
    await page.locator('#sql .cm-content').click();
    await page.keyboard.press('Control+Enter');
    await page.locator('.grid [role="gridcell"]', { hasText: 'Ada' }).waitFor();
    await page.waitForFunction(() => (document.querySelector('#verify') as HTMLElement & { disabled: boolean } | null)?.disabled === false);
    await page.locator('#verify').focus();
    await page.keyboard.press('Enter');
    await page.locator('#recorded-result', { hasText: 'Approved result: 3 rows' }).waitFor();
    assert.equal(h.requests('approve').length, 1);
    assert.equal(await page.locator('#unverified').count(), 0);
    assert.equal(await page.locator('#unverified-note').count(), 0);
    assert.equal(await page.locator('#verify').count(), 0);
    assert.deepEqual(h.problems, []);
  });

  it('lets SQL that could not run be approved deliberately (the host confirms it), but never SQL that fails', async () => {
    let error = { errorClass: 'not-run', message: 'Not run: no database to run on.' };
    const h = await open(init({ draft: { question: 'Revenue', sql: 'select sum(revenue) from customers', answer: { ...answer(null), sql: 'select sum(revenue) from customers', result: null }, history: [] } }), (body) => {
      if (body.method === 'run') throw Object.assign(new Error(error.message), { errorClass: error.errorClass });
      return [];
    });
    const { page } = h;
    await page.locator('#query-error .badge', { hasText: 'not-run' }).waitFor();
    // Not a failure: said as a notice (a status, in the warning colours), not as an alert.
    assert.equal(await page.locator('#query-error').getAttribute('role'), 'status');
    assert.match(await page.locator('#query-error').getAttribute('class') ?? '', /\bnot-run\b/);
    const approve = page.locator('#approve');
    assert.equal(await approve.evaluate((e) => (e as HTMLElement & { disabled: boolean }).disabled), false);
    assert.match(await approve.getAttribute('title') ?? '', /asks you to confirm, and records it as unverified/);
    error = { errorClass: 'unknown-column', message: 'There is no column named revenu here.' };
    await page.locator('#sql .cm-content').click();
    await page.keyboard.press('Control+Enter');
    await page.locator('#query-error .badge', { hasText: 'unknown-column' }).waitFor();
    assert.equal(await approve.evaluate((e) => (e as HTMLElement & { disabled: boolean }).disabled), true);
    assert.equal(await page.locator('#query-error').getAttribute('role'), 'alert');
  });

  it('ignores messages that do not match the protocol', async () => {
    const h = await open(init({}, false));
    const { page } = h;
    await page.locator('#setup-model', { hasText: 'No model: recall only' }).waitFor();
    await h.post({ type: 'modelChanged', model: { available: true } } as unknown as Parameters<typeof h.post>[0]);
    await page.waitForTimeout(200);
    assert.equal(await page.locator('#setup-model').count(), 1, 'a model without its name was not taken');
    await h.post({ type: 'modelChanged', model: { available: true, name: 'qwen2.5-coder:1.5b' } });
    await page.locator('.model-badge .badge.ok', { hasText: 'qwen2.5-coder:1.5b' }).waitFor();
  });

  it('draws itself from the state in the page, before the host says anything, and keeps hostile text as text', async () => {
    const hostile = `</script><script>window.__pwned = 1</script>${HOSTILE}`;
    const pair: PairView = {
      id: 'hostile', file: 'askdata/pairs/hostile.yml', question: hostile, sql: `select '${hostile}' as x`, status: 'pending', tags: [], tables: [], assumptions: [], history: [],
    };
    let ran = 0;
    const h = await open({ ...init({ pairId: pair.id }), projectName: hostile, pair }, (body) => {
      if (body.method === 'run') ran++;
      return body.method === 'run' ? small : undefined;
    });
    const { page } = h;
    // The harness has posted nothing to the panel: all it drew came with the page.
    assert.equal(await page.locator('#question').evaluate((e) => (e as HTMLTextAreaElement).value), hostile);
    assert.equal(await page.locator('.header .project').innerText(), hostile);
    await page.locator('#status-line', { hasText: 'pending' }).waitFor();
    assert.match(await page.locator('#sql .cm-content').innerText(), /window\.__pwned/);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);
    // A pair shows what its SQL returns at once.
    await page.locator('.grid [role="gridcell"]', { hasText: 'Ada' }).waitFor();
    assert.equal(ran, 1);
    assert.deepEqual(h.received.map((m) => (m.type === 'request' ? m.body.method : m.type)), ['run', 'ready']);
    assert.deepEqual(h.problems, []);
  });

  it('keeps the draft with VS Code, not the host: typing posts no state, and the draft is there when the page loads again', async () => {
    const h = await open(init({ about: 'customers' }), (body) => (body.method === 'similar' ? [] : undefined));
    const { page } = h;
    await page.locator('#question').click();
    await page.keyboard.type('Which customers ordered twice?');
    await until(() => h.requests('similar').length > 0, 'the look-up of similar questions');
    // Only the look-up of similar questions goes to the host while typing (after a pause), never the draft.
    assert.deepEqual([...new Set(h.received.map((m) => (m.type === 'request' ? m.body.method : m.type)))].filter((t) => t !== 'similar'), ['ready']);
    assert.ok(h.received.every((m) => !('state' in m)), 'no message carries the state');
    assert.deepEqual(h.kept, { projectRoot: PROJECT, about: 'customers', draft: { question: 'Which customers ordered twice?', sql: '', answer: null, history: [] } });
    assert.ok(h.keptStates.length >= 'Which customers ordered twice?'.length, 'each keystroke is kept with VS Code');

    // Hidden and shown again, VS Code loads the same page and hands back what the panel kept.
    const kept = h.kept!;
    await h.load(init({ about: 'customers' }), { kept });
    assert.equal(await page.locator('#question').evaluate((e) => (e as HTMLTextAreaElement).value), 'Which customers ordered twice?');
    assert.equal(await page.locator('h1').innerText(), 'Ask about customers');
    // What VS Code kept for another panel is not this one's draft: the page's own is drawn.
    await h.load(init({ about: 'orders', draft: { question: 'Orders by month', sql: '', answer: null, history: [] } }), { kept });
    assert.equal(await page.locator('#question').evaluate((e) => (e as HTMLTextAreaElement).value), 'Orders by month');
    assert.deepEqual(h.problems, []);
  });

  it('redraws as the pair the host says it is, when its page was written before its answer became that pair', async () => {
    const pair: PairView = { id: 'revenue', file: 'askdata/pairs/revenue.yml', question: 'Revenue?', sql: 'select sum(revenue) from customers', status: 'approved', tags: [], tables: ['customers'], assumptions: [], history: [] };
    // VS Code kept the pair's id; the page (loaded again while shown) still says "a new question".
    const h = await open(init(), (body) => (body.method === 'run' ? small : undefined), { kept: { projectRoot: PROJECT, pairId: pair.id } });
    const { page } = h;
    assert.equal(await page.locator('#status-line').count(), 0);
    await h.post({ type: 'pairChanged', pair });
    await page.locator('#status-line', { hasText: 'approved' }).waitFor();
    assert.equal(await page.locator('#question').evaluate((e) => (e as HTMLTextAreaElement).value), 'Revenue?');
    await page.locator('.grid [role="gridcell"]', { hasText: 'Ada' }).waitFor();
    assert.deepEqual(h.kept, { projectRoot: PROJECT, pairId: pair.id });
    assert.deepEqual(h.problems, []);
  });

  it('tells a stopped request by its class, whatever its message says; an error that mentions aborting is still an error', async () => {
    let stop: (() => void) | undefined;
    let message = 'Die Anfrage wurde beendet.';
    let errorClass: string | undefined = 'cancelled';
    const h = await open(init({ draft: { question: 'Revenue', sql: 'select 1 as kept', answer: null, history: [] } }), (body) => {
      if (body.method === 'cancel') stop?.();
      if (body.method !== 'ask' && body.method !== 'run') return body.method === 'similar' ? [] : undefined;
      return new Promise((_resolve, reject) => {
        stop = () => reject(Object.assign(new Error(message), { errorClass }));
      });
    });
    const { page } = h;
    await page.locator('#ask').click();
    await page.locator('#cancel:not([hidden])').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#progress li.stopped', { hasText: 'Stopped.' }).waitFor();
    assert.equal(await page.locator('.error[role="alert"]').isVisible(), false, 'no error shown');
    assert.match(await page.locator('#sql .cm-content').innerText(), /select 1 as kept/, 'the SQL shown before is kept');
    assert.equal(h.requests('cancel').length, 1);

    // A run stopped the same way is not a failed query.
    await page.locator('#run').click();
    await page.locator('#cancel:not([hidden])').click();
    await page.locator('#progress li.stopped').waitFor();
    assert.equal(await page.locator('#query-error').isVisible(), false);

    // A failure whose text speaks of aborting, but whose class is not `cancelled`, is a failure.
    message = 'The statement was aborted by the database: stopped by a conflict';
    errorClass = 'runtime';
    await page.locator('#run').click();
    await page.locator('#cancel:not([hidden])').click();
    await page.locator('#query-error .badge', { hasText: 'runtime' }).waitFor();
    errorClass = undefined;
    await page.locator('#ask').click();
    await page.locator('#cancel:not([hidden])').click();
    await page.locator('.error[role="alert"]', { hasText: 'aborted by the database' }).waitFor();
    assert.deepEqual(h.problems, []);
  });

  it('offers Fix for exactly the error classes a rewrite can fix', async () => {
    let errorClass = 'syntax';
    const h = await open(init({ draft: { question: 'Revenue', sql: 'select revenu from customers', answer: null, history: [] } }), (body) => {
      if (body.method === 'run') throw Object.assign(new Error(`failed: ${errorClass}`), { errorClass });
      return undefined;
    });
    const { page } = h;
    const offered: ErrorClass[] = [];
    for (const c of errorClasses.filter((x) => x !== 'cancelled')) {
      errorClass = c;
      await page.locator('#run:not([disabled])').click();
      await page.locator('#query-error .badge', { hasText: new RegExp(`^${c}$`) }).waitFor();
      if (await page.locator('#fix').count()) offered.push(c);
    }
    assert.deepEqual(offered, errorClasses.filter((c) => c !== 'cancelled' && isRepairable(c)));
    for (const c of ['unknown-column', 'syntax', 'runtime'] as const) assert.ok(offered.includes(c), `Fix for ${c}`);
    for (const c of ['permission-denied', 'timeout', 'not-run', 'database-locked', 'model-unreachable'] as const) assert.ok(!offered.includes(c), `no Fix for ${c}`);
  });

  it('refuses a reply that is not its request\'s type, and is not left waiting for it', async () => {
    let reply: 'wrong-shape' | 'wrong-method' = 'wrong-shape';
    const h = await open(init({ draft: { question: 'Revenue', sql: 'select 1', answer: null, history: [] } }), async (body, id) => {
      if (body.method !== 'run') return undefined;
      if (reply === 'wrong-shape') await h.post({ type: 'reply', id, ok: true, method: 'run', result: answer(small) } as unknown as Parameters<typeof h.post>[0]);
      else await h.post({ type: 'reply', id, ok: true, method: 'similar', result: [] });
      return new Promise(() => undefined);
    });
    const { page } = h;
    await page.locator('#run').click();
    await page.locator('.error[role="alert"]', { hasText: 'sent a run reply this panel does not understand' }).waitFor();
    assert.equal(await page.locator('#run').evaluate((e) => (e as HTMLElement & { disabled: boolean }).disabled), false, 'not busy any more');
    assert.equal(await page.locator('#result').isVisible(), false);
    reply = 'wrong-method';
    await page.locator('#run').click();
    await page.locator('.error[role="alert"]', { hasText: 'answered a run request with a similar reply' }).waitFor();
    assert.equal(await page.locator('#result').isVisible(), false);
  });

  it('draws nothing but a clear error from a page whose state does not match the protocol, and asks nothing', async () => {
    const h = await open({ state: { projectRoot: PROJECT }, projectName: 'shop', pair: null } as unknown as PanelInit, () => undefined, { expectReady: false });
    const { page } = h;
    await page.locator('#app .error', { hasText: 'could not be drawn' }).waitFor();
    assert.equal(await page.locator('#question').count(), 0);
    await page.waitForTimeout(200);
    assert.deepEqual(h.received, []);
  });
});
