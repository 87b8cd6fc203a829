import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { couldNotRun, isRepairable } from '../src/protocol/errorClasses';
import { type AnswerView, type DraftState, type ErrorView, type HistoryEntry, type ModelView, type PairView, panelInit, panelState, type PanelState, type RequestOf, type ResultView } from '../src/protocol/messages';
import { INITIAL_STATE_ID } from '../src/protocol/panelHtml';
import { chooseChart } from './chartChoice';
import { renderChart } from './chartView';
import { formatWhen, h, present } from './dom';
import { toCsv, toMarkdown } from './format';
import { ResultGrid } from './resultGrid';
import { isCancelled, keepState, keptState, onMessage, ready, request, RequestError, send } from './rpc';
import { SqlEditor } from './sqlEditor';

// ── state ──

/**
 * What the panel knows and has done, in one object. The host decides which panel it is and puts
 * that in the page; the work in it (the draft) is the webview's own, kept with VS Code
 * (getState/setState) so that it survives hiding and reloads without a word to the host.
 */
interface Panel {
  /** Which panel this is: its project, and its pair or the model it asks about. */
  projectRoot: string;
  about: string | undefined;
  projectName: string;
  /** Null for a new question; the pair when the panel is a pair's. */
  pair: PairView | null;
  /** What the layout on screen was drawn for (a pair's file may go away under a pair's layout). */
  layout: 'question' | 'pair';
  model: ModelView;
  /** A new question's work: kept across hiding and reloads. */
  draft: DraftState;
  /** Steps taken on an open pair since it was opened (feedback, fixes): saved with its edits. */
  pairSteps: HistoryEntry[];
  /** What the SQL shown returned, or why it failed. */
  result: ResultView | null;
  queryError: ErrorView | null;
  /** The request that can be stopped with Escape or Stop. */
  busy: { id: number; what: string } | undefined;
  /** The SQL and question as the answer or the pair gave them, to tell the person's edits from them. */
  baseSql: string;
  baseQuestion: string;
  /** The last edited SQL recorded in the history. */
  lastRecordedEdit: string;
  /** How the result is shown. */
  view: 'table' | 'chart';
  /** Where the focus goes once the pair's file has changed (after a decision). */
  focusTarget: string | undefined;
  /** The look-up of approved questions like the one being typed, waiting for a pause. */
  similarTimer: number | undefined;
}

const emptyDraft = (): DraftState => ({ question: '', sql: '', answer: null, history: [] });

const panel: Panel = {
  projectRoot: '',
  about: undefined,
  projectName: '',
  pair: null,
  layout: 'question',
  model: { available: false, name: '' },
  draft: emptyDraft(),
  pairSteps: [],
  result: null,
  queryError: null,
  busy: undefined,
  baseSql: '',
  baseQuestion: '',
  lastRecordedEdit: '',
  view: 'table',
  focusTarget: undefined,
  similarTimer: undefined,
};

/**
 * Fills `panel` from the page and from what VS Code kept of this panel. The page says which panel
 * this is; the kept draft wins when it is this panel's (VS Code keeps it across hiding and
 * reloads, and it is newer than the page). Returns why it could not, if the page has no state.
 */
function restore(): string | undefined {
  const element = document.getElementById(INITIAL_STATE_ID);
  let raw: unknown;
  try {
    raw = JSON.parse(element?.textContent ?? '');
  } catch {
    return 'The page carries no state to draw.';
  }
  const page = panelInit.safeParse(raw);
  if (!page.success) return `The page's state does not match the protocol (${page.error.issues[0]?.path.join('.')}: ${page.error.issues[0]?.message}).`;
  const { state, projectName, pair, model } = page.data;
  const kept = panelState.safeParse(keptState());
  const own = kept.success && kept.data.projectRoot === state.projectRoot && kept.data.pairId === state.pairId && kept.data.about === state.about ? kept.data : state;
  Object.assign(panel, {
    projectRoot: state.projectRoot,
    about: state.about,
    projectName,
    pair,
    model,
    draft: own.draft ?? { ...emptyDraft(), question: own.draftQuestion ?? '' },
  });
  return undefined;
}

/** Keeps what survives a reload: the pair's id, or the draft. */
function persist(): void {
  const state: PanelState = panel.pair
    ? { projectRoot: panel.projectRoot, pairId: panel.pair.id }
    : { projectRoot: panel.projectRoot, about: panel.about, draft: panel.draft };
  keepState(state);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A step the person took, for the history written with the decision or the saved edit. */
function record(entry: Omit<HistoryEntry, 'at'>): void {
  const e = { at: now(), ...entry };
  if (panel.pair) panel.pairSteps.push(e);
  else panel.draft.history.push(e);
}

// ── ui ──

/** The panel's elements, built by layout.ts; the other modules fill them. */
interface TextValue extends HTMLElement { value: string }
interface Button extends HTMLElement { disabled: boolean }

const ui = {} as {
  question: TextValue;
  ask: Button;
  cancel: Button;
  similar: HTMLElement;
  similarList: HTMLElement;
  progress: HTMLElement;
  answer: HTMLElement;
  source: HTMLElement;
  notice: HTMLElement;
  assumptions: HTMLElement;
  editor: SqlEditor;
  run: Button;
  edited: HTMLElement;
  queryError: HTMLElement;
  resultBox: HTMLElement;
  feedback: TextValue;
  regenerate: Button;
  decisions: HTMLElement;
  saw: HTMLElement;
  errorBox: HTMLElement;
  modelBadge: HTMLElement;
  statusSection: HTMLElement;
  history: HTMLElement;
  /** The result as shown: its grid, or its chart. */
  grid: ResultGrid | undefined;
  chart: { element: HTMLElement; destroy(): void } | undefined;
};

const app = document.getElementById('app')!;

function showError(e: unknown): void {
  const message = e === undefined ? undefined : e instanceof Error ? e.message : String(e);
  ui.errorBox.hidden = !message;
  ui.errorBox.textContent = message ?? '';
}

/** Screen readers hear what an action did; the visible state already shows it. */
function announce(text: string): void {
  const live = document.getElementById('live') ?? document.body.appendChild(h('div', { id: 'live', class: 'sr-only', 'aria-live': 'polite' }));
  live.textContent = text;
}

function button(id: string, label: string, secondary: boolean, onClick: (b: Button) => void, title?: string): Button {
  const b = h('vscode-button', { id, secondary, title }, label) as unknown as Button;
  b.addEventListener('click', () => onClick(b));
  return b;
}

// ── asking ──

/**
 * Asking: the question, approved questions like it while it is typed, and the requests that
 * answer it (ask, regenerate from feedback, fix from an error) with their progress and Stop.
 */

function onQuestionInput(): void {
  if (!panel.pair) {
    panel.draft.question = ui.question.value;
    persist();
  }
  renderDecisions();
  window.clearTimeout(panel.similarTimer);
  panel.similarTimer = window.setTimeout(() => void updateSimilar(), 250);
}

async function updateSimilar(): Promise<void> {
  const text = ui.question.value.trim();
  if (panel.pair || panel.draft.answer || text.length < 3) {
    ui.similar.hidden = true;
    return;
  }
  try {
    const found = await request({ method: 'similar', question: text });
    ui.similarList.replaceChildren(...found.map((s) => h('li', {},
      h('button', { class: 'link', onclick: () => void request({ method: 'openPair', pairId: s.id }).catch(showError) }, s.question),
      h('span', { class: 'score', title: 'similarity to your question, by words and by what the approved SQL reads' }, ` ${Math.round(s.score * 100)}% alike`),
    )));
    if (found.length === 0) ui.similarList.append(h('li', { class: 'muted' }, 'No approved question is like this one yet.'));
    ui.similar.hidden = false;
  } catch (e) {
    showError(e);
  }
}

const STEP_LABEL: Record<string, (detail?: string) => string> = {
  grounding: () => 'Grounding in your schema and approved pairs',
  recall: () => 'Looking for an approved pair',
  generating: (d) => `Writing SQL with ${d ?? 'the model'}`,
  running: () => 'Running the query',
  repairing: (d) => `Repairing the query${d ? ` (${d})` : ''}`,
};

function startProgress(): (step: string, detail?: string) => void {
  ui.progress.hidden = false;
  ui.progress.replaceChildren();
  return (step, detail) => {
    ui.progress.querySelector('li.current')?.classList.replace('current', 'done');
    ui.progress.append(h('li', { class: 'current', 'data-step': step }, STEP_LABEL[step]?.(detail) ?? step));
  };
}

/** The step under way is done. */
function stepDone(): void {
  ui.progress.querySelector('li.current')?.classList.replace('current', 'done');
}

/** The request was stopped: said where its progress is, and to screen readers. */
function showStopped(): void {
  if (!ui.progress.hidden) ui.progress.append(h('li', { class: 'stopped' }, 'Stopped.'));
  announce('Stopped');
}

function setBusy(what: string | undefined, id?: number): void {
  panel.busy = what && id !== undefined ? { id, what } : undefined;
  const busy = !!panel.busy;
  ui.ask.disabled = busy;
  ui.run.disabled = busy;
  ui.regenerate.disabled = busy;
  ui.cancel.hidden = !busy;
  app.setAttribute('aria-busy', busy ? 'true' : 'false');
  ui.editor.setEditable(!busy);
  renderDecisions();
}

function cancel(): void {
  if (!panel.busy) return;
  void request({ method: 'cancel', requestId: panel.busy.id });
}

function onGlobalKey(e: KeyboardEvent): void {
  if (e.key === 'Escape' && panel.busy) {
    e.preventDefault();
    cancel();
  }
}

/** Streams the model's text into the SQL editor as it comes, without the fences. */
function streamInto(): (text: string) => void {
  let streamed = '';
  return (text) => {
    streamed += text;
    ui.answer.hidden = false;
    ui.editor.value = streamed.replace(/^[\s\S]*?```[a-z]*[ \t]*\n?/i, '').replace(/```[\s\S]*$/, '');
  };
}

async function perform(body: RequestOf<'ask'> | RequestOf<'fix'>, what: string): Promise<AnswerView | undefined> {
  showError(undefined);
  const step = startProgress();
  const before = ui.editor.value;
  const handle = send(body, { progress: (p) => step(p.step, p.detail), token: streamInto() });
  setBusy(what, handle.id);
  const hadFocus = document.activeElement;
  try {
    const answer = await handle.reply;
    stepDone();
    return answer;
  } catch (e) {
    ui.editor.value = before;
    if (isCancelled(e)) {
      showStopped();
    } else {
      ui.progress.hidden = true;
      showError(e);
    }
    return undefined;
  } finally {
    setBusy(undefined);
    // The button that started it was disabled meanwhile, which dropped the focus: put it somewhere useful.
    if (!document.activeElement || document.activeElement === document.body || hadFocus === ui.ask) ui.editor.focus();
  }
}

async function ask(): Promise<void> {
  const question = ui.question.value.trim();
  if (!question || panel.busy) {
    if (!question) showError('Write a question first.');
    return;
  }
  const answer = await perform({ method: 'ask', question }, 'asking');
  if (!answer) return;
  record({ event: 'asked', model: answer.source === 'recall' ? `recall: ${answer.pair?.file ?? ''}` : answer.model ?? undefined, text: panel.pair ? question : undefined });
  showAnswer(answer, true);
}

async function regenerate(): Promise<void> {
  const text = ui.feedback.value.trim();
  const question = ui.question.value.trim();
  const sql = ui.editor.value.trim();
  if (panel.busy) return;
  if (!text) {
    showError('Say what is not quite right, e.g. "rank by order count instead".');
    ui.feedback.focus();
    return;
  }
  if (!panel.model.available) {
    showError(`Regenerating needs the local model. ${panel.model.problem ?? ''}`);
    return;
  }
  const { result } = panel;
  const shape = result ? { columns: result.columns.map((c) => c.name), rows: result.rowCount } : undefined;
  const answer = await perform({ method: 'ask', question, feedback: { text, sql, shape } }, 'regenerating');
  if (!answer) return;
  record({ event: 'feedback', text });
  ui.feedback.value = '';
  showAnswer(answer, true);
  announce('Regenerated');
}

async function fix(): Promise<void> {
  const error = panel.queryError;
  if (!error || panel.busy) return;
  const answer = await perform({ method: 'fix', question: ui.question.value.trim(), sql: ui.editor.value.trim(), error }, 'fixing');
  if (!answer) return;
  record({ event: 'fixed', text: error.class });
  showAnswer(answer, true);
}

/** Shows an answer: its source, what it assumed, its SQL and its result or error. */
function showAnswer(answer: AnswerView, fresh: boolean): void {
  ui.answer.hidden = false;
  ui.similar.hidden = true;
  if (!panel.pair) {
    panel.draft = { ...panel.draft, question: ui.question.value, sql: answer.sql ?? '', answer: { ...answer, result: null } };
    persist();
  }
  if (answer.sql !== null || fresh) {
    ui.editor.value = answer.sql ?? '';
    panel.baseSql = answer.sql ?? '';
  }
  ui.editor.setDialect(answer.grounding.dialect);
  renderSource(answer);
  ui.notice.hidden = !(answer.abstained || answer.reason);
  ui.notice.textContent = answer.abstained ? `No answer: ${answer.reason ?? ''}` : answer.reason ?? '';
  ui.notice.classList.toggle('warning', answer.abstained);
  showAssumptions(answer.assumptions, answer.source === 'recall' ? 'Kept from the approved question' : 'The model assumed');
  renderSaw(answer);
  if (fresh) {
    panel.queryError = answer.error;
    renderQueryError();
    setResult(answer.result);
    const rows = answer.result ? `${answer.result.rowCount} row${answer.result.rowCount === 1 ? '' : 's'}` : answer.abstained ? 'no answer' : 'an error';
    announce(`Answer ready: ${rows}`);
  }
  renderEdited();
  renderDecisions();
}

function showAssumptions(assumptions: readonly string[], title: string): void {
  ui.assumptions.hidden = assumptions.length === 0;
  ui.assumptions.replaceChildren(h('h2', {}, title), h('ul', {}, ...assumptions.map((a) => h('li', {}, a))));
}

function renderSource(answer: AnswerView): void {
  ui.source.replaceChildren();
  if (answer.source === 'model') {
    ui.source.append(h('span', { class: 'badge source-model', title: 'Written by the local model' }, `model: ${answer.model ?? ''}`));
    if (answer.attempts > 1) ui.source.append(h('span', { class: 'muted' }, ` ${answer.attempts} attempts (repaired from the errors)`));
  } else if (answer.source === 'recall' && answer.pair) {
    const p = answer.pair;
    ui.source.append(
      h('span', { class: 'badge source-recall', title: 'Answered from an approved pair by the recall engine' }, 'recall'),
      ' approved pair ',
      h('button', { class: 'link', onclick: () => void request({ method: 'openPair', pairId: p.id }).catch(showError) }, p.file.replace(/^askdata\/pairs\//, '')),
      h('span', { class: 'muted' }, ` · ${Math.round(p.similarity * 100)}% alike`),
    );
    if (answer.adaptations.length) ui.source.append(h('span', { class: 'muted' }, ` · changed ${answer.adaptations.join(', ')}`));
    if (answer.matched?.length) ui.source.append(h('div', { class: 'muted small', id: 'matched' }, `Matched: ${answer.matched.join(' · ')}`));
  }
  // Why recall did not answer: what differs from the nearest approved pair.
  if (answer.abstained && answer.differences?.length) {
    ui.source.append(h('div', { class: 'muted small', id: 'differences' }, h('span', {}, 'Differs from the nearest approved pair:'), h('ul', {}, ...answer.differences.map((d) => h('li', {}, d)))));
  }
  if (answer.rejected) {
    ui.source.append(h('div', { class: 'muted small', id: 'rejected-near' }, `A similar question was answered and rejected (${answer.rejected.file.replace(/^askdata\/pairs\//, '')})${answer.rejected.reason ? `: “${answer.rejected.reason}”` : ''}`));
  }
}

// ── results ──

/** The SQL as the person edits and runs it, and what it returns: a grid, a chart, or its error. */

function onSqlEdited(): void {
  if (!panel.pair) {
    panel.draft.sql = ui.editor.value;
    persist();
  }
  renderEdited();
  renderDecisions();
}

function renderEdited(): void {
  ui.edited.hidden = ui.editor.value.trim() === panel.baseSql.trim();
}

async function runSql(options: { quiet?: boolean } = {}): Promise<void> {
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

function renderQueryError(): void {
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

function setResult(r: ResultView | null): void {
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

// ── decisions ──

/** The decisions on what is shown: save a new answer as a pair, or approve, reject, edit the pair. */

async function act(b: Button | undefined, run: () => Promise<unknown>, done: string): Promise<boolean> {
  showError(undefined);
  if (b) b.disabled = true;
  try {
    await run();
    announce(done);
    return true;
  } catch (e) {
    showError(e);
    return false;
  } finally {
    if (b) b.disabled = false;
  }
}

function renderDecisions(): void {
  if (!ui.decisions) return;
  const sql = ui.editor.value.trim();
  const question = ui.question.value.trim();
  const { pair, queryError, busy } = panel;
  const blocked = !!busy || !sql || !question;
  ui.decisions.replaceChildren();
  if (!pair) {
    const approve = button('approve', 'Approve', false, (b) => void decide(b, 'approve'), 'Save as an approved pair: the model learns from it at once');
    const pending = button('save-pending', 'Save as pending', true, (b) => void decide(b, 'pending'), 'Save to the approval queue for someone to review');
    const reject = button('reject', 'Reject…', true, (b) => openRejectForm(b, (reason) => decide(undefined, 'reject', reason)));
    for (const b of [approve, pending, reject]) b.disabled = blocked;
    // A query that fails is not approved (the host refuses too); it can still go to the queue. One
    // that could not run at all may be approved, deliberately: the host asks, and records it unverified.
    if (queryError && couldNotRun(queryError.class)) {
      approve.title = 'This SQL could not be run here: approving asks you to confirm, and records it as unverified';
    } else if (queryError) {
      approve.disabled = true;
      approve.title = 'This SQL fails to run: fix it, then approve';
    }
    ui.decisions.append(approve, pending, reject, h('span', { class: 'hint' }, 'Saved under askdata/pairs/ with its history'));
    return;
  }
  const p = pair;
  const dirty = question !== p.question.trim() || sql !== p.sql.trim();
  const buttons: Button[] = [];
  if (p.status !== 'approved') {
    const approve = button('approve', 'Approve', false, (b) => void act(b, () => request({ method: 'approve' }), 'Approved').then((ok) => ok && focusAfterUpdate('#remove-approval')));
    approve.disabled = blocked || dirty;
    if (dirty) approve.title = 'Save your edits first: an approval signs off on what the file says';
    buttons.push(approve);
  }
  if (p.status !== 'rejected') {
    buttons.push(button('reject', 'Reject…', true, (b) => openRejectForm(b, (reason) => request({ method: 'reject', reason }).then(() => focusAfterUpdate('#approve')))));
  }
  if (p.status === 'approved' && p.unverified) {
    // It ran here: approving again records the result it returned, and ends the unverified state.
    const verify = button('verify', 'Approve with its result', false, (b) => void act(b, () => request({ method: 'approve' }), 'Approved with its result').then((ok) => ok && focusAfterUpdate('#remove-approval')));
    const ran = !!panel.result && !queryError;
    verify.disabled = blocked || dirty || !ran;
    verify.title = dirty ? 'Save your edits first: an approval signs off on what the file says'
      : ran ? 'It ran here: record the result it returned with a new approval' : 'Run it where the data is first: its result is recorded with the approval';
    buttons.push(verify);
  }
  if (p.status === 'approved') {
    buttons.push(button('remove-approval', 'Remove approval', true, (b) => void act(b, () => request({ method: 'removeApproval' }), 'Approval removed').then((ok) => ok && focusAfterUpdate('#approve'))));
  }
  const save = button('save', 'Save edits', true, (b) => void act(b, () => request({ method: 'save', question, sql, history: panel.pairSteps }), 'Edits saved').then((ok) => {
    if (ok) panel.pairSteps = [];
  }));
  save.disabled = !dirty || !!busy;
  ui.decisions.append(...buttons, save, h('span', { class: 'hint', id: 'save-note' }, p.status === 'approved' && dirty ? 'Saving an edit sends an approved pair back to pending.' : ''));
}

async function decide(b: Button | undefined, decision: 'approve' | 'pending' | 'reject', reason?: string): Promise<void> {
  const question = ui.question.value.trim();
  const sql = ui.editor.value.trim();
  let saved: PairView | undefined;
  const ok = await act(b, async () => {
    saved = await request({ method: 'decide', decision, question, sql, reason, history: panel.draft.history, model: panel.draft.answer?.model ?? undefined });
  }, decision === 'approve' ? 'Approved' : decision === 'pending' ? 'Saved as pending' : 'Rejected');
  if (!ok || !saved) return;
  // The panel is now this pair's: same result on screen, its status and history added.
  panel.pair = saved;
  panel.layout = 'pair';
  panel.draft = emptyDraft();
  panel.baseSql = saved.sql;
  panel.baseQuestion = saved.question;
  persist();
  ui.statusSection.hidden = false;
  ui.history.hidden = false;
  ui.ask.textContent = 'Ask again';
  document.querySelector('h1')!.textContent = 'Question and SQL';
  renderPairStatus();
  renderHistory();
  renderDecisions();
  renderEdited();
  document.querySelector<HTMLElement>(decision === 'approve' ? '#remove-approval' : '#approve')?.focus();
}

function openRejectForm(anchor: HTMLElement, reject: (reason: string) => Promise<unknown>): void {
  if (document.getElementById('reject-form')) return;
  const reason = h('vscode-textfield', { id: 'reject-reason', placeholder: 'Why is it wrong? (optional)', 'aria-label': 'Reason for rejecting' }) as unknown as TextValue;
  const confirm = h('vscode-button', { id: 'confirm-reject' }, 'Reject') as unknown as Button;
  const cancelButton = h('vscode-button', { secondary: true }, 'Cancel');
  const form = h('div', { class: 'actions', id: 'reject-form', role: 'group', 'aria-label': 'Reject' }, reason, confirm, cancelButton);
  const close = () => {
    form.remove();
    anchor.focus();
  };
  cancelButton.addEventListener('click', close);
  reason.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter') confirm.click();
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    }
  });
  confirm.addEventListener('click', async () => {
    if (await act(confirm, () => reject(reason.value.trim()), 'Rejected')) form.remove();
  });
  ui.decisions.after(form);
  requestAnimationFrame(() => reason.focus());
}

/** Where the focus goes once the host has sent the pair as the decision left it. */
function focusAfterUpdate(selector: string): void {
  panel.focusTarget = selector;
}

// ── pairStatus ──

/** A pair's status, its history, and following its file as it changes on disk. */

function renderPairStatus(): void {
  ui.statusSection.replaceChildren();
  const p = panel.pair;
  if (!p) return;
  let detail = '';
  if (p.status === 'approved' && p.approved) detail = `by ${p.approved.by}, ${formatWhen(p.approved.at)}`;
  if (p.status === 'rejected' && p.rejected) detail = `by ${p.rejected.by}, ${formatWhen(p.rejected.at)}${p.rejected.reason ? ` — “${p.rejected.reason}”` : ''}`;
  if (p.status === 'pending') detail = 'waiting for review';
  ui.statusSection.append(...present(
    h('div', { class: 'status-line', id: 'status-line' },
      h('span', { class: `status status-${p.status}` }, p.status),
      p.unverified && p.status === 'approved' ? h('span', { class: 'status status-unverified', id: 'unverified', title: 'Approved without being run: its result was never checked' }, 'unverified') : null,
      h('span', { class: 'muted' }, ` ${detail}`),
      p.synthetic ? h('span', { class: 'badge' }, 'synthetic') : null,
      h('span', { class: 'spacer' }),
      h('button', { class: 'link', id: 'open-file', onclick: () => void request({ method: 'openFile' }).catch(showError) }, p.file),
    ),
    p.result?.fingerprint ? h('p', { class: 'muted small', id: 'recorded-result' }, `Approved result: ${p.result.rows} row${p.result.rows === 1 ? '' : 's'} · ${p.result.columns.join(', ')} · ${p.result.fingerprint.slice(0, 19)}…`) : null,
    p.unverified && p.status === 'approved'
      ? h('p', { class: 'warning', role: 'note', id: 'unverified-note' }, 'Approved without being run: no database could run this SQL when it was approved, so no result was checked or recorded. askdata test lists it apart. Where it runs, approve it again to record its result.')
      : null,
    p.stale ? h('p', { class: 'warning', role: 'note' }, `May be stale: ${p.stale}.`) : null,
  ));
}

function renderHistory(): void {
  ui.history.replaceChildren();
  const p = panel.pair;
  if (!p) return;
  const rows = [...p.history].reverse().map((e) => h('li', {},
    h('time', { datetime: e.at }, formatWhen(e.at)),
    h('span', { class: 'event' }, e.event),
    e.by ? h('span', { class: 'muted' }, e.by) : null,
    e.model ? h('span', { class: 'muted' }, e.model) : null,
    e.text ? h('q', {}, e.text) : null,
  ));
  ui.history.append(
    h('h2', {}, 'History'),
    rows.length ? h('ol', { class: 'history', reversed: true }, ...rows) : h('p', { class: 'muted' }, 'No history recorded.'),
  );
}

/** The file changed: redraw its status and history, but keep what the person typed and has not saved. */
function onPairChanged(): void {
  const p = panel.pair;
  if (!p) {
    showError('This pair file was deleted or renamed. Nothing here can be saved any more.');
    for (const b of app.querySelectorAll('vscode-button')) (b as Button).disabled = true;
    return;
  }
  const edited = ui.question.value.trim() !== panel.baseQuestion.trim() || ui.editor.value.trim() !== panel.baseSql.trim();
  if (!edited) {
    if (ui.question.value !== p.question) ui.question.value = p.question;
    if (ui.editor.value.trim() !== p.sql.trim()) ui.editor.value = p.sql;
    showAssumptions(p.assumptions, 'Assumptions stated in this SQL');
  } else if (p.question.trim() !== panel.baseQuestion.trim() || p.sql.trim() !== panel.baseSql.trim()) {
    showError('The pair file changed on disk; your unsaved edits are kept. Save them to replace the file\'s question and SQL.');
  }
  panel.baseSql = p.sql;
  panel.baseQuestion = p.question;
  const active = document.activeElement?.id;
  renderPairStatus();
  renderHistory();
  renderDecisions();
  renderEdited();
  const target = (panel.focusTarget && document.querySelector<HTMLElement>(panel.focusTarget)) || (active ? document.getElementById(active) : null);
  panel.focusTarget = undefined;
  target?.focus();
}

// ── saw ──

/** "What the model saw": the tables, joins, examples, rules and schema an answer was grounded in. */
function renderSaw(answer: AnswerView): void {
  const g = answer.grounding;
  ui.saw.hidden = false;
  const hidden = g.hidden.tables + g.hidden.columns > 0
    ? h('p', { class: 'muted' }, `Your access policies hide ${g.hidden.tables} table${g.hidden.tables === 1 ? '' : 's'} and ${g.hidden.columns} column${g.hidden.columns === 1 ? '' : 's'}; they were not shown.`)
    : null;
  ui.saw.replaceChildren(...present(
    h('summary', {}, `What the model saw · ${g.tables.length} of ${g.tablesAvailable} tables, ${g.examples.length} example${g.examples.length === 1 ? '' : 's'}, about ${g.tokens.total} tokens`),
    h('h3', {}, 'Tables'),
    h('ul', { class: 'saw-tables' }, ...g.tables.map((t) => h('li', {},
      h('code', {}, t.name),
      h('span', { class: 'muted' }, ` ${t.columns} column${t.columns === 1 ? '' : 's'}${t.omittedColumns ? ` (+${t.omittedColumns} left out)` : ''} — ${t.reasons.join('; ')}`),
    ))),
    hidden,
    g.joins.length ? h('h3', {}, 'Join paths') : null,
    g.joins.length ? h('ul', {}, ...g.joins.map((j) => h('li', {}, h('code', {}, j)))) : null,
    h('h3', {}, 'Approved examples'),
    g.examples.length
      ? h('ol', { class: 'saw-examples', id: 'saw-examples' }, ...g.examples.map((e) => h('li', {},
        h('button', { class: 'link', onclick: () => void request({ method: 'openPair', pairId: e.id }).catch(showError) }, e.question),
        h('span', { class: 'muted' }, ` ${Math.round(e.score * 100)}%`),
      )))
      : h('p', { class: 'muted' }, 'None yet: approve answers and they become examples for the next questions.'),
    g.rules ? h('h3', {}, 'Business rules (askdata/rules.md)') : null,
    g.rules ? h('pre', { class: 'saw-text' }, g.rules) : null,
    h('h3', {}, 'Schema as the model saw it'),
    h('pre', { class: 'saw-text' }, g.schema || '(no tables)'),
  ));
}

// ── layout ──

/**
 * The panel's layout: a question, the SQL that answers it, what that SQL returns, and the
 * decision. One layout serves a new question and a pair; the pair adds its status and history.
 * Everything from the data, the schema or the model goes into text nodes only.
 */

// Read while the bundle's script runs: CodeMirror needs the nonce for the styles it adds.
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';

/** Draws the whole panel from `panel`, then shows what its SQL returns. */
function render(): void {
  const { pair, draft, about } = panel;
  panel.layout = pair ? 'pair' : 'question';
  app.replaceChildren();
  app.removeAttribute('aria-busy');
  panel.result = null;
  panel.queryError = null;
  panel.pairSteps = [];

  ui.errorBox = h('div', { class: 'error', role: 'alert', hidden: true });
  ui.modelBadge = h('span', { class: 'model-badge' });
  const title = pair ? 'Question and SQL' : about ? `Ask about ${about}` : 'Ask data';
  app.append(
    h('header', { class: 'header' },
      h('h1', {}, title),
      h('span', { class: 'project', title: panel.projectRoot }, panel.projectName),
      h('span', { class: 'spacer' }),
      ui.modelBadge,
    ),
    ui.errorBox,
  );
  renderModelBadge();

  ui.statusSection = h('section', { class: 'section', id: 'pair-status', hidden: !pair });
  app.append(ui.statusSection);
  renderPairStatus();

  // The question.
  ui.question = h('vscode-textarea', {
    id: 'question',
    rows: 2,
    resize: 'vertical',
    placeholder: about ? `Ask a question about ${about}…` : 'Ask a question about your data, e.g. Who are my top customers?',
    'aria-label': 'Your question',
    'aria-describedby': 'ask-hint',
  }) as unknown as TextValue;
  ui.question.value = pair ? pair.question : draft.question;
  ui.ask = h('vscode-button', { id: 'ask', title: 'Ask (Ctrl+Enter)' }, pair ? 'Ask again' : 'Ask') as unknown as Button;
  ui.cancel = h('vscode-button', { id: 'cancel', secondary: true, hidden: true, title: 'Stop (Escape)' }, 'Stop') as unknown as Button;
  ui.ask.addEventListener('click', () => void ask());
  ui.cancel.addEventListener('click', cancel);
  ui.question.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void ask();
    }
  });
  ui.question.addEventListener('input', onQuestionInput);
  ui.similarList = h('ul', { class: 'similar', 'aria-label': 'Approved questions like yours' });
  ui.similar = h('section', { class: 'section similar-section', hidden: true }, h('h2', {}, 'Approved questions like yours'), ui.similarList);
  ui.progress = h('ol', { class: 'progress', id: 'progress', role: 'status', 'aria-live': 'polite', hidden: true });
  app.append(
    h('section', { class: 'section' },
      h('label', { for: 'question', class: 'label' }, 'Question'),
      ui.question,
      h('div', { class: 'actions' }, ui.ask, ui.cancel, h('span', { class: 'hint', id: 'ask-hint' }, 'Ctrl+Enter to ask · Escape to stop')),
      ui.progress,
    ),
    ui.similar,
  );

  // The answer.
  ui.source = h('div', { class: 'source', id: 'source' });
  ui.notice = h('p', { class: 'notice', id: 'notice', hidden: true });
  ui.assumptions = h('div', { class: 'assumptions', id: 'assumptions', hidden: true });
  const editorHost = h('div', { class: 'sql-editor', id: 'sql' });
  ui.editor = new SqlEditor(editorHost, pair ? pair.sql : draft.sql, {
    nonce,
    label: 'SQL',
    onRun: () => void runSql(),
    onChange: onSqlEdited,
  });
  ui.run = h('vscode-button', { id: 'run', secondary: true, title: 'Run (Ctrl+Enter in the SQL)' }, 'Run') as unknown as Button;
  ui.run.addEventListener('click', () => void runSql());
  ui.edited = h('span', { class: 'hint', id: 'edited', hidden: true }, 'Edited by you');
  ui.queryError = h('div', { class: 'query-error', id: 'query-error', role: 'alert', hidden: true });
  ui.resultBox = h('section', { class: 'section result', id: 'result', 'aria-label': 'Result', hidden: true });
  ui.feedback = h('vscode-textfield', { id: 'feedback', placeholder: 'e.g. rank by order count instead', 'aria-label': 'Not quite right? Say what to change' }) as unknown as TextValue;
  ui.regenerate = h('vscode-button', { id: 'regenerate', secondary: true }, 'Regenerate') as unknown as Button;
  ui.regenerate.addEventListener('click', () => void regenerate());
  ui.feedback.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void regenerate();
    }
  });
  ui.decisions = h('div', { class: 'actions decisions', id: 'review-actions' });
  ui.saw = h('details', { class: 'saw', id: 'saw', hidden: true });
  ui.answer = h('div', { id: 'answer', hidden: !pair && !draft.answer && !draft.sql },
    ui.source,
    ui.notice,
    ui.assumptions,
    h('section', { class: 'section' },
      h('div', { class: 'label-row' }, h('label', { class: 'label', id: 'sql-label' }, 'SQL'), ui.edited),
      editorHost,
      h('div', { class: 'actions' }, ui.run, h('span', { class: 'hint' }, 'Ctrl+Enter in the SQL runs it · read-only, under your access policies')),
    ),
    ui.queryError,
    ui.resultBox,
    h('section', { class: 'section feedback' },
      h('label', { for: 'feedback', class: 'label' }, 'Not quite right?'),
      h('div', { class: 'inline' }, ui.feedback, ui.regenerate),
    ),
    ui.decisions,
    ui.saw,
  );
  app.append(ui.answer);
  ui.history = h('section', { class: 'section', id: 'history', hidden: !pair });
  app.append(ui.history);

  panel.baseSql = pair ? pair.sql : draft.answer?.sql ?? draft.sql;
  panel.baseQuestion = pair ? pair.question : '';
  if (draft.answer && !pair) showAnswer(draft.answer, false);
  if (pair) showAssumptions(pair.assumptions, 'Assumptions stated in this SQL');
  renderDecisions();
  renderHistory();
  renderEdited();
  persist();

  // Show what the SQL returns straight away: for a pair from the queue, and for a draft restored
  // after a reload (its rows are not kept in the state).
  const sqlNow = ui.editor.value.trim();
  if (sqlNow && (pair || draft.answer?.result === null)) void runSql({ quiet: true });
  if (!pair && !draft.answer && ui.question.value.trim()) void updateSimilar();
  requestAnimationFrame(() => (pair ? ui.editor.focus() : ui.question.focus()));
}

function renderModelBadge(): void {
  const { model } = panel;
  ui.modelBadge.replaceChildren();
  if (model.available) {
    ui.modelBadge.append(h('span', { class: 'badge ok', title: `SQL is written by ${model.name} on your local Ollama` }, model.name));
  } else {
    const setup = h('button', { class: 'link warn', id: 'setup-model', title: `${model.problem ?? ''} Click to set up the local model.` }, '⚠ No model: recall only');
    setup.addEventListener('click', () => void request({ method: 'setupModel' }).catch(showError));
    ui.modelBadge.append(setup);
  }
  if (ui.regenerate) ui.regenerate.title = model.available ? 'Regenerate with your feedback (Enter)' : `Needs the local model. ${model.problem ?? ''}`;
}

// ── main ──

/**
 * The Ask panel. It draws itself at once from the state the host put in the page (and the draft
 * VS Code kept for it), then follows what the host tells it: the pair's file changed, the model
 * came or went.
 */

const problem = restore();
if (problem) {
  app.removeAttribute('aria-busy');
  app.replaceChildren(h('p', { class: 'error', role: 'alert' }, `This panel could not be drawn. ${problem} Close it and open it again.`));
} else {
  render();
  onMessage((message) => {
    switch (message.type) {
      case 'pairChanged':
        panel.pair = message.pair;
        // A page written before this panel's answer became a pair, loaded again while shown: the
        // host knows it as that pair's. Nothing of the question's is lost (it was saved as the pair).
        if (panel.layout === 'question' && message.pair) render();
        else onPairChanged();
        break;
      case 'modelChanged':
        panel.model = message.model;
        renderModelBadge();
        renderQueryError();
        break;
    }
  });
  document.addEventListener('keydown', onGlobalKey);
  ready();
}
