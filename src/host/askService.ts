import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { ANSWER_ROWS, askerGrounding, askerInputFiles, indexProject, readRules, runnerFor } from '../usecases/project';
import { fileSignature } from '../adapters/fileSignature';
import { builtByAskData, specialisedModelRefused } from '../usecases/learning';
import { approverFingerprint } from '../usecases/approval';
import { unavailableEngine, type Engine } from '../adapters/engine';
import { emailOf } from '../adapters/gitIdentity';
import { openProjectEngine, projectDialect, type ProjectDatabase } from '../adapters/projectDatabase';
import { ExecutionError } from '../core/execution/errors';
import { projectAccess } from '../adapters/projectPolicies';
import { answerQuestion, type Answer, type AnswerStep, type RunSummary } from '../core/answer/answer';
import type { WorkspaceIndex } from '../core/index/types';
import type { Turn } from '../core/answer/prompt';
import type { ResultFingerprint } from '../core/execution/fingerprint';
import type { GroundingContext } from '../core/grounding/grounding';
import type { AccessDecision } from '../core/policies/access';
import type { AnswerView, ResultView, SimilarPair } from '../protocol/messages';
import { whoAmI } from './identity';
import type { IndexService } from './indexService';
import type { ModelService } from './modelService';
import type { Projects } from './projects';

/** An engine left unused this long is closed, so a `dbt run` can take the database's write lock. */
const IDLE_CLOSE_MS = 30_000;

interface Prepared {
  /** What this preparation was built from; a different key means build again. */
  key: string;
  /** rules.md's and policies.yml's signature when it was built: engines opened under other policies are not reused. */
  inputs: string;
  access: AccessDecision;
  database: ProjectDatabase;
  context: GroundingContext;
}

/**
 * Answering in the editor: the same core pipeline as `askdata ask`, fed from what the editor
 * already holds — the workspace index, the pair store and the model service. Each project's
 * grounding is built once and rebuilt only when its pairs, index, rules, policies or the asker
 * change; its database is opened on first use and closed again when idle.
 */
export class AskService implements vscode.Disposable {
  private readonly prepared = new Map<string, Prepared>();
  /** A subfolder project's own index, with the folder index it was built beside: rebuilt only when that changes. */
  private readonly ownIndexes = new Map<string, { folder: WorkspaceIndex | undefined; index: WorkspaceIndex }>();
  private readonly engines = new Map<string, { key: string; engine: Promise<{ engine: Engine; found: ProjectDatabase }>; timer?: NodeJS.Timeout; users: number }>();
  private generation = 0;
  private readonly pairFolders = new Map<string, string>();
  /** Bumped when a policies.yml changes: engines opened before it are not reused. */
  private policiesSeen = 0;
  private readonly disposables: vscode.Disposable[] = [];
  /** The project's promoted specialised model for this asker, if any (set by the learning service). */
  answeringModel: (root: string, access: { unrestricted: boolean }) => Promise<string | undefined> = async () => undefined;
  /** Whether a model is one Ask Data built for the project (set by the learning service). */
  builtByAskData: (root: string, model: string) => Promise<boolean> = async (_root, model) => builtByAskData(model, { models: [], evaluations: [] });

  constructor(private readonly projects: Projects, private readonly index: IndexService, private readonly model: ModelService, private readonly log: vscode.LogOutputChannel) {
    // Pairs approved or edited, files re-indexed: the next question grounds on the new state.
    // rules.md and policies.yml are read when grounding is built, and again only after they change.
    // A changed policies.yml also retires the engines opened under it: a SQLite engine carries the
    // asker's restrictions, and one opened under yesterday's policies would show what today's hide.
    const changed = () => this.generation++;
    const rules = vscode.workspace.createFileSystemWatcher('**/askdata/rules.md');
    const policies = vscode.workspace.createFileSystemWatcher('**/askdata/policies.yml');
    const policiesChanged = () => {
      this.policiesSeen++;
      changed();
    };
    this.disposables.push(
      projects.onDidChange(changed),
      index.onDidChange(changed),
      rules,
      rules.onDidChange(changed),
      rules.onDidCreate(changed),
      rules.onDidDelete(changed),
      policies,
      policies.onDidChange(policiesChanged),
      policies.onDidCreate(policiesChanged),
      policies.onDidDelete(policiesChanged),
    );
  }

  /** The asker's email, which access policies match on. */
  private async asker(root: string): Promise<string | undefined> {
    return emailOf(await whoAmI(root));
  }

  private async prepare(root: string): Promise<Prepared> {
    const project = this.projects.get(root);
    if (!project) throw new Error(`The project at ${root} is no longer open.`);
    // Typing in the panel prepares on every pause: nothing here may read a file or run git unless
    // something it depends on changed (see the watchers above and identity.ts). rules.md and
    // policies.yml are also checked by stat, every time: a watcher's event comes after the
    // change, or never (a folder removed whole), and the question asked meanwhile must not be
    // answered under the policies the file no longer says.
    // The pairs follow their watcher, which reports a file written, but of a folder removed or
    // renamed whole (a branch checked out without it) only the folder: a pair added, removed or
    // renamed in it changes the folder itself, and the pairs are read again before answering.
    const folders = await fileSignature([path.join(root, 'askdata'), path.join(root, 'askdata', 'pairs')]);
    const seen = this.pairFolders.get(root);
    this.pairFolders.set(root, folders);
    if (seen !== undefined && seen !== folders) await project.store.load();
    const [asker, inputs] = await Promise.all([this.asker(root), fileSignature(askerInputFiles(root))]);
    const key = [this.generation, asker ?? '', inputs].join('|');
    const known = this.prepared.get(root);
    if (known?.key === key) return known;
    const rules = await readRules(root);
    await this.index.initialize();
    // A project that is its workspace folder grounds on the folder's index, kept current by the
    // watchers; one in a subfolder (beside other projects) on an index of its own folder, as
    // `askdata` does, so that no other project's models are offered to its questions.
    const isFolder = this.index.isFolderRoot(root);
    const folderIndex = this.index.indexOf(root);
    const access = await projectAccess(root, asker);
    const started = performance.now();
    let relations = 0;
    const build = async (engine: Engine, found: ProjectDatabase) => {
      const index = isFolder ? (folderIndex ?? { relations: [], joins: [] }) : await this.ownIndex(root, folderIndex, found.unavailable ? undefined : engine);
      relations = index.relations.length;
      return askerGrounding({ root, pairs: project.store.pairs, index, rules, access, engine, found });
    };
    const { found, grounding } = await this.engine(root, { access, inputs }, async (e) => ({ found: e.found, grounding: await build(e.engine, e.found) }))
      .catch(async (e: unknown) => {
        if (!(e instanceof ExecutionError) || e.errorClass !== 'not-run') throw e;
        // No database to run on: grounding needs only the dialect.
        const dialect = await projectDialect(root);
        const none: ProjectDatabase = { database: '', dialect, dataDirectories: [], source: 'none', unavailable: e.message };
        return { found: none, grounding: await build(unavailableEngine(dialect, e.message), none) };
      });
    const context = grounding.context;
    this.log.info(`grounding for ${project.name} built in ${(performance.now() - started).toFixed(0)} ms (${project.store.pairs.length} pairs, ${relations} relations, asker ${asker ?? 'unknown'})`);
    const prepared: Prepared = { key, inputs, access, database: found, context };
    this.prepared.set(root, prepared);
    return prepared;
  }

  private async ownIndex(root: string, folder: WorkspaceIndex | undefined, engine: Engine | undefined): Promise<WorkspaceIndex> {
    const known = this.ownIndexes.get(root);
    if (known && known.folder === folder) return known.index;
    const index = await indexProject(root, engine);
    this.ownIndexes.set(root, { folder, index });
    return index;
  }

  /**
   * Runs `use` with the project's engine. SQLite engines carry the asker's restrictions, so they
   * are keyed by the asker and by the policies those were decided from (see policiesSeen); every
   * use resets the idle timer.
   */
  private async engine<T>(root: string, prepared: Pick<Prepared, 'access' | 'inputs'>, use: (e: { engine: Engine; found: ProjectDatabase }) => Promise<T>): Promise<T> {
    try {
      return await this.withEngine(root, prepared, use);
    } catch (e) {
      // No database to run on (a warehouse, a file dbt has not built, a server out of reach): not run, said so.
      if (e instanceof ExecutionError && e.errorClass === 'database-missing') throw new ExecutionError('not-run', `Not run: ${e.message}`, 'not run: no database to run on');
      throw e;
    }
  }

  private async withEngine<T>(root: string, { access, inputs }: Pick<Prepared, 'access' | 'inputs'>, use: (e: { engine: Engine; found: ProjectDatabase }) => Promise<T>): Promise<T> {
    const key = `${access.asker ?? ''}|${access.groups.join(',')}|${access.unrestricted}|${this.policiesSeen}|${inputs}|${process.env.ASKDATA_TARGET ?? ''}`;
    let entry = this.engines.get(root);
    if (entry && entry.key !== key) {
      this.closeEngine(root);
      entry = undefined;
    }
    if (!entry) {
      entry = { key, engine: openProjectEngine(root, access), users: 0 };
      this.engines.set(root, entry);
      // A database that is missing or locked now may be there next time: do not keep the failure.
      entry.engine.catch(() => this.engines.get(root) === entry && this.engines.delete(root));
    }
    if (entry.timer) clearTimeout(entry.timer);
    entry.users++;
    try {
      return await use(await entry.engine);
    } finally {
      entry.users--;
      if (entry.users === 0 && this.engines.get(root) === entry) {
        entry.timer = setTimeout(() => this.closeEngine(root), IDLE_CLOSE_MS);
      }
    }
  }

  private closeEngine(root: string): void {
    const entry = this.engines.get(root);
    if (!entry) return;
    this.engines.delete(root);
    if (entry.timer) clearTimeout(entry.timer);
    entry.engine.then(({ engine }) => engine.close(), () => undefined);
  }

  /** Answers a question (or regenerates or repairs one, with `turns`), as `askdata ask` does. */
  async ask(root: string, question: string, options: { turns?: Turn[]; signal?: AbortSignal; onStep?: (step: AnswerStep, detail?: string) => void; onToken?: (text: string) => void }): Promise<AnswerView> {
    const prepared = await this.prepare(root);
    const base = this.model.ready;
    // The model the settings name may itself be one Ask Data built from every pair and the whole schema.
    if (base && !prepared.access.unrestricted && (await this.builtByAskData(root, base.name))) throw specialisedModelRefused(base.name, 'Set askData.ollama.model to the base model (the default is qwen2.5-coder:1.5b).');
    const specialised = base ? await this.answeringModel(root, prepared.access) : undefined;
    const model = specialised ? base!.withModel(specialised) : base;
    const started = performance.now();
    let ms = 0;
    const answer = await answerQuestion(question, prepared.context, async (sql, signal) => {
      const t = performance.now();
      try {
        // Under the policies as they are when it runs: the model may have written for seconds.
        const now = await this.prepare(root);
        return await this.engine(root, now, ({ engine }) => runnerFor(engine, now.access, ANSWER_ROWS)(sql, signal));
      } finally {
        ms = performance.now() - t;
      }
    }, {
        engine: 'auto',
        model,
        modelUnavailable: model ? undefined : this.model.unavailableReason(),
        turns: options.turns,
        signal: options.signal,
        onStep: options.onStep,
        onToken: options.onToken,
      });
    this.log.info(`answered "${question}" from ${answer.source ?? 'nothing'}${answer.pair ? ` (${answer.pair.file}, ${answer.pair.similarity.toFixed(2)})` : ''} in ${(performance.now() - started).toFixed(0)} ms${answer.error ? `; ${answer.error.class}` : ''}`);
    return answerView(answer, ms);
  }

  /** Runs SQL as the asker: guarded, read-only, with their policies, up to the row cap. */
  async run(root: string, sql: string, signal?: AbortSignal): Promise<ResultView> {
    const prepared = await this.prepare(root);
    return this.engine(root, prepared, async ({ engine }) => {
      const started = performance.now();
      const summary = await runnerFor(engine, prepared.access, ANSWER_ROWS)(sql, signal);
      return resultView(summary, performance.now() - started);
    });
  }

  /** The result an approval records: the whole result read once, fingerprinted. */
  async fingerprint(root: string, sql: string): Promise<ResultFingerprint> {
    const prepared = await this.prepare(root);
    return this.engine(root, prepared, ({ engine }) => approverFingerprint(engine, prepared.access)(sql));
  }

  /** Approved questions like `question`, by the recall engine's similarity (question and SQL). */
  async similar(root: string, question: string, limit = 5): Promise<SimilarPair[]> {
    const prepared = await this.prepare(root);
    return prepared.context.recall.nearest(question, limit)
      .filter((n) => n.score >= 0.2)
      .map((n) => ({ id: n.item.id, question: n.item.question, score: n.score }));
  }

  dispose(): void {
    for (const root of [...this.engines.keys()]) this.closeEngine(root);
    for (const d of this.disposables) d.dispose();
  }
}

function resultView(r: RunSummary, ms: number): ResultView {
  return { columns: r.columns, rows: r.rows, rowCount: r.rowCount, capped: r.capped, ms: Math.round(ms) };
}

function answerView(a: Answer, ms: number): AnswerView {
  const g = a.grounding;
  return {
    question: a.question,
    sql: a.sql,
    source: a.source,
    model: a.model,
    pair: a.pair,
    adaptations: a.adaptations.map((x) => `${x.kind}: ${x.from} → ${x.to}`),
    matched: (a.match?.matched ?? []).map((m) => `${m.component}: ${m.value}${m.adapted ? ' (adapted)' : ''}`),
    differences: (a.match?.differences ?? []).map((d) => `it ${d.pair}; you asked ${d.asked}`),
    rejected: a.rejected ? { question: a.rejected.question, file: a.rejected.file, reason: a.rejected.reason } : null,
    assumptions: a.assumptions,
    abstained: a.abstained,
    reason: a.reason,
    error: a.error,
    attempts: a.attempts.length,
    result: a.result ? resultView(a.result, ms) : null,
    grounding: {
      dialect: g.dialect,
      tables: g.tables.map((t) => ({ name: t.key, score: t.score, reasons: t.reasons, columns: t.columns.length, omittedColumns: t.omittedColumns })),
      tablesAvailable: g.tablesAvailable,
      hidden: g.hidden,
      joins: g.joins.map((j) => j.on),
      examples: g.examples.map((e) => ({ id: e.id, file: e.file, question: e.question, sql: e.sql, score: e.score })),
      rules: g.rules,
      schema: g.schema,
      tokens: { total: g.tokens.total, budget: g.tokens.budget },
    },
  };
}
