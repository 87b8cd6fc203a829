import * as assert from 'node:assert/strict';
import { couldNotRun, errorClasses, isRepairable, type ErrorClass } from '../../src/protocol/errorClasses';
import {
  answerView, errorView, handleRequest, hostToWebview, okReplyTo, panelInit, requestBody, resultView, webviewToHost,
  type AnswerView, type PanelInit, type RequestBody, type RequestHandlers, type RequestMethod, type ResultView,
} from '../../src/protocol/messages';
import { INITIAL_STATE_ID, jsonInHtml, panelHtml } from '../../src/protocol/panelHtml';
import { chooseChart } from '../../webview-ui/chartChoice';
import { columnFormat, formatCell, groupDigits, sortOrder, toCsv, toMarkdown } from '../../webview-ui/format';

describe('the panel protocol', () => {
  it('accepts a well-formed result and refuses rows of the wrong width or with live objects', () => {
    const columns = [{ name: 'a', type: 'INTEGER' }, { name: 'b', type: 'VARCHAR' }];
    assert.ok(resultView.safeParse({ columns, rows: [[1, 'x'], [null, '{"k":1}']], rowCount: 2, capped: false, ms: 1 }).success);
    assert.ok(resultView.safeParse({ columns, rows: [[1, ['nested', { k: null }]]], rowCount: 1, capped: false, ms: 1 }).success);
    assert.equal(resultView.safeParse({ columns, rows: [[1]], rowCount: 1, capped: false, ms: 1 }).success, false);
    assert.equal(resultView.safeParse({ columns, rows: [[1, () => 1]], rowCount: 1, capped: false, ms: 1 }).success, false);
    assert.equal(resultView.safeParse({ columns, rows: [[1, 'x']], rowCount: -1, capped: false, ms: 1 }).success, false);
  });

  it('validates requests: questions and SQL are trimmed and must not be empty; unknown methods are refused', () => {
    assert.deepEqual(requestBody.parse({ method: 'ask', question: '  Who?  ' }), { method: 'ask', question: 'Who?' });
    assert.equal(requestBody.safeParse({ method: 'ask', question: '   ' }).success, false);
    assert.equal(requestBody.safeParse({ method: 'run', sql: '' }).success, false);
    assert.equal(requestBody.safeParse({ method: 'dropTable' }).success, false);
    assert.equal(requestBody.safeParse({ method: 'decide', decision: 'approve', question: 'q', sql: 's', history: [{ at: 'yesterday', event: 'asked' }] }).success, false);
    assert.ok(webviewToHost.safeParse({ type: 'request', id: 1, body: { method: 'cancel', requestId: 3 } }).success);
    assert.equal(webviewToHost.safeParse({ type: 'request', id: 1.5, body: { method: 'openFile' } }).success, false);
  });

  it('sends the host no state: ready says only that, and a state message is no message', () => {
    assert.deepEqual(webviewToHost.parse({ type: 'ready', state: { projectRoot: '/p', draft: { question: 'q', sql: '', answer: null, history: [] } } }), { type: 'ready' });
    assert.equal(webviewToHost.safeParse({ type: 'state', state: { projectRoot: '/p' } }).success, false);
  });

  it('refuses host messages of the wrong shape', () => {
    assert.equal(hostToWebview.safeParse({ type: 'progress', id: 1, step: 'hacking' }).success, false);
    assert.equal(answerView.safeParse({ question: 'q' }).success, false);
  });
});

const RESULT: ResultView = { columns: [{ name: 'n', type: 'INTEGER' }], rows: [[1]], rowCount: 1, capped: false, ms: 1 };
const ANSWER: AnswerView = {
  question: 'q', sql: 'select 1', source: 'model', model: 'm', pair: null, adaptations: [], assumptions: [], abstained: false, reason: null, error: null, attempts: 1, result: RESULT,
  grounding: { dialect: 'duckdb', tables: [], tablesAvailable: 0, hidden: { tables: 0, columns: 0 }, joins: [], examples: [], rules: '', schema: '', tokens: { total: 0, budget: 1 } },
};
const PAIR = { id: 'p', file: 'askdata/pairs/p.yml', question: 'q', sql: 'select 1', status: 'pending' as const, tags: [], tables: [], assumptions: [], history: [] };

describe('replies, typed by their request', () => {
  const ok = (method: string, result: unknown) => hostToWebview.safeParse({ type: 'reply', id: 1, ok: true, method, result }).success;

  it('checks a reply against the schema of the method it answers, on whichever side parses it', () => {
    assert.ok(ok('run', RESULT));
    assert.equal(ok('run', ANSWER), false, 'a run replied with an answer');
    assert.ok(ok('ask', ANSWER));
    assert.equal(ok('ask', RESULT), false, 'an ask replied with a result');
    assert.equal(ok('fix', { ...ANSWER, error: { class: 'too-many-rows', message: 'x' } }), false, 'an answer whose error class does not exist');
    assert.ok(ok('similar', [{ id: 'p', question: 'q', score: 0.5 }]));
    assert.equal(ok('similar', { id: 'p' }), false);
    assert.ok(ok('decide', PAIR));
    assert.equal(ok('decide', undefined), false, 'a decision must say which pair it made');
    assert.ok(ok('approve', undefined));
    assert.equal(ok('approve', 'done'), false, 'a request that replies nothing carries nothing');
    assert.equal(ok('dropTable', undefined), false);
    assert.equal(hostToWebview.safeParse({ type: 'reply', id: 1, ok: true, result: RESULT }).success, false, 'a reply names its method');
  });

  it('lets a failed reply carry one of the error classes, or none', () => {
    const failed = (errorClass?: string) => hostToWebview.safeParse({ type: 'reply', id: 1, ok: false, method: 'run', error: 'e', errorClass }).success;
    assert.ok(failed('cancelled'));
    assert.ok(failed(undefined));
    assert.equal(failed('aborted'), false);
  });

  it('calls the handler of each request, whose reply is the one its schema accepts', async () => {
    const called: RequestMethod[] = [];
    const did = <T>(method: RequestMethod, value: T) => async () => {
      called.push(method);
      return value;
    };
    const handlers: RequestHandlers<{ user: string }> = {
      ask: did('ask', ANSWER), fix: did('fix', ANSWER), run: did('run', RESULT), cancel: did('cancel', undefined), decide: did('decide', PAIR),
      approve: did('approve', undefined), reject: did('reject', undefined), removeApproval: did('removeApproval', undefined), save: did('save', undefined),
      openFile: did('openFile', undefined), similar: did('similar', []), openPair: did('openPair', undefined), copy: did('copy', undefined), setupModel: did('setupModel', undefined),
    };
    const bodies: RequestBody[] = [
      { method: 'ask', question: 'q' }, { method: 'fix', question: 'q', sql: 's', error: { class: 'syntax', message: 'm' } }, { method: 'run', sql: 's' },
      { method: 'cancel', requestId: 1 }, { method: 'decide', decision: 'pending', question: 'q', sql: 's', history: [] }, { method: 'approve' }, { method: 'reject' },
      { method: 'removeApproval' }, { method: 'save', question: 'q', sql: 's' }, { method: 'openFile' }, { method: 'similar', question: 'q' },
      { method: 'openPair', pairId: 'p' }, { method: 'copy', text: 't' }, { method: 'setupModel' },
    ];
    assert.deepEqual(bodies.map((b) => b.method).sort(), Object.keys(handlers).sort(), 'every request is tried');
    for (const body of bodies) {
      const result = await handleRequest(handlers, body, { user: 'u' });
      assert.equal(called.at(-1), body.method);
      assert.ok(hostToWebview.safeParse(okReplyTo(7, body.method, result)).success, `${body.method}'s reply is valid`);
    }
    // The compiler holds each handler to its reply type: these do not build.
    // @ts-expect-error a run must reply with a result, not an answer
    const wrongReply: RequestHandlers<null>['run'] = async () => ANSWER;
    // @ts-expect-error every request has its handler
    const missing: RequestHandlers<null> = { ...handlers, cancel: undefined };
    assert.equal(typeof wrongReply, 'function');
    assert.equal(missing.cancel, undefined);
  });
});

describe('error classes, one list', () => {
  it('is the list the wire accepts: a class outside it (the old too-many-rows) is refused', () => {
    for (const c of errorClasses) assert.ok(errorView.safeParse({ class: c, message: 'm' }).success, c);
    assert.equal(errorView.safeParse({ class: 'too-many-rows', message: 'm' }).success, false);
    assert.equal(errorView.safeParse({ class: 'aborted', message: 'm' }).success, false);
  });

  it('says which errors a rewrite of the SQL can fix, and which SQL only could not run', () => {
    // What no rewrite can fix: a policy, a database that is not there, a person who stopped it,
    // a query too slow (a faster one is another question), and anything wrong with the model itself.
    const never = new Set<ErrorClass>(['permission-denied', 'timeout', 'cancelled', 'database-missing', 'database-locked', 'database-corrupt', 'not-run']);
    for (const c of errorClasses) {
      const expected = !never.has(c) && !c.startsWith('model');
      assert.equal(isRepairable(c), expected, c);
    }
    assert.deepEqual(errorClasses.filter(couldNotRun).sort(), ['database-locked', 'database-missing', 'not-run']);
  });
});

describe('the page carries the panel\'s first state', () => {
  const hostile = '</script><script>window.__pwned = 1</script><!-- \u2028 & &amp; <img src=x onerror=alert(1)>';
  const init: PanelInit = { state: { projectRoot: '/p', pairId: 'p' }, projectName: hostile, pair: { ...PAIR, question: hostile }, model: { available: false, name: 'm', problem: hostile } };

  it('as JSON that no string in it can break out of, read back as it was', () => {
    const text = jsonInHtml(init);
    assert.doesNotMatch(text, /[<>&\u2028]/);
    assert.deepEqual(JSON.parse(text), init);
    const html = panelHtml({ nonce: 'n', cspSource: 'https://x', script: 'https://x/w.js', style: 'https://x/p.css', init });
    const element = new RegExp(`<script type="application/json" id="${INITIAL_STATE_ID}" nonce="n">([^<]*)</script>`).exec(html);
    assert.ok(element, 'the state is in the page');
    assert.deepEqual(panelInit.parse(JSON.parse(element[1]!)), init);
    assert.equal(html.match(/<script\b/g)!.length, 2, 'no script element but the state and the panel');
  });
});

describe('result formatting', () => {
  const col = (name: string, type: string) => columnFormat({ name, type });

  it('groups digits without rounding, except for identifiers and years', () => {
    assert.equal(groupDigits('1234567.505'), '1,234,567.505');
    assert.equal(groupDigits('-12345678901234567890'), '-12,345,678,901,234,567,890');
    assert.equal(formatCell('1234567.50', col('revenue', 'DECIMAL(12,2)')), '1,234,567.50');
    assert.equal(formatCell(1234.5, col('revenue', 'DOUBLE')), '1,234.5');
    assert.equal(formatCell(20261, col('customer_id', 'INTEGER')), '20261');
    assert.equal(formatCell(2026, col('order_year', 'BIGINT')), '2026');
    assert.equal(formatCell(null, col('x', 'VARCHAR')), 'NULL');
    assert.equal(formatCell({ a: [1, 2] }, col('s', 'STRUCT(a INTEGER[])')), '{"a":[1,2]}');
    assert.equal(formatCell('2026-01-02', col('d', 'DATE')), '2026-01-02');
  });

  it('sorts numbers as numbers (exact decimals included) and puts NULLs last both ways', () => {
    const rows = [['10.5'], [null], ['9.25'], ['100']];
    const kind = col('v', 'DECIMAL(8,2)').kind;
    assert.deepEqual([...sortOrder(rows, 0, kind, 'ascending')], [2, 0, 3, 1]);
    assert.deepEqual([...sortOrder(rows, 0, kind, 'descending')], [3, 0, 2, 1]);
    assert.deepEqual([...sortOrder([['b'], ['a'], ['c']], 0, 'text', 'ascending')], [1, 0, 2]);
  });

  it('copies as RFC 4180 CSV and as a Markdown table, in the order shown', () => {
    const columns = [{ name: 'name', type: 'VARCHAR' }, { name: 'amount', type: 'DECIMAL(10,2)' }];
    const rows = [['Ada, "the first"', '1000.00'], ['a|b\nc', null]];
    assert.equal(toCsv(columns, rows), 'name,amount\r\n"Ada, ""the first""",1000.00\r\n"a|b\nc",\r\n');
    assert.equal(toCsv(columns, rows, [1, 0]).split('\r\n')[1], '"a|b\nc",');
    assert.equal(toMarkdown(columns, rows), '| name | amount |\n| --- | ---: |\n| Ada, "the first" | 1,000.00 |\n| a\\|b<br>c | NULL |\n');
  });
});

describe('choosing a chart from the shape of a result', () => {
  it('draws a line for one value per date, bars for a ranking, and nothing for other shapes', () => {
    const month = { name: 'month', type: 'DATE' };
    const revenue = { name: 'revenue', type: 'DOUBLE' };
    assert.deepEqual(chooseChart([month, revenue], [['2026-01-01', 1], ['2026-02-01', 2]]), { kind: 'line', x: 0, series: [1], rows: 2, reason: 'revenue over month' });
    const name = { name: 'customer_name', type: 'VARCHAR' };
    const id = { name: 'customer_id', type: 'INTEGER' };
    const top = chooseChart([id, name, revenue], [[1, 'Ada', 10], [2, 'Lin', 5]]);
    assert.deepEqual(top, { kind: 'bar', x: 1, series: [2], rows: 2, reason: 'revenue by customer_name' });
    // Two rows per month (one per channel): not one series, and the month repeats, so no bars either.
    const channel = { name: 'channel', type: 'VARCHAR' };
    assert.equal(chooseChart([month, channel, revenue], [['2026-01-01', 'a', 1], ['2026-01-01', 'b', 2]]), null);
    assert.equal(chooseChart([name], [['Ada'], ['Lin']]), null);
    assert.equal(chooseChart([name, revenue], [['Ada', 1]]), null);
    // SQLite years as integers, named as such, are time.
    assert.equal(chooseChart([{ name: 'year', type: 'INTEGER' }, revenue], [[2024, 1], [2025, 2]])?.kind, 'line');
    const many = Array.from({ length: 50 }, (_, i) => [`c${i}`, i]);
    assert.deepEqual(chooseChart([name, revenue], many)?.rows, 30);
  });
});
