import * as vscode from 'vscode';
import { approvedPairsUsing } from '../core/queue/approvalQueue';
import type { Projects } from './projects';

/**
 * On a dbt model: how many approved questions use it (click: the queue filtered to them) and
 * "Ask about this model". On any other SQL file: "Add as a pending pair".
 */
export class SqlCodeLenses implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly projects: Projects) {
    this.subscription = vscode.Disposable.from(
      projects.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('askData.codeLens') && this.changed.fire()),
    );
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!vscode.workspace.getConfiguration('askData').get<boolean>('codeLens.enabled', true)) return [];
    if (document.uri.scheme !== 'file') return [];
    await this.projects.initialize();
    const top = new vscode.Range(0, 0, 0, 0);
    const project = this.projects.projectOf(document.uri.fsPath);
    const role = project?.roleOf(document.uri.fsPath) ?? { kind: 'query' as const };
    if (project && role.kind === 'model') {
      const using = approvedPairsUsing(project.store.pairs, role.name);
      const title = using.length === 0
        ? 'No approved questions use this model yet'
        : `${using.length} approved question${using.length === 1 ? ' uses' : 's use'} this model`;
      const stale = using.flatMap((p) => {
        const why = this.projects.staleness(project, p);
        return why ? [`${p.question}: ${why}`] : [];
      });
      const staleLens = stale.length
        ? [new vscode.CodeLens(top, {
            title: `$(warning) ${stale.length} approved question${stale.length === 1 ? '' : 's'} may be stale`,
            command: 'askData.filterQueueByModel',
            arguments: [role.name],
            tooltip: stale.join('\n'),
          })]
        : [];
      return [
        new vscode.CodeLens(top, { title, command: 'askData.filterQueueByModel', arguments: [role.name], tooltip: using.map((p) => p.question).join('\n') || undefined }),
        ...staleLens,
        new vscode.CodeLens(top, { title: 'Ask about this model', command: 'askData.askAboutModel', arguments: [role.name, project.root] }),
      ];
    }
    return [new vscode.CodeLens(top, { title: 'Add as a pending pair', command: 'askData.addPendingPair', arguments: [document.uri], tooltip: 'Write the question this query answers; the pair goes to the approval queue as pending' })];
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
