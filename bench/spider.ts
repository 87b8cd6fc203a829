import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteEngine } from '../src/adapters/sqliteEngine';
import { main as cli } from '../src/cli/main';
import { birdEqual, hasOrderBy, spiderEqual } from '../src/core/execution/compare';
import { pagesOf, type ResultRow } from '../src/core/execution/result';
import { similarQuestions } from '../src/core/pairs/similar';
import { referencedRelations } from '../src/core/sql/relations';
import { skeletonKey } from '../src/core/sql/skeleton';
import { optionalDataDir } from '../test/support/dataDir';
import { approvedSpiderPair } from '../test/support/nearMiss/judge';

/**
 * The recall engine and grounding on Spider's dev subset (spider-dev/ in the folder ASKDATA_DATA names, or beside the repo), read in
 * place. Each database becomes a project without dbt (askdata/askdata.yml names the .sqlite
 * file); the first question of every gold SQL is approved, and every other paraphrase is asked
 * through `askdata ask --batch` and `askdata context --batch`. Execution accuracy uses Spider's
 * comparison (and BIRD's), abstentions counted as misses.
 */
interface SpiderQuestion {
  id: number;
  db_id: string;
  question: string;
  query: string;
}

export interface SpiderFigures {
  asked: number;
  approved: number;
  recall: { spider: number; bird: number; abstained: number; answered: number; precision: number };
  tfidf: { spider: number };
  grounding: { tableRecall: number; schemaShare: number; sameSkeletonExample: number; medianTokens: number };
  perDatabase: Record<string, { asked: number; spider: number }>;
  ms: number;
}

const DATA = optionalDataDir('spider-dev') ?? '';

export async function spiderAvailable(): Promise<boolean> {
  return DATA !== '' && fs.access(path.join(DATA, 'questions.json')).then(() => true, () => false);
}

async function capture(args: string[]): Promise<string> {
  let text = '';
  const code = await cli(args, (s) => (text += s), (s) => process.stderr.write(s));
  if (code === 2) throw new Error(`askdata ${args.join(' ')} failed: usage`);
  return text;
}

async function allRows(engine: SqliteEngine, sql: string): Promise<ResultRow[] | undefined> {
  try {
    const cursor = await engine.run(sql, { pageSize: 5000 });
    const rows: ResultRow[] = [];
    for await (const page of pagesOf(cursor)) rows.push(...page.rows);
    cursor.close();
    return rows;
  } catch {
    return undefined;
  }
}

export async function runSpider(): Promise<SpiderFigures> {
  const started = performance.now();
  const questions = JSON.parse(await fs.readFile(path.join(DATA, 'questions.json'), 'utf8')) as SpiderQuestion[];
  const groups = new Map<string, SpiderQuestion[]>();
  for (const q of questions) {
    const key = `${q.db_id}\u0000${q.query}`;
    groups.set(key, [...(groups.get(key) ?? []), q]);
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-spider-'));
  let asked = 0;
  let approved = 0;
  let spider = 0;
  let bird = 0;
  let abstained = 0;
  let tfidf = 0;
  let tableHits = 0;
  let share = 0;
  let sameSkeleton = 0;
  const tokens: number[] = [];
  const perDatabase: SpiderFigures['perDatabase'] = {};
  try {
    for (const db of [...new Set(questions.map((q) => q.db_id))].sort()) {
      const project = path.join(root, db);
      await fs.mkdir(path.join(project, 'askdata', 'pairs'), { recursive: true });
      await fs.writeFile(path.join(project, 'askdata', 'askdata.yml'), `database: ${JSON.stringify(path.join(DATA, 'database', db, `${db}.sqlite`))}\n`);
      const mine = [...groups.values()].filter((g) => g[0]!.db_id === db);
      for (const g of mine) {
        const first = g[0]!;
        approved++;
        await fs.writeFile(path.join(project, 'askdata', 'pairs', `q${first.id}.yml`), approvedSpiderPair(first));
      }
      const ask = mine.flatMap((g) => g.slice(1).map((q) => ({ q, gold: g[0]! })));
      if (ask.length === 0) continue;
      const batch = path.join(project, 'questions.jsonl');
      await fs.writeFile(batch, ask.map(({ q }) => JSON.stringify({ id: q.id, question: q.question })).join('\n'));
      const answers = new Map((await capture(['ask', '--project', project, '--engine', 'recall', '--batch', batch])).trim().split('\n').map((l) => JSON.parse(l) as { id: number; sql: string | null; abstained: boolean }).map((a) => [a.id, a]));
      const contexts = new Map((await capture(['context', '--project', project, '--batch', batch])).trim().split('\n').map((l) => JSON.parse(l) as { id: number; tables: Array<{ key: string }>; tablesAvailable: number; examples: Array<{ sql: string }>; tokens: { total: number } }).map((c) => [c.id, c]));

      const engine = await SqliteEngine.open({ database: path.join(DATA, 'database', db, `${db}.sqlite`) });
      const approvedQuestions = mine.map((g) => ({ id: String(g[0]!.id), question: g[0]!.question, sql: g[0]!.query }));
      let dbHits = 0;
      try {
        for (const { q } of ask) {
          asked++;
          const goldRows = await allRows(engine, q.query);
          const ordered = hasOrderBy(q.query);
          const answer = answers.get(q.id);
          if (!answer || answer.abstained || !answer.sql) abstained++;
          else {
            const rows = await allRows(engine, answer.sql);
            if (goldRows && rows && spiderEqual({ rows: goldRows }, { rows }, ordered)) {
              spider++;
              dbHits++;
            }
            if (goldRows && rows && birdEqual({ rows: goldRows }, { rows })) bird++;
          }
          // The plain TF-IDF nearest neighbour the issue quotes as the baseline (0.77).
          const nn = similarQuestions(q.question, approvedQuestions, 1, 0)[0];
          const nnSql = approvedQuestions.find((p) => p.id === nn?.id)?.sql;
          const nnRows = nnSql ? await allRows(engine, nnSql) : undefined;
          if (goldRows && nnRows && spiderEqual({ rows: goldRows }, { rows: nnRows }, ordered)) tfidf++;

          const context = contexts.get(q.id)!;
          const chosen = new Set(context.tables.map((t) => t.key.toLowerCase()));
          if (referencedRelations(q.query).every((t) => chosen.has(t.toLowerCase()))) tableHits++;
          share += context.tables.length / Math.max(1, context.tablesAvailable);
          if (context.examples.some((e) => skeletonKey(e.sql) === skeletonKey(q.query))) sameSkeleton++;
          tokens.push(context.tokens.total);
        }
      } finally {
        engine.close();
      }
      perDatabase[db] = { asked: ask.length, spider: round(dbHits / ask.length) };
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
  tokens.sort((a, b) => a - b);
  const answered = asked - abstained;
  return {
    asked,
    approved,
    recall: { spider: round(spider / asked), bird: round(bird / asked), abstained, answered, precision: round(spider / Math.max(1, answered)) },
    tfidf: { spider: round(tfidf / asked) },
    grounding: { tableRecall: round(tableHits / asked), schemaShare: round(share / asked), sameSkeletonExample: round(sameSkeleton / asked), medianTokens: tokens[Math.floor(tokens.length / 2)] ?? 0 },
    perDatabase,
    ms: Math.round(performance.now() - started),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (require.main === module) {
  runSpider().then(
    (f) => console.log(JSON.stringify(f, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
