import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { readLiveCatalog } from '../adapters/liveCatalog';
import { openProjectEngine } from '../adapters/projectDatabase';
import { indexCacheFile, readIndexCache, writeIndexCache, type CachedIndex } from '../adapters/indexCache';
import { WorkspaceFiles } from '../adapters/workspaceFiles';
import { ColumnHistory, pairStaleness, type Staleness } from '../core/index/staleness';
import type { IndexedRelation, WorkspaceIndex } from '../core/index/workspaceIndex';
import type { Pair } from '../core/pairs/pairStore';
import type { Projects } from './projects';

interface FolderIndex {
  folder: vscode.WorkspaceFolder;
  files: WorkspaceFiles;
  history: ColumnHistory;
  index?: WorkspaceIndex;
}

/**
 * The workspace index in the editor: built in the background after activation (from the cache it
 * shares with `askdata index`, see adapters/indexCache.ts, when it is current), kept up to date by
 * a file watcher, and asked by the queue, code lenses, hovers and the Problems panel what they need.
 */
export class IndexService implements vscode.Disposable {
  private readonly folders = new Map<string, FolderIndex>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('askdata-index');
  private readonly disposables: vscode.Disposable[] = [this.changed, this.diagnostics];
  private ready: Promise<void> | undefined;
  private pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private databaseTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  /** What the status bar says; undefined while the first build runs. */
  summary: string | undefined;

  /** `cacheDir` undefined: no cache (a window without a folder). */
  constructor(private readonly cacheDir: string | undefined, private readonly projects: Projects, private readonly log: vscode.LogOutputChannel) {}

  /** Builds the index once; later calls wait for that build. */
  initialize(): Promise<void> {
    this.ready ??= this.build().then(() => this.watch());
    return this.ready;
  }

  /** Is `root` a workspace folder itself, so that its folder's index is the project's own? */
  isFolderRoot(root: string): boolean {
    const folder = this.folderOf(root);
    return !!folder && path.resolve(folder.folder.uri.fsPath) === path.resolve(root);
  }

  /** The index of the workspace folder holding `file` (a project root or any file in it). */
  indexOf(file: string): WorkspaceIndex | undefined {
    return this.folderOf(file)?.index;
  }

  relation(file: string, name: string): IndexedRelation | undefined {
    const index = this.indexOf(file);
    const key = name.toLowerCase();
    return index?.relations.find((r) => r.key === key) ?? index?.relations.find((r) => r.relation?.toLowerCase().endsWith(`.${key}`));
  }

  staleness(projectRoot: string, pair: Pair): Staleness | undefined {
    const folder = this.folderOf(projectRoot);
    return folder?.index ? pairStaleness(pair, folder.index, folder.history) : undefined;
  }

  /** Re-reads everything, databases included (the command "Ask Data: Re-index Workspace"). */
  async reindex(): Promise<void> {
    await this.initialize();
    for (const f of this.folders.values()) f.files = new WorkspaceFiles(f.folder.uri.fsPath);
    await this.build(true);
  }

  private folderOf(file: string): FolderIndex | undefined {
    const uri = vscode.Uri.file(file);
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    return folder ? this.folders.get(folder.uri.fsPath) : undefined;
  }

  private async build(skipCache = false): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Ask Data: indexing' }, async (progress) => {
      for (const folder of folders) {
        const started = performance.now();
        const existing = this.folders.get(folder.uri.fsPath);
        const cached = skipCache ? undefined : await this.readCache(folder);
        const entry: FolderIndex = existing ?? { folder, files: new WorkspaceFiles(folder.uri.fsPath), history: new ColumnHistory(cached?.history) };
        this.folders.set(folder.uri.fsPath, entry);
        const result = await entry.files.scan(cached, (done, total) => progress.report({ message: `${folder.name}: ${done}/${total} files` }));
        entry.index = entry.files.indexer.build();
        this.log.info(`index ${folder.name}: ${entry.index.relations.length} relations, ${result.read} files read${result.fromCache ? ' (rest from cache)' : ''} in ${(performance.now() - started).toFixed(0)} ms`);
        this.publish();
        progress.report({ message: `${folder.name}: reading the database` });
        await this.readDatabases(entry);
      }
    });
    this.publish();
    this.scheduleSave();
  }

  private async readDatabases(entry: FolderIndex): Promise<void> {
    await this.projects.initialize();
    const roots = this.projects.all.map((p) => p.root).filter((r) => this.folderOf(r) === entry);
    for (const root of roots) {
      let engine;
      try {
        ({ engine } = await openProjectEngine(root));
        entry.files.setLiveCatalog(root, await readLiveCatalog(engine));
      } catch (e) {
        // No database yet (dbt never built) or locked by a running dbt: the files still index.
        this.log.info(`index: database of ${root} not read: ${(e as Error).message}`);
      } finally {
        engine?.close();
      }
    }
    entry.index = entry.files.indexer.build();
    const changes = entry.history.observe(entry.index, new Date());
    for (const c of changes) this.log.warn(`index: ${c.column} changed type from ${c.from} to ${c.to}`);
  }

  private publish(): void {
    let relations = 0;
    let warnings = 0;
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const entry of this.folders.values()) {
      if (!entry.index) continue;
      relations += entry.index.relations.filter((r) => !r.package).length;
      warnings += entry.index.warnings.length;
      for (const w of entry.index.warnings) {
        const file = path.join(entry.folder.uri.fsPath, w.file);
        const line = Math.max(0, w.line - 1);
        const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), w.message, vscode.DiagnosticSeverity.Warning);
        d.source = 'Ask Data index';
        (byFile.get(file) ?? byFile.set(file, []).get(file)!).push(d);
      }
    }
    this.diagnostics.clear();
    for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(file), list);
    this.summary = `${relations} relation${relations === 1 ? '' : 's'} indexed${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`;
    this.changed.fire();
  }

  private watch(): void {
    const files = vscode.workspace.createFileSystemWatcher('**/*.{sql,yml,yaml,csv,json}');
    const onFile = (uri: vscode.Uri) => {
      if (/[\\/](node_modules|\.git)[\\/]/.test(uri.fsPath)) return;
      this.pending.add(uri.fsPath);
      clearTimeout(this.flushTimer);
      this.flushTimer = setTimeout(() => void this.flush(), 150);
    };
    files.onDidCreate(onFile, undefined, this.disposables);
    files.onDidChange(onFile, undefined, this.disposables);
    files.onDidDelete(onFile, undefined, this.disposables);
    // dbt rebuilding the database changes columns and types: re-read its catalog once it settles.
    const databases = vscode.workspace.createFileSystemWatcher('**/*.{duckdb,ddb,sqlite,sqlite3,db}');
    const onDatabase = () => {
      clearTimeout(this.databaseTimer);
      this.databaseTimer = setTimeout(() => void this.refreshDatabases(), 1500);
    };
    databases.onDidCreate(onDatabase, undefined, this.disposables);
    databases.onDidChange(onDatabase, undefined, this.disposables);
    this.disposables.push(files, databases, { dispose: () => [this.flushTimer, this.databaseTimer, this.saveTimer].forEach((t) => clearTimeout(t)) });
  }

  private async flush(): Promise<void> {
    const paths = [...this.pending];
    this.pending.clear();
    const touched = new Set<FolderIndex>();
    for (const p of paths) {
      const entry = this.folderOf(p);
      if (entry && (await entry.files.refresh(p).catch((e: Error) => (this.log.warn(`index: ${p}: ${e.message}`), false)))) touched.add(entry);
    }
    for (const entry of touched) entry.index = entry.files.indexer.build();
    if (touched.size) {
      this.publish();
      this.scheduleSave();
    }
  }

  private async refreshDatabases(): Promise<void> {
    for (const entry of this.folders.values()) await this.readDatabases(entry);
    this.publish();
    this.scheduleSave();
  }

  private cacheFile(folder: vscode.WorkspaceFolder): string | undefined {
    return this.cacheDir === undefined ? undefined : indexCacheFile(folder.uri.fsPath, this.cacheDir);
  }

  private async readCache(folder: vscode.WorkspaceFolder): Promise<CachedIndex | undefined> {
    const file = this.cacheFile(folder);
    return file ? readIndexCache(file, folder.uri.fsPath) : undefined;
  }

  private scheduleSave(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.save(), 2000);
  }

  private async save(): Promise<void> {
    for (const entry of this.folders.values()) {
      const file = this.cacheFile(entry.folder);
      if (!file || entry.files.indexer.unchangedSinceCache()) continue;
      try {
        await writeIndexCache(file, entry.folder.uri.fsPath, { ...entry.files.cache(), history: entry.history.data });
      } catch (e) {
        this.log.warn(`index cache not saved: ${(e as Error).message}`);
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
