import * as assert from 'node:assert/strict';
import { answerView, hostToWebview, requestBody, resultView, webviewToHost } from '../../src/protocol/messages';
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

  it('keeps a ready message usable when the stored state is damaged', () => {
    const parsed = webviewToHost.parse({ type: 'ready', state: { projectRoot: 42 } });
    assert.deepEqual(parsed, { type: 'ready', state: undefined });
  });

  it('refuses host messages of the wrong shape', () => {
    assert.equal(hostToWebview.safeParse({ type: 'progress', id: 1, step: 'hacking' }).success, false);
    assert.equal(answerView.safeParse({ question: 'q' }).success, false);
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
