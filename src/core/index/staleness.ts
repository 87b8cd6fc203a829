import type { Pair } from '../pairs/pairStore';
import { referencedRelations } from '../sql/relations';
import { isName, tokenize } from '../sql/tokens';
import type { IndexedRelation, WorkspaceIndex } from './workspaceIndex';

/**
 * Column types as first seen, and every change since, so that a pair approved before a column
 * changed type is flagged even after the index has been rebuilt. Kept in the index cache.
 */
export interface ColumnHistoryData {
  types: Record<string, string>;
  changes: Array<{ column: string; from: string; to: string; at: string }>;
}

export class ColumnHistory {
  constructor(readonly data: ColumnHistoryData = { types: {}, changes: [] }) {}

  /** Records the index's current column types; returns the changes it found. */
  observe(index: WorkspaceIndex, now: Date): ColumnHistoryData['changes'] {
    const found: ColumnHistoryData['changes'] = [];
    for (const rel of index.relations) {
      for (const c of rel.databaseColumns ?? []) {
        const k = `${rel.key}.${c.name.toLowerCase()}`;
        const before = this.data.types[k];
        if (before !== undefined && before !== c.type) found.push({ column: k, from: before, to: c.type, at: now.toISOString() });
        this.data.types[k] = c.type;
      }
    }
    this.data.changes.push(...found);
    // Old changes stop mattering once every pair has been re-approved; keep the list bounded.
    if (this.data.changes.length > 1000) this.data.changes.splice(0, this.data.changes.length - 1000);
    return found;
  }

  changesOf(relation: string, column: string): ColumnHistoryData['changes'] {
    const k = `${relation}.${column.toLowerCase()}`;
    return this.data.changes.filter((c) => c.column === k);
  }
}

export interface Staleness {
  /** One line for the queue and code lenses. */
  reason: string;
  relations: string[];
  columns: string[];
}

/**
 * Why an approved pair may no longer give the answer that was approved: a relation it reads is
 * gone, a column it names is gone from the model's definition or the database, or changed type
 * after it was approved. Lexical, so it errs towards flagging; the pair's own regression test
 * (re-running it) is the final word.
 */
export function pairStaleness(pair: Pair, index: WorkspaceIndex, history?: ColumnHistory): Staleness | undefined {
  if (pair.status !== 'approved' || index.relations.length === 0) return undefined;
  const byName = relationsByName(index);
  const named = [...new Set([...pair.tables.map((t) => t.toLowerCase()), ...referencedRelations(pair.sql)])];
  const missing: string[] = [];
  const used: IndexedRelation[] = [];
  for (const name of named) {
    const rel = byName.get(name) ?? byName.get(name.slice(name.lastIndexOf('.') + 1));
    if (rel) used.push(rel);
    else if (pair.tables.some((t) => t.toLowerCase() === name)) missing.push(name);
  }
  const problems: string[] = [];
  if (missing.length) problems.push(`uses ${missing.join(', ')}, which the project no longer has`);

  const aliases = aliasMap(pair.sql, byName);
  const tokens = tokenize(pair.sql);
  const gone = new Set<string>();
  const changed = new Set<string>();
  const approvedAt = approvalTime(pair);
  tokens.forEach((t, i) => {
    if (!isName(t) || tokens[i + 1]?.text === '(' || tokens[i + 1]?.text === '.') return;
    const column = t.text.toLowerCase();
    const qualifier = tokens[i - 1]?.text === '.' ? tokens[i - 2]?.text.toLowerCase() : undefined;
    const candidates = qualifier ? [aliases.get(qualifier)].filter((r): r is IndexedRelation => !!r) : used;
    for (const rel of candidates) {
      if (!knownColumns(rel).has(column)) continue;
      const verdict = currentHas(rel, column);
      if (verdict !== true && (qualifier || !used.some((other) => other !== rel && currentHas(other, column) === true))) gone.add(`${rel.key}.${column} (${verdict})`);
      for (const change of history?.changesOf(rel.key, column) ?? []) {
        if (!approvedAt || change.at > approvedAt) changed.add(`${rel.key}.${column} changed type from ${change.from} to ${change.to}`);
      }
    }
  });
  if (gone.size) problems.push(`names ${[...gone].join(', ')}`);
  if (changed.size) problems.push([...changed].join('; '));
  if (problems.length === 0) return undefined;
  return { reason: problems.join('; '), relations: missing, columns: [...gone, ...changed].map((c) => c.split(' ')[0]!) };
}

/** Every column name the relation is known to have had: docs, definition, database. */
function knownColumns(rel: IndexedRelation): Set<string> {
  return new Set([...(rel.documentedColumns ?? []), ...(rel.definedColumns ?? []), ...(rel.databaseColumns ?? []).map((c) => c.name), ...rel.columns.map((c) => c.name)].map((c) => c.toLowerCase()));
}

/** true, or why not: the definition or the database lacks it. */
function currentHas(rel: IndexedRelation, column: string): true | string {
  if (rel.definedColumns && !rel.definedColumns.some((c) => c.toLowerCase() === column)) return `no longer in ${rel.file ?? 'its definition'}`;
  if (rel.databaseColumns && !rel.databaseColumns.some((c) => c.name.toLowerCase() === column)) return 'no longer in the database';
  return true;
}

// The queue asks about every approved pair on each refresh: build the lookup once per index.
const byNameCache = new WeakMap<WorkspaceIndex, Map<string, IndexedRelation>>();

function relationsByName(index: WorkspaceIndex): Map<string, IndexedRelation> {
  const cached = byNameCache.get(index);
  if (cached) return cached;
  const out = new Map<string, IndexedRelation>();
  byNameCache.set(index, out);
  for (const r of index.relations) {
    out.set(r.key, r);
    const identifier = r.relation?.split('.').pop()?.toLowerCase();
    if (identifier && !out.has(identifier)) out.set(identifier, r);
  }
  return out;
}

/** `from customers c join orders as o` → c → customers, o → orders (and each name to itself). */
function aliasMap(sql: string, byName: Map<string, IndexedRelation>): Map<string, IndexedRelation> {
  const tokens = tokenize(sql);
  const out = new Map<string, IndexedRelation>();
  tokens.forEach((t, i) => {
    if (!(t.kind === 'word' && (t.text === 'from' || t.text === 'join'))) return;
    let k = i + 1;
    while (tokens[k + 1]?.text === '.' && isName(tokens[k + 2])) k += 2;
    const rel = isName(tokens[k]) ? byName.get(tokens[k]!.text.toLowerCase()) : undefined;
    if (!rel) return;
    out.set(tokens[k]!.text.toLowerCase(), rel);
    let a = k + 1;
    if (tokens[a]?.text === 'as') a++;
    if (isName(tokens[a])) out.set(tokens[a]!.text.toLowerCase(), rel);
  });
  return out;
}

function approvalTime(pair: Pair): string | undefined {
  const approved = (pair.data as { approved?: { at?: unknown } }).approved?.at;
  if (approved instanceof Date) return approved.toISOString();
  return typeof approved === 'string' ? new Date(approved).toISOString() : undefined;
}
