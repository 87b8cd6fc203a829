import { GroundingContext, visibleRelations, type GroundingOptions } from '../grounding/grounding';
import type { IndexedRelation, JoinEdge } from '../index/workspaceIndex';
import type { Pair } from '../pairs/pairStore';
import { RecallEngine, type ApprovedPair, type RejectedPair } from '../recall/recall';

/**
 * The approved pairs, recall engine and grounding of one project, built once and reused for every
 * question until the pairs or the index change. The editor and the CLI build it the same way.
 */
export interface AskContextInput extends GroundingOptions {
  projectRoot: string;
  pairs: readonly Pair[];
  relations: readonly IndexedRelation[];
  joins: readonly JoinEdge[];
  /** The database the project answers from, absolute; pairs naming another one are left out. */
  database?: string;
  resolve?: (projectRoot: string, file: string) => string;
  /**
   * The approved and rejected pairs (by id) the asker may see, decided on DuckDB's or SQLite's own parse of
   * each pair's SQL under the asker's policies (adapters/pairAccess). Required for an asker whom
   * policies restrict: without it they are given no pairs at all.
   */
  visiblePairs?: ReadonlySet<string>;
}

export function approvedPairsOf(input: Pick<AskContextInput, 'projectRoot' | 'pairs' | 'database' | 'resolve'>): ApprovedPair[] {
  const prefix = input.projectRoot.endsWith('/') ? input.projectRoot : `${input.projectRoot}/`;
  return input.pairs
    .filter((p) => p.status === 'approved')
    .filter((p) => !p.data.database || !input.database || !input.resolve || input.resolve(input.projectRoot, p.data.database) === input.database)
    .map((p) => ({ id: p.id, file: p.path.startsWith(prefix) ? p.path.slice(prefix.length) : p.path, question: p.question, sql: p.sql }));
}

/** The rejected pairs, with the reason given: recall never answers like them, and the model is told so. */
export function rejectedPairsOf(input: Pick<AskContextInput, 'projectRoot' | 'pairs' | 'database' | 'resolve'>): RejectedPair[] {
  const rejected = input.pairs.filter((p) => p.status === 'rejected');
  const reasons = new Map(rejected.map((p) => [p.id, p.data.rejected?.reason]));
  return approvedPairsOf({ ...input, pairs: rejected.map((p) => ({ ...p, status: 'approved' })) }).map((p) => ({ ...p, reason: reasons.get(p.id) }));
}

/** Every pair an asker may be shown one way or another: approved ones as answers and examples, rejected ones as warnings. */
export function pairsToCheck(input: Pick<AskContextInput, 'projectRoot' | 'pairs' | 'database' | 'resolve'>): ApprovedPair[] {
  return [...approvedPairsOf(input), ...rejectedPairsOf(input)];
}

export function buildAskContext(input: AskContextInput): GroundingContext {
  const access = input.access;
  // Pairs whose SQL reads what the asker may not read are neither answers nor examples for them,
  // and a rejected one is not quoted to them either.
  const visible = <T extends ApprovedPair>(ps: T[]) => (access && !access.unrestricted ? ps.filter((p) => input.visiblePairs?.has(p.id) ?? false) : ps);
  const pairs = visible(approvedPairsOf(input));
  const recall = new RecallEngine(pairs, visibleRelations(input.relations, access, input.askerValues).relations, input.dialect, { rules: input.rules, rejected: visible(rejectedPairsOf(input)) });
  return new GroundingContext(input.relations, input.joins, recall, input);
}
