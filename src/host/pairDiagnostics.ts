import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceIndex } from '../core/index/types';
import { policyWarningsWithLines } from '../core/policies/access';
import { knownRelations, unmatchedPolicyNames } from '../core/policies/policyNames';
import { parsePolicyFile } from '../core/policies/policySchema';
import type { Projects } from './projects';

/**
 * Invalid pair files in the Problems panel, at the line and column of each problem; and what
 * askdata/policies.yml gets wrong — an invalid file (every query stops until it is fixed) or
 * groups without a `default:` (askers in no group can read everything), or entries naming no
 * table or column the index and the database have (a misspelt name restricts nothing).
 */
export class PairDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('askData');
  private readonly subscriptions: vscode.Disposable[] = [];
  private generation = 0;

  constructor(private readonly projects: Projects, private readonly indexOf: (file: string) => WorkspaceIndex | undefined = () => undefined) {
    const policies = vscode.workspace.createFileSystemWatcher('**/askdata/policies.yml');
    this.subscriptions.push(projects.onDidChange(() => this.update()), policies, policies.onDidChange(() => this.update()), policies.onDidCreate(() => this.update()), policies.onDidDelete(() => this.update()));
  }

  update(): void {
    this.collection.clear();
    const generation = ++this.generation;
    for (const project of this.projects.all) {
      for (const file of project.store.invalid) {
        this.collection.set(vscode.Uri.file(file.path), file.problems.map((p) => diagnostic(p.line, p.column, `${p.message} — Ask Data skips this pair until it is fixed.`, vscode.DiagnosticSeverity.Error)));
      }
      if (project.layoutError) {
        this.collection.set(vscode.Uri.file(`${project.root}/dbt_project.yml`), [new vscode.Diagnostic(new vscode.Range(0, 0, 0, 1_000), project.layoutError, vscode.DiagnosticSeverity.Warning)]);
      }
      void this.policies(project.root, generation);
    }
  }

  private async policies(root: string, generation: number): Promise<void> {
    const uri = vscode.Uri.file(path.join(root, 'askdata', 'policies.yml'));
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return;
    }
    if (generation !== this.generation) return;
    const parsed = parsePolicyFile(text);
    const diagnostics = parsed.ok
      ? [...policyWarningsWithLines(text, parsed.value), ...this.misspelt(uri.fsPath, text, parsed.value)].map((w) => diagnostic(w.line, 1, w.message, vscode.DiagnosticSeverity.Warning))
      : parsed.problems.map((p) => diagnostic(p.line, p.column, `${p.message} — no query runs until askdata/policies.yml is valid.`, vscode.DiagnosticSeverity.Error));
    if (diagnostics.length) this.collection.set(uri, diagnostics);
  }

  /**
   * Names checked against the index once it holds what the database has: before that (or with no
   * database reachable), a table only the database has would be reported wrongly.
   */
  private misspelt(file: string, text: string, policy: Parameters<typeof unmatchedPolicyNames>[1]) {
    const index = this.indexOf(file);
    if (!index?.relations.some((r) => r.databaseColumns)) return [];
    return unmatchedPolicyNames(text, policy, knownRelations(index.relations));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}

function diagnostic(line: number, column: number, message: string, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  const at = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
  const d = new vscode.Diagnostic(new vscode.Range(at, at.translate(0, 1_000)), message, severity);
  d.source = 'Ask Data';
  return d;
}
