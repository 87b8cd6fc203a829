import { checkApprovedPairs } from '../usecases/regression';
import { summaryText, type PairCheck } from '../core/regression/regression';

/** `askdata test`: the team's signed-off answers as regression tests, next to `dbt test` in CI. */
export async function regressionReport(project: string, asker: string | undefined): Promise<{ ok: boolean; json: unknown; text: string }> {
  const { checks, summary } = await checkApprovedPairs(project, asker);
  const failed = (c: PairCheck) => c.status === 'failed-to-run' || c.status === 'changed';
  const checked = checks.filter((c) => c.status !== 'unverified');
  const lines = checked.map((c) => `${c.status === 'passed' ? 'ok  ' : c.status === 'no-baseline' ? 'ran ' : c.status === 'not-run' ? 'NOT RUN' : 'FAIL'}  ${c.file}${failed(c) || c.status === 'not-run' ? `\n      ${c.message}` : ''}`);
  // Approved without running: apart from the checked ones, never counted as passed.
  const unverified = checks.filter((c) => c.status === 'unverified');
  const apart = unverified.length ? `\nUnverified (approved without running; not counted as passed):\n${unverified.map((c) => `  ${c.file}\n      ${c.message}`).join('\n')}\n` : '';
  const text = `${lines.join('\n')}\n${apart}\n${summaryText(summary)}\n`;
  return { ok: summary.ok, json: { ...summary, pairs: checks }, text };
}
