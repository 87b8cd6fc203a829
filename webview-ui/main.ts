import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import { hostToWebview, type HostToWebview, type PairView, type PanelState, type RequestBody, type SimilarPair, type WebviewToHost } from '../src/protocol/messages';
import { formatWhen, h } from './dom';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type InitMessage = Extract<HostToWebview, { type: 'init' }>;
interface TextValue extends HTMLElement { value: string }
interface Button extends HTMLElement { disabled: boolean }

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
let init: InitMessage | undefined;
let pair: PairView | null = null;
let nextRequestId = 1;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

function request(body: RequestBody): Promise<unknown> {
  const id = nextRequestId++;
  vscode.postMessage({ type: 'request', id, body });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function saveState(patch: Partial<PanelState>): void {
  if (!init) return;
  init.state = { ...init.state, ...patch };
  vscode.setState(init.state);
  vscode.postMessage({ type: 'state', state: init.state });
}

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = hostToWebview.safeParse(event.data);
  if (!parsed.success) {
    console.warn('Ask Data: ignored a message that does not match the protocol', parsed.error.issues[0]);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'init':
      init = message;
      pair = message.pair;
      vscode.setState(message.state);
      render();
      break;
    case 'pairChanged':
      pair = message.pair;
      renderPairChanged();
      break;
    case 'reply': {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (!waiter) break;
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error));
      break;
    }
  }
});

// ── rendering ───────────────────────────────────────────────────────────────────────────────

let errorBox: HTMLElement;
let sqlField: TextValue | undefined;
let questionField: TextValue | undefined;
let dirty = false;

function render(): void {
  if (!init) return;
  app.replaceChildren();
  app.removeAttribute('aria-busy');
  errorBox = h('div', { class: 'error', role: 'alert', hidden: true });
  app.append(
    h('header', { class: 'header' },
      h('h1', {}, pair ? 'Question and SQL' : init.state.about ? `Ask about ${init.state.about}` : 'Ask data'),
      h('span', { class: 'project', title: init.state.projectRoot }, init.projectName),
    ),
    errorBox,
  );
  if (pair) renderPair(pair);
  else renderAsk(init);
}

function showError(message: string | undefined): void {
  errorBox.hidden = !message;
  errorBox.textContent = message ?? '';
}

async function act(button: Button | undefined, body: RequestBody, done?: string): Promise<boolean> {
  showError(undefined);
  if (button) button.disabled = true;
  try {
    await request(body);
    if (done) announce(done);
    return true;
  } catch (e) {
    showError((e as Error).message);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Screen readers hear what an action did; the visible state already shows it. */
function announce(text: string): void {
  const live = document.getElementById('live') ?? document.body.appendChild(h('div', { id: 'live', class: 'sr-only', 'aria-live': 'polite' }));
  live.textContent = text;
}

// New question: the question box works; answering does not exist yet, and the panel says so.
function renderAsk(message: InitMessage): void {
  const question = h('vscode-textarea', {
    id: 'question',
    rows: 3,
    resize: 'vertical',
    placeholder: message.state.about ? `Ask a question about ${message.state.about}…` : 'Ask a question about your data, e.g. Who are my top customers?',
    'aria-label': 'Your question',
    autofocus: true,
  }) as unknown as TextValue;
  question.value = message.state.draftQuestion ?? '';
  questionField = question;
  const askButton = h('vscode-button', { id: 'ask', disabled: !message.answering.available, title: message.answering.available ? 'Ask (Ctrl+Enter)' : message.answering.reason }, 'Ask') as unknown as Button;
  const note = h('p', { class: 'note', id: 'answering-note' }, message.answering.reason);
  const similarList = h('ul', { class: 'similar', 'aria-label': 'Approved questions like yours' });
  const similarSection = h('section', { class: 'section', hidden: true },
    h('h2', {}, 'Approved questions like yours'),
    similarList,
  );

  let timer: number | undefined;
  const updateSimilar = async () => {
    const text = question.value.trim();
    saveState({ draftQuestion: question.value });
    if (text.length < 3) {
      similarSection.hidden = true;
      return;
    }
    try {
      const found = (await request({ method: 'similar', question: text })) as SimilarPair[];
      similarList.replaceChildren(...found.map((s) => h('li', {},
        h('button', { class: 'link', onclick: () => void act(undefined, { method: 'openPair', pairId: s.id }) }, s.question),
        h('span', { class: 'score', title: 'word overlap with your question' }, ` ${Math.round(s.score * 100)}% alike`),
      )));
      if (found.length === 0) similarList.append(h('li', { class: 'muted' }, 'No approved question is like this one yet.'));
      similarSection.hidden = false;
    } catch (e) {
      showError((e as Error).message);
    }
  };
  question.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void updateSimilar(), 200);
  });
  question.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (!message.answering.available) {
        note.classList.remove('flash');
        void note.offsetWidth; // restart the animation
        note.classList.add('flash');
        announce(message.answering.reason);
      }
    }
  });

  app.append(
    h('section', { class: 'section' },
      h('label', { for: 'question', class: 'label' }, 'Question'),
      question,
      h('div', { class: 'actions' }, askButton, h('span', { class: 'hint' }, 'Ctrl+Enter')),
      note,
    ),
    similarSection,
  );
  if (question.value.trim()) void updateSimilar();
  requestAnimationFrame(() => question.focus());
}

function statusLine(p: PairView): HTMLElement {
  const badge = h('span', { class: `status status-${p.status}` }, p.status);
  let detail = '';
  if (p.status === 'approved' && p.approved) detail = `by ${p.approved.by}, ${formatWhen(p.approved.at)}`;
  if (p.status === 'rejected' && p.rejected) detail = `by ${p.rejected.by}, ${formatWhen(p.rejected.at)}${p.rejected.reason ? ` — “${p.rejected.reason}”` : ''}`;
  if (p.status === 'pending') detail = 'waiting for review';
  return h('div', { class: 'status-line', id: 'status-line' }, badge, h('span', { class: 'muted' }, ` ${detail}`));
}

function renderPair(p: PairView): void {
  dirty = false;
  const question = h('vscode-textarea', { id: 'question', rows: 2, resize: 'vertical', 'aria-label': 'Question' }) as unknown as TextValue;
  question.value = p.question;
  const sql = h('vscode-textarea', { id: 'sql', rows: Math.min(24, p.sql.split('\n').length + 1), resize: 'vertical', monospace: true, spellcheck: false, 'aria-label': 'SQL' }) as unknown as TextValue;
  sql.value = p.sql;
  questionField = question;
  sqlField = sql;

  const save = h('vscode-button', { id: 'save', secondary: true, disabled: true }, 'Save edits') as unknown as Button;
  const saveNote = h('span', { class: 'hint', id: 'save-note' }, p.status === 'approved' ? 'Saving an edit sends an approved pair back to pending.' : '');
  const markDirty = () => {
    dirty = question.value.trim() !== p.question.trim() || sql.value.trim() !== p.sql.trim();
    save.disabled = !dirty;
  };
  question.addEventListener('input', markDirty);
  sql.addEventListener('input', markDirty);
  save.addEventListener('click', () => void act(save, { method: 'save', question: question.value, sql: sql.value }, 'Edits saved'));
  for (const field of [question, sql]) {
    field.addEventListener('keydown', (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 's' && dirty) {
        e.preventDefault();
        save.click();
      }
    });
  }

  app.append(
    h('section', { class: 'section' }, statusLine(p), p.stale ? h('p', { class: 'warning', role: 'note' }, `May be stale: ${p.stale}.`) : null),
    h('section', { class: 'section' }, h('label', { for: 'question', class: 'label' }, 'Question'), question),
    h('section', { class: 'section' },
      h('label', { for: 'sql', class: 'label' }, 'SQL'),
      sql,
      h('p', { class: 'muted small' },
        p.tables.length ? `Uses ${p.tables.join(', ')}` : 'Uses no known tables',
        p.tags.length ? ` · ${p.tags.join(', ')}` : '',
        ' · ',
        h('button', { class: 'link', id: 'open-file', onclick: () => void act(undefined, { method: 'openFile' }) }, p.file),
      ),
    ),
    h('div', { class: 'actions', id: 'review-actions' }, ...reviewButtons(p), save, saveNote),
    h('p', { class: 'note' }, 'The panel does not run SQL yet; its result table comes with the next release. From a terminal, askdata run --project <folder> "<SQL>" runs it now, read-only and under your access policies.'),
    historySection(p),
  );
}

function reviewButtons(p: PairView): HTMLElement[] {
  const buttons: HTMLElement[] = [];
  if (p.status !== 'approved') {
    const approve = h('vscode-button', { id: 'approve' }, 'Approve') as unknown as Button;
    approve.addEventListener('click', async () => {
      if (await act(approve, { method: 'approve' }, 'Approved')) focusAfterUpdate('#remove-approval, #reject');
    });
    buttons.push(approve);
  }
  if (p.status !== 'rejected') {
    const reject = h('vscode-button', { id: 'reject', secondary: true }, 'Reject…') as unknown as Button;
    reject.addEventListener('click', () => openRejectForm(reject));
    buttons.push(reject);
  }
  if (p.status === 'approved') {
    const remove = h('vscode-button', { id: 'remove-approval', secondary: true }, 'Remove approval') as unknown as Button;
    remove.addEventListener('click', async () => {
      if (await act(remove, { method: 'removeApproval' }, 'Approval removed')) focusAfterUpdate('#approve');
    });
    buttons.push(remove);
  }
  return buttons;
}

function openRejectForm(anchor: HTMLElement): void {
  if (document.getElementById('reject-form')) return;
  const reason = h('vscode-textfield', { id: 'reject-reason', placeholder: 'Why is it wrong? (optional)', 'aria-label': 'Reason for rejecting' }) as unknown as TextValue;
  const confirm = h('vscode-button', { id: 'confirm-reject' }, 'Reject') as unknown as Button;
  const cancel = h('vscode-button', { secondary: true }, 'Cancel');
  const form = h('div', { class: 'actions', id: 'reject-form', role: 'group', 'aria-label': 'Reject this pair' }, reason, confirm, cancel);
  const close = () => {
    form.remove();
    anchor.focus();
  };
  cancel.addEventListener('click', close);
  reason.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter') confirm.click();
    if (e.key === 'Escape') close();
  });
  confirm.addEventListener('click', async () => {
    if (await act(confirm, { method: 'reject', reason: reason.value }, 'Rejected')) focusAfterUpdate('#approve');
  });
  document.getElementById('review-actions')!.after(form);
  requestAnimationFrame(() => reason.focus());
}

let focusTarget: string | undefined;
function focusAfterUpdate(selector: string): void {
  focusTarget = selector;
}

function historySection(p: PairView): HTMLElement {
  const rows = [...p.history].reverse().map((e) => h('li', {},
    h('time', { datetime: e.at }, formatWhen(e.at)),
    h('span', { class: 'event' }, e.event),
    e.by ? h('span', { class: 'muted' }, e.by) : null,
    e.model ? h('span', { class: 'muted' }, e.model) : null,
    e.text ? h('q', {}, e.text) : null,
  ));
  return h('section', { class: 'section', id: 'history' },
    h('h2', {}, 'History'),
    rows.length ? h('ol', { class: 'history', reversed: true }, ...rows) : h('p', { class: 'muted' }, 'No history recorded.'),
  );
}

/** The file changed: redraw from it, but keep what the person typed and has not saved. */
function renderPairChanged(): void {
  if (!init) return;
  if (!pair) {
    showError('This pair file was deleted or renamed. Nothing here can be saved any more.');
    for (const b of app.querySelectorAll('vscode-button')) (b as Button).disabled = true;
    return;
  }
  const keep = dirty && questionField && sqlField ? { question: questionField.value, sql: sqlField.value } : undefined;
  const active = document.activeElement?.id;
  render();
  if (keep && questionField && sqlField) {
    questionField.value = keep.question;
    sqlField.value = keep.sql;
    questionField.dispatchEvent(new Event('input'));
    showError('The pair file changed on disk; your unsaved edits are kept below. Save them to replace the file\'s question and SQL.');
  }
  const target = (focusTarget && document.querySelector<HTMLElement>(focusTarget)) || (active ? document.getElementById(active) : null);
  focusTarget = undefined;
  target?.focus();
}

vscode.postMessage({ type: 'ready', state: vscode.getState() as PanelState | undefined });
