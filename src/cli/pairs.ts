import * as path from 'node:path';
import { emailOf, gitIdentity } from '../adapters/gitIdentity';
import { NodePairFiles } from '../adapters/nodePairFiles';
import { projectAccess } from '../adapters/projectPolicies';
import { PairStore, type Pair } from '../core/pairs/pairStore';
import { approvePair, approverFingerprint, decidePair, findPair, type ConfirmUnverified, type Fingerprinter } from '../usecases/approval';
import { openOrDescribe } from '../usecases/project';

/**
 * `askdata pairs add | approve | reject | unapprove`: the approval workflow without the editor, on
 * the same use cases as the Ask panel and the queue. Who decides is git's identity, or `--by`;
 * an approval runs the SQL under that person's access policies and records its result.
 */
export interface PairCommandOptions {
  project: string;
  by?: string;
  /** Approve SQL that cannot run here (no database to run on) as `result: unverified`. */
  unverified?: boolean;
}

export interface PairCommandReport {
  pair: { id: string; file: string; status: string; question: string };
  result?: unknown;
}

async function identity(options: PairCommandOptions): Promise<string> {
  const who = options.by?.trim() || (await gitIdentity(options.project));
  if (!who) throw new Error('Ask Data records who decides on each pair, but no identity is set: pass --by "Name <email>", or set git config user.name and user.email.');
  return who;
}

async function openStore(project: string): Promise<PairStore> {
  const store = new PairStore(project, new NodePairFiles());
  await store.load();
  return store;
}

/** The approver's engine, for the run an approval records; closed by the caller. */
async function asApprover(project: string, who: string, unverified: boolean): Promise<{ fingerprint: Fingerprinter; confirm: ConfirmUnverified; close(): void }> {
  const access = await projectAccess(project, emailOf(who));
  const { engine } = await openOrDescribe(project, access);
  return {
    fingerprint: approverFingerprint(engine, access),
    confirm: async () => unverified,
    close: () => engine.close(),
  };
}

function report(project: string, pair: Pair): PairCommandReport {
  return { pair: { id: pair.id, file: path.relative(project, pair.path), status: pair.status, question: pair.question }, ...(pair.data.result ? { result: pair.data.result } : {}) };
}

export async function addPair(options: PairCommandOptions & { question: string; sql: string; tags?: string[] }): Promise<PairCommandReport> {
  const who = await identity(options);
  const store = await openStore(options.project);
  const pair = await decidePair(store, { question: options.question, sql: options.sql, decision: 'pending', by: who, tags: options.tags });
  return report(options.project, pair);
}

export async function decideOnPair(options: PairCommandOptions & { file: string; decision: 'approve' | 'reject' | 'unapprove'; reason?: string }): Promise<PairCommandReport> {
  const who = await identity(options);
  const store = await openStore(options.project);
  const pair = findPair(store, options.file, [path.resolve(options.file), path.resolve(options.project, options.file)]);
  if (options.decision === 'reject') return report(options.project, await store.reject(pair.id, who, options.reason?.trim() || undefined));
  if (options.decision === 'unapprove') return report(options.project, await store.removeApproval(pair.id, who));
  const approver = await asApprover(options.project, who, !!options.unverified);
  try {
    return report(options.project, await approvePair(store, pair, who, approver.fingerprint, approver.confirm));
  } finally {
    approver.close();
  }
}

export function pairText(r: PairCommandReport): string {
  const result = r.result === 'unverified' ? ' (result: unverified)' : r.result && typeof r.result === 'object' && 'rows' in r.result ? ` (result: ${(r.result as { rows: number }).rows} rows recorded)` : '';
  return `${r.pair.status}: ${r.pair.file}${result}\n  ${r.pair.question}\n`;
}
