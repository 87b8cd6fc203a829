import * as vscode from 'vscode';
import type { Projects } from './projects';

/** Pair counts at a glance; click to open the approval queue. Model state joins it with generation. */
export class AskDataStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('askData.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  /** What the workspace index holds, once built. */
  indexSummary: string | undefined;

  constructor(private readonly projects: Projects) {
    this.item.name = 'Ask Data';
    this.item.command = 'askData.queue.focus';
    this.item.text = '$(loading~spin) Ask Data';
    this.item.tooltip = 'Ask Data is reading the approved pairs…';
    this.item.show();
    this.subscription = projects.onDidChange(() => this.update());
  }

  update(): void {
    const pairs = this.projects.all.flatMap((p) => p.store.pairs);
    const invalid = this.projects.all.reduce((n, p) => n + p.store.invalid.length, 0);
    const approved = pairs.filter((p) => p.status === 'approved').length;
    const pending = pairs.filter((p) => p.status === 'pending').length;
    this.item.text = `$(database) ${approved} approved${pending ? ` · ${pending} pending` : ''}${invalid ? ` · $(error) ${invalid}` : ''}`;
    const index = this.indexSummary ? `\nIndex: ${this.indexSummary}.` : '\nIndexing the workspace…';
    this.item.tooltip = `Ask Data: ${approved} approved, ${pending} pending question↔SQL pairs${invalid ? `, ${invalid} invalid file${invalid === 1 ? '' : 's'} (see Problems)` : ''}.${index}\nClick to open the approval queue.`;
    this.item.accessibilityInformation = { label: `Ask Data: ${approved} approved pairs, ${pending} pending${invalid ? `, ${invalid} invalid` : ''}` };
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
