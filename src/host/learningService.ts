import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { answeringModel, augmentProject, builtByAskData, evaluateProject, exportTrainingData, importAdapter, LEARNING_DIR, readLearningRecords, trainProject, type LearningOptions } from '../usecases/learning';
import { checkApprovedPairs } from '../usecases/regression';
import { summaryText } from '../core/regression/regression';
import { emailOf } from '../adapters/gitIdentity';
import { learningCurve, promotedModel, recordFileName, type EvaluationRecord, type LearningRecords } from '../core/learning/records';
import { evaluationReportHtml } from './evaluationReportHtml';
import { requireIdentity, whoAmI } from './identity';
import type { ModelService } from './modelService';
import type { Project, Projects } from './projects';

/**
 * The editor's side of learning (ARCHITECTURE.md, "Learning"): Train, Evaluate, Test Approved Pairs, LoRA export and
 * adapter import, and paraphrase generation, each with progress in a notification that can be
 * cancelled; the evaluation report; the records of each project, re-read when a teammate's
 * arrive through git; and, when the setting is on, retraining a while after approvals.
 */
const AUTO_TRAIN_DELAY_MS = 120_000;

export class LearningService implements vscode.Disposable {
  private readonly records = new Map<string, LearningRecords>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('askdata-test');
  private readonly approvedCounts = new Map<string, number>();
  private readonly autoTimers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<string>();
  private report: vscode.WebviewPanel | undefined;

  constructor(private readonly projects: Projects, private readonly model: ModelService, private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${LEARNING_DIR.split(path.sep).join('/')}/*.json`);
    const reread = (uri: vscode.Uri) => {
      const project = this.projects.projectOf(uri.fsPath);
      if (project) void this.refresh(project);
    };
    // A test failure is about the file as it was tested: once the file changes, it is stale.
    const pairs = vscode.workspace.createFileSystemWatcher('**/askdata/pairs/*.yml');
    const forget = (uri: vscode.Uri) => this.diagnostics.delete(uri);
    this.disposables.push(pairs, pairs.onDidChange(forget), pairs.onDidDelete(forget));
    this.disposables.push(this.diagnostics, watcher, watcher.onDidCreate(reread), watcher.onDidChange(reread), watcher.onDidDelete(reread), projects.onDidChange(() => this.onPairsChanged()));
  }

  /** The project's records, read on first use. */
  recordsOf(project: Project): LearningRecords | undefined {
    if (!this.records.has(project.root)) void this.refresh(project);
    return this.records.get(project.root);
  }

  async refresh(project: Project): Promise<LearningRecords> {
    const records = await readLearningRecords(project.root);
    this.records.set(project.root, records);
    for (const p of records.problems) this.log.warn(`${p.file}: ${p.message} (skipped)`);
    this.changed.fire();
    return records;
  }

  /** Whether `model` is one Ask Data built for the project (see builtByAskData). */
  async builtByAskData(root: string, model: string): Promise<boolean> {
    const project = this.projects.all.find((p) => p.root === root);
    const records = project ? (this.records.get(root) ?? (await this.refresh(project))) : undefined;
    return builtByAskData(model, records ?? { models: [], evaluations: [] });
  }

  /** The promoted model for this asker when they may see everything it was taught and Ollama has it. */
  async answeringModel(root: string, access: { unrestricted: boolean }): Promise<string | undefined> {
    const project = this.projects.all.find((p) => p.root === root);
    const records = project ? (this.records.get(root) ?? (await this.refresh(project))) : undefined;
    return records ? answeringModel(promotedModel(records), this.model.status?.models ?? [], access) : undefined;
  }

  private async pick(title: string, project?: Project): Promise<Project | undefined> {
    if (project) return project;
    const all = this.projects.all;
    if (all.length === 0) {
      void vscode.window.showWarningMessage('Ask Data found no project (a dbt project or an askdata/ folder) in this workspace.');
      return undefined;
    }
    if (all.length === 1) return all[0];
    const choice = await vscode.window.showQuickPick(all.map((p) => ({ label: p.name, description: vscode.workspace.asRelativePath(p.root), project: p })), { title, placeHolder: 'Which project?' });
    return choice?.project;
  }

  /** Runs one learning task per project at a time, in a cancellable notification. */
  private async withProgress<T>(project: Project, title: string, work: (options: Omit<LearningOptions, 'client'>) => Promise<T>, location = vscode.ProgressLocation.Notification): Promise<T | undefined> {
    if (this.running.has(project.root)) {
      void vscode.window.showInformationMessage(`Ask Data is already training or evaluating ${project.name}; wait for it to finish.`);
      return undefined;
    }
    this.running.add(project.root);
    try {
      return await vscode.window.withProgress({ location, title, cancellable: true }, async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        let done = 0;
        const onProgress = (message: string, fraction?: number) => {
          const pct = fraction === undefined ? undefined : Math.round(fraction * 100);
          progress.report({ message, ...(pct !== undefined && pct > done ? { increment: pct - done } : {}) });
          if (pct !== undefined) done = Math.max(done, pct);
          this.log.debug(`${title}: ${message}`);
        };
        try {
          const by = await whoAmI(project.root);
          return await work({ by, asker: emailOf(by), onProgress, signal: controller.signal });
        } catch (e) {
          if (controller.signal.aborted) {
            void vscode.window.showInformationMessage(`${title}: stopped.`);
            return undefined;
          }
          this.log.error(`${title}: ${(e as Error).message}`);
          void vscode.window.showErrorMessage(`${title} failed: ${(e as Error).message}`);
          return undefined;
        }
      });
    } finally {
      this.running.delete(project.root);
      // Models were built or removed: the list answering consults comes from the model's status.
      await Promise.all([this.refresh(project).catch(() => undefined), this.model.check().catch(() => undefined)]);
    }
  }

  private async needModel(action: string): Promise<boolean> {
    const status = await this.model.check();
    if (status.reachable && status.modelPulled) return true;
    const choice = await vscode.window.showWarningMessage(`${action} needs the local model: ${status.problem}`, 'Set Up Local Model');
    if (choice) void this.model.onboard(true);
    return false;
  }

  async train(target?: Project, quiet = false): Promise<void> {
    const project = await this.pick('Ask Data: Train Model', target);
    if (!project || !(await this.needModel('Training'))) return;
    const report = await this.withProgress(project, `Training the specialised model for ${project.name}`, (o) => trainProject(project.root, { ...o, client: this.model.client }), quiet ? vscode.ProgressLocation.Window : undefined);
    if (!report) return;
    this.log.info(`train ${project.name}: ${report.built ? 'built' : 'unchanged'} ${report.model} from ${report.pairs.length} pairs; removed ${report.removed.join(', ') || 'nothing'}`);
    if (quiet) return;
    const left = report.left.length ? ` ${report.left.length} did not fit the context.` : '';
    const message = `${report.built ? 'Built' : 'Already built:'} ${report.model} from ${report.pairs.length} approved pairs.${left} ${report.promoted === report.model ? 'It answers questions now.' : 'Evaluate it to start using it: it answers only once it is not worse than the current model.'}`;
    const choice = await vscode.window.showInformationMessage(message, ...(report.promoted === report.model ? [] : ['Evaluate']));
    if (choice === 'Evaluate') await this.evaluate(project);
  }

  async evaluate(target?: Project, options: { recallOnly?: boolean; quiet?: boolean } = {}): Promise<void> {
    const project = await this.pick('Ask Data: Evaluate', target);
    if (!project) return;
    const status = await this.model.check();
    const recallOnly = options.recallOnly || !(status.reachable && status.modelPulled);
    if (recallOnly && !options.recallOnly && !options.quiet) {
      const go = await vscode.window.showWarningMessage(`Without the local model (${status.problem}) only the recall engine can be evaluated.`, 'Evaluate Recall Only', 'Set Up Local Model');
      if (go === 'Set Up Local Model') void this.model.onboard(true);
      if (go !== 'Evaluate Recall Only') return;
    }
    const outcome = await this.withProgress(project, `Evaluating ${project.name}`, (o) => evaluateProject(project.root, { ...o, client: this.model.client, ...(recallOnly ? { versions: ['recall'] as const } : {}) }), options.quiet ? vscode.ProgressLocation.Window : undefined);
    if (!outcome) return;
    const d = outcome.record.decision;
    this.log.info(`evaluate ${project.name}: ${outcome.record.versions.map((v) => `${v.version} ${(v.overall.accuracy * 100).toFixed(1)}%`).join(', ')}${d ? `; ${d.reason}` : ''}`);
    if (options.quiet) return;
    this.showReport(project, outcome.record, outcome.file);
  }

  async showLastReport(target?: Project): Promise<void> {
    const project = await this.pick('Ask Data: Show Evaluation Report', target);
    if (!project) return;
    const records = await this.refresh(project);
    const last = [...records.evaluations].sort((a, b) => a.at.localeCompare(b.at)).at(-1);
    if (!last) {
      const choice = await vscode.window.showInformationMessage(`${project.name} has not been evaluated yet.`, 'Evaluate');
      if (choice) await this.evaluate(project);
      return;
    }
    this.showReport(project, last, path.join(LEARNING_DIR, recordFileName('eval', last.at)));
  }

  private showReport(project: Project, record: EvaluationRecord, file: string): void {
    const panel = (this.report ??= (() => {
      const p = vscode.window.createWebviewPanel('askData.evaluation', 'Evaluation', vscode.ViewColumn.Active, { enableScripts: false, localResourceRoots: [] });
      p.onDidDispose(() => (this.report = undefined));
      return p;
    })());
    panel.title = `Evaluation: ${project.name}`;
    panel.webview.html = evaluationReportHtml({ project: project.name, record, file, curve: learningCurve(this.records.get(project.root) ?? { evaluations: [record] }), nonce: randomBytes(16).toString('base64'), cspSource: panel.webview.cspSource });
    panel.reveal(undefined, false);
  }

  /** Re-runs every approved pair; failures go to the Problems panel on the pair files. */
  async test(target?: Project): Promise<void> {
    const project = await this.pick('Ask Data: Test Approved Pairs', target);
    if (!project) return;
    const result = await this.withProgress(project, `Testing the approved pairs of ${project.name}`, (o) => checkApprovedPairs(project.root, o.asker));
    if (!result) return;
    this.diagnostics.clear();
    for (const c of result.checks) {
      if (c.status !== 'failed-to-run' && c.status !== 'changed') continue;
      const uri = vscode.Uri.file(path.join(project.root, c.file));
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      const line = Math.max(0, text.split('\n').findIndex((l) => l.startsWith('sql:')));
      const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, 3), c.message ?? c.status, vscode.DiagnosticSeverity.Error);
      d.source = 'askdata test';
      this.diagnostics.set(uri, [...(this.diagnostics.get(uri) ?? []), d]);
    }
    const s = result.summary;
    const text = `${summaryText(s)}.`;
    this.log.info(`test ${project.name}: ${text}`);
    if (s.failed > 0) {
      const choice = await vscode.window.showErrorMessage(`Approved pairs of ${project.name}: ${text}`, 'Show Problems');
      if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
    } else if (!s.ok) {
      // Pairs that could not run (no database to run on) were not checked: not a pass.
      void vscode.window.showWarningMessage(`Approved pairs of ${project.name}: ${text}`);
    } else {
      void vscode.window.showInformationMessage(`Approved pairs of ${project.name}: ${text}`);
    }
  }

  async exportData(target?: Project): Promise<void> {
    const project = await this.pick('Ask Data: Export LoRA Training Data', target);
    if (!project) return;
    const [folder] = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Export Here', title: 'Folder for the LoRA training data' })) ?? [];
    if (!folder) return;
    const report = await this.withProgress(project, 'Exporting LoRA training data', (o) => exportTrainingData(project.root, folder.fsPath, { client: this.model.client, asker: o.asker }));
    if (!report) return;
    const choice = await vscode.window.showInformationMessage(`Wrote ${report.train.length} training and ${report.validation.length} validation examples for ${report.huggingFace ?? report.base}. The README has the recipe.`, 'Open README');
    if (choice) void vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(path.join(folder.fsPath, 'README.md')));
  }

  async importAdapter(target?: Project): Promise<void> {
    const project = await this.pick('Ask Data: Import LoRA Adapter', target);
    if (!project || !(await this.needModel('Importing an adapter'))) return;
    const [file] = (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'GGUF adapter': ['gguf'] }, openLabel: 'Import Adapter' })) ?? [];
    if (!file) return;
    const report = await this.withProgress(project, `Importing ${path.basename(file.fsPath)}`, (o) => importAdapter(project.root, file.fsPath, { ...o, client: this.model.client }));
    if (report) this.showReport(project, report.evaluation.record, report.evaluation.file);
  }

  async augment(target?: Project, pairFile?: string): Promise<void> {
    const project = await this.pick('Ask Data: Generate Paraphrases and Variants', target);
    if (!project || !(await this.needModel('Generating paraphrases'))) return;
    // The synthetic pairs' history says who generated them, as an approval says who approved.
    const by = await requireIdentity(project.root);
    if (!by) return;
    const only = pairFile ? [path.relative(project.root, pairFile)] : undefined;
    const report = await this.withProgress(project, `Generating paraphrases and variants for ${only ? only[0] : project.name}`, async (o) => augmentProject(project.root, { ...o, by, client: this.model.client, ...(only ? { only } : {}) }));
    if (!report) return;
    const choice = await vscode.window.showInformationMessage(`${report.written.length} synthetic pair${report.written.length === 1 ? '' : 's'} added to the queue as pending; ${report.dropped.length} proposal${report.dropped.length === 1 ? '' : 's'} dropped (see the log). None is approved until someone approves it.`, 'Show Queue');
    for (const d of report.dropped) this.log.info(`augment: dropped ${d.kind} of ${d.of}: ${d.reason}`);
    if (choice) void vscode.commands.executeCommand('askData.queue.focus');
  }

  private onPairsChanged(): void {
    for (const project of this.projects.all) {
      const approved = project.store.pairs.filter((p) => p.status === 'approved').length;
      const before = this.approvedCounts.get(project.root);
      this.approvedCounts.set(project.root, approved);
      if (before === undefined || approved <= before) continue;
      if (!vscode.workspace.getConfiguration('askData.learning', vscode.Uri.file(project.root)).get<boolean>('retrainAfterApprovals')) continue;
      // Several approvals in a row make one rebuild, a while after the last.
      clearTimeout(this.autoTimers.get(project.root));
      this.autoTimers.set(project.root, setTimeout(() => {
        this.autoTimers.delete(project.root);
        void this.retrain(project);
      }, AUTO_TRAIN_DELAY_MS));
    }
  }

  private async retrain(project: Project): Promise<void> {
    const status = await this.model.check();
    if (!status.reachable || !status.modelPulled) return;
    this.log.info(`retraining ${project.name} after new approvals`);
    await this.train(project, true);
    await this.evaluate(project, { quiet: true });
  }

  dispose(): void {
    for (const t of this.autoTimers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
    this.report?.dispose();
  }
}
