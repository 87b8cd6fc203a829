import * as path from 'node:path';
import * as vscode from 'vscode';
import { escapeMarkdown } from './markdown';
import { buildQueue, describeInvalid, type QueueEntry, type QueueGroup } from '../core/queue/approvalQueue';
import type { InvalidPairFile } from '../core/pairs/pairStore';
import type { Project, Projects } from './projects';

export type QueueNode =
  | { kind: 'project'; project: Project }
  | { kind: 'group'; project: Project; group: QueueGroup }
  | { kind: 'invalidGroup'; project: Project; files: readonly InvalidPairFile[] }
  | { kind: 'pair'; project: Project; entry: QueueEntry }
  | { kind: 'invalid'; project: Project; file: InvalidPairFile };

const STATUS_ICON = { pending: 'circle-large-outline', approved: 'pass', rejected: 'circle-slash' } as const;

/** The "Approval queue" tree: pairs grouped by status, per project when there are several. */
export class QueueView implements vscode.TreeDataProvider<QueueNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<QueueNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<QueueNode>;
  private filterModel: string | undefined;
  private lastShown: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly projects: Projects) {
    this.view = vscode.window.createTreeView('askData.queue', { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(this.view, this.changed, projects.onDidChange(() => this.refresh()));
  }

  get filter(): string | undefined {
    return this.filterModel;
  }

  async setFilter(model: string | undefined): Promise<void> {
    this.filterModel = model;
    await vscode.commands.executeCommand('setContext', 'askData.queueFiltered', model !== undefined);
    this.refresh();
  }

  refresh(): void {
    const all = this.projects.all.flatMap((p) => p.store.pairs);
    const count = (s: string) => all.filter((p) => p.status === s).length;
    const pending = count('pending');
    this.view.badge = pending > 0 ? { value: pending, tooltip: `${pending} pair${pending === 1 ? '' : 's'} waiting for review` } : undefined;
    this.view.description = this.filterModel ? `model: ${this.filterModel}` : undefined;
    this.view.message = this.filterModel ? `Showing the questions that use ${this.filterModel}.` : undefined;
    // The index changes often while it works (each file, each scan); redrawing an unchanged tree
    // would replace the row under the pointer, and a click on its inline action would then reach
    // the command without its pair.
    const shown = this.shownState();
    if (shown === this.lastShown) return;
    this.lastShown = shown;
    this.changed.fire(undefined);
  }

  /** Everything the tree's rows show, as one string: when it is unchanged, so is the tree. */
  private shownState(): string {
    return JSON.stringify([
      this.filterModel,
      this.projects.all.map((project) => [
        project.root,
        project.name,
        project.store.invalid.map((f) => [f.path, f.problems]),
        this.projectChildren(project).map((n) => (n.kind === 'group' ? [n.group.status, n.group.label, n.group.pairs.map(({ pair, stale }) => [pair.path, pair.question, pair.status, pair.sql, pair.tables, pair.tags, pair.data.approved, pair.data.rejected, stale])] : n.kind)),
      ]),
    ]);
  }

  getChildren(node?: QueueNode): QueueNode[] {
    if (!node) {
      const projects = this.projects.all.filter((p) => p.store.pairs.length + p.store.invalid.length > 0);
      if (projects.length === 1) return this.projectChildren(projects[0]!);
      return projects.map((project) => ({ kind: 'project', project }));
    }
    switch (node.kind) {
      case 'project':
        return this.projectChildren(node.project);
      case 'group':
        return node.group.pairs.map((entry) => ({ kind: 'pair', project: node.project, entry }));
      case 'invalidGroup':
        return node.files.map((file) => ({ kind: 'invalid', project: node.project, file }));
      default:
        return [];
    }
  }

  private projectChildren(project: Project): QueueNode[] {
    const groups = buildQueue(project.store.pairs, { model: this.filterModel, stale: (pair) => this.projects.staleness(project, pair) });
    const nodes: QueueNode[] = groups.map((group) => ({ kind: 'group', project, group }));
    if (project.store.invalid.length > 0 && !this.filterModel) nodes.push({ kind: 'invalidGroup', project, files: project.store.invalid });
    return nodes;
  }

  getTreeItem(node: QueueNode): vscode.TreeItem {
    // Ids carry the filter so that a filtered tree opens its groups afresh.
    const scope = `${node.project.root}|${this.filterModel ?? ''}`;
    switch (node.kind) {
      case 'project': {
        const item = new vscode.TreeItem(node.project.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `project|${scope}`;
        item.iconPath = new vscode.ThemeIcon('folder');
        item.tooltip = node.project.root;
        return item;
      }
      case 'group': {
        const { group } = node;
        const expanded = group.status !== 'rejected' || this.filterModel !== undefined;
        const item = new vscode.TreeItem(group.label, group.pairs.length === 0 ? vscode.TreeItemCollapsibleState.None : expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `group|${group.status}|${scope}`;
        item.description = String(group.pairs.length);
        item.iconPath = new vscode.ThemeIcon(STATUS_ICON[group.status]);
        item.contextValue = `group:${group.status}`;
        const stale = group.pairs.filter((e) => e.stale).length;
        item.tooltip = `${group.pairs.length} ${group.label.toLowerCase()} pair${group.pairs.length === 1 ? '' : 's'}${stale ? `, ${stale} may be stale` : ''}`;
        return item;
      }
      case 'invalidGroup': {
        const item = new vscode.TreeItem('Invalid files', vscode.TreeItemCollapsibleState.Expanded);
        item.id = `invalid|${scope}`;
        item.description = String(node.files.length);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        item.tooltip = 'These pair files could not be read. Ask Data skips them and never rewrites them; see the Problems panel.';
        return item;
      }
      case 'pair':
        return pairItem(node, scope);
      case 'invalid': {
        const { file } = node;
        const item = new vscode.TreeItem(path.basename(file.path));
        item.id = `invalidFile|${file.path}|${scope}`;
        item.description = describeInvalid(file);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        item.contextValue = 'pairInvalid';
        item.resourceUri = vscode.Uri.file(file.path);
        item.tooltip = new vscode.MarkdownString(file.problems.map((p) => `- line ${p.line}: ${escapeMarkdown(p.message)}`).join('\n'));
        item.command = { command: 'askData.openPairFile', title: 'Open Pair File', arguments: [node] };
        return item;
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function pairItem(node: Extract<QueueNode, { kind: 'pair' }>, scope: string): vscode.TreeItem {
  const { pair, stale } = node.entry;
  const item = new vscode.TreeItem(pair.question);
  item.id = `pair|${pair.path}|${scope}`;
  item.description = stale ? `⚠ may be stale · ${pair.tables.join(', ')}` : pair.tables.join(', ');
  item.iconPath = stale
    ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
    : new vscode.ThemeIcon(STATUS_ICON[pair.status]);
  item.contextValue = `pair:${pair.status}${stale ? ':stale' : ''}`;
  item.resourceUri = vscode.Uri.file(pair.path);
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escapeMarkdown(pair.question)}**\n\n`);
  if (stale) md.appendMarkdown(`$(warning) May be stale: ${escapeMarkdown(stale)}\n\n`);
  const who = pair.data.approved ?? pair.data.rejected;
  md.appendMarkdown(`${pair.status}${who ? ` by ${escapeMarkdown(who.by)} on ${who.at.slice(0, 10)}` : ''}`);
  if (pair.tags.length) md.appendMarkdown(` · ${pair.tags.map(escapeMarkdown).join(', ')}`);
  md.appendCodeblock(pair.sql, 'sql');
  md.supportThemeIcons = true;
  item.tooltip = md;
  item.accessibilityInformation = { label: `${pair.question}, ${pair.status}${stale ? ', may be stale' : ''}${pair.tables.length ? `, uses ${pair.tables.join(', ')}` : ''}` };
  item.command = { command: 'askData.openPair', title: 'Open in Ask Panel', arguments: [node] };
  return item;
}
