import { isRepairable } from '../src/protocol/errorClasses';
import type { ResultView } from '../src/protocol/messages';
import { fix, setBusy, showStopped, startProgress, stepDone } from './asking';
import { chooseChart } from './chartChoice';
import { renderChart } from './chartView';
import { renderDecisions } from './decisions';
import { h, present } from './dom';
import { toCsv, toMarkdown } from './format';
import { ResultGrid } from './resultGrid';
import { isCancelled, request, RequestError, send } from './rpc';
import { panel, persist, record } from './state';
import { announce, showError, ui, type Button } from './ui';

/** The SQL as the person edits and runs it, and what it returns: a grid, a chart, or its error. */

export function onSqlEdited(): void {
  if (!panel.pair) {
    panel.draft.sql = ui.editor.value;
    persist();
  }
  renderEdited();
  renderDecisions();
}

export function renderEdited(): void {
  ui.edited.hidden = ui.editor.value.trim() === panel.baseSql.trim();
}

export async function runSql(options: { quiet?: boolean } = {}): Promise<void> {
  const sql = ui.editor.value.trim();
  if (panel.busy) return;
  if (!sql) {
    showError('There is no SQL to run.');
    return;
  }
  showError(undefined);
  ui.answer.hidden = false;
  const edited = sql !== panel.baseSql.trim() && sql !== panel.lastRecordedEdit;
  const handle = send({ method: 'run', sql });
  setBusy('running', handle.id);
  if (!options.quiet) {
    startProgress()('running');
  }
  try {
    const r = await handle.reply;
    panel.queryError = null;
    setResult(r);
    if (edited) {
      // Once per version of the SQL: running the same edit again is not another step.
      record({ event: 'edited', text: 'SQL, and ran it' });
      panel.lastRecordedEdit = sql;
      if (!panel.pair) panel.draft = { ...panel.draft, sql };
      persist();
    }
    stepDone();
    announce(`${r.rowCount} row${r.rowCount === 1 ? '' : 's'}`);
  } catch (e) {
    if (isCancelled(e)) {
      // Stopped: nothing new to show, and nothing failed.
      showStopped();
    } else if (e instanceof RequestError && e.errorClass) {
      ui.progress.hidden = true;
      panel.queryError = { class: e.errorClass, message: e.message };
      setResult(null);
    } else {
      ui.progress.hidden = true;
      showError(e);
    }
  } finally {
    setBusy(undefined);
    renderQueryError();
    renderEdited();
  }
}

export function renderQueryError(): void {
  const e = panel.queryError;
  ui.queryError.hidden = !e;
  ui.queryError.replaceChildren();
  // SQL that could not run at all has not failed: a notice in the warning colours, not an alarm.
  const notRun = e?.class === 'not-run';
  ui.queryError.classList.toggle('not-run', notRun);
  ui.queryError.setAttribute('role', notRun ? 'status' : 'alert');
  renderDecisions();
  if (!e) return;
  const { model } = panel;
  const fixable = isRepairable(e.class) && ui.editor.value.trim() !== '';
  const fixButton = fixable ? h('vscode-button', { id: 'fix', secondary: true, disabled: !model.available || !!panel.busy, title: model.available ? 'Ask the model to repair the query from this error' : `Needs the local model. ${model.problem ?? ''}` }, 'Fix') as unknown as Button : null;
  fixButton?.addEventListener('click', () => void fix());
  const help = e.class === 'permission-denied'
    ? 'Your access policies (askdata/policies.yml) do not allow this. Ask the people who own them, or rephrase the question around what you may see.'
    : e.class === 'not-run' ? 'This SQL was written from the dbt project alone and has not been checked against data. Copy it and run it where the data is.'
      : e.class.startsWith('database') ? 'The database could not be read; build it with dbt or say which one to use in askdata/askdata.yml.' : '';
  ui.queryError.append(...present(
    h('div', { class: 'query-error-head' }, h('span', { class: `badge error-class class-${e.class}` }, e.class), fixButton),
    h('p', { class: 'query-error-message' }, e.message),
    help ? h('p', { class: 'muted' }, help) : null,
  ));
}

export function setResult(r: ResultView | null): void {
  panel.result = r;
  ui.chart?.destroy();
  ui.chart = undefined;
  ui.grid = undefined;
  ui.resultBox.hidden = !r;
  ui.resultBox.replaceChildren();
  if (!r) return;
  const choice = chooseChart(r.columns, r.rows);
  if (!choice) panel.view = 'table';
  const count = `${r.rowCount.toLocaleString('en-US')}${r.capped ? '+' : ''} row${r.rowCount === 1 ? '' : 's'}${r.rows.length < r.rowCount ? ` (first ${r.rows.length.toLocaleString('en-US')} shown)` : ''} · ${r.ms} ms`;
  const tab = (name: 'table' | 'chart', label: string) => {
    const selected = panel.view === name;
    const b = h('button', { class: `tab${selected ? ' selected' : ''}`, role: 'tab', 'aria-selected': selected ? 'true' : 'false', id: `tab-${name}`, tabindex: selected ? 0 : -1 }, label);
    b.addEventListener('click', () => {
      panel.view = name;
      setResult(panel.result);
      document.getElementById(`tab-${name}`)?.focus();
    });
    b.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        panel.view = panel.view === 'table' ? 'chart' : 'table';
        setResult(panel.result);
        document.getElementById(`tab-${panel.view}`)?.focus();
      }
    });
    return b;
  };
  const copy = (format: 'csv' | 'markdown') => {
    const b = h('vscode-button', { secondary: true, id: `copy-${format}`, title: `Copy all ${r.rows.length.toLocaleString('en-US')} rows as ${format === 'csv' ? 'CSV' : 'a Markdown table'}` }, format === 'csv' ? 'Copy CSV' : 'Copy Markdown');
    b.addEventListener('click', () => {
      const text = format === 'csv' ? toCsv(r.columns, r.rows, ui.grid?.shownOrder) : toMarkdown(r.columns, r.rows, ui.grid?.shownOrder);
      void request({ method: 'copy', text }).then(() => announce(`Copied ${format === 'csv' ? 'CSV' : 'Markdown'}`), showError);
    });
    return b;
  };
  ui.resultBox.append(h('div', { class: 'result-head' },
    choice ? h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Show the result as' }, tab('table', 'Table'), tab('chart', 'Chart')) : null,
    h('span', { class: 'muted', id: 'row-count' }, count),
    h('span', { class: 'spacer' }),
    copy('csv'),
    copy('markdown'),
  ));
  if (r.columns.length === 0) {
    ui.resultBox.append(h('p', { class: 'muted' }, 'The query returned no columns.'));
  } else if (panel.view === 'chart' && choice) {
    ui.chart = renderChart(choice, r.columns, r.rows);
    ui.resultBox.append(h('p', { class: 'muted small' }, `${choice.kind === 'line' ? 'Line' : 'Bars'}: ${choice.reason}`), ui.chart.element);
  } else {
    ui.grid = new ResultGrid(r.columns, r.rows, `Result: ${count}`);
    ui.resultBox.append(ui.grid.element);
    ui.grid.renderNow();
    if (r.rows.length === 0) ui.resultBox.append(h('p', { class: 'muted' }, 'No rows.'));
    // For the benchmark: the rows are in the DOM; the next frame paints them.
    requestAnimationFrame(() => setTimeout(() => performance.mark('askdata:rows-painted')));
  }
}
