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
  /**
   * Relations the project is known to have (dbt models and seeds, lower case). When given, an
   * approved pair naming a table outside it is marked as possibly stale.
   */
  knownRelations?: ReadonlySet<string>;
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
      .map((pair) => ({ pair, stale: staleness(pair, options.knownRelations) })),
  }));
}

export function usesModel(pair: Pair, model: string): boolean {
  const m = model.toLowerCase();
  return pair.tables.some((t) => lastPart(t) === m);
}

export function approvedPairsUsing(pairs: readonly Pair[], model: string): Pair[] {
  return pairs.filter((p) => p.status === 'approved' && usesModel(p, model));
}

export function staleness(pair: Pair, known: ReadonlySet<string> | undefined): string | undefined {
  if (!known || known.size === 0 || pair.status !== 'approved') return undefined;
  const missing = pair.tables.filter((t) => !known.has(lastPart(t)));
  if (missing.length === 0) return undefined;
  return `uses ${missing.join(', ')}, which the project no longer has`;
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
