import { GroundingContext, visibleRelations, type GroundingOptions } from '../grounding/grounding';
import type { IndexedRelation, JoinEdge } from '../index/workspaceIndex';
import type { Pair } from '../pairs/pairStore';
import { RecallEngine, type ApprovedPair } from '../recall/recall';
import { referencedRelations } from '../sql/relations';

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
}

export function approvedPairsOf(input: Pick<AskContextInput, 'projectRoot' | 'pairs' | 'database' | 'resolve'>): ApprovedPair[] {
  const prefix = input.projectRoot.endsWith('/') ? input.projectRoot : `${input.projectRoot}/`;
  return input.pairs
    .filter((p) => p.status === 'approved')
    .filter((p) => !p.data.database || !input.database || !input.resolve || input.resolve(input.projectRoot, p.data.database) === input.database)
    .map((p) => ({ id: p.id, file: p.path.startsWith(prefix) ? p.path.slice(prefix.length) : p.path, question: p.question, sql: p.sql }));
}

export function buildAskContext(input: AskContextInput): GroundingContext {
  const approved = approvedPairsOf(input);
  const access = input.access;
  // Pairs reading a table the asker may not read are neither answers nor examples for them.
  const pairs = access && !access.unrestricted ? approved.filter((p) => !referencedRelations(p.sql).some((t) => access.table(t).denied)) : approved;
  // Recall only rewrites literals the approved SQL already has; SQLite is the one dialect whose periods it must spell differently.
  const recall = new RecallEngine(pairs, visibleRelations(input.relations, access).relations, input.dialect === 'sqlite' ? 'sqlite' : 'duckdb');
  return new GroundingContext(input.relations, input.joins, recall, input);
}
