import type { ExecutionErrorClass } from '../../protocol/errorClasses';

export type { ExecutionErrorClass };

/**
 * A query that failed, with a message for the person and a compact form for the model's repair
 * loop (short, no advice it cannot act on). Its classes, and which of them a rewrite can fix, are
 * listed once in src/protocol/errorClasses.ts, shared with the panel.
 */
export class ExecutionError extends Error {
  constructor(
    readonly errorClass: ExecutionErrorClass,
    /** For the person: what happened and what to do. */
    message: string,
    /** For the model: one line it can repair from. */
    readonly compact: string = message,
    /** Closest existing names, for unknown tables and columns. */
    readonly suggestions: string[] = [],
  ) {
    super(message);
    this.name = 'ExecutionError';
  }

  toJSON(): { class: ExecutionErrorClass; message: string; compact: string; suggestions?: string[] } {
    return { class: this.errorClass, message: this.message, compact: this.compact, ...(this.suggestions.length ? { suggestions: this.suggestions } : {}) };
  }
}

/** Names in `candidates` closest to `name` (edit distance), best first. */
export function closestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const target = name.toLowerCase();
  const scored: Array<[string, number]> = [];
  for (const c of new Set(candidates)) {
    const d = editDistance(target, c.toLowerCase());
    const bonus = c.toLowerCase().includes(target) || target.includes(c.toLowerCase()) ? -1 : 0;
    if (d + bonus <= Math.max(2, Math.floor(target.length / 2))) scored.push([c, d + bonus]);
  }
  return scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, limit).map(([c]) => c);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
