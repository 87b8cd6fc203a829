import { checkApprovedPairs } from '../adapters/regression';
import type { PairCheck } from '../core/regression/regression';

/** `askdata test`: the team's signed-off answers as regression tests, next to `dbt test` in CI. */
export async function regressionReport(project: string, asker: string | undefined): Promise<{ ok: boolean; json: unknown; text: string }> {
  const { checks, summary } = await checkApprovedPairs(project, asker);
  const failed = (c: PairCheck) => c.status === 'failed-to-run' || c.status === 'changed';
  const lines = checks.map((c) => `${c.status === 'passed' ? 'ok  ' : c.status === 'no-baseline' ? 'ran ' : 'FAIL'}  ${c.file}${failed(c) ? `\n      ${c.message}` : ''}`);
  const text = `${lines.join('\n')}\n\n${summary.passed} passed, ${summary.failed} failed, ${summary.noBaseline} ran without a recorded result\n`;
  return { ok: summary.ok, json: { ...summary, pairs: checks }, text };
}
