import { promises as fs } from 'node:fs';
import { answerQuestion, type Answer, type AnswerEngine, type ChatModel } from '../core/answer/answer';
import { openAskProject } from '../usecases/project';
import { answeringModel, builtByAskData, readLearningRecords, specialisedModelRefused } from '../usecases/learning';
import { notShownReason } from './reports';
import { DEFAULT_MODEL, OllamaClient, resolveOllamaHost } from '../adapters/ollama';
import { promotedModel } from '../core/learning/records';

/** `askdata ask` and `askdata context`: one question, or a JSON-lines batch in one process. */
export interface AskCommandOptions {
  project: string;
  engine: AnswerEngine;
  asker?: string;
  host?: string;
  model?: string;
  rows: number;
  samples?: number;
}

export interface BatchItem {
  id: unknown;
  question: string;
}

export async function readBatch(file: string): Promise<Array<BatchItem | { id: unknown; error: string }>> {
  const text = file === '-' ? await readStdin() : await fs.readFile(file, 'utf8');
  return text.split(/\r?\n/).flatMap((line, i): Array<BatchItem | { id: unknown; error: string }> => {
    if (!line.trim()) return [];
    try {
      const v = JSON.parse(line) as { id?: unknown; question?: unknown };
      if (typeof v.question !== 'string' || !v.question.trim()) return [{ id: v.id ?? null, error: `line ${i + 1}: "question" must be non-empty text` }];
      return [{ id: v.id ?? null, question: v.question }];
    } catch (e) {
      return [{ id: null, error: `line ${i + 1}: not JSON (${(e as Error).message})` }];
    }
  });
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The model for `--engine auto|ollama`, or why there is none: the project's promoted specialised
 * model when the asker may see all it was taught and no --model was given, else the base model.
 */
async function chooseModel(options: AskCommandOptions, access: { unrestricted: boolean }): Promise<{ model?: ChatModel; unavailable?: string }> {
  if (options.engine === 'recall') return {};
  const records = await readLearningRecords(options.project);
  if (options.model && !access.unrestricted && builtByAskData(options.model, records)) throw specialisedModelRefused(options.model, 'Ask without --model (the base model, with the examples you may see), or name another model.');
  const client = new OllamaClient({ host: resolveOllamaHost(options.host), model: options.model ?? DEFAULT_MODEL });
  const status = await client.status();
  if (!status.reachable || !status.modelPulled) return { unavailable: `No model: ${status.problem}` };
  const promoted = options.model ? undefined : answeringModel(promotedModel(records), status.models, access);
  return { model: promoted ? client.withModel(promoted) : client };
}


export async function askQuestions(options: AskCommandOptions, items: ReadonlyArray<BatchItem | { id: unknown; error: string }>, emit: (value: unknown) => void): Promise<number> {
  const project = await openAskProject(options.project, { asker: options.asker });
  let failures = 0;
  try {
    const { model, unavailable } = await chooseModel(options, project.access);
    for (const item of items) {
      if ('error' in item) {
        failures++;
        emit({ id: item.id, error: { class: 'input', message: item.error } });
        continue;
      }
      const answer = await answerQuestion(item.question, project.context, project.run, { engine: options.engine, model, modelUnavailable: unavailable, samples: options.samples });
      // SQL written but not run (no database to run on) is an answer, marked as such, not a failure.
      if ((answer.error && answer.error.class !== 'not-run') || answer.abstained) failures++;
      emit({ id: item.id, ...answerJson(answer, options.rows) });
    }
  } finally {
    project.close();
  }
  return failures;
}

export async function groundQuestions(options: Pick<AskCommandOptions, 'project' | 'asker'>, items: ReadonlyArray<BatchItem | { id: unknown; error: string }>, emit: (value: unknown) => void): Promise<void> {
  const project = await openAskProject(options.project, { asker: options.asker });
  try {
    // Approved pairs the asker's policies keep out of the examples: counted, with why, never shown.
    const withheld = project.access.unrestricted ? 0 : project.pairs.filter((p) => p.status === 'approved' && !project.visiblePairs.has(p.id)).length;
    const notShown = withheld ? { pairsNotShown: { count: withheld, reason: notShownReason(!!project.unavailable) } } : {};
    for (const item of items) {
      if ('error' in item) emit({ id: item.id, error: { class: 'input', message: item.error } });
      else emit({ id: item.id, ...project.context.ground(item.question), ...notShown });
    }
  } finally {
    project.close();
  }
}

/**
 * The answer as `askdata ask --json` prints it: everything but the grounding (`askdata context`
 * prints that), with the first `rows` rows of its result (all of them are counted).
 */
export function answerJson(a: Answer, rows: number): Omit<Answer, 'grounding'> {
  const { grounding: _grounding, ...rest } = a;
  return rest.result && rest.result.rows.length > rows ? { ...rest, result: { ...rest.result, rows: rest.result.rows.slice(0, rows) } } : rest;
}

export function answerText(a: Answer): string {
  const lines: string[] = [];
  if (a.abstained) {
    lines.push(`No answer: ${a.reason}`);
    for (const d of a.match?.differences ?? []) lines.push(`  differs: it ${d.pair}; you asked ${d.asked}`);
  } else {
    const from = a.source === 'recall' && a.pair ? `recall: from approved pair ${a.pair.file} (similarity ${a.pair.similarity})` : `model ${a.model}`;
    lines.push(`-- ${from}`);
    for (const ad of a.adaptations) lines.push(`-- adapted: ${ad.from} → ${ad.to}`);
    if (a.source === 'recall' && a.match?.matched.length) lines.push(`-- matched: ${a.match.matched.map((m) => `${m.component} ${m.value}`).join('; ')}`);
    if (a.rejected) lines.push(`-- note: a similar question, "${a.rejected.question}", was rejected${a.rejected.reason ? ` (${a.rejected.reason})` : ''}`);
    if (a.reason) lines.push(`-- ${a.reason}`);
    if (a.error?.class === 'not-run') lines.push('-- NOT RUN: no database to run it on; check it where the data is before trusting it');
    lines.push(a.sql ?? '', '');
    if (a.error?.class === 'not-run') lines.push(a.error.message);
    else if (a.error) lines.push(`error: ${a.error.class}: ${a.error.message}`);
    if (a.result) {
      const header = a.result.columns.map((c) => c.name).join(' | ');
      lines.push(header, ...a.result.rows.map((r) => r.map((v) => (v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v))).join(' | ')));
      lines.push(`(${a.result.rowCount} row${a.result.rowCount === 1 ? '' : 's'}${a.result.capped ? ', capped' : ''})`);
    }
  }
  return `${lines.join('\n')}\n`;
}
