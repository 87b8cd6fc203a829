import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { openAskProject } from '../../../src/usecases/project';
import { answerQuestion, type Answer } from '../../../src/core/answer/answer';
import { hasOrderBy, spiderEqual } from '../../../src/core/execution/compare';
import { orderKeyColumns } from '../../../src/core/sql/ordering';
import { tempDir } from '../tempDir';
import type { NearMissCase } from './cases';

/**
 * Judges recall on near-miss questions by execution: the answer's rows against the rows of the
 * case's correct SQL, both run on the same database by the same engine. An answer is right only
 * when the results are equal (Spider's comparison, ties on the sort keys in any order); any other
 * answer is wrong, whatever the engine said about it.
 */
export type Outcome = 'right' | 'wrong' | 'abstained';

export interface Verdict {
  case: NearMissCase;
  outcome: Outcome;
  sql: string | null;
  pair: string | null;
  reason: string | null;
  answer: Answer;
}

export interface Tally {
  right: number;
  wrong: number;
  abstained: number;
  /** Questions marked as safe adaptations or paraphrases that recall did not answer right. */
  missedAdaptations: number;
  total: number;
}


export async function judgeCases(project: string, cases: readonly NearMissCase[]): Promise<Verdict[]> {
  // Answers keep ANSWER_ROWS rows, as in the panel: enough to compare every result here whole.
  const ask = await openAskProject(project, {});
  try {
    const out: Verdict[] = [];
    for (const c of cases) {
      const gold = await ask.run(c.sql).catch((e: Error) => {
        throw new Error(`the correct SQL of "${c.question}" does not run: ${e.message}`);
      });
      const answer = await answerQuestion(c.question, ask.context, ask.run, { engine: 'recall' });
      let outcome: Outcome = 'abstained';
      if (!answer.abstained && answer.sql) {
        const ordered = hasOrderBy(c.sql) && (orderKeyColumns(c.sql, gold.columns.map((col) => col.name)) ?? true);
        outcome = answer.result && spiderEqual(gold, answer.result, ordered) ? 'right' : 'wrong';
      }
      out.push({ case: c, outcome, sql: answer.sql, pair: answer.pair?.file ?? null, reason: answer.reason, answer });
    }
    return out;
  } finally {
    ask.close();
  }
}

export function tally(verdicts: readonly Verdict[]): Tally {
  const t: Tally = { right: 0, wrong: 0, abstained: 0, missedAdaptations: 0, total: verdicts.length };
  for (const v of verdicts) {
    t[v.outcome]++;
    if (v.case.adapt && v.outcome !== 'right') t.missedAdaptations++;
  }
  return t;
}

/**
 * A project over a Spider database in which every gold query is approved, under the first of its
 * questions (as bench/spider.ts builds them): the setting in which a shared literal value misleads.
 */
export async function spiderProject(spiderDir: string, db: string): Promise<string> {
  const questions = JSON.parse(await fs.readFile(path.join(spiderDir, 'questions.json'), 'utf8')) as Array<{ id: number; db_id: string; question: string; query: string }>;
  const project = await tempDir(`askdata-nearmiss-${db}-`);
  await fs.mkdir(path.join(project, 'askdata', 'pairs'), { recursive: true });
  await fs.writeFile(path.join(project, 'askdata', 'askdata.yml'), `database: ${JSON.stringify(path.join(spiderDir, 'database', db, `${db}.sqlite`))}\n`);
  const seen = new Set<string>();
  for (const q of questions.filter((x) => x.db_id === db)) {
    if (seen.has(q.query)) continue;
    seen.add(q.query);
    await fs.writeFile(path.join(project, 'askdata', 'pairs', `q${q.id}.yml`), approvedSpiderPair(q));
  }
  return project;
}

/** A Spider gold query as an approved pair file. */
export function approvedSpiderPair(q: { question: string; query: string }): string {
  return [
    'version: 1',
    `question: ${JSON.stringify(q.question)}`,
    `sql: ${JSON.stringify(q.query)}`,
    'status: approved',
    'approved: { by: "Spider benchmark <bench@askdata.invalid>", at: 2026-11-01T00:00:00Z }',
    '',
  ].join('\n');
}
