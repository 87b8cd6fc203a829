import type { Engine } from '../adapters/engine';
import { ExecutionError } from '../core/execution/errors';
import type { AccessDecision } from '../core/policies/access';
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
 * The approver's fingerprint of `sql`, from `engine` under their `access`. A result signs off on
 * what the SQL returns for the team (`askdata test` compares it, unrestricted, with what it
 * returns later), so an approver whose policies filter the rows or hide columns of a relation
 * the SQL reads cannot record one: what they would sign off on is their share of the data, and
 * recording the full result would be recording data they may not see. Such SQL is treated as
 * SQL that cannot run here: approved only on purpose, as unverified. A hidden column counts even
 * when the SQL does not name it, because `*`, COLUMNS(…) or a whole-row reference drop it silently.
 */
export function approverFingerprint(engine: Pick<Engine, 'guard' | 'fingerprint'>, access: AccessDecision): Fingerprinter {
  return async (sql) => {
    const result = await engine.fingerprint(sql, { access });
    if (access.unrestricted) return result;
    const { tables } = await engine.guard(sql);
    const limited = tables.some(({ table }) => {
      const a = access.table(table);
      return a.rowFilters.length > 0 || a.hiddenColumns.size > 0 || a.missingAttribute !== undefined;
    });
    if (limited) {
      throw new ExecutionError('not-run', 'Not run: your access policies limit the rows or columns of a table this SQL reads, so the result you see is not the one it returns for everyone. Ask someone whose access covers these tables to approve it, to record its result.', 'not run: the approver sees part of the data');
    }
    return result;
  };
}

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
