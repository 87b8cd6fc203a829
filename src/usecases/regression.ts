import * as path from 'node:path';
import { ExecutionError } from '../core/execution/errors';
import { pairStaleness } from '../core/index/staleness';
import { judgePair, summarise, type PairCheck, type RunOutcome } from '../core/regression/regression';
import { requireUnrestricted } from '../core/policies/access';
import { openAskProject } from './project';
import { projectAccess } from '../adapters/projectPolicies';

/**
 * Every approved pair's SQL, run again and compared with the result recorded when it was
 * approved — for `askdata test` and the editor's "Test Approved Pairs". The queries run without
 * an asker's restrictions (this checks the data, not a person's access), so the person running
 * it (`asker`, an email) must be someone access policies do not restrict.
 */
export async function checkApprovedPairs(project: string, asker: string | undefined): Promise<{ checks: PairCheck[]; summary: ReturnType<typeof summarise> }> {
  requireUnrestricted(await projectAccess(project, asker), 'Testing the approved pairs');
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
    return { checks, summary: summarise(checks) };
  } finally {
    opened.close();
  }
}
