import * as path from 'node:path';
import { openAskProject } from '../adapters/askProject';
import { ExecutionError } from '../core/execution/errors';
import { pairStaleness } from '../core/index/staleness';
import { judgePair, summarise, type PairCheck, type RunOutcome } from '../core/regression/regression';

/**
 * `askdata test`: every approved pair's SQL, run again and compared with the result recorded when
 * it was approved — the team's signed-off answers as regression tests, next to `dbt test` in CI.
 * The queries run without an asker's restrictions: this checks the data, not a person's access.
 */
export async function regressionReport(project: string): Promise<{ ok: boolean; json: unknown; text: string }> {
  const opened = await openAskProject(project, {});
  try {
    const checks: PairCheck[] = [];
    for (const pair of opened.pairs) {
      if (pair.status !== 'approved') continue;
      if (pair.data.database && path.resolve(project, pair.data.database) !== opened.database.database) continue;
      let outcome: RunOutcome;
      try {
        outcome = { ok: true, result: await opened.engine.fingerprint(pair.sql) };
      } catch (e) {
        outcome = { ok: false, error: e instanceof ExecutionError ? { class: e.errorClass, message: e.message } : { class: 'runtime', message: (e as Error).message } };
      }
      checks.push(judgePair(pair, path.relative(project, pair.path), outcome, pairStaleness(pair, opened.index)));
    }
    const summary = summarise(checks);
    const failed = (c: PairCheck) => c.status === 'failed-to-run' || c.status === 'changed';
    const lines = checks.map((c) => `${c.status === 'passed' ? 'ok  ' : c.status === 'no-baseline' ? 'ran ' : 'FAIL'}  ${c.file}${failed(c) ? `\n      ${c.message}` : ''}`);
    const text = `${lines.join('\n')}\n\n${summary.passed} passed, ${summary.failed} failed, ${summary.noBaseline} ran without a recorded result\n`;
    return { ok: summary.ok, json: { ...summary, pairs: checks }, text };
  } finally {
    opened.close();
  }
}
