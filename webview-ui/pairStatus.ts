import { showAssumptions } from './asking';
import { renderDecisions } from './decisions';
import { formatWhen, h, present } from './dom';
import { renderEdited } from './results';
import { request } from './rpc';
import { panel } from './state';
import { app, showError, ui, type Button } from './ui';

/** A pair's status, its history, and following its file as it changes on disk. */

export function renderPairStatus(): void {
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

export function renderHistory(): void {
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
export function onPairChanged(): void {
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
