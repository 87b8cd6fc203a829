import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { indexCacheDir } from '../adapters/indexCache';
import { jsonText } from '../core/jsonText';
import type { Pair } from '../core/pairs/pairStore';
import { referencedRelations } from '../core/sql/relations';
import { approvePair, AskPanels } from './askPanel';
import { AskService } from './askService';
import { SqlCodeLenses } from './codeLenses';
import { requireIdentity, watchIdentity } from './identity';
import { PairDiagnostics } from './pairDiagnostics';
import { Projects, type Project } from './projects';
import { QueueView, type QueueNode } from './queueView';
import { LearningService } from './learningService';
import { LearningView } from './learningView';
import { IndexService } from './indexService';
import { RelationHover } from './relationHover';
import { ModelService } from './modelService';
import { AskDataStatusBar } from './statusBar';

/**
 * The composition root: wires adapters into the core and owns every Disposable. It does no work
 * a user did not ask for beyond finding the projects and reading their pair files, which the
 * queue, the lenses and the status bar show at once.
 */
export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Ask Data', { log: true });
  // The dbt target, as dbt's --target: every engine the extension opens reads it (see projectDatabase).
  const applyTarget = () => {
    const target = vscode.workspace.getConfiguration('askData').get<string>('target', '').trim();
    if (target) process.env.ASKDATA_TARGET = target;
    else delete process.env.ASKDATA_TARGET;
  };
  applyTarget();
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('askData.target') && applyTarget()));
  const projects = new Projects(log);
  const queue = new QueueView(projects);
  const lenses = new SqlCodeLenses(projects);
  // The index cache is shared with `askdata index`; a window without a folder has nothing to cache.
  const index = new IndexService(context.storageUri ? indexCacheDir() : undefined, projects, log);
  const statusBar = new AskDataStatusBar(projects);
  const model = new ModelService(context.globalState, log);
  const ask = new AskService(projects, index, model, log);
  const panels = new AskPanels(context.extensionUri, projects, { ask, model }, log);
  const learning = new LearningService(projects, model, log);
  ask.answeringModel = (root, access) => learning.answeringModel(root, access);
  ask.builtByAskData = (root, model) => learning.builtByAskData(root, model);
  projects.staleness = (project, pair) => index.staleness(project.root, pair)?.reason;
  context.subscriptions.push(
    log,
    watchIdentity(),
    projects,
    queue,
    panels,
    lenses,
    new PairDiagnostics(projects, (file) => index.indexOf(file)),
    statusBar,
    model,
    learning,
    new LearningView(projects, model, learning),
    ask,
    index,
    index.onDidChange(() => {
      statusBar.indexSummary = index.summary;
      projects.notifyChanged();
    }),
    vscode.languages.registerCodeLensProvider(SQL_FILES, lenses),
    vscode.languages.registerHoverProvider(SQL_FILES, new RelationHover(index, projects)),
    ...registerCommands(projects, queue, panels, log, model, ask),
    ...registerLearningCommands(learning, projects, log),
    vscode.commands.registerCommand('askData.ollama.setup', () => model.onboard(true)),
    vscode.commands.registerCommand('askData.ollama.pull', () => model.pull()),
    vscode.commands.registerCommand('askData.reindex', () => index.reindex().catch((e: Error) => void vscode.window.showErrorMessage(`Ask Data could not index the workspace: ${e.message}`))),
  );
  const loadStarted = performance.now();
  projects.initialize().then(
    () => {
      log.info(`pairs loaded in ${(performance.now() - loadStarted).toFixed(1)} ms`);
      // The index reads every SQL and YAML file and the database: after the pairs, in the background.
      const indexStarted = performance.now();
      model.start();
      index.initialize().then(
        () => log.info(`workspace indexed in ${(performance.now() - indexStarted).toFixed(0)} ms`),
        (e: Error) => log.error(`could not index the workspace: ${e.stack ?? e.message}`),
      );
    },
    (e: Error) => {
      log.error(`could not read the workspace: ${e.stack ?? e.message}`);
      void vscode.window.showErrorMessage(`Ask Data could not read the workspace: ${e.message}`);
    },
  );
  log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
}

/** Learning commands take a project (from the Learning view), a queue pair (augment), or ask which. */
function registerLearningCommands(learning: LearningService, projects: Projects, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const projectOf = (arg: unknown): Project | undefined => {
    if (arg && typeof arg === 'object' && 'project' in arg) return (arg as { project: Project }).project;
    return undefined;
  };
  const guarded = (id: string, run: (arg: unknown) => Promise<void>) => vscode.commands.registerCommand(id, async (arg: unknown) => {
    try {
      await projects.initialize();
      await run(arg);
    } catch (e) {
      log.error(`${id}: ${e instanceof Error ? (e.stack ?? e.message) : jsonText(e)}`);
      void vscode.window.showErrorMessage(`Ask Data: ${(e as Error).message}`);
    }
  });
  return [
    guarded('askData.train', (arg) => learning.train(projectOf(arg))),
    guarded('askData.evaluate', (arg) => learning.evaluate(projectOf(arg))),
    guarded('askData.showEvaluation', (arg) => learning.showLastReport(projectOf(arg))),
    guarded('askData.testApprovedPairs', (arg) => learning.test(projectOf(arg))),
    guarded('askData.exportTrainingData', (arg) => learning.exportData(projectOf(arg))),
    guarded('askData.importAdapter', (arg) => learning.importAdapter(projectOf(arg))),
    guarded('askData.augment', (arg) => {
      const node = arg as QueueNode | undefined;
      if (node && 'kind' in node && node.kind === 'pair') return learning.augment(node.project, node.entry.pair.path);
      return learning.augment(projectOf(arg));
    }),
  ];
}

const SQL_FILES: vscode.DocumentSelector = [{ language: 'sql', scheme: 'file' }, { language: 'jinja-sql', scheme: 'file' }, { pattern: '**/*.sql', scheme: 'file' }];

type PairRef = QueueNode | { projectRoot: string; pairId: string } | undefined;

function registerCommands(projects: Projects, queue: QueueView, panels: AskPanels, log: vscode.LogOutputChannel, model: ModelService, ask: AskService): vscode.Disposable[] {
  const command = (id: string, run: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await run(...args);
      } catch (e) {
        log.error(`${id}: ${e instanceof Error ? (e.stack ?? e.message) : jsonText(e)}`);
        void vscode.window.showErrorMessage(`Ask Data: ${(e as Error).message}`);
        return undefined;
      }
    });

  /** The pair a command is about: from the tree, from a panel, or picked by the person. */
  async function resolvePair(ref: PairRef, verb: string, filter: (p: Pair) => boolean = () => true): Promise<{ project: Project; pair: Pair } | undefined> {
    await projects.initialize();
    if (ref && 'kind' in ref && ref.kind === 'pair') {
      const pair = ref.project.store.get(ref.entry.pair.id);
      return pair ? { project: ref.project, pair } : undefined;
    }
    if (ref && 'pairId' in ref) {
      const project = projects.get(ref.projectRoot);
      const pair = project?.store.get(ref.pairId);
      return project && pair ? { project, pair } : undefined;
    }
    const candidates = projects.all.flatMap((project) => project.store.pairs.filter(filter).map((pair) => ({ project, pair })));
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(`There is no pair to ${verb}.`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((c) => ({ label: c.pair.question, description: c.pair.status, detail: c.pair.tables.join(', '), c })),
      { placeHolder: `Pick the pair to ${verb}`, matchOnDescription: true, matchOnDetail: true },
    );
    return picked?.c;
  }

  async function defaultProjectRoot(): Promise<string | undefined> {
    await projects.initialize();
    const active = vscode.window.activeTextEditor?.document.uri;
    const fromEditor = active?.scheme === 'file' ? projects.projectOf(active.fsPath) : undefined;
    if (fromEditor) return fromEditor.root;
    const first = projects.all[0];
    if (first) return first.root;
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  return [
    command('askData.ask', async () => {
      const root = await defaultProjectRoot();
      if (!root) {
        void vscode.window.showWarningMessage('Ask Data works on a folder: open a dbt project or a folder with SQL files first.', 'Open Folder…').then(async (c) => {
          if (c) await vscode.commands.executeCommand('workbench.action.files.openFolder');
        });
        return;
      }
      model.offerSetup();
      await panels.open({ projectRoot: root });
    }),
    command('askData.askAboutModel', async (model: string, root: string) => {
      await panels.open({ projectRoot: root ?? (await defaultProjectRoot()), about: model });
    }),
    command('askData.openPair', async (ref: PairRef) => {
      const target = await resolvePair(ref, 'open');
      if (target) await panels.open({ projectRoot: target.project.root, pairId: target.pair.id });
    }),
    command('askData.openPairFile', async (ref: PairRef) => {
      if (ref && 'kind' in ref && ref.kind === 'invalid') {
        const line = Math.max(0, (ref.file.problems[0]?.line ?? 1) - 1);
        await vscode.window.showTextDocument(vscode.Uri.file(ref.file.path), { selection: new vscode.Range(line, 0, line, 0) });
        return;
      }
      const target = await resolvePair(ref, 'open');
      if (target) await vscode.window.showTextDocument(vscode.Uri.file(target.pair.path));
    }),
    command('askData.approvePair', async (ref: PairRef) => {
      const target = await resolvePair(ref, 'approve', (p) => p.status !== 'approved');
      if (!target) return;
      const who = await requireIdentity(target.project.root);
      if (!who) return;
      await approvePair(target.project, target.pair, who, ask, log);
      vscode.window.setStatusBarMessage(`$(pass) Approved: ${target.pair.question}`, 4000);
    }),
    command('askData.rejectPair', async (ref: PairRef) => {
      const target = await resolvePair(ref, 'reject', (p) => p.status !== 'rejected');
      if (!target) return;
      const reason = await vscode.window.showInputBox({
        title: `Reject "${target.pair.question}"`,
        prompt: 'Why is this pair wrong? (optional; recorded in its history so the next answer can do better)',
        placeHolder: 'e.g. counts orders, not customers',
      });
      if (reason === undefined) return; // Escape cancels
      const who = await requireIdentity(target.project.root);
      if (!who) return;
      await target.project.store.reject(target.pair.id, who, reason.trim() || undefined);
      vscode.window.setStatusBarMessage(`$(circle-slash) Rejected: ${target.pair.question}`, 4000);
    }),
    command('askData.removeApproval', async (ref: PairRef) => {
      const target = await resolvePair(ref, 'take the approval back from', (p) => p.status === 'approved');
      if (!target) return;
      const who = await requireIdentity(target.project.root);
      if (!who) return;
      await target.project.store.removeApproval(target.pair.id, who);
      vscode.window.setStatusBarMessage(`$(discard) Approval removed: ${target.pair.question}`, 4000);
    }),
    command('askData.filterQueueByModel', async (model?: string) => {
      await projects.initialize();
      let chosen = model;
      if (!chosen) {
        const models = [...new Set(projects.all.flatMap((p) => p.store.pairs.flatMap((pair) => pair.tables)))].sort();
        chosen = await vscode.window.showQuickPick(models, { placeHolder: 'Show the questions that use which model?' });
      }
      if (!chosen) return;
      await queue.setFilter(chosen);
      await vscode.commands.executeCommand('askData.queue.focus');
    }),
    command('askData.clearQueueFilter', () => queue.setFilter(undefined)),
    command('askData.refreshQueue', async () => {
      await projects.initialize();
      await Promise.all(projects.all.map((p) => p.store.load()));
    }),
    command('askData.addPendingPair', async (uri?: vscode.Uri) => {
      const editor = vscode.window.activeTextEditor;
      const target = uri ?? editor?.document.uri;
      if (!target || target.scheme !== 'file') {
        void vscode.window.showWarningMessage('Open a saved SQL file to add it as a pending pair.');
        return;
      }
      const document = await vscode.workspace.openTextDocument(target);
      const selection = editor && editor.document.uri.toString() === target.toString() && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : undefined;
      const sql = (selection ?? document.getText()).trim();
      if (!sql) {
        void vscode.window.showWarningMessage(`${path.basename(target.fsPath)} is empty: there is no query to pair with a question.`);
        return;
      }
      const question = await vscode.window.showInputBox({
        title: `Add ${path.basename(target.fsPath)} as a pending pair`,
        prompt: 'Which question does this query answer? Write it the way a colleague would ask.',
        placeHolder: 'e.g. Which channels paid back their spend fastest last quarter?',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim().length < 3 ? 'Write the question in a few words' : undefined),
      });
      if (!question) return;
      const project = await projects.projectForNewPair(target);
      if (!project) {
        void vscode.window.showWarningMessage('This file is outside the open workspace folders; open its folder to add pairs from it.');
        return;
      }
      const by = await requireIdentity(project.root);
      if (!by) return;
      const pair = await project.store.add({
        question,
        sql,
        tables: referencedRelations(sql),
        by,
        event: { event: 'created', text: `from ${path.relative(project.root, target.fsPath)}` },
      });
      const open = 'Open in Ask Panel';
      void vscode.window.showInformationMessage(`Added to the approval queue as pending: "${pair.question}"`, open).then(async (c) => {
        if (c === open) await panels.open({ projectRoot: project.root, pairId: pair.id });
      });
    }),
  ];
}
