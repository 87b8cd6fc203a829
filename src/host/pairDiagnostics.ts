import * as vscode from 'vscode';
import type { Projects } from './projects';

/** Invalid pair files in the Problems panel, at the line and column of each problem. */
export class PairDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('askData');
  private readonly subscription: vscode.Disposable;

  constructor(private readonly projects: Projects) {
    this.subscription = projects.onDidChange(() => this.update());
  }

  update(): void {
    this.collection.clear();
    for (const project of this.projects.all) {
      for (const file of project.store.invalid) {
        this.collection.set(vscode.Uri.file(file.path), file.problems.map((p) => {
          const at = new vscode.Position(Math.max(0, p.line - 1), Math.max(0, p.column - 1));
          const d = new vscode.Diagnostic(new vscode.Range(at, at.translate(0, 1_000)), `${p.message} — Ask Data skips this pair until it is fixed.`, vscode.DiagnosticSeverity.Error);
          d.source = 'Ask Data';
          return d;
        }));
      }
      if (project.layoutError) {
        this.collection.set(vscode.Uri.file(`${project.root}/dbt_project.yml`), [new vscode.Diagnostic(new vscode.Range(0, 0, 0, 1_000), project.layoutError, vscode.DiagnosticSeverity.Warning)]);
      }
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.collection.dispose();
  }
}
