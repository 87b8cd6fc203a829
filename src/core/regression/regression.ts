import type { ResultFingerprint } from '../execution/fingerprint';
import type { Staleness } from '../index/staleness';
import type { Pair } from '../pairs/pairStore';

/**
 * Approved pairs as regression tests (ARCHITECTURE.md, "Learning"): each approved SQL is run again and its result
 * compared with the fingerprint recorded when it was approved. A pair fails when its SQL no
 * longer runs (schema drift), or returns other data; the index says which models and columns it
 * reads that changed.
 */
/**
 * `unverified`: approved deliberately without having run (no database then), listed apart, never
 * counted as passed; `not-run`: there is no database to run on now.
 */
export type PairCheckStatus = 'passed' | 'failed-to-run' | 'changed' | 'no-baseline' | 'unverified' | 'not-run';

export interface PairCheck {
  id: string;
  file: string;
  question: string;
  status: PairCheckStatus;
  /** Why it failed, in a sentence naming the pair and what changed. */
  message?: string;
  error?: { class: string; message: string };
  expected?: { rows: number; columns: string[]; fingerprint?: string };
  actual?: { rows: number; columns: string[]; fingerprint: string };
  /** Models and columns it reads that changed or disappeared, from the workspace index. */
  stale?: { relations: string[]; columns: string[]; reason: string };
}

export type RunOutcome = { ok: true; result: ResultFingerprint } | { ok: false; error: { class: string; message: string } };

export function judgePair(pair: Pair, file: string, outcome: RunOutcome, stale?: Staleness): PairCheck {
  const base = { id: pair.id, file, question: pair.question, ...(stale ? { stale: { relations: stale.relations, columns: stale.columns, reason: stale.reason } } : {}) };
  const recorded = pair.data.result;
  const expected = recorded && recorded !== 'unverified' ? { rows: recorded.rows, columns: recorded.columns, fingerprint: recorded.fingerprint } : undefined;
  const changed = stale && (stale.columns.length || stale.relations.length) ? ` It reads ${[...stale.relations, ...stale.columns].join(', ')}, which changed.` : '';
  if (!outcome.ok && outcome.error.class === 'not-run') {
    return { ...base, status: recorded === 'unverified' ? 'unverified' : 'not-run', error: outcome.error, message: `${file} was not run: ${outcome.error.message.replace(/^Not run: /, '')}` };
  }
  if (recorded === 'unverified') {
    const now = outcome.ok ? `it runs here and returns ${outcome.result.rows} rows` : `it does not run here: ${outcome.error.message}`;
    return { ...base, status: 'unverified', ...(outcome.ok ? { actual: { rows: outcome.result.rows, columns: outcome.result.columns, fingerprint: outcome.result.fingerprint } } : { error: outcome.error }), message: `${file} was approved unverified (without running); ${now}. Approve it again where its database is reachable to record a result.` };
  }
  if (!outcome.ok) {
    return { ...base, status: 'failed-to-run', expected, error: outcome.error, message: `${file} no longer runs: ${outcome.error.message}.${changed}` };
  }
  const actual = { rows: outcome.result.rows, columns: outcome.result.columns, fingerprint: outcome.result.fingerprint };
  if (!expected?.fingerprint) return { ...base, status: 'no-baseline', actual, message: `${file} runs; it has no recorded result to compare (approve it in the panel to record one).` };
  if (expected.fingerprint === actual.fingerprint) return { ...base, status: 'passed', expected, actual };
  const diffs: string[] = [];
  const gone = expected.columns.filter((c) => !actual.columns.includes(c));
  const added = actual.columns.filter((c) => !expected.columns.includes(c));
  if (gone.length) diffs.push(`columns gone: ${gone.join(', ')}`);
  if (added.length) diffs.push(`new columns: ${added.join(', ')}`);
  if (expected.rows !== actual.rows) diffs.push(`${expected.rows} rows then, ${actual.rows} now`);
  if (diffs.length === 0) diffs.push('same rows and columns, different values');
  return { ...base, status: 'changed', expected, actual, message: `${file} returns other data than when it was approved (${diffs.join('; ')}).${changed}` };
}

/** The counts in a line, as `askdata test` and the editor's Test Approved Pairs say them. */
export function summaryText(s: ReturnType<typeof summarise>): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.noBaseline} ran without a recorded result, ${s.unverified} unverified${s.notRun ? `, ${s.notRun} not run (no database to run on)` : ''}${s.unverifiedNotRun ? `; ${s.unverifiedNotRun} of the unverified could not run either, so nothing about ${s.unverifiedNotRun === 1 ? 'it' : 'them'} was checked` : ''}`;
}

export function summarise(checks: readonly PairCheck[]): { passed: number; failed: number; noBaseline: number; unverified: number; unverifiedNotRun: number; notRun: number; ok: boolean } {
  const failed = checks.filter((c) => c.status === 'failed-to-run' || c.status === 'changed').length;
  const notRun = checks.filter((c) => c.status === 'not-run').length;
  const unverifiedNotRun = checks.filter((c) => c.status === 'unverified' && c.error?.class === 'not-run').length;
  // Nothing could be checked without a database: that is not a pass — for a pair approved
  // unverified either, or a project whose pairs are all unverified would pass having run nothing.
  return {
    passed: checks.filter((c) => c.status === 'passed').length, failed, noBaseline: checks.filter((c) => c.status === 'no-baseline').length,
    unverified: checks.filter((c) => c.status === 'unverified').length, unverifiedNotRun, notRun, ok: failed === 0 && notRun === 0 && unverifiedNotRun === 0,
  };
}
