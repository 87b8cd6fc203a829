import { ExecutionError } from '../core/execution/errors';
import type { ResultFingerprint } from '../core/execution/fingerprint';
import type { RecordedResult } from '../core/pairs/pairSchema';
import type { NewPair, Pair, PairStore } from '../core/pairs/pairStore';
import { referencedRelations } from '../core/sql/relations';
import { couldNotRun } from '../protocol/errorClasses';

/**
 * Deciding on pairs — add, approve, reject, take an approval back — the same way from the Ask
 * panel, the approval queue and `askdata pairs …`. An approval signs off on a result: the SQL runs
 * once more, under the approver's access policies, and its row count, columns and fingerprint go
 * into the file.
 */

/** Runs the SQL whole, as the approver, and fingerprints the result. */
export type Fingerprinter = (sql: string) => Promise<ResultFingerprint>;

/**
 * Asked when the SQL cannot run at all here (no database to run on, or it is locked): whether
 * to approve it anyway, as `result: unverified`. The panel asks in a dialog, the CLI reads
 * `--unverified`; nothing approves unverified SQL by default.
 */
export type ConfirmUnverified = (why: ExecutionError) => Promise<boolean>;

/**
 * The result an approval records. SQL that fails is not approved: approving it would sign off on
 * an error. SQL that cannot run here is approved only if `confirm` says so, as unverified.
 */
export async function resultToRecord(sql: string, fingerprint: Fingerprinter, confirm: ConfirmUnverified): Promise<RecordedResult> {
  try {
    const f = await fingerprint(sql);
    return { rows: f.rows, columns: f.columns, fingerprint: f.fingerprint };
  } catch (e) {
    if (e instanceof ExecutionError && couldNotRun(e.errorClass)) {
      if (await confirm(e)) return 'unverified';
      throw new ExecutionError(e.errorClass, `Not approved: the SQL could not be run (${e.message.replace(/^Not run: /, '')}).`, 'not approved');
    }
    throw new ExecutionError(e instanceof ExecutionError ? e.errorClass : 'runtime', `Not approved: this SQL does not run (${(e as Error).message}). Fix it, then approve.`, 'not approved');
  }
}

/** Approves a pair that is in the store, recording the result its SQL returns now. */
export async function approvePair(store: PairStore, pair: Pair, by: string, fingerprint: Fingerprinter, confirm: ConfirmUnverified): Promise<Pair> {
  return store.approve(pair.id, by, await resultToRecord(pair.sql, fingerprint, confirm));
}

export interface Decision {
  question: string;
  sql: string;
  decision: 'approve' | 'pending' | 'reject';
  by: string;
  reason?: string;
  tags?: string[];
  history?: NewPair['history'];
}

/**
 * A new pair file from an answer or from the command line: approved (with its result — which
 * needs the approver's fingerprint and confirmation), pending, or rejected (with why).
 */
export async function decidePair(store: PairStore, d: Decision, fingerprint?: Fingerprinter, confirm?: ConfirmUnverified): Promise<Pair> {
  if (d.decision === 'approve' && (!fingerprint || !confirm)) throw new Error('An approval records the result its SQL returns: it needs the approver\'s engine.');
  const result = d.decision === 'approve' ? await resultToRecord(d.sql, fingerprint!, confirm!) : undefined;
  return store.add({
    question: d.question,
    sql: d.sql,
    status: d.decision === 'approve' ? 'approved' : d.decision === 'reject' ? 'rejected' : 'pending',
    tables: referencedRelations(d.sql),
    ...(d.tags?.length ? { tags: d.tags } : {}),
    by: d.by,
    reason: d.reason?.trim() || undefined,
    history: d.history,
    result,
  });
}

/**
 * The pair a person names: one of the paths `named` may mean (relative to the current folder, to
 * the project), or its id (the file name without .yml).
 */
export function findPair(store: PairStore, named: string, paths: readonly string[]): Pair {
  const id = named.replace(/\.ya?ml$/, '');
  const matches = (p: { path: string; id: string }) => paths.includes(p.path) || p.id === named || p.id === id;
  const found = store.pairs.find(matches);
  if (found) return found;
  const invalid = store.invalid.find(matches);
  if (invalid) throw new Error(`${named} is not a valid pair file (${invalid.problems[0]?.message ?? 'see askdata pairs validate'}); it is left as it is.`);
  throw new Error(`No pair file ${named} in askdata/pairs/.`);
}
