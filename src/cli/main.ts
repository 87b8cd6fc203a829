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
import { regressionReport } from './regression';
import { contextText, formatTable, indexReport, pairsListReport, pairsVisibleToAsker, policyProblems, runQuery, validationReport } from './reports';

const USAGE = `askdata — Ask Data from the command line

Usage:
  askdata pairs list --project DIR [--status pending|approved|rejected] [--as EMAIL] [--json]
  askdata pairs validate --project DIR [--json]
  askdata run --project DIR [--as EMAIL] [--limit N] [--json] "SQL"
  askdata run --project DIR [--as EMAIL] [--limit N] [--json] --file FILE.sql
  askdata run --project DIR [--as EMAIL] [--limit N] [--json] -        (SQL from standard input)
  askdata index --project DIR [--no-database] [--no-cache] [--as EMAIL] [--json]
  askdata ask --project DIR [--engine auto|ollama|recall] [--as EMAIL] [--json] "QUESTION"
  askdata ask --project DIR [--engine …] --batch FILE      (JSON lines {"id","question"} in, one JSON line out each)
  askdata context --project DIR [--as EMAIL] [--json] "QUESTION"
  askdata context --project DIR --batch FILE
  askdata test --project DIR [--as EMAIL] [--json]
  askdata train --project DIR [--as EMAIL] [--json]
  askdata train export --project DIR --out DIR [--as EMAIL] [--json]
  askdata train import-adapter --project DIR [--as EMAIL] [--json] FILE.gguf
  askdata eval --project DIR [--k N] [--engine recall] [--as EMAIL] [--json]
  askdata augment --project DIR [--pair FILE]… [--paraphrases N] [--no-variants] [--as EMAIL] [--json]

Commands:
  pairs list       the project's question↔SQL pairs, with invalid files reported; under the
                   asker's access policies, only pairs whose SQL reads what they may read
                   (the others are counted, never shown)
  pairs validate   check every askdata/pairs/*.yml; exit code 1 and file:line:col messages
                   if any is invalid (use it in CI next to \`dbt test\`); warns when
                   askdata/policies.yml defines groups but no default:. Shows no data and no
                   SQL, so it applies no access policy
  run              run one read-only query on the project's database: the first page of
                   rows, the row count and the result fingerprint; exit code 1 with
                   {error: {class, message}} if it is refused or fails

  index            index the folder as the model will see it: dbt projects and packages,
                   SQL files, docs, dbt artifacts and the live database; warnings name
                   file:line for anything that could not be read. It prints counts, join
                   paths and warnings, never rows or values; under the asker's access
                   policies it names only relations they may read (the rest is counted).
                   Starts from the cache the editor shares (see --no-cache): an unchanged
                   folder is not re-read
  ask              answer a question: SQL (from the model, or from an approved pair by
                   the recall engine), its assumptions and its result — or why there is
                   no answer; exit code 1 if it abstained or failed
  context          what the model would see for a question: tables and columns chosen
                   with scores, examples with scores, rules, token counts
  test             run every approved pair's SQL again and compare with the result recorded
                   when it was approved; exit code 1 naming each pair that no longer runs
                   (and the models and columns it reads that changed) or returns other data.
                   test, train, train export, train import-adapter, eval and augment use every
                   approved pair and its results: they refuse an asker policies restrict
  train            build the specialised Ollama model from the base model, the distilled
                   schema, rules.md and a representative selection of approved pairs;
                   tagged askdata-<project>:<hash of inputs>, not rebuilt when unchanged
  train export     write train/validation JSONL in the inference chat format, the Hugging
                   Face base id and a README with the LoRA recipe
  train import-adapter
                   upload a GGUF LoRA adapter to Ollama, build a model with it, evaluate
                   it, and use it only if it answers better
  eval             execution accuracy on held-out approved pairs (k-fold), per query type
                   and per version (recall, base, specialised); promotes the specialised
                   model if it is not worse than the current one; kept in askdata/learning/
  augment          paraphrases and equivalent SQL variants of approved pairs, written to
                   the queue as pending synthetic pairs (a variant only if its result is equal)

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
                   (askdata run --project . -- "-- a comment\nselect 1")
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

class UsageError extends Error {}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s), stdin: () => Promise<string> = readStdin): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        project: { type: 'string' },
        target: { type: 'string' },
        json: { type: 'boolean', default: false },
        status: { type: 'string' },
        limit: { type: 'string' },
        file: { type: 'string' },
        as: { type: 'string' },
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
      },
    });
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
  // dbt's --target: every command reads the project's database through it (see projectDatabase).
  if (values.target !== undefined) {
    if (!/^[\w.-]+$/.test(values.target)) {
      err(`askdata: --target must name a target of the dbt profile, not ${values.target}\n`);
      return 2;
    }
    process.env.ASKDATA_TARGET = values.target;
  }
  try {
    const [group, command] = positionals;
    if (group === 'pairs' && (command === 'list' || command === 'validate')) {
      const store = new PairStore(project, new NodePairFiles());
      await store.load();
      if (command === 'list') {
        const status = values.status;
        if (status !== undefined && !['pending', 'approved', 'rejected'].includes(status)) throw new UsageError(`--status must be pending, approved or rejected, not ${status}`);
        const visible = await pairsVisibleToAsker(project, store.pairs, values.as ?? emailOf(await gitIdentity(project)));
        const report = pairsListReport(store, project, status, visible);
        out(values.json ? `${JSON.stringify(report.json, null, 2)}\n` : report.text);
        return 0;
      }
      const report = validationReport(store, project, await policyProblems(project));
      if (values.json) out(`${JSON.stringify(report.json, null, 2)}\n`);
      else if (report.ok) {
        out(report.text);
        if (report.warnings) err(report.warnings);
      } else err(report.text);
      return report.ok ? 0 : 1;
    }
    if (group === 'run') {
      const given = positionals.slice(1).join(' ').trim();
      if (given && values.file) throw new UsageError('run: give the SQL or --file, not both');
      const sql = (values.file ? await fs.readFile(path.resolve(values.file), 'utf8') : given === '-' ? await stdin() : given).trim();
      if (!sql) throw new UsageError(values.file || given === '-' ? 'run: the SQL to run is empty' : 'run needs the SQL to run: in quotes, --file FILE, or - to read standard input');
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number, not ${values.limit}`);
      const report = await runQuery(project, sql, limit, values.as);
      if ('error' in report) {
        if (values.json) out(`${JSON.stringify(report)}\n`);
        else err(`askdata: ${report.error.class}: ${report.error.message}\n`);
        return 1;
      }
      out(values.json ? `${JSON.stringify(report)}\n` : formatTable(report));
      return 0;
    }
    const asker = async () => values.as ?? emailOf(await gitIdentity(project));
    if (group === 'test') {
      const report = await regressionReport(project, await asker());
      if (values.json) out(`${JSON.stringify(report.json, null, 2)}\n`);
      else if (report.ok) out(report.text);
      else err(report.text);
      return report.ok ? 0 : 1;
    }
    if (group === 'train' || group === 'eval' || group === 'augment') {
      const client = new OllamaClient({ host: resolveOllamaHost(values.host), model: values.model ?? DEFAULT_MODEL });
      // Who ran it, for the records and the synthetic pairs' history (git's identity, as approvals use).
      const identity = await gitIdentity(project);
      const by = identity ?? 'unknown (git user.name and user.email are not set)';
      const as = values.as ?? emailOf(identity);
      const onProgress = values.json ? undefined : (m: string) => err(`${m}\n`);
      const print = <T>(report: T, text: (r: T) => string) => out(values.json ? `${JSON.stringify(report, null, 2)}\n` : text(report));
      if (group === 'train' && command === 'export') {
        if (!values.out) throw new UsageError('train export needs --out DIR');
        print(await exportTrainingData(project, path.resolve(values.out), { client, asker: as }), exportText);
        return 0;
      }
      if (group === 'train' && command === 'import-adapter') {
        const file = positionals[2];
        if (!file) throw new UsageError('train import-adapter needs the adapter file (.gguf)');
        print(await importAdapter(project, path.resolve(file), { client, by, onProgress, asker: as }), importText);
        return 0;
      }
      if (group === 'train') {
        if (command !== undefined) throw new UsageError(`unknown command: train ${command}`);
        print(await trainProject(project, { client, by, onProgress, asker: as }), trainText);
        return 0;
      }
      if (group === 'eval') {
        const k = values.k === undefined ? 5 : Number(values.k);
        if (!Number.isInteger(k) || k < 2) throw new UsageError('--k must be a whole number of at least 2');
        if (values.engine !== undefined && values.engine !== 'recall') throw new UsageError('eval --engine takes only recall (without it, every version that can run is evaluated)');
        print(await evaluateProject(project, { client, by, onProgress, k, asker: as, ...(values.engine === 'recall' ? { versions: ['recall'] as const } : {}) }), evaluationText);
        return 0;
      }
      const paraphrases = values.paraphrases === undefined ? 3 : Number(values.paraphrases);
      if (!Number.isInteger(paraphrases) || paraphrases < 0 || paraphrases > 10) throw new UsageError('--paraphrases must be a whole number from 0 to 10');
      const status = await client.status();
      if (!status.reachable || !status.modelPulled) throw new Error(`augment needs the model: ${status.problem}`);
      print(await augmentProject(project, { client, by, onProgress, asker: as, only: values.pair, paraphrases, variants: !values['no-variants'] }), augmentText);
      return 0;
    }
    if (group === 'index') {
      const report = await indexReport(project, !values['no-database'], await asker(), !values['no-cache']);
      out(values.json ? `${JSON.stringify(report.json, null, 2)}\n` : report.text);
      return 0;
    }
    if (group === 'ask' || group === 'context') {
      const question = positionals.slice(1).join(' ').trim();
      if (!question && !values.batch) throw new UsageError(`${group} needs a question in quotes, or --batch FILE`);
      if (question && values.batch) throw new UsageError(`${group}: give a question or --batch, not both`);
      const items = values.batch ? await readBatch(values.batch) : [{ id: null, question }];
      const who = await asker();
      const lines = !!values.batch;
      const emit = (v: unknown) => {
        const { id: _id, ...rest } = v as { id: unknown };
        if (lines) out(`${JSON.stringify(v)}\n`);
        else if (values.json) out(`${JSON.stringify(rest, null, 2)}\n`);
        else out(group === 'ask' ? answerText(rest as never) : `${contextText(rest as never)}`);
      };
      if (group === 'context') {
        await groundQuestions({ project, asker: who }, items, emit);
        return 0;
      }
      const engine = values.engine ?? 'auto';
      if (!['auto', 'ollama', 'recall'].includes(engine)) throw new UsageError(`--engine must be auto, ollama or recall, not ${engine}`);
      const samples = values.samples === undefined ? undefined : Number(values.samples);
      if (samples !== undefined && (!Number.isInteger(samples) || samples < 1 || samples > 8)) throw new UsageError('--samples must be a whole number from 1 to 8');
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number, not ${values.limit}`);
      const failures = await askQuestions({ project, engine: engine as AnswerEngine, asker: who, host: values.host, model: values.model, rows: limit, samples }, items, emit);
      return lines ? 0 : failures > 0 ? 1 : 0;
    }
    throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`askdata: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    const message = (e as Error).message;
    if (values.json) out(`${JSON.stringify({ error: { class: e instanceof ExecutionError ? e.errorClass : 'internal', message } })}\n`);
    else err(`askdata: ${message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
