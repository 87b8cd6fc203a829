import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnswerStep } from '../core/answer/answer';
import type { Turn } from '../core/answer/prompt';
import { ExecutionError } from '../core/execution/errors';
import { jsonText } from '../core/jsonText';
import type { Pair } from '../core/pairs/pairStore';
import { assumptionsIn } from '../core/recall/recall';
import {
  ASK_PANEL_VIEW_TYPE, handleRequest, hostToWebview, okReplyTo, panelState, webviewToHost,
  type AnswerView, type HistoryEntry, type HostToWebview, type ModelView, type PairView, type PanelInit, type PanelState, type RequestHandlers, type RequestOf,
} from '../protocol/messages';
import { panelHtml } from '../protocol/panelHtml';
import { approvePair as approveInStore, decidePair, type ConfirmUnverified, type Fingerprinter } from '../usecases/approval';
import type { AskService } from './askService';
import { requireIdentity } from './identity';
import type { ModelService } from './modelService';
import type { Project, Projects } from './projects';

/** All open Ask panels; opening a pair that already has one focuses it. */
export class AskPanels implements vscode.Disposable {
  private readonly sessions = new Set<AskPanelSession>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri, private readonly projects: Projects, private readonly services: PanelServices, private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(vscode.window.registerWebviewPanelSerializer(ASK_PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        const parsed = panelState.safeParse(state);
        if (!parsed.success) {
          // Nothing we can restore from; close rather than show an empty panel.
          panel.dispose();
          return;
        }
        await this.projects.initialize();
        this.track(new AskPanelSession(panel, parsed.data, this.projects, this.services, this.log, this.extensionUri));
      },
    }));
  }

  async open(state: PanelState): Promise<void> {
    await this.projects.initialize();
    if (state.pairId) {
      for (const s of this.sessions) {
        if (s.state.pairId === state.pairId && s.state.projectRoot === state.projectRoot) {
          s.panel.reveal();
          return;
        }
      }
    }
    const project = this.projects.get(state.projectRoot);
    const pair = state.pairId ? project?.store.get(state.pairId) : undefined;
    const panel = vscode.window.createWebviewPanel(ASK_PANEL_VIEW_TYPE, panelTitle(pair, state.about), vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
    this.track(new AskPanelSession(panel, state, this.projects, this.services, this.log, this.extensionUri));
  }

  private track(session: AskPanelSession): void {
    this.sessions.add(session);
    session.panel.onDidDispose(() => this.sessions.delete(session));
  }

  dispose(): void {
    for (const s of this.sessions) s.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

function panelTitle(pair: Pair | undefined, about: string | undefined): string {
  if (pair) return truncate(pair.question, 40);
  return about ? `Ask about ${about}` : 'Ask data';
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** What the panel needs besides the projects: answering, and the model's state. */
export interface PanelServices {
  ask: AskService;
  model: ModelService;
}

/** What a request's handler has besides its body. */
interface Call {
  project: Project;
  signal: AbortSignal;
  /** For the long requests: their steps and the model's text, to the webview as they come. */
  progress: { signal: AbortSignal; onStep(step: AnswerStep, detail?: string): void; onToken(text: string): void };
}

class AskPanelSession {
  private readonly disposables: vscode.Disposable[] = [];
  /** Requests that can be stopped (ask, fix, run), by request id. */
  private readonly running = new Map<number, AbortController>();
  private disposed = false;
  /** The pair view last sent (in the page or in pairChanged), not to send it twice. */
  private lastSent: string | undefined;
  /** What the page now in the webview was written with: what a webview loading it draws. */
  private page = { key: '', pair: '', model: '' };

  constructor(
    readonly panel: vscode.WebviewPanel,
    /** Which panel this is, with the draft it was opened or restored with; the draft is the webview's from then on. */
    public state: PanelState,
    private readonly projects: Projects,
    private readonly services: PanelServices,
    private readonly log: vscode.LogOutputChannel,
    private readonly extensionUri: vscode.Uri,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'ask-data.svg');
    // A panel restored after a reload comes without options: set them here for both kinds.
    panel.webview.options = webviewOptions(extensionUri);
    this.writePage();
    panel.webview.onDidReceiveMessage((m) => this.receive(m), undefined, this.disposables);
    projects.onDidChange(() => this.pushPair(), undefined, this.disposables);
    services.model.onDidChange(() => this.post({ type: 'modelChanged', model: this.modelView() }), undefined, this.disposables);
    // A hidden panel's page is gone and cannot be told anything; it is loaded again when shown.
    // Rewriting it now, while nothing shows it, costs nothing and makes it draw what is true then.
    panel.onDidChangeViewState(() => {
      if (!panel.visible && this.pageInit().key !== this.page.key) this.writePage();
    }, undefined, this.disposables);
    panel.onDidDispose(() => {
      this.disposed = true;
      for (const c of this.running.values()) c.abort();
      for (const d of this.disposables) d.dispose();
    }, undefined, this.disposables);
  }

  private get project(): Project | undefined {
    return this.projects.get(this.state.projectRoot);
  }

  private get pair(): Pair | undefined {
    return this.state.pairId ? this.project?.store.get(this.state.pairId) : undefined;
  }

  private modelView(): ModelView {
    const m = this.services.model;
    const name = m.client.name;
    return m.ready ? { available: true, name } : { available: false, name, problem: m.unavailableReason() };
  }

  private pairView(): PairView | null {
    return this.pair ? this.view(this.pair) : null;
  }

  /** The first state of the panel, as the page carries it, and a key of what the host decides in it. */
  private pageInit(): { init: PanelInit; key: string; pair: string; model: string } {
    const init: PanelInit = { state: this.state, projectName: this.project?.name ?? path.basename(this.state.projectRoot), pair: this.pairView(), model: this.modelView() };
    const pair = JSON.stringify(init.pair);
    const model = JSON.stringify(init.model);
    const { projectRoot, pairId, about } = this.state;
    return { init, pair, model, key: JSON.stringify([projectRoot, pairId, about, init.projectName, pair, model]) };
  }

  private writePage(): void {
    const { init, ...page } = this.pageInit();
    this.page = page;
    this.lastSent = page.pair;
    this.panel.webview.html = html(this.panel.webview, this.extensionUri, init);
  }

  private post(message: HostToWebview): void {
    // A question still being answered when the panel closed has nobody to tell.
    if (this.disposed) return;
    // Validate what we send too: a bad value (a reply that is not its method's type) fails here, loudly.
    void this.panel.webview.postMessage(hostToWebview.parse(message));
  }

  private view(pair: Pair): PairView {
    return toView(pair, this.project!, (p, x) => this.projects.staleness(p, x));
  }

  private pushPair(): void {
    if (!this.state.pairId) return;
    const view = this.pairView();
    const key = JSON.stringify(view);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.post({ type: 'pairChanged', pair: view });
    if (this.pair) this.panel.title = panelTitle(this.pair, undefined);
  }

  /** The webview drew itself from the page: tell it what changed since the page was written. */
  private onReady(): void {
    const { pair, model } = this.pageInit();
    if (this.state.pairId && pair !== this.page.pair) this.post({ type: 'pairChanged', pair: this.pairView() });
    if (model !== this.page.model) this.post({ type: 'modelChanged', model: this.modelView() });
    this.lastSent = pair;
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = webviewToHost.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`Ask panel sent a message that does not match the protocol; ignored: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'ready') {
      this.onReady();
      return;
    }
    const { id, body } = message;
    const controller = new AbortController();
    this.running.set(id, controller);
    try {
      const project = this.project;
      if (!project) throw new Error(`The project at ${this.state.projectRoot} is no longer open.`);
      const signal = controller.signal;
      const progress = {
        signal,
        onStep: (step: AnswerStep, detail?: string) => this.post({ type: 'progress', id, step, detail }),
        onToken: (text: string) => this.post({ type: 'token', id, text }),
      };
      const result = await handleRequest(this.handlers, body, { project, signal, progress });
      this.post(okReplyTo(id, body.method, result));
    } catch (e) {
      const errorClass = e instanceof ExecutionError ? e.errorClass : undefined;
      if (!errorClass) this.log.warn(`Ask panel ${body.method}: ${e instanceof Error ? (e.stack ?? e.message) : jsonText(e)}`);
      this.post({ type: 'reply', id, ok: false, method: body.method, error: (e as Error).message, errorClass });
    } finally {
      this.running.delete(id);
    }
  }

  /** One handler per request, each held by the compiler to its reply's type (see replySchemas). */
  private readonly handlers: RequestHandlers<Call> = {
    ask: async (body, { project, progress }) => {
      const turns: Turn[] = body.feedback ? [{ kind: 'feedback', sql: body.feedback.sql, shape: body.feedback.shape, text: body.feedback.text }] : [];
      if (turns.length && !this.services.model.ready) throw new Error(`Regenerating from your feedback needs the local model. ${this.services.model.unavailableReason()}`);
      return notCancelled(await this.services.ask.ask(project.root, body.question, { ...progress, turns }));
    },
    fix: async (body, { project, progress }) => {
      if (!this.services.model.ready) throw new Error(`Fixing a query needs the local model. ${this.services.model.unavailableReason()}`);
      const turns: Turn[] = [{ kind: 'repair', sql: body.sql, errorClass: body.error.class, message: body.error.message }];
      return notCancelled(await this.services.ask.ask(project.root, body.question, { ...progress, turns }));
    },
    run: (body, { project, signal }) => this.services.ask.run(project.root, body.sql, signal),
    cancel: async (body) => {
      this.running.get(body.requestId)?.abort();
    },
    similar: (body, { project }) => this.services.ask.similar(project.root, body.question),
    openPair: async (body, { project }) => {
      await vscode.commands.executeCommand('askData.openPair', { projectRoot: project.root, pairId: body.pairId });
    },
    copy: async (body) => {
      await vscode.env.clipboard.writeText(body.text);
    },
    setupModel: async () => {
      await vscode.commands.executeCommand('askData.ollama.setup');
    },
    decide: (body, { project }) => this.decide(project, body),
    openFile: async () => {
      await vscode.window.showTextDocument(vscode.Uri.file(this.requirePair().path), { preview: false, viewColumn: vscode.ViewColumn.Beside });
    },
    approve: (_, { project }) => this.changePair(project, (pair, who) => approvePair(project, pair, who, this.services.ask, this.log)),
    reject: (body, { project }) => this.changePair(project, (pair, who) => project.store.reject(pair.id, who, body.reason?.trim() || undefined)),
    removeApproval: (_, { project }) => this.changePair(project, (pair, who) => project.store.removeApproval(pair.id, who)),
    save: (body, { project }) => this.changePair(project, (pair, who) => project.store.edit(pair.id, { question: body.question, sql: body.sql }, who, stamp(body.history ?? [], who))),
  };

  private requirePair(): Pair {
    const pair = this.pair;
    if (!pair) throw new Error('This pair no longer exists; it may have been deleted or renamed.');
    return pair;
  }

  /** A decision on the pair shown, by the person deciding; the panel shows the pair as it is then. */
  private async changePair(project: Project, change: (pair: Pair, who: string) => Promise<unknown>): Promise<void> {
    const pair = this.requirePair();
    await change(pair, await requireWho(project));
    this.pushPair();
  }

  /** An answer becomes a pair file: approved (with its result), pending, or rejected (with why). */
  private async decide(project: Project, body: RequestOf<'decide'>): Promise<PairView> {
    const who = await requireWho(project);
    const pair = await decidePair(project.store, {
      question: body.question,
      sql: body.sql,
      decision: body.decision,
      by: who,
      reason: body.reason,
      history: stamp(body.history, who),
    }, ...approvalDrivers(project, this.services.ask, this.log));
    this.state = { projectRoot: project.root, pairId: pair.id };
    this.panel.title = panelTitle(pair, undefined);
    const view = this.view(pair);
    this.lastSent = JSON.stringify(view);
    return view;
  }
}

async function requireWho(project: Project): Promise<string> {
  const who = await requireIdentity(project.root);
  if (!who) throw new Error('No identity set (git user.name/user.email or the Ask Data identity settings).');
  return who;
}

/**
 * A question the person stopped is a stopped request, not an answer: the reply says `cancelled`
 * (by class), and the panel keeps what it showed before.
 */
function notCancelled(answer: AnswerView): AnswerView {
  if (answer.error?.class === 'cancelled') throw new ExecutionError('cancelled', answer.error.message);
  return answer;
}

/** The asker is who typed the question: their name goes on the steps the webview recorded. */
function stamp(history: readonly HistoryEntry[], who: string): HistoryEntry[] {
  return history.map((h) => (h.event === 'asked' || h.event === 'feedback' || h.event === 'edited' ? { ...h, by: h.by ?? who } : h));
}

/** Whether SQL that cannot run here is approved anyway, as unverified: only by a deliberate choice in a dialog. */
async function confirmUnverified(e: ExecutionError, log: vscode.LogOutputChannel): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    'This SQL could not be run, so its result cannot be checked or recorded.',
    { modal: true, detail: `${e.message}\n\nApproving it anyway records result: unverified; askdata test lists it apart until it is approved again where it runs.` },
    'Approve Unverified',
  );
  if (choice === 'Approve Unverified') log.warn(`approved unverified: ${e.message}`);
  return choice === 'Approve Unverified';
}

/** The use cases' fingerprint and confirmation, as the editor provides them. */
function approvalDrivers(project: Project, ask: AskService, log: vscode.LogOutputChannel): [Fingerprinter, ConfirmUnverified] {
  return [(sql) => ask.fingerprint(project.root, sql), (e) => confirmUnverified(e, log)];
}

/** Approves an existing pair, recording the result it returns now (the queue and the panel both use this). */
export async function approvePair(project: Project, pair: Pair, who: string, ask: AskService, log: vscode.LogOutputChannel): Promise<Pair> {
  return approveInStore(project.store, pair, who, ...approvalDrivers(project, ask, log));
}

export function toView(pair: Pair, project: Project, stale: (project: Project, pair: Pair) => string | undefined): PairView {
  const { approved, rejected } = pair.data;
  return {
    id: pair.id,
    file: path.relative(project.root, pair.path),
    question: pair.question,
    sql: pair.sql,
    status: pair.status,
    tags: pair.tags,
    tables: pair.tables,
    approved: approved ? { by: approved.by, at: approved.at } : undefined,
    rejected: rejected ? { by: rejected.by, at: rejected.at, reason: rejected.reason } : undefined,
    result: pair.data.result && pair.data.result !== 'unverified' ? { rows: pair.data.result.rows, columns: pair.data.result.columns, fingerprint: pair.data.result.fingerprint } : undefined,
    ...(pair.data.result === 'unverified' ? { unverified: true } : {}),
    synthetic: pair.data.synthetic,
    assumptions: assumptionsIn(pair.sql),
    history: pair.history.map((h) => ({ at: h.at, event: h.event, by: h.by, model: h.model, text: h.text })),
    stale: stale(project, pair),
  };
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri, init: PanelInit): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', name)).toString();
  return panelHtml({ nonce: randomBytes(16).toString('base64'), cspSource: webview.cspSource, script: asset('webview.js'), style: asset('panel.css'), init });
}
