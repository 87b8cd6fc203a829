import * as vscode from 'vscode';
import type { ModelService } from './modelService';
import type { Project, Projects } from './projects';

/**
 * The "Learning" section next to the approval queue: how far the team is along the learning
 * ladder (GUIDE §5) — approved pairs against the 25–100 the seeds recommend, the local model's
 * state, the specialised model and the last evaluation.
 */
export const RECOMMENDED_PAIRS = { min: 25, max: 100 } as const;

type LearningNode = { kind: 'project'; project: Project } | { kind: 'item'; item: vscode.TreeItem };

export class LearningView implements vscode.TreeDataProvider<LearningNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly projects: Projects, private readonly model: ModelService) {
    this.disposables.push(
      vscode.window.createTreeView('askData.learning', { treeDataProvider: this }),
      projects.onDidChange(() => this.changed.fire()),
      model.onDidChange(() => this.changed.fire()),
    );
  }

  getTreeItem(node: LearningNode): vscode.TreeItem {
    if (node.kind === 'item') return node.item;
    const item = new vscode.TreeItem(node.project.name, vscode.TreeItemCollapsibleState.Expanded);
    item.iconPath = new vscode.ThemeIcon('folder');
    return item;
  }

  getChildren(node?: LearningNode): LearningNode[] {
    const projects = this.projects.all;
    if (!node) {
      if (projects.length === 1) return this.itemsFor(projects[0]!);
      return [...projects.map((project) => ({ kind: 'project' as const, project })), ...this.modelItems()];
    }
    return node.kind === 'project' ? this.pairItems(node.project) : [];
  }

  private itemsFor(project: Project): LearningNode[] {
    return [...this.pairItems(project), ...this.modelItems()];
  }

  private pairItems(project: Project): LearningNode[] {
    const approved = project.store.pairs.filter((p) => p.status === 'approved').length;
    const { min, max } = RECOMMENDED_PAIRS;
    const item = new vscode.TreeItem(`${approved} approved pair${approved === 1 ? '' : 's'}`);
    item.description = approved < min ? `${min - approved} more to reach ${min}` : approved <= max ? `within the ${min}–${max} recommended` : `more than ${max}: specialise the model`;
    item.iconPath = new vscode.ThemeIcon(approved < min ? 'circle-large-outline' : 'pass-filled');
    item.tooltip = new vscode.MarkdownString(
      `Approved pairs are examples the model sees at once. Teams see the best results with ${min}–${max} pairs that cover their common questions (rankings, trends, comparisons).`,
    );
    item.accessibilityInformation = { label: `${item.label}, ${item.description}` };
    const specialised = new vscode.TreeItem('Specialised model: none');
    specialised.description = 'training is not available in this version';
    specialised.iconPath = new vscode.ThemeIcon('beaker');
    const evaluation = new vscode.TreeItem('Last evaluation: none');
    evaluation.description = 'evaluation is not available in this version';
    evaluation.iconPath = new vscode.ThemeIcon('graph');
    return [item, specialised, evaluation].map((i) => ({ kind: 'item' as const, item: i }));
  }

  private modelItems(): LearningNode[] {
    const s = this.model.status;
    const item = new vscode.TreeItem(`Model: ${this.model.client.name}`);
    if (!s) {
      item.description = 'checking…';
      item.iconPath = new vscode.ThemeIcon('loading~spin');
    } else if (s.reachable && s.modelPulled) {
      item.description = `ready · Ollama ${s.version ?? ''} at ${s.host}`;
      item.iconPath = new vscode.ThemeIcon('hubot');
    } else {
      item.description = s.reachable ? 'not pulled — click to set up' : 'Ollama not reachable — click to set up';
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.tooltip = s.problem;
      item.command = { command: 'askData.ollama.setup', title: 'Set Up Local Model' };
    }
    return [{ kind: 'item', item }];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
