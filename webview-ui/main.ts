import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { couldNotRun, isRepairable } from '../src/protocol/errorClasses';
import type {
  AnswerView, DraftState, ErrorView, HistoryEntry, HostToWebview, ModelView, PairView, PanelState, RequestOf, ResultView,
} from '../src/protocol/messages';
import { chooseChart } from './chartChoice';
import { renderChart } from './chartView';
import { formatWhen, h, present } from './dom';
import { toCsv, toMarkdown } from './format';
import { ResultGrid } from './resultGrid';
import { isCancelled, onMessage, ready, request, RequestError, saveState, send } from './rpc';
import { SqlEditor } from './sqlEditor';

/**
 * The Ask panel: a question, the SQL that answers it, what that SQL returns, and the decision.
 * One layout serves a new question and a pair opened from the queue; the pair adds its status and
 * history. Everything from the data, the schema or the model goes into text nodes only.
 */

type InitMessage = Extract<HostToWebview, { type: 'init' }>;
interface TextValue extends HTMLElement { value: string }
interface Button extends HTMLElement { disabled: boolean }

// Read while this script runs: CodeMirror needs the nonce for the styles it adds.
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';
const app = document.getElementById('app')!;

let init: InitMessage | undefined;
let pair: PairView | null = null;
let model: ModelView = { available: false, name: '' };
let draft: DraftState = { question: '', sql: '', answer: null, history: [] };
/** Steps taken on an open pair since it was opened (feedback, fixes): saved with its edits. */
let pairSteps: HistoryEntry[] = [];
let result: ResultView | null = null;
let queryError: ErrorView | null = null;
/** The request that can be stopped with Escape or Cancel. */
let busy: { id: number; what: string } | undefined;
/** The SQL (and question) as the answer or the pair gave them, to tell the person's edits from them. */
let baseSql = '';
let baseQuestion = '';
/** The last edited SQL recorded in the history. */
let lastRecordedEdit = '';

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
};

onMessage((message) => {
  switch (message.type) {
    case 'init':
      init = message;
      pair = message.pair;
      model = message.model;
      draft = message.state.draft ?? { question: message.state.draftQuestion ?? '', sql: '', answer: null, history: [] };
      render();
      break;
    case 'pairChanged':
      pair = message.pair;
      onPairChanged();
      break;
    case 'modelChanged':
      model = message.model;
      renderModelBadge();
      renderQueryError();
      break;
  }
});

function persist(): void {
  if (!init) return;
  const state: PanelState = pair
    ? { projectRoot: init.state.projectRoot, pairId: pair.id }
    : { projectRoot: init.state.projectRoot, about: init.state.about, draftQuestion: draft.question, draft };
  init.state = state;
  saveState(state);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function record(entry: Omit<HistoryEntry, 'at'>): void {
  const e = { at: now(), ...entry };
  if (pair) pairSteps.push(e);
  else draft.history.push(e);
}

// ── layout ─────────────────────────────────────────────────────────────────────────────────

function render(): void {
  if (!init) return;
  app.replaceChildren();
  app.removeAttribute('aria-busy');
  result = null;
  queryError = null;
  pairSteps = [];

  ui.errorBox = h('div', { class: 'error', role: 'alert', hidden: true });
  ui.modelBadge = h('span', { class: 'model-badge' });
  const title = pair ? 'Question and SQL' : init.state.about ? `Ask about ${init.state.about}` : 'Ask data';
  app.append(
    h('header', { class: 'header' },
      h('h1', {}, title),
      h('span', { class: 'project', title: init.state.projectRoot }, init.projectName),
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
    placeholder: init.state.about ? `Ask a question about ${init.state.about}…` : 'Ask a question about your data, e.g. Who are my top customers?',
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

  baseSql = pair ? pair.sql : draft.answer?.sql ?? draft.sql;
  baseQuestion = pair ? pair.question : '';
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

// ── asking ─────────────────────────────────────────────────────────────────────────────────

let similarTimer: number | undefined;
function onQuestionInput(): void {
  if (!pair) {
    draft.question = ui.question.value;
    persist();
  }
  renderDecisions();
  window.clearTimeout(similarTimer);
  similarTimer = window.setTimeout(() => void updateSimilar(), 250);
}

async function updateSimilar(): Promise<void> {
  const text = ui.question.value.trim();
  if (pair || draft.answer || text.length < 3) {
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

function setBusy(what: string | undefined, id?: number): void {
  busy = what && id !== undefined ? { id, what } : undefined;
  ui.ask.disabled = !!busy;
  ui.run.disabled = !!busy;
  ui.regenerate.disabled = !!busy;
  ui.cancel.hidden = !busy;
  app.setAttribute('aria-busy', busy ? 'true' : 'false');
  ui.editor.setEditable(!busy);
  renderDecisions();
}

function cancel(): void {
  if (!busy) return;
  void request({ method: 'cancel', requestId: busy.id });
}

function onGlobalKey(e: KeyboardEvent): void {
  if (e.key === 'Escape' && busy) {
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
    ui.progress.querySelector('li.current')?.classList.replace('current', 'done');
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

/** The request was stopped: said where its progress is, and to screen readers. */
function showStopped(): void {
  if (!ui.progress.hidden) ui.progress.append(h('li', { class: 'stopped' }, 'Stopped.'));
  announce('Stopped');
}

async function ask(): Promise<void> {
  const question = ui.question.value.trim();
  if (!question || busy) {
    if (!question) showError('Write a question first.');
    return;
  }
  const answer = await perform({ method: 'ask', question }, 'asking');
  if (!answer) return;
  record({ event: 'asked', model: answer.source === 'recall' ? `recall: ${answer.pair?.file ?? ''}` : answer.model ?? undefined, text: pair ? question : undefined });
  showAnswer(answer, true);
}

async function regenerate(): Promise<void> {
  const text = ui.feedback.value.trim();
  const question = ui.question.value.trim();
  const sql = ui.editor.value.trim();
  if (busy) return;
  if (!text) {
    showError('Say what is not quite right, e.g. "rank by order count instead".');
    ui.feedback.focus();
    return;
  }
  if (!model.available) {
    showError(`Regenerating needs the local model. ${model.problem ?? ''}`);
    return;
  }
  const shape = result ? { columns: result.columns.map((c) => c.name), rows: result.rowCount } : undefined;
  const answer = await perform({ method: 'ask', question, feedback: { text, sql, shape } }, 'regenerating');
  if (!answer) return;
  record({ event: 'feedback', text });
  ui.feedback.value = '';
  showAnswer(answer, true);
  announce('Regenerated');
}

async function fix(): Promise<void> {
  if (!queryError || busy) return;
  const answer = await perform({ method: 'fix', question: ui.question.value.trim(), sql: ui.editor.value.trim(), error: queryError }, 'fixing');
  if (!answer) return;
  record({ event: 'fixed', text: queryError?.class });
  showAnswer(answer, true);
}

/** Shows an answer: its source, what it assumed, its SQL and its result or error. */
function showAnswer(answer: AnswerView, fresh: boolean): void {
  ui.answer.hidden = false;
  ui.similar.hidden = true;
  if (!pair) {
    draft = { ...draft, question: ui.question.value, sql: answer.sql ?? '', answer: { ...answer, result: null } };
    persist();
  }
  if (answer.sql !== null || fresh) {
    ui.editor.value = answer.sql ?? '';
    baseSql = answer.sql ?? '';
  }
  ui.editor.setDialect(answer.grounding.dialect);
  renderSource(answer);
  ui.notice.hidden = !(answer.abstained || answer.reason);
  ui.notice.textContent = answer.abstained ? `No answer: ${answer.reason ?? ''}` : answer.reason ?? '';
  ui.notice.classList.toggle('warning', answer.abstained);
  showAssumptions(answer.assumptions, answer.source === 'recall' ? 'Kept from the approved question' : 'The model assumed');
  renderSaw(answer);
  if (fresh) {
    queryError = answer.error;
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

// ── SQL and results ────────────────────────────────────────────────────────────────────────

function onSqlEdited(): void {
  if (!pair) {
    draft.sql = ui.editor.value;
    persist();
  }
  renderEdited();
  renderDecisions();
}

function renderEdited(): void {
  ui.edited.hidden = ui.editor.value.trim() === baseSql.trim();
}

async function runSql(options: { quiet?: boolean } = {}): Promise<void> {
  const sql = ui.editor.value.trim();
  if (busy) return;
  if (!sql) {
    showError('There is no SQL to run.');
    return;
  }
  showError(undefined);
  ui.answer.hidden = false;
  const edited = sql !== baseSql.trim() && sql !== lastRecordedEdit;
  const handle = send({ method: 'run', sql });
  setBusy('running', handle.id);
  if (!options.quiet) {
    startProgress()('running');
  }
  try {
    const r = await handle.reply;
    queryError = null;
    setResult(r);
    if (edited) {
      // Once per version of the SQL: running the same edit again is not another step.
      record({ event: 'edited', text: 'SQL, and ran it' });
      lastRecordedEdit = sql;
      if (!pair) draft = { ...draft, sql };
      persist();
    }
    ui.progress.querySelector('li.current')?.classList.replace('current', 'done');
    announce(`${r.rowCount} row${r.rowCount === 1 ? '' : 's'}`);
  } catch (e) {
    if (isCancelled(e)) {
      // Stopped: nothing new to show, and nothing failed.
      showStopped();
    } else if (e instanceof RequestError && e.errorClass) {
      ui.progress.hidden = true;
      queryError = { class: e.errorClass, message: e.message };
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
  ui.queryError.hidden = !queryError;
  ui.queryError.replaceChildren();
  // SQL that could not run at all has not failed: a notice in the warning colours, not an alarm.
  const notRun = queryError?.class === 'not-run';
  ui.queryError.classList.toggle('not-run', notRun);
  ui.queryError.setAttribute('role', notRun ? 'status' : 'alert');
  renderDecisions();
  if (!queryError) return;
  const e = queryError;
  const fixable = isRepairable(e.class) && ui.editor.value.trim() !== '';
  const fixButton = fixable ? h('vscode-button', { id: 'fix', secondary: true, disabled: !model.available || !!busy, title: model.available ? 'Ask the model to repair the query from this error' : `Needs the local model. ${model.problem ?? ''}` }, 'Fix') as unknown as Button : null;
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

let grid: ResultGrid | undefined;
let chart: { element: HTMLElement; destroy(): void } | undefined;
let view: 'table' | 'chart' = 'table';

function setResult(r: ResultView | null): void {
  result = r;
  chart?.destroy();
  chart = undefined;
  grid = undefined;
  ui.resultBox.hidden = !r;
  ui.resultBox.replaceChildren();
  if (!r) return;
  const choice = chooseChart(r.columns, r.rows);
  if (!choice) view = 'table';
  const count = `${r.rowCount.toLocaleString('en-US')}${r.capped ? '+' : ''} row${r.rowCount === 1 ? '' : 's'}${r.rows.length < r.rowCount ? ` (first ${r.rows.length.toLocaleString('en-US')} shown)` : ''} · ${r.ms} ms`;
  const tab = (name: 'table' | 'chart', label: string) => {
    const b = h('button', { class: `tab${view === name ? ' selected' : ''}`, role: 'tab', 'aria-selected': view === name ? 'true' : 'false', id: `tab-${name}`, tabindex: view === name ? 0 : -1 }, label);
    b.addEventListener('click', () => {
      view = name;
      setResult(result);
      document.getElementById(`tab-${name}`)?.focus();
    });
    b.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        view = view === 'table' ? 'chart' : 'table';
        setResult(result);
        document.getElementById(`tab-${view}`)?.focus();
      }
    });
    return b;
  };
  const copy = (format: 'csv' | 'markdown') => {
    const b = h('vscode-button', { secondary: true, id: `copy-${format}`, title: `Copy all ${r.rows.length.toLocaleString('en-US')} rows as ${format === 'csv' ? 'CSV' : 'a Markdown table'}` }, format === 'csv' ? 'Copy CSV' : 'Copy Markdown');
    b.addEventListener('click', () => {
      const text = format === 'csv' ? toCsv(r.columns, r.rows, grid?.shownOrder) : toMarkdown(r.columns, r.rows, grid?.shownOrder);
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
  } else if (view === 'chart' && choice) {
    chart = renderChart(choice, r.columns, r.rows);
    ui.resultBox.append(h('p', { class: 'muted small' }, `${choice.kind === 'line' ? 'Line' : 'Bars'}: ${choice.reason}`), chart.element);
  } else {
    grid = new ResultGrid(r.columns, r.rows, `Result: ${count}`);
    ui.resultBox.append(grid.element);
    grid.renderNow();
    if (r.rows.length === 0) ui.resultBox.append(h('p', { class: 'muted' }, 'No rows.'));
    // For the benchmark: the rows are in the DOM; the next frame paints them.
    requestAnimationFrame(() => setTimeout(() => performance.mark('askdata:rows-painted')));
  }
}

// ── decisions ──────────────────────────────────────────────────────────────────────────────

function button(id: string, label: string, secondary: boolean, onClick: (b: Button) => void, title?: string): Button {
  const b = h('vscode-button', { id, secondary, title }, label) as unknown as Button;
  b.addEventListener('click', () => onClick(b));
  return b;
}

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
    const ran = !!result && !queryError;
    verify.disabled = blocked || dirty || !ran;
    verify.title = dirty ? 'Save your edits first: an approval signs off on what the file says'
      : ran ? 'It ran here: record the result it returned with a new approval' : 'Run it where the data is first: its result is recorded with the approval';
    buttons.push(verify);
  }
  if (p.status === 'approved') {
    buttons.push(button('remove-approval', 'Remove approval', true, (b) => void act(b, () => request({ method: 'removeApproval' }), 'Approval removed').then((ok) => ok && focusAfterUpdate('#approve'))));
  }
  const save = button('save', 'Save edits', true, (b) => void act(b, () => request({ method: 'save', question, sql, history: pairSteps }), 'Edits saved').then((ok) => {
    if (ok) pairSteps = [];
  }));
  save.disabled = !dirty || !!busy;
  ui.decisions.append(...buttons, save, h('span', { class: 'hint', id: 'save-note' }, p.status === 'approved' && dirty ? 'Saving an edit sends an approved pair back to pending.' : ''));
}

async function decide(b: Button | undefined, decision: 'approve' | 'pending' | 'reject', reason?: string): Promise<void> {
  const question = ui.question.value.trim();
  const sql = ui.editor.value.trim();
  let saved: PairView | undefined;
  const ok = await act(b, async () => {
    saved = await request({ method: 'decide', decision, question, sql, reason, history: draft.history, model: draft.answer?.model ?? undefined });
  }, decision === 'approve' ? 'Approved' : decision === 'pending' ? 'Saved as pending' : 'Rejected');
  if (!ok || !saved) return;
  // The panel is now this pair's: same result on screen, its status and history added.
  pair = saved;
  draft = { question: '', sql: '', answer: null, history: [] };
  baseSql = saved.sql;
  baseQuestion = saved.question;
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

let focusTarget: string | undefined;
function focusAfterUpdate(selector: string): void {
  focusTarget = selector;
}

// ── the pair ───────────────────────────────────────────────────────────────────────────────

function renderPairStatus(): void {
  ui.statusSection.replaceChildren();
  if (!pair) return;
  const p = pair;
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
  if (!pair) return;
  const rows = [...pair.history].reverse().map((e) => h('li', {},
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
  if (!init) return;
  if (!pair) {
    showError('This pair file was deleted or renamed. Nothing here can be saved any more.');
    for (const b of app.querySelectorAll('vscode-button')) (b as Button).disabled = true;
    return;
  }
  const p = pair;
  const edited = ui.question.value.trim() !== baseQuestion.trim() || ui.editor.value.trim() !== baseSql.trim();
  if (!edited) {
    if (ui.question.value !== p.question) ui.question.value = p.question;
    if (ui.editor.value.trim() !== p.sql.trim()) ui.editor.value = p.sql;
    showAssumptions(p.assumptions, 'Assumptions stated in this SQL');
  } else if (p.question.trim() !== baseQuestion.trim() || p.sql.trim() !== baseSql.trim()) {
    showError('The pair file changed on disk; your unsaved edits are kept. Save them to replace the file\'s question and SQL.');
  }
  baseSql = p.sql;
  baseQuestion = p.question;
  const active = document.activeElement?.id;
  renderPairStatus();
  renderHistory();
  renderDecisions();
  renderEdited();
  const target = (focusTarget && document.querySelector<HTMLElement>(focusTarget)) || (active ? document.getElementById(active) : null);
  focusTarget = undefined;
  target?.focus();
}

document.addEventListener('keydown', onGlobalKey);
ready();
