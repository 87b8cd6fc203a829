import { h } from './dom';
import type { ResultGrid } from './resultGrid';
import type { SqlEditor } from './sqlEditor';

/** The panel's elements, built by layout.ts; the other modules fill them. */
export interface TextValue extends HTMLElement { value: string }
export interface Button extends HTMLElement { disabled: boolean }

export const ui = {} as {
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

export const app = document.getElementById('app')!;

export function showError(e: unknown): void {
  const message = e === undefined ? undefined : e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
  ui.errorBox.hidden = !message;
  ui.errorBox.textContent = message ?? '';
}

/** Screen readers hear what an action did; the visible state already shows it. */
export function announce(text: string): void {
  const live = document.getElementById('live') ?? document.body.appendChild(h('div', { id: 'live', class: 'sr-only', 'aria-live': 'polite' }));
  live.textContent = text;
}

export function button(id: string, label: string, secondary: boolean, onClick: (b: Button) => void, title?: string): Button {
  const b = h('vscode-button', { id, secondary, title }, label) as unknown as Button;
  b.addEventListener('click', () => onClick(b));
  return b;
}
