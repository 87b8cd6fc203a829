import * as path from 'node:path';
import * as vscode from 'vscode';
import { NodePairFiles } from '../adapters/nodePairFiles';
import { classifySqlFile, parseDbtProject, type DbtProjectLayout, type SqlFileRole } from '../core/dbt/dbtProject';
import { isPairFileName, PairStore, type Pair } from '../core/pairs/pairStore';

const EXCLUDE = '**/{node_modules,dbt_packages,target,.git,.venv}/**';

/** One folder that holds a dbt project, an `askdata/` folder, or both. */
export class Project {
  readonly store: PairStore;
  layout: DbtProjectLayout | undefined;
  layoutError: string | undefined;

  constructor(readonly root: string) {
    this.store = new PairStore(root, new NodePairFiles());
  }

  get name(): string {
    return this.layout?.name ?? path.basename(this.root);
  }

  contains(file: string): boolean {
    return file === this.root || file.startsWith(this.root + path.sep);
  }

  roleOf(file: string): SqlFileRole {
    return classifySqlFile(this.layout, path.relative(this.root, file).split(path.sep).join('/'));
  }

  async loadLayout(): Promise<void> {
    const uri = vscode.Uri.file(path.join(this.root, 'dbt_project.yml'));
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      this.layout = parseDbtProject(text);
      this.layoutError = undefined;
    } catch (e) {
      this.layout = undefined;
      this.layoutError = (e as { code?: string }).code === 'FileNotFound' ? undefined : (e as Error).message;
    }
  }
}

/** The projects of the open workspace, kept current as files appear, change and disappear. */
export class Projects implements vscode.Disposable {
  private readonly byRoot = new Map<string, Project>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private ready: Promise<void> | undefined;
  /** Why an approved pair may be stale; the workspace index answers once it is built. */
  staleness: (project: Project, pair: Pair) => string | undefined = () => undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Something the views show changed outside the pair files (the index, say). */
  notifyChanged(): void {
    this.changed.fire();
  }

  get all(): Project[] {
    return [...this.byRoot.values()].sort((a, b) => a.root.localeCompare(b.root));
  }

  /** Finds the projects and loads their pairs; later calls wait for the first. */
  initialize(): Promise<void> {
    this.ready ??= this.discover().then(() => this.watch());
    return this.ready;
  }

  /** The innermost project holding `file`. */
  projectOf(file: string): Project | undefined {
    return this.all.filter((p) => p.contains(file)).sort((a, b) => b.root.length - a.root.length)[0];
  }

  get(root: string): Project | undefined {
    return this.byRoot.get(root);
  }

  /**
   * The project for a new pair about `file`: the one holding it, or else a new one rooted at its
   * workspace folder (its askdata/ folder is created with the first pair).
   */
  async projectForNewPair(file: vscode.Uri): Promise<Project | undefined> {
    await this.initialize();
    const existing = this.projectOf(file.fsPath);
    if (existing) return existing;
    const folder = vscode.workspace.getWorkspaceFolder(file);
    return folder ? this.add(folder.uri.fsPath) : undefined;
  }

  private async discover(): Promise<void> {
    const markers = await vscode.workspace.findFiles('**/{dbt_project.yml,askdata/pairs/*.yml,askdata/pairs/*.yaml,askdata/rules.md,askdata/policies.yml,askdata/askdata.yml}', EXCLUDE);
    const roots = new Set<string>();
    for (const uri of markers) {
      const file = uri.fsPath;
      const askdataAt = file.lastIndexOf(`${path.sep}askdata${path.sep}`);
      roots.add(path.basename(file) === 'dbt_project.yml' ? path.dirname(file) : file.slice(0, askdataAt));
    }
    await Promise.all([...roots].map((root) => this.add(root, false)));
    this.log.info(`found ${roots.size} project(s): ${[...roots].join(', ') || 'none'}`);
    this.changed.fire();
  }

  private async add(root: string, notify = true): Promise<Project> {
    const known = this.byRoot.get(root);
    if (known) return known;
    const project = new Project(root);
    this.byRoot.set(root, project);
    project.store.onDidChange(() => this.changed.fire());
    await project.loadLayout();
    await project.store.load();
    if (project.layoutError) this.log.warn(`${root}: ${project.layoutError}`);
    this.log.info(`${project.name}: ${project.store.pairs.length} pairs, ${project.store.invalid.length} invalid`);
    if (notify) this.changed.fire();
    return project;
  }

  private watch(): void {
    const pairs = vscode.workspace.createFileSystemWatcher('**/askdata/pairs/*.{yml,yaml}');
    const onPair = async (uri: vscode.Uri) => {
      if (!isPairFileName(path.basename(uri.fsPath))) return;
      const pairsDir = path.dirname(uri.fsPath);
      const root = path.dirname(path.dirname(pairsDir));
      const project = this.byRoot.get(root) ?? (await this.add(root));
      await project.store.refresh(uri.fsPath).catch((e: Error) => this.log.error(`reading ${uri.fsPath}: ${e.message}`));
    };
    pairs.onDidCreate(onPair, undefined, this.disposables);
    pairs.onDidChange(onPair, undefined, this.disposables);
    pairs.onDidDelete((uri) => this.projectOf(uri.fsPath)?.store.forget(uri.fsPath), undefined, this.disposables);

    // A folder created, removed or renamed whole is reported as the folder only, never as the
    // pair files in it: a branch checked out without askdata/ would leave its pairs answering.
    const folders = vscode.workspace.createFileSystemWatcher('**/askdata{,/pairs}');
    const onFolder = (uri: vscode.Uri) => {
      const root = path.basename(uri.fsPath) === 'pairs' ? path.dirname(path.dirname(uri.fsPath)) : path.dirname(uri.fsPath);
      const project = this.byRoot.get(root);
      if (project) void project.store.load().catch((e: Error) => this.log.error(`reading the pairs of ${root}: ${e.message}`));
    };
    folders.onDidCreate(onFolder, undefined, this.disposables);
    folders.onDidDelete(onFolder, undefined, this.disposables);
    this.disposables.push(folders);

    const dbtProjects = vscode.workspace.createFileSystemWatcher('**/dbt_project.yml');
    const onDbtProject = async (uri: vscode.Uri) => {
      const root = path.dirname(uri.fsPath);
      const project = this.byRoot.get(root) ?? (await this.add(root));
      await project.loadLayout();
      this.changed.fire();
    };
    dbtProjects.onDidCreate(onDbtProject, undefined, this.disposables);
    dbtProjects.onDidChange(onDbtProject, undefined, this.disposables);
    this.disposables.push(pairs, dbtProjects);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
