import type { Pair } from '../../src/core/pairs/pairStore';

/**
 * An approved pair as the store holds it, for tests that build grounding, recall or staleness on
 * pairs of their own without writing files: the file is `<root>/askdata/pairs/<id>.yml`.
 */
export function approvedPair(p: { id: string; question: string; sql: string; tables?: string[]; at?: string; root?: string }): Pair {
  const at = p.at ?? '2026-11-01T00:00:00Z';
  return {
    id: p.id,
    path: `${p.root ?? '/p'}/askdata/pairs/${p.id}.yml`,
    question: p.question,
    sql: p.sql,
    status: 'approved',
    tags: [],
    tables: p.tables ?? [],
    history: [],
    data: { question: p.question, sql: p.sql, status: 'approved', approved: { by: 'A <a@b.c>', at } },
  };
}
