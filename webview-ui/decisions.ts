import { couldNotRun } from '../src/protocol/errorClasses';
import type { PairView } from '../src/protocol/messages';
import { h } from './dom';
import { renderHistory, renderPairStatus } from './pairStatus';
import { renderEdited } from './results';
import { request } from './rpc';
import { emptyDraft, panel, persist } from './state';
import { announce, button, showError, ui, type Button, type TextValue } from './ui';

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

export function renderDecisions(): void {
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
  confirm.addEventListener('click', () => {
    void act(confirm, () => reject(reason.value.trim()), 'Rejected').then((done) => done && form.remove());
  });
  ui.decisions.after(form);
  requestAnimationFrame(() => reason.focus());
}

/** Where the focus goes once the host has sent the pair as the decision left it. */
function focusAfterUpdate(selector: string): void {
  panel.focusTarget = selector;
}
