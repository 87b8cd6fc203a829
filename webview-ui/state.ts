import {
  panelInit, panelState, type DraftState, type ErrorView, type HistoryEntry, type ModelView, type PairView, type PanelState, type ResultView,
} from '../src/protocol/messages';
import { INITIAL_STATE_ID } from '../src/protocol/panelHtml';
import { keepState, keptState } from './rpc';

/**
 * What the panel knows and has done, in one object. The host decides which panel it is and puts
 * that in the page; the work in it (the draft) is the webview's own, kept with VS Code
 * (getState/setState) so that it survives hiding and reloads without a word to the host.
 */
export interface Panel {
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

export const emptyDraft = (): DraftState => ({ question: '', sql: '', answer: null, history: [] });

export const panel: Panel = {
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
export function restore(): string | undefined {
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
export function persist(): void {
  const state: PanelState = panel.pair
    ? { projectRoot: panel.projectRoot, pairId: panel.pair.id }
    : { projectRoot: panel.projectRoot, about: panel.about, draft: panel.draft };
  keepState(state);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A step the person took, for the history written with the decision or the saved edit. */
export function record(entry: Omit<HistoryEntry, 'at'>): void {
  const e = { at: now(), ...entry };
  if (panel.pair) panel.pairSteps.push(e);
  else panel.draft.history.push(e);
}
