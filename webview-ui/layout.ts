import { ask, cancel, onQuestionInput, regenerate, showAnswer, showAssumptions, updateSimilar } from './asking';
import { renderDecisions } from './decisions';
import { h } from './dom';
import { renderHistory, renderPairStatus } from './pairStatus';
import { onSqlEdited, renderEdited, runSql } from './results';
import { request } from './rpc';
import { SqlEditor } from './sqlEditor';
import { panel, persist } from './state';
import { app, showError, ui } from './ui';

/**
 * The panel's layout: a question, the SQL that answers it, what that SQL returns, and the
 * decision. One layout serves a new question and a pair; the pair adds its status and history.
 * Everything from the data, the schema or the model goes into text nodes only.
 */

// Read while the bundle's script runs: CodeMirror needs the nonce for the styles it adds.
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';

/** Draws the whole panel from `panel`, then shows what its SQL returns. */
export function render(): void {
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
  });
  ui.question.value = pair ? pair.question : draft.question;
  ui.ask = h('vscode-button', { id: 'ask', title: 'Ask (Ctrl+Enter)' }, pair ? 'Ask again' : 'Ask');
  ui.cancel = h('vscode-button', { id: 'cancel', secondary: true, hidden: true, title: 'Stop (Escape)' }, 'Stop');
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
  ui.run = h('vscode-button', { id: 'run', secondary: true, title: 'Run (Ctrl+Enter in the SQL)' }, 'Run');
  ui.run.addEventListener('click', () => void runSql());
  ui.edited = h('span', { class: 'hint', id: 'edited', hidden: true }, 'Edited by you');
  ui.queryError = h('div', { class: 'query-error', id: 'query-error', role: 'alert', hidden: true });
  ui.resultBox = h('section', { class: 'section result', id: 'result', 'aria-label': 'Result', hidden: true });
  ui.feedback = h('vscode-textfield', { id: 'feedback', placeholder: 'e.g. rank by order count instead', 'aria-label': 'Not quite right? Say what to change' });
  ui.regenerate = h('vscode-button', { id: 'regenerate', secondary: true }, 'Regenerate');
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

export function renderModelBadge(): void {
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
