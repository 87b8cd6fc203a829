import type { AnswerView, RequestOf } from '../src/protocol/messages';
import { renderDecisions } from './decisions';
import { h } from './dom';
import { renderEdited, renderQueryError, setResult } from './results';
import { isCancelled, request, send } from './rpc';
import { renderSaw } from './saw';
import { panel, persist, record } from './state';
import { announce, app, showError, ui } from './ui';

/**
 * Asking: the question, approved questions like it while it is typed, and the requests that
 * answer it (ask, regenerate from feedback, fix from an error) with their progress and Stop.
 */

export function onQuestionInput(): void {
  if (!panel.pair) {
    panel.draft.question = ui.question.value;
    persist();
  }
  renderDecisions();
  window.clearTimeout(panel.similarTimer);
  panel.similarTimer = window.setTimeout(() => void updateSimilar(), 250);
}

export async function updateSimilar(): Promise<void> {
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

export function startProgress(): (step: string, detail?: string) => void {
  ui.progress.hidden = false;
  ui.progress.replaceChildren();
  return (step, detail) => {
    ui.progress.querySelector('li.current')?.classList.replace('current', 'done');
    ui.progress.append(h('li', { class: 'current', 'data-step': step }, STEP_LABEL[step]?.(detail) ?? step));
  };
}

/** The step under way is done. */
export function stepDone(): void {
  ui.progress.querySelector('li.current')?.classList.replace('current', 'done');
}

/** The request was stopped: said where its progress is, and to screen readers. */
export function showStopped(): void {
  if (!ui.progress.hidden) ui.progress.append(h('li', { class: 'stopped' }, 'Stopped.'));
  announce('Stopped');
}

export function setBusy(what: string | undefined, id?: number): void {
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

export function cancel(): void {
  if (!panel.busy) return;
  void request({ method: 'cancel', requestId: panel.busy.id });
}

export function onGlobalKey(e: KeyboardEvent): void {
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

export async function ask(): Promise<void> {
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

export async function regenerate(): Promise<void> {
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

export async function fix(): Promise<void> {
  const error = panel.queryError;
  if (!error || panel.busy) return;
  const answer = await perform({ method: 'fix', question: ui.question.value.trim(), sql: ui.editor.value.trim(), error }, 'fixing');
  if (!answer) return;
  record({ event: 'fixed', text: error.class });
  showAnswer(answer, true);
}

/** Shows an answer: its source, what it assumed, its SQL and its result or error. */
export function showAnswer(answer: AnswerView, fresh: boolean): void {
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

export function showAssumptions(assumptions: readonly string[], title: string): void {
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
