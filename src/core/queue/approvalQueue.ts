import type { InvalidPairFile, Pair } from '../pairs/pairStore';
import type { PairStatus } from '../pairs/pairSchema';

/** The approval queue's content, independent of how the editor draws it. */
export interface QueueGroup {
  status: PairStatus;
  label: string;
  pairs: QueueEntry[];
}

export interface QueueEntry {
  pair: Pair;
  /** Why the pair may no longer match the project, if it may not. */
  stale?: string;
}

export interface QueueOptions {
  /** Only pairs whose `tables` include this model (case-insensitive). */
  model?: string;
  /** Why a pair may be stale (the workspace index decides), if it may be. */
  stale?: (pair: Pair) => string | undefined;
}

const GROUPS: Array<{ status: PairStatus; label: string }> = [
  { status: 'pending', label: 'Pending' },
  { status: 'approved', label: 'Approved' },
  { status: 'rejected', label: 'Rejected' },
];

export function buildQueue(pairs: readonly Pair[], options: QueueOptions = {}): QueueGroup[] {
  const model = options.model?.toLowerCase();
  const shown = model ? pairs.filter((p) => usesModel(p, model)) : pairs;
  return GROUPS.map((g) => ({
    ...g,
    pairs: shown
      .filter((p) => p.status === g.status)
      .sort((a, b) => a.question.localeCompare(b.question))
      .map((pair) => ({ pair, stale: pair.status === 'approved' ? options.stale?.(pair) : undefined })),
  }));
}

export function usesModel(pair: Pair, model: string): boolean {
  const m = model.toLowerCase();
  return pair.tables.some((t) => lastPart(t) === m);
}

export function approvedPairsUsing(pairs: readonly Pair[], model: string): Pair[] {
  return pairs.filter((p) => p.status === 'approved' && usesModel(p, model));
}

/** Problems of invalid files, for display in one line. */
export function describeInvalid(file: InvalidPairFile): string {
  const first = file.problems[0];
  const more = file.problems.length > 1 ? ` (+${file.problems.length - 1} more)` : '';
  return first ? `line ${first.line}: ${first.message}${more}` : 'invalid';
}

function lastPart(name: string): string {
  const n = name.toLowerCase();
  return n.slice(n.lastIndexOf('.') + 1);
}
