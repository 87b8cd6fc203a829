import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnswerStep } from '../core/answer/answer';
import type { Turn } from '../core/answer/prompt';
import { ExecutionError } from '../core/execution/errors';
import type { Pair } from '../core/pairs/pairStore';
import { assumptionsIn } from '../core/recall/recall';
import {
  ASK_PANEL_VIEW_TYPE, hostToWebview, panelState, webviewToHost, type HistoryEntry, type HostToWebview, type ModelView, type PairView, type PanelState, type RequestBody,
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

class AskPanelSession {
  private readonly disposables: vscode.Disposable[] = [];
  /** Requests that can be stopped (ask, fix, run), by request id. */
  private readonly running = new Map<number, AbortController>();

  constructor(
    readonly panel: vscode.WebviewPanel,
    public state: PanelState,
    private readonly projects: Projects,
    private readonly services: PanelServices,
    private readonly log: vscode.LogOutputChannel,
    extensionUri: vscode.Uri,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'ask-data.svg');
    // A panel restored after a reload comes without options: set them here for both kinds.
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = html(panel.webview, extensionUri);
    panel.webview.onDidReceiveMessage((m) => this.receive(m), undefined, this.disposables);
    projects.onDidChange(() => this.pushPair(), undefined, this.disposables);
    services.model.onDidChange(() => this.post({ type: 'modelChanged', model: this.modelView() }), undefined, this.disposables);
    panel.onDidDispose(() => {
      this.disposed = true;
      for (const c of this.running.values()) c.abort();
      this.disposables.forEach((d) => d.dispose());
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

  private disposed = false;

  private post(message: HostToWebview): void {
    // A question still being answered when the panel closed has nobody to tell.
    if (this.disposed) return;
    // Validate what we send too: a bad value should fail here, loudly, not in the webview.
    void this.panel.webview.postMessage(hostToWebview.parse(message));
  }

  private view(pair: Pair): PairView {
    return toView(pair, this.project!, (p, x) => this.projects.staleness(p, x));
  }

  private lastSent: string | undefined;
  private pushPair(): void {
    if (!this.state.pairId) return;
    const view = this.pair ? this.view(this.pair) : null;
    const key = JSON.stringify(view);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.post({ type: 'pairChanged', pair: view });
    if (this.pair) this.panel.title = panelTitle(this.pair, undefined);
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = webviewToHost.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`Ask panel sent a message that does not match the protocol; ignored: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'ready' || message.type === 'state') {
      // The webview's own state wins only for what it owns (the draft).
      if (message.state && message.state.projectRoot === this.state.projectRoot && message.state.pairId === this.state.pairId) {
        this.state = { ...this.state, draftQuestion: message.state.draftQuestion, draft: message.state.draft };
      }
      if (message.type === 'ready') {
        const view = this.pair ? this.view(this.pair) : null;
        this.lastSent = JSON.stringify(view);
        this.post({ type: 'init', state: this.state, projectName: this.project?.name ?? path.basename(this.state.projectRoot), pair: view, model: this.modelView() });
      }
      return;
    }
    const controller = new AbortController();
    this.running.set(message.id, controller);
    try {
      const result = await this.handle(message.body, message.id, controller.signal);
      this.post({ type: 'reply', id: message.id, ok: true, result });
    } catch (e) {
      const errorClass = e instanceof ExecutionError ? e.errorClass : undefined;
      if (!errorClass) this.log.warn(`Ask panel ${message.body.method}: ${(e as Error).stack ?? e}`);
      this.post({ type: 'reply', id: message.id, ok: false, error: (e as Error).message, errorClass });
    } finally {
      this.running.delete(message.id);
    }
  }

  private async handle(body: RequestBody, id: number, signal: AbortSignal): Promise<unknown> {
    const project = this.project;
    if (!project) throw new Error(`The project at ${this.state.projectRoot} is no longer open.`);
    const ask = this.services.ask;
    const progress = {
      signal,
      onStep: (step: AnswerStep, detail?: string) => this.post({ type: 'progress', id, step, detail }),
      onToken: (text: string) => this.post({ type: 'token', id, text }),
    };
    switch (body.method) {
      case 'ask': {
        const turns: Turn[] = body.feedback ? [{ kind: 'feedback', sql: body.feedback.sql, shape: body.feedback.shape, text: body.feedback.text }] : [];
        if (turns.length && !this.services.model.ready) throw new Error(`Regenerating from your feedback needs the local model. ${this.services.model.unavailableReason()}`);
        return ask.ask(project.root, body.question, { ...progress, turns });
      }
      case 'fix':
        if (!this.services.model.ready) throw new Error(`Fixing a query needs the local model. ${this.services.model.unavailableReason()}`);
        return ask.ask(project.root, body.question, { ...progress, turns: [{ kind: 'repair', sql: body.sql, errorClass: body.error.class, message: body.error.message }] });
      case 'run':
        return ask.run(project.root, body.sql, signal);
      case 'cancel':
        this.running.get(body.requestId)?.abort();
        return undefined;
      case 'similar':
        return ask.similar(project.root, body.question);
      case 'openPair':
        await vscode.commands.executeCommand('askData.openPair', { projectRoot: project.root, pairId: body.pairId });
        return undefined;
      case 'copy':
        await vscode.env.clipboard.writeText(body.text);
        return undefined;
      case 'setupModel':
        await vscode.commands.executeCommand('askData.ollama.setup');
        return undefined;
      case 'decide':
        return this.decide(project, body);
    }
    const pair = this.pair;
    if (!pair) throw new Error('This pair no longer exists; it may have been deleted or renamed.');
    if (body.method === 'openFile') {
      await vscode.window.showTextDocument(vscode.Uri.file(pair.path), { preview: false, viewColumn: vscode.ViewColumn.Beside });
      return undefined;
    }
    const who = await requireIdentity(project.root);
    if (!who) throw new Error('No identity set (git user.name/user.email or the Ask Data identity settings).');
    switch (body.method) {
      case 'approve':
        await approvePair(project, pair, who, ask, this.log);
        break;
      case 'reject':
        await project.store.reject(pair.id, who, body.reason?.trim() || undefined);
        break;
      case 'removeApproval':
        await project.store.removeApproval(pair.id, who);
        break;
      case 'save':
        await project.store.edit(pair.id, { question: body.question, sql: body.sql }, who, stamp(body.history ?? [], who));
        break;
    }
    this.pushPair();
    return undefined;
  }

  /** An answer becomes a pair file: approved (with its result), pending, or rejected (with why). */
  private async decide(project: Project, body: Extract<RequestBody, { method: 'decide' }>): Promise<PairView> {
    const who = await requireIdentity(project.root);
    if (!who) throw new Error('No identity set (git user.name/user.email or the Ask Data identity settings).');
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

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', name)).toString();
  return panelHtml({ nonce: randomBytes(16).toString('base64'), cspSource: webview.cspSource, script: asset('webview.js'), style: asset('panel.css') });
}
