import { GroundingContext, visibleRelations, type GroundingOptions } from '../grounding/grounding';
import type { IndexedRelation, JoinEdge } from '../index/workspaceIndex';
import type { Pair } from '../pairs/pairStore';
import { RecallEngine, type ApprovedPair, type RejectedPair } from '../recall/recall';
import type { AccessDecision } from '../policies/access';
import { referencedRelations } from '../sql/relations';
import { tokenize } from '../sql/tokens';

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

/** The rejected pairs, with the reason given: recall never answers like them, and the model is told so. */
export function rejectedPairsOf(input: Pick<AskContextInput, 'projectRoot' | 'pairs' | 'database' | 'resolve'>): RejectedPair[] {
  const rejected = input.pairs.filter((p) => p.status === 'rejected');
  const reasons = new Map(rejected.map((p) => [p.id, p.data.rejected?.reason]));
  return approvedPairsOf({ ...input, pairs: rejected.map((p) => ({ ...p, status: 'approved' })) }).map((p) => ({ ...p, reason: reasons.get(p.id) }));
}

export function buildAskContext(input: AskContextInput): GroundingContext {
  const access = input.access;
  // Pairs reading a table or a column the asker may not read are neither answers nor examples for
  // them, nor quoted as rejected: their question, SQL and reason would show what is hidden.
  const readable = <T extends ApprovedPair>(ps: T[]) => (access && !access.unrestricted ? ps.filter((p) => readsOnlyVisible(p.sql, access)) : ps);
  const pairs = readable(approvedPairsOf(input));
  const recall = new RecallEngine(pairs, visibleRelations(input.relations, access).relations, input.dialect, { rules: input.rules, rejected: readable(rejectedPairsOf(input)) });
  return new GroundingContext(input.relations, input.joins, recall, input);
}

/**
 * No table the asker may not read, and no name of a column hidden from them in a table the query
 * reads. A same-named column of another table also counts: hiding one pair too many is the safe side.
 */
function readsOnlyVisible(sql: string, access: AccessDecision): boolean {
  const tables = referencedRelations(sql).map((t) => access.table(t));
  if (tables.some((t) => t.denied)) return false;
  const hidden = new Set(tables.flatMap((t) => [...t.hiddenColumns.keys()]));
  if (hidden.size === 0) return true;
  return !tokenize(sql).some((t) => (t.kind === 'word' || t.kind === 'quoted') && hidden.has(t.text.toLowerCase()));
}
