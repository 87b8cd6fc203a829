import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { similarQuestions } from '../core/pairs/similar';
import type { Pair } from '../core/pairs/pairStore';
import {
  ASK_PANEL_VIEW_TYPE, hostToWebview, panelState, webviewToHost, type HostToWebview, type PairView, type PanelState, type RequestBody,
} from '../protocol/messages';
import { requireIdentity } from './identity';
import type { Project, Projects } from './projects';

/** Said in the panel instead of pretending: this build has no answering engine yet. */
const ANSWERING_UNAVAILABLE =
  'Answering in this panel is not built yet. From a terminal, askdata ask --project . "your question" answers now, with the local model or from approved pairs (recall). ' +
  'Here you can review, edit, approve and reject pairs, and see which approved questions resemble yours.';

/** All open Ask panels; opening a pair that already has one focuses it. */
export class AskPanels implements vscode.Disposable {
  private readonly sessions = new Set<AskPanelSession>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri, private readonly projects: Projects, private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(vscode.window.registerWebviewPanelSerializer(ASK_PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        const parsed = panelState.safeParse(state);
        if (!parsed.success) {
          // Nothing we can restore from; close rather than show an empty panel.
          panel.dispose();
          return;
        }
        await this.projects.initialize();
        this.track(new AskPanelSession(panel, parsed.data, this.projects, this.log, this.extensionUri));
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
    this.track(new AskPanelSession(panel, state, this.projects, this.log, this.extensionUri));
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

class AskPanelSession {
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    public state: PanelState,
    private readonly projects: Projects,
    private readonly log: vscode.LogOutputChannel,
    extensionUri: vscode.Uri,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'ask-data.svg');
    // A panel restored after a reload comes without options: set them here for both kinds.
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = html(panel.webview, extensionUri);
    panel.webview.onDidReceiveMessage((m) => this.receive(m), undefined, this.disposables);
    projects.onDidChange(() => this.pushPair(), undefined, this.disposables);
    panel.onDidDispose(() => this.disposables.forEach((d) => d.dispose()), undefined, this.disposables);
  }

  private get project(): Project | undefined {
    return this.projects.get(this.state.projectRoot);
  }

  private get pair(): Pair | undefined {
    return this.state.pairId ? this.project?.store.get(this.state.pairId) : undefined;
  }

  private post(message: HostToWebview): void {
    // Validate what we send too: a bad value should fail here, loudly, not in the webview.
    void this.panel.webview.postMessage(hostToWebview.parse(message));
  }

  private lastSent: string | undefined;
  private pushPair(): void {
    if (!this.state.pairId) return;
    const view = this.pair ? toView(this.pair, this.project!, (p, x) => this.projects.staleness(p, x)) : null;
    const key = JSON.stringify(view);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.post({ type: 'pairChanged', pair: view });
    if (this.pair) this.panel.title = panelTitle(this.pair, undefined);
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = webviewToHost.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`Ask panel sent a message that does not match the protocol; ignored: ${parsed.error.issues[0]?.message}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'ready' || message.type === 'state') {
      // The webview's own state wins only for what it owns (the draft question).
      if (message.state && message.state.projectRoot === this.state.projectRoot && message.state.pairId === this.state.pairId) {
        this.state = { ...this.state, draftQuestion: message.state.draftQuestion };
      }
      if (message.type === 'ready') {
        const view = this.pair ? toView(this.pair, this.project!, (p, x) => this.projects.staleness(p, x)) : null;
        this.lastSent = JSON.stringify(view);
        this.post({
          type: 'init',
          state: this.state,
          projectName: this.project?.name ?? path.basename(this.state.projectRoot),
          pair: view,
          answering: { available: false, reason: ANSWERING_UNAVAILABLE },
        });
      }
      return;
    }
    try {
      const result = await this.handle(message.body);
      this.post({ type: 'reply', id: message.id, ok: true, result });
    } catch (e) {
      this.post({ type: 'reply', id: message.id, ok: false, error: (e as Error).message });
    }
  }

  private async handle(body: RequestBody): Promise<unknown> {
    const project = this.project;
    if (!project) throw new Error(`The project at ${this.state.projectRoot} is no longer open.`);
    if (body.method === 'similar') {
      const approved = project.store.pairs.filter((p) => p.status === 'approved');
      return similarQuestions(body.question, approved);
    }
    if (body.method === 'openPair') {
      await vscode.commands.executeCommand('askData.openPair', { projectRoot: project.root, pairId: body.pairId });
      return undefined;
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
        await project.store.approve(pair.id, who);
        break;
      case 'reject':
        await project.store.reject(pair.id, who, body.reason?.trim() || undefined);
        break;
      case 'removeApproval':
        await project.store.removeApproval(pair.id, who);
        break;
      case 'save':
        await project.store.edit(pair.id, { question: body.question, sql: body.sql }, who);
        break;
    }
    this.pushPair();
    return undefined;
  }
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
    history: pair.history.map((h) => ({ at: h.at, event: h.event, by: h.by, model: h.model, text: h.text })),
    stale: stale(project, pair),
  };
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', name)).toString();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${asset('panel.css')}">
<title>Ask data</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script nonce="${nonce}" src="${asset('webview.js')}"></script>
</body>
</html>`;
}
