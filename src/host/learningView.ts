import * as vscode from 'vscode';
import { promotedModel, type LearningRecords } from '../core/learning/records';
import type { LearningService } from './learningService';
import type { ModelService } from './modelService';
import type { Project, Projects } from './projects';

/**
 * The "Learning" section next to the approval queue: how far the team is along the learning
 * ladder (ARCHITECTURE.md, "Learning") — approved pairs against the 25–100 the seeds recommend, which model answers,
 * the models built with their accuracy, the last evaluation, and Train / Evaluate.
 */
export const RECOMMENDED_PAIRS = { min: 25, max: 100 } as const;

type LearningNode = { kind: 'project'; project: Project } | { kind: 'item'; item: vscode.TreeItem; children?: LearningNode[] };

export class LearningView implements vscode.TreeDataProvider<LearningNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly projects: Projects, private readonly model: ModelService, private readonly learning: LearningService) {
    this.disposables.push(
      vscode.window.createTreeView('askData.learning', { treeDataProvider: this }),
      projects.onDidChange(() => this.changed.fire()),
      model.onDidChange(() => this.changed.fire()),
      learning.onDidChange(() => this.changed.fire()),
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
    return node.kind === 'project' ? this.pairItems(node.project) : (node.children ?? []);
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
    item.accessibilityInformation = { label: `${labelText(item.label)}, ${labelText(item.description)}` };
    return [{ kind: 'item' as const, item }, ...this.learningItems(project, this.learning.recordsOf(project))];
  }

  private learningItems(project: Project, records: LearningRecords | undefined): LearningNode[] {
    if (!records) return [];
    const arg = { project };
    const promoted = promotedModel(records);
    const evaluations = [...records.evaluations].sort((a, b) => a.at.localeCompare(b.at));
    const answering = new vscode.TreeItem(`Answering: ${promoted ?? this.model.client.name}`);
    answering.description = promoted ? 'specialised, for askers without restrictions' : 'the base model with approved pairs as examples';
    answering.iconPath = new vscode.ThemeIcon('hubot');
    answering.tooltip = promoted ? 'Askers whom policies.yml restricts are answered by the base model, so no model shows them what it was taught from tables they may not read.' : undefined;

    const accuracyOf = (model: string) => {
      const e = [...evaluations].reverse().find((x) => x.decision?.model === model && x.decision.promote);
      const v = e?.versions.find((x) => x.version === e.decision!.candidate);
      return v ? `${(v.overall.accuracy * 100).toFixed(1)}%` : undefined;
    };
    const built = [...records.models].sort((a, b) => b.at.localeCompare(a.at)).map((m) => {
      const i = new vscode.TreeItem(m.model.split(':')[1] ?? m.model);
      const accuracy = accuracyOf(m.model);
      i.description = `${m.kind} · ${m.at.slice(0, 10)} · ${m.pairs.length} pairs${accuracy ? ` · ${accuracy}` : ''}${m.model === promoted ? ' · answers' : ''}`;
      i.tooltip = `${m.model}\nfrom ${m.from}${m.by ? `, built by ${m.by}` : ''}${m.adapter ? `\nadapter ${m.adapter.file} (${m.adapter.digest.slice(0, 19)}…)` : ''}`;
      i.iconPath = new vscode.ThemeIcon(m.model === promoted ? 'star-full' : 'package');
      return { kind: 'item' as const, item: i };
    });
    const models = new vscode.TreeItem(`Models built: ${records.models.length}`, built.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    models.iconPath = new vscode.ThemeIcon('beaker');
    if (!built.length) {
      models.description = 'Train to build the specialised model';
      models.command = { command: 'askData.train', title: 'Train Model', arguments: [arg] };
    }

    const last = evaluations.at(-1);
    const evaluation = new vscode.TreeItem(last ? `Last evaluation: ${last.versions.map((v) => `${v.kind} ${(v.overall.accuracy * 100).toFixed(0)}%`).join(', ')}` : 'Last evaluation: none');
    evaluation.description = last ? `${last.at.slice(0, 10)} · ${last.approvedPairs} pairs` : 'Evaluate to measure accuracy';
    evaluation.iconPath = new vscode.ThemeIcon('graph');
    evaluation.command = last ? { command: 'askData.showEvaluation', title: 'Show Evaluation Report', arguments: [arg] } : { command: 'askData.evaluate', title: 'Evaluate', arguments: [arg] };
    evaluation.accessibilityInformation = { label: `${labelText(evaluation.label)}, ${labelText(evaluation.description)}` };

    const train = new vscode.TreeItem('Train model');
    train.iconPath = new vscode.ThemeIcon('play');
    train.command = { command: 'askData.train', title: 'Train Model', arguments: [arg] };
    const evaluate = new vscode.TreeItem('Evaluate');
    evaluate.iconPath = new vscode.ThemeIcon('pulse');
    evaluate.command = { command: 'askData.evaluate', title: 'Evaluate', arguments: [arg] };
    const items = [answering, models, evaluation, train, evaluate];
    return items.map((item) => ({ kind: 'item' as const, item, ...(item === models ? { children: built } : {}) }));
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

/** A tree item's label or description as a screen reader should hear it. */
function labelText(l: string | boolean | vscode.TreeItemLabel | undefined): string {
  return typeof l === 'string' ? l : typeof l === 'object' ? l.label : '';
}
