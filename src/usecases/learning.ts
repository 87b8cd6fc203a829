import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { answerQuestion, type AnswerOptions, type ChatModel, type QueryRunner } from '../core/answer/answer';
import { extractSql } from '../core/answer/prompt';
import { edgeCaseQuestions, paraphraseChat, parseParaphrases, sameSqlText, variantChat } from '../core/learning/augment';
import { PairStore } from '../core/pairs/pairStore';
import { ExecutionError } from '../core/execution/errors';
import type { GroundingContext } from '../core/grounding/grounding';
import { judge, kFolds, promotionDecision, versionReport, type CaseResult, type GoldResult, type VersionKind, type VersionReport } from '../core/learning/evaluation';
import { adapterFacts, readGgufHeader } from '../core/learning/gguf';
import { adapterRefusal, exportReadme, huggingFaceBase, trainingExample } from '../core/learning/lora';
import { parseRecord, promotedModel, recordFileName, type EvaluationRecord, type LearningRecords, type ModelRecord } from '../core/learning/records';
import { learningPairs, specialisedRecipe, supersededModels, type LearningPair, type ModelRecipe, type RecipeSummary } from '../core/learning/training';
import { requireUnrestricted } from '../core/policies/access';
import { openAskProject, runnerFor, type AskProject } from './project';
import { projectAccess } from '../adapters/projectPolicies';
import { NodePairFiles } from '../adapters/nodePairFiles';
import { DEFAULT_SEED, OllamaError, sameModel, type OllamaClient } from '../adapters/ollama';

/**
 * Learning on a project, for the editor and the CLI alike: build the specialised model, evaluate
 * versions on held-out approved pairs and promote, export LoRA training data, import an adapter.
 * Records of what was built and measured are JSON files under askdata/learning/.
 */
export interface LearningOptions {
  /** A client for the base model (its name is the base). */
  client: OllamaClient;
  by?: string;
  now?: () => Date;
  /** Progress for a notification or the terminal: a line, and how far along (0–1) when known. */
  onProgress?: (message: string, fraction?: number) => void;
  signal?: AbortSignal;
  /** Who runs it (email): learning uses every approved pair, so an asker policies restrict is refused. */
  asker?: string;
}

export const LEARNING_DIR = path.join('askdata', 'learning');
/** Rows compared per result; a bigger gold result is not scored (it would say little about the SQL). */
const COMPARE_ROW_CAP = 50_000;

export async function readLearningRecords(root: string): Promise<LearningRecords> {
  const dir = path.join(root, LEARNING_DIR);
  const records: LearningRecords = { models: [], evaluations: [], problems: [] };
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return records;
  }
  for (const name of names) {
    const file = path.join(LEARNING_DIR, name);
    const parsed = parseRecord(name, await fs.readFile(path.join(dir, name), 'utf8'));
    if ('model' in parsed) records.models.push(parsed.model);
    else if ('evaluation' in parsed) records.evaluations.push(parsed.evaluation);
    else records.problems.push({ file, message: parsed.problem });
  }
  return records;
}

async function writeRecord(root: string, name: string, value: unknown): Promise<string> {
  const file = path.join(root, LEARNING_DIR, name);
  await new NodePairFiles().replace(file, `${JSON.stringify(value, null, 2)}\n`, undefined);
  return path.relative(root, file);
}

/**
 * Opened without an asker's restrictions: a specialised model is built from, and evaluated on,
 * every approved pair. So the person running it must be someone policies do not restrict.
 */
async function openForLearning(root: string, asker: string | undefined, what: string): Promise<{ project: AskProject; pairs: LearningPair[] }> {
  requireUnrestricted(await projectAccess(root, asker), what);
  const project = await openAskProject(root, {});
  if (!project.access.unrestricted) {
    project.close();
    throw new Error('askdata/policies.yml denies access by default, so there is no asker a shared model could be built for; learning needs `default: allow` (groups may still restrict their members).');
  }
  const pairs = learningPairs(project.pairs, root, (p) => !p.data.database || path.resolve(root, p.data.database) === project.database.database);
  return { project, pairs };
}

/**
 * The name models are tagged with: the dbt project's name, so every clone of the repo (whatever
 * its folder is called) builds and recognises the same tags; else the folder's name.
 */
function projectName(project: AskProject): string {
  const own = project.index.projects.filter((p) => !p.package).sort((a, b) => a.root.length - b.root.length)[0];
  return own?.name ?? path.basename(project.root);
}

function recipeFor(project: AskProject, client: OllamaClient, pairs: readonly LearningPair[], context: GroundingContext, prefix?: string, adapter?: ModelRecord['adapter']): RecipeSummary {
  return specialisedRecipe({ project: projectName(project), base: client.name, context, pairs, numCtx: client.contextLength, seed: DEFAULT_SEED, ...(prefix ? { prefix } : {}), ...(adapter ? { adapters: { [adapter.file]: adapter.digest } } : {}) });
}

async function ensureModel(client: OllamaClient, recipe: ModelRecipe, existing: readonly string[], options: LearningOptions): Promise<boolean> {
  if (existing.some((m) => sameModel(m, recipe.model))) return false;
  await client.create(recipe, (status) => options.onProgress?.(`${recipe.model}: ${status}`), options.signal);
  return true;
}

export interface TrainReport {
  model: string;
  from: string;
  built: boolean;
  pairs: string[];
  left: string[];
  tokens: RecipeSummary['tokens'];
  schemaTables: RecipeSummary['schemaTables'];
  removed: string[];
  record?: string;
  promoted: string | null;
}

/** Builds the specialised model from every approved pair that fits; nothing is rebuilt when its recipe is unchanged. */
export async function trainProject(root: string, options: LearningOptions): Promise<TrainReport> {
  const { project, pairs } = await openForLearning(root, options.asker, 'Training');
  try {
    if (pairs.length === 0) throw new Error('There are no approved pairs to learn from yet: approve a few answers first.');
    const summary = recipeFor(project, options.client, pairs, project.context);
    const recipe = summary.recipe;
    options.onProgress?.(`Building ${recipe.model} from ${recipe.from} with ${summary.pairs.length} approved pairs`);
    const models = await options.client.list(options.signal);
    const built = await ensureModel(options.client, recipe, models, options);
    const at = (options.now?.() ?? new Date()).toISOString();
    const records = await readLearningRecords(root);
    const record = await recordBuilt(root, records, summary, at, options.by);
    const promoted = promotedModel(records);
    const removed = await removeSuperseded(projectName(project), options, [...models, recipe.model], [recipe.model, ...(promoted ? [promoted] : [])]);
    return { model: recipe.model, from: recipe.from, built, pairs: summary.pairs, left: summary.left, tokens: summary.tokens, schemaTables: summary.schemaTables, removed, ...(record ? { record } : {}), promoted };
  } finally {
    project.close();
  }
}

/** The record of a specialised model built from `summary`, unless one is kept already; returns its file. */
async function recordBuilt(root: string, records: LearningRecords, summary: RecipeSummary, at: string, by: string | undefined): Promise<string | undefined> {
  if (records.models.some((m) => m.model === summary.recipe.model)) return undefined;
  const value: ModelRecord = { version: 1, kind: 'specialised', model: summary.recipe.model, from: summary.recipe.from, at, ...(by ? { by } : {}), pairs: summary.pairs, left: summary.left, tokens: summary.tokens };
  return writeRecord(root, recordFileName('model', at), value);
}

async function removeSuperseded(name: string, options: LearningOptions, models: readonly string[], keep: readonly string[]): Promise<string[]> {
  const stale = supersededModels(models, name, keep);
  for (const m of stale) {
    options.onProgress?.(`Removing superseded ${m}`);
    await options.client.remove(m, options.signal);
  }
  return stale;
}

export interface EvaluateOptions extends LearningOptions {
  k?: number;
  /** Evaluate only these versions (default: recall, and base + specialised when the model is there). */
  versions?: VersionKind[];
  /** An adapter model (from import-adapter) to evaluate as the candidate instead of the specialised model. */
  adapter?: ModelRecord;
  /** Promote only when strictly better (an adapter), instead of when not worse. */
  strict?: boolean;
}

export interface EvaluationOutcome {
  record: EvaluationRecord;
  file: string;
  /** Why versions were not run (no model …). */
  skipped: string[];
}

/**
 * k-fold execution accuracy. For each fold, every version answers the fold's questions knowing
 * only the other folds' pairs: recall and the base model get them as approved pairs and
 * examples, the specialised (and adapter) version is built from them as a temporary model, removed
 * afterwards. Then the candidate is compared with the current model, and promoted if it is not
 * worse (strictly better for an adapter); a promoted specialised model is built from all pairs.
 */
export async function evaluateProject(root: string, options: EvaluateOptions): Promise<EvaluationOutcome> {
  const { project, pairs } = await openForLearning(root, options.asker, 'Evaluation');
  if (project.unavailable) {
    project.close();
    throw new Error(`Evaluation runs the approved SQL and the answers, and this project has no database to run them on: ${project.unavailable}`);
  }
  const createdForFolds: string[] = [];
  try {
    if (pairs.length < 2) throw new Error(`Evaluation holds approved pairs out to test on, so it needs at least 2; this project has ${pairs.length}.`);
    const records = await readLearningRecords(root);
    const current = promotedModel(records);
    const currentRecord = current ? records.models.find((m) => m.model === current) : undefined;
    const skipped: string[] = [];
    const status = await options.client.status(options.signal);
    const wanted = new Set<VersionKind>(options.versions ?? ['recall', 'base', 'specialised']);
    if (options.adapter || currentRecord?.kind === 'adapter') wanted.add('adapter');
    if (!status.reachable || !status.modelPulled) {
      for (const v of ['base', 'specialised', 'adapter'] as const) {
        if (wanted.delete(v)) skipped.push(`${v}: ${status.problem ?? 'the model is not available'}`);
      }
    }
    const adapterRecord = options.adapter ?? (currentRecord?.kind === 'adapter' ? currentRecord : undefined);
    const versions: Array<{ id: string; kind: VersionKind; model?: string }> = [];
    if (wanted.has('recall')) versions.push({ id: 'recall', kind: 'recall' });
    if (wanted.has('base')) versions.push({ id: `base ${options.client.name}`, kind: 'base', model: options.client.name });
    if (wanted.has('specialised')) versions.push({ id: 'specialised', kind: 'specialised', model: `${options.client.name} + approved pairs` });
    if (wanted.has('adapter') && adapterRecord) versions.push({ id: 'adapter', kind: 'adapter', model: `${options.client.name} + ${adapterRecord.adapter?.file ?? 'adapter'}` });

    const run = runnerFor(project.engine, project.access, COMPARE_ROW_CAP);
    const gold = new Map<string, GoldResult | { error: string }>();
    for (const [i, p] of pairs.entries()) {
      options.onProgress?.(`Running approved SQL ${i + 1} of ${pairs.length}`, i / pairs.length / 4);
      gold.set(p.id, await goldOf(run, p.sql, options.signal));
    }
    const folds = kFolds(pairs, options.k ?? 5);
    const cases: CaseResult[] = [];
    const models = status.reachable ? await options.client.list(options.signal) : [];
    let done = 0;
    const total = pairs.length * versions.length;
    for (const [f, fold] of folds.entries()) {
      const heldOut = new Set(fold.map((p) => p.id));
      const context = project.contextWithout(heldOut);
      const seen = pairs.filter((p) => !heldOut.has(p.id));
      for (const v of versions) {
        let model: ChatModel | undefined;
        if (v.kind === 'base') model = options.client;
        if (v.kind === 'specialised' || v.kind === 'adapter') {
          const { recipe } = recipeFor(project, options.client, seen, context, 'askdata-eval', v.kind === 'adapter' ? adapterRecord!.adapter : undefined);
          options.onProgress?.(`Fold ${f + 1} of ${folds.length}: building ${recipe.model}`);
          if (await ensureModel(options.client, recipe, models, options)) createdForFolds.push(recipe.model);
          model = options.client.withModel(recipe.model, { system: recipe.system, messages: recipe.messages });
        }
        for (const p of fold) {
          options.onProgress?.(`Fold ${f + 1} of ${folds.length}, ${v.id}: ${p.question}`, 0.25 + (0.75 * done++) / total);
          cases.push(await evaluateCase(p, f, v.id, gold.get(p.id)!, context, run, { engine: v.kind === 'recall' ? 'recall' : 'ollama', model, signal: options.signal }));
        }
      }
    }
    const notes = (v: { kind: VersionKind }) => (v.kind === 'adapter' ? ['The adapter itself was trained outside on the export\'s train split; only its validation pairs are truly unseen by it.'] : []);
    const reports = versions.map((v) => versionReport(v.id, v.kind, cases, v.model, notes(v)));

    const at = (options.now?.() ?? new Date()).toISOString();
    const record: EvaluationRecord = { version: 1, at, ...(options.by ? { by: options.by } : {}), approvedPairs: pairs.length, k: folds.length, versions: reports, cases };
    const candidateKind: VersionKind = options.adapter ? 'adapter' : 'specialised';
    const verdict = promotionDecision(reports, { candidate: candidateKind, current: currentRecord?.kind ?? 'base', strict: !!options.strict });
    if (verdict) {
      const { candidate, incumbent, promote, reason } = verdict;
      let model = current;
      if (promote) {
        if (options.adapter) model = options.adapter.model;
        else {
          const full = recipeFor(project, options.client, pairs, project.context);
          options.onProgress?.(`Promoting: building ${full.recipe.model} from all ${full.pairs.length} pairs`);
          await ensureModel(options.client, full.recipe, models, options);
          await recordBuilt(root, records, full, at, options.by);
          model = full.recipe.model;
        }
        await removeSuperseded(projectName(project), options, [...models, model], [model]);
      }
      record.decision = { current: incumbent.version, candidate: candidate.version, promote, reason, model };
    } else if (!reports.some((r) => r.kind === candidateKind) && wanted.size > 1) {
      skipped.push(`no promotion decision: the ${candidateKind} model was not evaluated`);
    }
    const file = await writeRecord(root, recordFileName('eval', at), record);
    return { record, file, skipped };
  } finally {
    for (const m of createdForFolds) await options.client.remove(m).catch(() => undefined);
    project.close();
  }
}

async function goldOf(run: QueryRunner, sql: string, signal?: AbortSignal): Promise<GoldResult | { error: string }> {
  try {
    const r = await run(sql, signal);
    if (r.capped || r.rowCount > r.rows.length) return { error: `returns more than ${COMPARE_ROW_CAP} rows, too many to compare` };
    return { sql, columns: r.columns.map((c) => c.name), rows: r.rows };
  } catch (e) {
    return { error: e instanceof ExecutionError ? `${e.errorClass}: ${e.message}` : (e as Error).message };
  }
}

async function evaluateCase(p: LearningPair, fold: number, version: string, gold: GoldResult | { error: string }, context: GroundingContext, run: QueryRunner, options: Pick<AnswerOptions, 'engine' | 'model' | 'signal'>): Promise<CaseResult> {
  const base = { pair: p.file, tags: p.tags, fold, version };
  if ('error' in gold) return { ...base, status: 'gold-failed', spider: false, bird: false, sql: null, detail: gold.error };
  const answer = await answerQuestion(p.question, context, run, options);
  if (answer.abstained || !answer.sql) return { ...base, status: 'abstained', spider: false, bird: false, sql: answer.sql, detail: answer.reason ?? answer.error?.message ?? 'no SQL' };
  if (answer.error || !answer.result) return { ...base, status: 'failed', spider: false, bird: false, sql: answer.sql, detail: answer.error ? `${answer.error.class}: ${answer.error.message}` : 'no result' };
  if (answer.result.capped || answer.result.rowCount > answer.result.rows.length) return { ...base, status: 'wrong-result', spider: false, bird: false, sql: answer.sql, detail: `returned more than ${COMPARE_ROW_CAP} rows` };
  const verdict = judge(gold, { rows: answer.result.rows });
  return { ...base, status: verdict.spider ? 'correct' : 'wrong-result', ...verdict, sql: answer.sql };
}

export interface ExportReport {
  out: string;
  base: string;
  huggingFace: string | null;
  train: string[];
  validation: string[];
  files: string[];
}

/**
 * Writes train.jsonl / validation.jsonl (a fifth of the pairs, the same fold on every run), the
 * manifest and the README with the recipe. Each example's prompt is grounded without its own
 * pair, as a new question would be.
 */
export async function exportTrainingData(root: string, out: string, options: Pick<LearningOptions, 'client' | 'now' | 'asker'>): Promise<ExportReport> {
  const { project, pairs } = await openForLearning(root, options.asker, 'Exporting training data');
  try {
    if (pairs.length === 0) throw new Error('There are no approved pairs to export yet.');
    const validationIds = new Set(pairs.length >= 5 ? kFolds(pairs, 5)[0]!.map((p) => p.id) : []);
    const lines = (subset: LearningPair[]) => subset.map((p) => JSON.stringify(trainingExample(project.contextWithout(new Set([p.id])), p))).join('\n') + (subset.length ? '\n' : '');
    const train = pairs.filter((p) => !validationIds.has(p.id));
    const validation = pairs.filter((p) => validationIds.has(p.id));
    const base = options.client.name;
    const huggingFace = huggingFaceBase(base) ?? null;
    await fs.mkdir(out, { recursive: true });
    const manifest = { format: 'askdata-lora-export', version: 1, at: (options.now?.() ?? new Date()).toISOString(), project: projectName(project), ollamaBase: base, huggingFaceBase: huggingFace, train: train.map((p) => p.file), validation: validation.map((p) => p.file) };
    const files: Array<[string, string]> = [
      ['train.jsonl', lines(train)],
      ['validation.jsonl', lines(validation)],
      ['askdata-export.json', `${JSON.stringify(manifest, null, 2)}\n`],
      ['README.md', exportReadme({ base, huggingFace: huggingFace ?? undefined, train: train.length, validation: validation.length, project: projectName(project) })],
    ];
    for (const [name, text] of files) await fs.writeFile(path.join(out, name), text, 'utf8');
    return { out, base, huggingFace, train: manifest.train, validation: manifest.validation, files: files.map(([n]) => path.join(out, n)) };
  } finally {
    project.close();
  }
}

export interface ImportReport {
  model: string;
  digest: string;
  uploaded: boolean;
  architecture?: string;
  evaluation: EvaluationOutcome;
}

/**
 * Brings a GGUF LoRA adapter into Ollama: checks the file and that the base can take it, uploads
 * the blob, builds `askdata-<project>-adapter:<hash>` from the base with the adapter and the
 * same system prompt and messages as the specialised model, evaluates it, and promotes it only
 * if it is better than the current model.
 */
export async function importAdapter(root: string, file: string, options: LearningOptions & { k?: number }): Promise<ImportReport> {
  // Before anything is uploaded: the adapter is evaluated on every approved pair.
  requireUnrestricted(await projectAccess(root, options.asker), 'Importing an adapter');
  const handle = await fs.open(file, 'r');
  let head: Uint8Array;
  try {
    const buffer = Buffer.alloc(1 << 20);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const facts = adapterFacts(readGgufHeader(head));
  if (!facts.isAdapter) throw new Error(`${path.basename(file)} is a GGUF model, not a LoRA adapter (its general.type is not "adapter"). Convert the adapter with llama.cpp's convert_lora_to_gguf.py.`);
  const base = options.client.name;
  const info = await options.client.info(base, options.signal);
  const refusal = adapterRefusal(base, info.family, facts.architecture);
  if (refusal) throw new OllamaError('server', refusal);

  options.onProgress?.(`Uploading ${path.basename(file)}`);
  const blob = await options.client.uploadBlob(file, (sent, size) => options.onProgress?.(`Uploading ${path.basename(file)}: ${Math.round((100 * sent) / size)}%`, sent / size / 4), options.signal);
  const { project, pairs } = await openForLearning(root, options.asker, 'Importing an adapter');
  let record: ModelRecord;
  try {
    const adapterName = path.basename(file);
    const summary = recipeFor(project, options.client, pairs, project.context, 'askdata-adapter', { file: adapterName, digest: blob.digest });
    const recipe = summary.recipe;
    await ensureModel(options.client, recipe, await options.client.list(options.signal), options);
    const at = (options.now?.() ?? new Date()).toISOString();
    record = { version: 1, kind: 'adapter', model: recipe.model, from: base, at, ...(options.by ? { by: options.by } : {}), pairs: summary.pairs, left: summary.left, tokens: summary.tokens, adapter: { file: adapterName, digest: blob.digest, ...(facts.architecture ? { architecture: facts.architecture } : {}) } };
    await writeRecord(root, recordFileName('model', at, 'adapter'), record);
  } finally {
    project.close();
  }
  const evaluation = await evaluateProject(root, { ...options, adapter: record, strict: true, versions: ['recall', 'base', 'specialised'] });
  return { model: record.model, digest: blob.digest, uploaded: blob.uploaded, ...(facts.architecture ? { architecture: facts.architecture } : {}), evaluation };
}

export interface AugmentReport {
  /** Pending synthetic pairs written, by file. */
  written: Array<{ file: string; kind: 'paraphrase' | 'variant' | 'edge case'; of: string; question: string }>;
  /** Proposals dropped, and why (a variant that returned other data, a reply without SQL …). */
  dropped: Array<{ of: string; kind: 'paraphrase' | 'variant' | 'edge case'; reason: string }>;
}

/**
 * Paraphrases of approved questions and equivalent SQL variants, written to the queue as pending
 * synthetic pairs for a person to approve or reject. A variant is kept only when its result
 * compares equal to the approved SQL's (Spider's comparison).
 */
export async function augmentProject(root: string, options: Partial<LearningOptions> & { by: string; only?: string[]; paraphrases?: number; variants?: boolean; edgeCases?: boolean }): Promise<AugmentReport> {
  const { project, pairs } = await openForLearning(root, options.asker, 'Generating paraphrases, variants and edge cases');
  const report: AugmentReport = { written: [], dropped: [] };
  if (project.unavailable && options.variants !== false) {
    project.close();
    throw new Error(`SQL variants are kept only when their result equals the approved one, and this project has no database to run them on (${project.unavailable}); use --no-variants for paraphrases alone.`);
  }
  try {
    const chosen = options.only?.length ? pairs.filter((p) => options.only!.some((o) => p.file === o || p.id === o || p.file.endsWith(`/${o}`))) : pairs;
    if (chosen.length === 0) throw new Error(options.only?.length ? `No approved pair matches ${options.only.join(', ')}.` : 'There are no approved pairs to augment yet.');
    const store = new PairStore(root, new NodePairFiles());
    await store.load();
    const known = store.pairs.map((p) => p.question);
    const run = runnerFor(project.engine, project.access, COMPARE_ROW_CAP);
    const count = options.paraphrases ?? 3;
    for (const [i, p] of chosen.entries()) {
      options.onProgress?.(`${i + 1} of ${chosen.length}: ${p.question}`, i / chosen.length);
      const history = (kind: string) => [{ at: (options.now?.() ?? new Date()).toISOString(), event: 'generated', by: options.by, ...(options.client && kind !== 'edge case' ? { model: options.client.name } : {}), text: `${kind} of ${p.file}` }];
      if (options.edgeCases !== false) {
        for (const edge of await edgeCasesOf(project.context, p, run, options.signal)) {
          if ('reason' in edge) {
            report.dropped.push({ of: p.file, kind: 'edge case', reason: edge.reason });
            continue;
          }
          if (known.includes(edge.question)) continue;
          const added = await store.add({ question: edge.question, sql: edge.sql, status: 'pending', tags: p.tags, by: options.by, synthetic: true, history: history('edge case') });
          known.push(edge.question);
          report.written.push({ file: path.relative(root, added.path), kind: 'edge case', of: p.file, question: edge.question });
        }
      }
      if (!options.client) continue;
      if (count > 0) {
        const reply = await options.client.chat(paraphraseChat(p.question, p.sql, count), { signal: options.signal, temperature: 0.7 });
        const questions = parseParaphrases(reply, known, count);
        if (questions.length === 0) report.dropped.push({ of: p.file, kind: 'paraphrase', reason: `${options.client.name} proposed no new wording` });
        for (const question of questions) {
          const added = await store.add({ question, sql: p.sql, status: 'pending', tags: p.tags, by: options.by, synthetic: true, history: history('paraphrase') });
          known.push(question);
          report.written.push({ file: path.relative(root, added.path), kind: 'paraphrase', of: p.file, question });
        }
      }
      if (options.variants !== false) {
        const gold = await goldOf(run, p.sql, options.signal);
        if ('error' in gold) {
          report.dropped.push({ of: p.file, kind: 'variant', reason: `the approved SQL does not run: ${gold.error}` });
          continue;
        }
        const context = project.contextWithout(new Set());
        const sql = extractSql(await options.client.chat(variantChat(context.ground(p.question), p.question, p.sql), { signal: options.signal, temperature: 0.7 }));
        const verdict = !sql ? 'no SQL in the reply' : sameSqlText(sql, p.sql) ? 'the same query as the approved one' : await compareVariant(run, gold, sql, options.signal);
        if (verdict !== 'equal') {
          report.dropped.push({ of: p.file, kind: 'variant', reason: verdict });
          continue;
        }
        const added = await store.add({ question: p.question, sql: sql!, status: 'pending', tags: p.tags, by: options.by, synthetic: true, history: history('SQL variant') });
        report.written.push({ file: path.relative(root, added.path), kind: 'variant', of: p.file, question: p.question });
      }
    }
    return report;
  } finally {
    project.close();
  }
}

/**
 * Edge cases of one approved pair: each question is answered by recall itself, so its SQL is the
 * approved SQL with one literal safely adapted; it is kept only when it is answered from this very
 * pair and runs. Never approved: they go to the queue as pending, marked synthetic.
 */
async function edgeCasesOf(context: AskProject['context'], pair: LearningPair, run: QueryRunner, signal?: AbortSignal): Promise<Array<{ question: string; sql: string } | { reason: string }>> {
  const vocabulary = context.recall.vocabulary;
  const values = vocabulary.valueMentions(pair.question).filter((v) => v.column).map((v) => ({ text: v.text, others: vocabulary.otherValues(v.value, v.column!) }));
  const out: Array<{ question: string; sql: string } | { reason: string }> = [];
  for (const edge of edgeCaseQuestions(pair.question, values)) {
    const r = context.recall.answer(edge.question);
    if (r.abstained || r.pair.id !== pair.id || r.adaptations.length === 0) {
      out.push({ reason: `"${edge.question}" (${edge.kind}) is not a safe adaptation of the approved pair${r.abstained ? `: ${r.reason}` : ''}` });
      continue;
    }
    try {
      await run(r.sql, signal);
      out.push({ question: edge.question, sql: r.sql });
    } catch (e) {
      out.push({ reason: `"${edge.question}" (${edge.kind}) does not run: ${(e as Error).message}` });
    }
  }
  return out;
}

async function compareVariant(run: QueryRunner, gold: GoldResult, sql: string, signal?: AbortSignal): Promise<string> {
  try {
    const r = await run(sql, signal);
    if (r.capped || r.rowCount > r.rows.length) return `returns more than ${COMPARE_ROW_CAP} rows, too many to compare`;
    return judge(gold, { rows: r.rows }).spider ? 'equal' : `returns other data than the approved SQL (${r.rowCount} rows against ${gold.rows.length})`;
  } catch (e) {
    return `fails: ${e instanceof ExecutionError ? `${e.errorClass}: ${e.message}` : (e as Error).message}`;
  }
}

/** The model that answers for an asker: the promoted one when they may see all it was taught and it is on the server. */
export function answeringModel(promoted: string | null, available: readonly string[], asker: { unrestricted: boolean }): string | undefined {
  if (!promoted || !asker.unrestricted) return undefined;
  return available.some((m) => sameModel(m, promoted)) ? promoted : undefined;
}

/**
 * A model Ask Data built (it names them askdata-…), or one the project's learning records list as
 * specialised or adapted: its system prompt and examples hold the whole schema and every approved
 * pair, so it answers only askers whom policies do not restrict, whoever names it.
 */
export function builtByAskData(model: string, records: Pick<LearningRecords, 'models' | 'evaluations'>): boolean {
  return /^askdata-/i.test(model) || records.models.some((m) => sameModel(m.model, model))
    || records.evaluations.some((e) => e.versions.some((v) => (v.kind === 'specialised' || v.kind === 'adapter') && v.model !== undefined && sameModel(v.model, model)));
}

export function specialisedModelRefused(model: string, instead: string): ExecutionError {
  return new ExecutionError('permission-denied', `The model ${model} was built by Ask Data from the whole schema and every approved pair, so it answers only askers whom askdata/policies.yml does not restrict. ${instead}`, 'permission denied: a specialised model for a restricted asker');
}

export type { VersionReport };
