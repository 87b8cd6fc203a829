import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { NodePairFiles } from '../adapters/nodePairFiles';
import { PairStore } from '../core/pairs/pairStore';
import { ExecutionError } from '../core/execution/errors';
import { emailOf, gitIdentity } from '../adapters/gitIdentity';
import type { AnswerEngine } from '../core/answer/answer';
import { answerText, askQuestions, groundQuestions, readBatch, readStdin } from './ask';
import { augmentProject, evaluateProject, exportTrainingData, importAdapter, trainProject } from '../usecases/learning';
import { DEFAULT_MODEL, OllamaClient, resolveOllamaHost } from '../adapters/ollama';
import { augmentText, evaluationText, exportText, importText, trainText } from './learn';
import { addPair, decideOnPair, pairText } from './pairs';
import { regressionReport } from './regression';
import { contextText, formatTable, indexReport, pairsListReport, pairsVisibleToAsker, policyProblems, runQuery, validationReport } from './reports';

/**
 * `askdata`: every command is one row of COMMANDS — the words that name it, its usage lines, what
 * it does, whether it needs the local model — and runs inside one error wrapper, so that a
 * refusal, a failure or a missing model reads the same from every command.
 */

const OPTIONS = {
  project: { type: 'string' },
  target: { type: 'string' },
  json: { type: 'boolean', default: false },
  status: { type: 'string' },
  limit: { type: 'string' },
  file: { type: 'string' },
  as: { type: 'string' },
  by: { type: 'string' },
  question: { type: 'string' },
  sql: { type: 'string' },
  tags: { type: 'string' },
  reason: { type: 'string' },
  unverified: { type: 'boolean', default: false },
  'no-database': { type: 'boolean', default: false },
  'no-cache': { type: 'boolean', default: false },
  engine: { type: 'string' },
  batch: { type: 'string' },
  host: { type: 'string' },
  model: { type: 'string' },
  samples: { type: 'string' },
  out: { type: 'string' },
  k: { type: 'string' },
  pair: { type: 'string', multiple: true },
  paraphrases: { type: 'string' },
  'no-variants': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Context {
  values: Values;
  /** The positionals after the command's own words. */
  args: string[];
  project: string;
  out(s: string): void;
  err(s: string): void;
  stdin(): Promise<string>;
  /** The report as JSON with --json, else as text. */
  print<T>(report: T, text: (r: T) => string): void;
  /** Whose access policies apply: --as, else git's user.email. */
  asker(): Promise<string | undefined>;
  /** The Ollama client for --host and --model. */
  client(): OllamaClient;
}

interface Command {
  words: string[];
  usage: string[];
  help: string;
  /** The command asks the local model: it stops at once, saying why, when the model is not there. */
  needsModel?: (values: Values) => boolean;
  run(c: Context): Promise<number>;
}

class UsageError extends Error {}

const wholeNumber = (value: string | undefined, fallback: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min === 1 ? ', at least 1' : ` of at least ${min}`}, not ${value}`);
  return n;
};

/** Who runs a learning command, for its records and the synthetic pairs' history. */
async function runner(c: Context): Promise<{ by: string; asker?: string; onProgress?: (m: string) => void }> {
  const identity = await gitIdentity(c.project);
  return { by: identity ?? 'unknown (git user.name and user.email are not set)', asker: c.values.as ?? emailOf(identity), onProgress: c.values.json ? undefined : (m: string) => c.err(`${m}\n`) };
}

function onePair(c: Context, what: string): string {
  const file = c.args[0];
  if (!file || c.args.length > 1) throw new UsageError(`pairs ${what} needs one pair file (or its id)`);
  return file;
}

const COMMANDS: Command[] = [
  {
    words: ['pairs', 'list'],
    usage: ['--project DIR [--status pending|approved|rejected] [--as EMAIL] [--json]'],
    help: `the project's question↔SQL pairs, with invalid files reported; under the
asker's access policies, only pairs whose SQL reads what they may read
(the others are counted, never shown)`,
    async run(c) {
      const status = c.values.status;
      if (status !== undefined && !['pending', 'approved', 'rejected'].includes(status)) throw new UsageError(`--status must be pending, approved or rejected, not ${status}`);
      const store = new PairStore(c.project, new NodePairFiles());
      await store.load();
      const report = pairsListReport(store, c.project, status, await pairsVisibleToAsker(c.project, store.pairs, await c.asker()));
      c.out(c.values.json ? `${JSON.stringify(report.json, null, 2)}\n` : report.text);
      return 0;
    },
  },
  {
    words: ['pairs', 'validate'],
    usage: ['--project DIR [--json]'],
    help: `check every askdata/pairs/*.yml; exit code 1 and file:line:col messages
if any is invalid (use it in CI next to \`dbt test\`); warns when
askdata/policies.yml defines groups but no default:. Shows no data and no
SQL, so it applies no access policy`,
    async run(c) {
      const store = new PairStore(c.project, new NodePairFiles());
      await store.load();
      const report = validationReport(store, c.project, await policyProblems(c.project));
      if (c.values.json) c.out(`${JSON.stringify(report.json, null, 2)}\n`);
      else if (report.ok) {
        c.out(report.text);
        if (report.warnings) c.err(report.warnings);
      } else c.err(report.text);
      return report.ok ? 0 : 1;
    },
  },
  {
    words: ['pairs', 'add'],
    usage: ['--project DIR --question Q --sql SQL [--tags a,b] [--by "Name <email>"] [--json]'],
    help: 'write a new pending pair to the approval queue (askdata/pairs/<question>.yml)',
    async run(c) {
      const question = c.values.question?.trim();
      const sql = c.values.sql?.trim();
      if (!question || !sql) throw new UsageError('pairs add needs --question and --sql');
      const tags = c.values.tags?.split(',').map((t) => t.trim()).filter(Boolean);
      c.print(await addPair({ project: c.project, by: c.values.by, question, sql, tags }), pairText);
      return 0;
    },
  },
  {
    words: ['pairs', 'approve'],
    usage: ['--project DIR [--by "Name <email>"] [--unverified] [--json] FILE'],
    help: `approve a pair: its SQL runs under the approver's access policies, and the
result (row count, columns, fingerprint) and who approved go into the file;
SQL that fails is refused. --unverified approves SQL that cannot run here
(no database to run on) as result: unverified, which askdata test lists apart`,
    async run(c) {
      c.print(await decideOnPair({ project: c.project, by: c.values.by, unverified: c.values.unverified, file: onePair(c, 'approve'), decision: 'approve' }), pairText);
      return 0;
    },
  },
  {
    words: ['pairs', 'reject'],
    usage: ['--project DIR [--by "Name <email>"] [--reason R] [--json] FILE'],
    help: 'reject a pair, with why; recall and the model are told not to answer like it',
    async run(c) {
      c.print(await decideOnPair({ project: c.project, by: c.values.by, file: onePair(c, 'reject'), decision: 'reject', reason: c.values.reason }), pairText);
      return 0;
    },
  },
  {
    words: ['pairs', 'unapprove'],
    usage: ['--project DIR [--by "Name <email>"] [--json] FILE'],
    help: 'take an approval back: the pair returns to pending, its history says who did it',
    async run(c) {
      c.print(await decideOnPair({ project: c.project, by: c.values.by, file: onePair(c, 'unapprove'), decision: 'unapprove' }), pairText);
      return 0;
    },
  },
  {
    words: ['run'],
    usage: ['--project DIR [--as EMAIL] [--limit N] [--json] "SQL"', '--project DIR [--as EMAIL] [--limit N] [--json] --file FILE.sql', '--project DIR [--as EMAIL] [--limit N] [--json] -        (SQL from standard input)'],
    help: `run one read-only query on the project's database: the first page of
rows, the row count and the result fingerprint; exit code 1 with
{error: {class, message}} if it is refused or fails`,
    async run(c) {
      const given = c.args.join(' ').trim();
      if (given && c.values.file) throw new UsageError('run: give the SQL or --file, not both');
      const sql = (c.values.file ? await fs.readFile(path.resolve(c.values.file), 'utf8') : given === '-' ? await c.stdin() : given).trim();
      if (!sql) throw new UsageError(c.values.file || given === '-' ? 'run: the SQL to run is empty' : 'run needs the SQL to run: in quotes, --file FILE, or - to read standard input');
      const report = await runQuery(c.project, sql, wholeNumber(c.values.limit, 100, '--limit', 1), c.values.as);
      if ('error' in report) {
        if (c.values.json) c.out(`${JSON.stringify(report)}\n`);
        else c.err(`askdata: ${report.error.class}: ${report.error.message}\n`);
        return 1;
      }
      c.out(c.values.json ? `${JSON.stringify(report)}\n` : formatTable(report));
      return 0;
    },
  },
  {
    words: ['index'],
    usage: ['--project DIR [--no-database] [--no-cache] [--as EMAIL] [--json]'],
    help: `index the folder as the model will see it: dbt projects and packages,
SQL files, docs, dbt artifacts and the live database; warnings name
file:line for anything that could not be read. It prints counts, join
paths and warnings, never rows or values; under the asker's access
policies it names only relations they may read (the rest is counted).
Starts from the cache the editor shares (see --no-cache): an unchanged
folder is not re-read`,
    async run(c) {
      const report = await indexReport(c.project, !c.values['no-database'], await c.asker(), !c.values['no-cache']);
      c.out(c.values.json ? `${JSON.stringify(report.json, null, 2)}\n` : report.text);
      return 0;
    },
  },
  {
    words: ['ask'],
    usage: ['--project DIR [--engine auto|ollama|recall] [--as EMAIL] [--json] "QUESTION"', '--project DIR [--engine …] --batch FILE      (JSON lines {"id","question"} in, one JSON line out each)'],
    help: `answer a question: SQL (from the model, or from an approved pair by
the recall engine), its assumptions and its result — or why there is
no answer; exit code 1 if it abstained or failed`,
    run: (c) => askOrGround(c, 'ask'),
  },
  {
    words: ['context'],
    usage: ['--project DIR [--as EMAIL] [--json] "QUESTION"', '--project DIR --batch FILE'],
    help: `what the model would see for a question: tables and columns chosen
with scores, examples with scores, rules, token counts`,
    run: (c) => askOrGround(c, 'context'),
  },
  {
    words: ['test'],
    usage: ['--project DIR [--as EMAIL] [--json]'],
    help: `run every approved pair's SQL again and compare with the result recorded
when it was approved; exit code 1 naming each pair that no longer runs
(and the models and columns it reads that changed) or returns other data.
test, train, train export, train import-adapter, eval and augment use every
approved pair and its results: they refuse an asker policies restrict`,
    async run(c) {
      const report = await regressionReport(c.project, await c.asker());
      if (c.values.json) c.out(`${JSON.stringify(report.json, null, 2)}\n`);
      else if (report.ok) c.out(report.text);
      else c.err(report.text);
      return report.ok ? 0 : 1;
    },
  },
  {
    words: ['train'],
    usage: ['--project DIR [--as EMAIL] [--json]'],
    help: `build the specialised Ollama model from the base model, the distilled
schema, rules.md and a representative selection of approved pairs;
tagged askdata-<project>:<hash of inputs>, not rebuilt when unchanged`,
    needsModel: () => true,
    async run(c) {
      if (c.args.length) throw new UsageError(`unknown command: train ${c.args.join(' ')}`);
      c.print(await trainProject(c.project, { client: c.client(), ...(await runner(c)) }), trainText);
      return 0;
    },
  },
  {
    words: ['train', 'export'],
    usage: ['--project DIR --out DIR [--as EMAIL] [--json]'],
    help: `write train/validation JSONL in the inference chat format, the Hugging
Face base id and a README with the LoRA recipe`,
    async run(c) {
      if (!c.values.out) throw new UsageError('train export needs --out DIR');
      const { asker } = await runner(c);
      c.print(await exportTrainingData(c.project, path.resolve(c.values.out), { client: c.client(), asker }), exportText);
      return 0;
    },
  },
  {
    words: ['train', 'import-adapter'],
    usage: ['--project DIR [--as EMAIL] [--json] FILE.gguf'],
    help: `upload a GGUF LoRA adapter to Ollama, build a model with it, evaluate
it, and use it only if it answers better`,
    needsModel: () => true,
    async run(c) {
      const file = c.args[0];
      if (!file) throw new UsageError('train import-adapter needs the adapter file (.gguf)');
      c.print(await importAdapter(c.project, path.resolve(file), { client: c.client(), ...(await runner(c)) }), importText);
      return 0;
    },
  },
  {
    words: ['eval'],
    usage: ['--project DIR [--k N] [--engine recall] [--as EMAIL] [--json]'],
    help: `execution accuracy on held-out approved pairs (k-fold), per query type
and per version (recall, base, specialised); promotes the specialised
model if it is not worse than the current one; kept in askdata/learning/`,
    async run(c) {
      const k = wholeNumber(c.values.k, 5, '--k', 2);
      if (c.values.engine !== undefined && c.values.engine !== 'recall') throw new UsageError('eval --engine takes only recall (without it, every version that can run is evaluated)');
      c.print(await evaluateProject(c.project, { client: c.client(), ...(await runner(c)), k, ...(c.values.engine === 'recall' ? { versions: ['recall'] as const } : {}) }), evaluationText);
      return 0;
    },
  },
  {
    words: ['augment'],
    usage: ['--project DIR [--pair FILE]… [--paraphrases N] [--no-variants] [--as EMAIL] [--json]'],
    help: `paraphrases and equivalent SQL variants of approved pairs, written to
the queue as pending synthetic pairs (a variant only if its result is equal)`,
    needsModel: () => true,
    async run(c) {
      const paraphrases = wholeNumber(c.values.paraphrases, 3, '--paraphrases', 0, 10);
      c.print(await augmentProject(c.project, { client: c.client(), ...(await runner(c)), only: c.values.pair, paraphrases, variants: !c.values['no-variants'] }), augmentText);
      return 0;
    },
  },
];

async function askOrGround(c: Context, group: 'ask' | 'context'): Promise<number> {
  const question = c.args.join(' ').trim();
  if (!question && !c.values.batch) throw new UsageError(`${group} needs a question in quotes, or --batch FILE`);
  if (question && c.values.batch) throw new UsageError(`${group}: give a question or --batch, not both`);
  const items = c.values.batch ? await readBatch(c.values.batch) : [{ id: null, question }];
  const asker = await c.asker();
  const lines = !!c.values.batch;
  const emit = (v: unknown) => {
    const { id: _id, ...rest } = v as { id: unknown };
    if (lines) c.out(`${JSON.stringify(v)}\n`);
    else if (c.values.json) c.out(`${JSON.stringify(rest, null, 2)}\n`);
    else c.out(group === 'ask' ? answerText(rest as never) : `${contextText(rest as never)}`);
  };
  if (group === 'context') {
    await groundQuestions({ project: c.project, asker }, items, emit);
    return 0;
  }
  const engine = c.values.engine ?? 'auto';
  if (!['auto', 'ollama', 'recall'].includes(engine)) throw new UsageError(`--engine must be auto, ollama or recall, not ${engine}`);
  const samples = c.values.samples === undefined ? undefined : wholeNumber(c.values.samples, 1, '--samples', 1, 8);
  const rows = wholeNumber(c.values.limit, 100, '--limit', 1);
  const failures = await askQuestions({ project: c.project, engine: engine as AnswerEngine, asker, host: c.values.host, model: c.values.model, rows, samples }, items, emit);
  return lines ? 0 : failures > 0 ? 1 : 0;
}

/** The command named by the positionals: the longest match of its words. */
function commandFor(positionals: readonly string[]): Command | undefined {
  return [...COMMANDS].sort((a, b) => b.words.length - a.words.length).find((c) => c.words.every((w, i) => positionals[i] === w));
}

const USAGE = `askdata — Ask Data from the command line

Usage:
${COMMANDS.flatMap((c) => c.usage.map((u) => `  askdata ${c.words.join(' ')} ${u}`)).join('\n')}

Commands:
${COMMANDS.map((c) => {
  const name = c.words.join(' ');
  const lines = `${c.help}${c.needsModel ? '\n(needs the local model)' : ''}`.split('\n');
  return name.length > 15 ? `  ${name}\n${lines.map((l) => `                   ${l}`).join('\n')}` : lines.map((l, i) => (i === 0 ? `  ${name.padEnd(15)}  ${l}` : `                   ${l}`)).join('\n');
}).join('\n')}

Options:
  --project DIR    the project root (the folder holding askdata/); default: current folder
  --target NAME    the dbt profile's target to use, as dbt's --target (default: the profile's
                   target:, or dbt: { target } in askdata.yml, or $DBT_TARGET)
  --as EMAIL       whose access policies apply (default: git's user.email): run, ask,
                   context, pairs list and index show only what they may see; test, train, eval,
                   augment and train export/import-adapter refuse an asker they restrict
  --limit N        rows in the first page (run; default 100)
  --file FILE      read the SQL to run from FILE (run)
  --               ends the options: what follows is SQL even if it starts with -
                   (askdata run --project . -- "-- a comment\\nselect 1")
  --no-database    index files only, without opening the database (index)
  --no-cache       neither read nor write the index cache (index); the cache lives in
                   $ASKDATA_CACHE_DIR, else $XDG_CACHE_HOME/askdata, else ~/.cache/askdata
  --engine E       auto (default: the model if Ollama has it, else recall), ollama, recall
  --batch FILE     questions as JSON lines {"id", "question"} ('-' reads stdin)
  --host URL       Ollama's address (default: $OLLAMA_HOST, else http://127.0.0.1:11434)
  --model NAME     the Ollama model (default qwen2.5-coder:1.5b)
  --samples N      self-consistency: N samples voted by result (ask, model only)
  --out DIR        where train export writes
  --k N            folds for eval (default 5)
  --pair FILE      augment only this approved pair (repeatable)
  --paraphrases N  paraphrases per pair (augment; default 3)
  --no-variants    no SQL variants (augment)
  --json           machine-readable output
  -h, --help       this help
`;

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s), stdin: () => Promise<string> = readStdin): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    // SQL that starts with a comment reads as an unknown option: say how to pass it.
    const looksLikeSql = argv.some((a) => /^-/.test(a) && /\s/.test(a));
    const hint = looksLikeSql ? '\nSQL that starts with "-" goes after --, e.g. askdata run --project . -- "-- note\\nselect 1"; or use --file FILE, or - for standard input.' : '';
    err(`askdata: ${(e as Error).message}${hint}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    out(USAGE);
    return values.help ? 0 : 2;
  }
  const project = path.resolve(values.project ?? '.');
  // dbt's --target: every command reads the project's database through it (see projectDatabase),
  // for this command only (main runs many commands in one process in tests and scripts).
  const targetBefore = process.env.ASKDATA_TARGET;
  if (values.target !== undefined) {
    if (!/^[\w.-]+$/.test(values.target)) {
      err(`askdata: --target must name a target of the dbt profile, not ${values.target}\n`);
      return 2;
    }
    process.env.ASKDATA_TARGET = values.target;
  }
  const command = commandFor(positionals);
  let client: OllamaClient | undefined;
  const context: Context = {
    values,
    args: positionals.slice(command?.words.length ?? 0),
    project,
    out,
    err,
    stdin,
    print: (report, text) => out(values.json ? `${JSON.stringify(report, null, 2)}\n` : text(report)),
    asker: async () => values.as ?? emailOf(await gitIdentity(project)),
    client: () => (client ??= new OllamaClient({ host: resolveOllamaHost(values.host), model: values.model ?? DEFAULT_MODEL })),
  };
  try {
    if (!command) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
    if (command.needsModel?.(values)) {
      const status = await context.client().status();
      if (!status.reachable || !status.modelPulled) throw new Error(`${command.words.join(' ')} needs the local model: ${status.problem}`);
    }
    return await command.run(context);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`askdata: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    const message = (e as Error).message;
    if (values.json) out(`${JSON.stringify({ error: { class: e instanceof ExecutionError ? e.errorClass : 'internal', message } })}\n`);
    else err(`askdata: ${message}\n`);
    return 1;
  } finally {
    if (targetBefore === undefined) delete process.env.ASKDATA_TARGET;
    else process.env.ASKDATA_TARGET = targetBefore;
  }
}

if (require.main === module) {
  // main reports its own errors and returns the exit code; it does not reject.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
