import type { OutputItem } from '../sql/queryShape';
import type { Fragment, IndexedColumn, IndexedRelation, SqlFragment } from './types';

/** What column derivation reads and keeps of a merge. */
export interface DerivationState {
  relations: Map<string, IndexedRelation>;
  /** Derived columns by relation key; null while a relation is being derived (a cycle) or when it cannot be. */
  derived: Map<string, string[] | null>;
  /** The columns a relation had before derivation added to them, to derive again from. */
  baseColumns: Map<string, IndexedColumn[]>;
  nodeKey(f: SqlFragment): string;
  keyOfName(path: string, name: string | undefined): string | undefined;
}

/** Columns each model's SQL produces; `only` limits the work to relations a patch touched. */
export function deriveColumns(state: DerivationState, files: Map<string, Fragment>, only: Set<string> | undefined): void {
  const { relations, derived, baseColumns } = state;
  if (only) for (const k of only) derived.delete(k);
  const byKey = new Map<string, [string, SqlFragment]>();
  for (const [path, f] of files) {
    if (f.kind !== 'sql' || (f.role !== 'model' && f.role !== 'snapshot')) continue;
    // Of two files with one name (a duplicate, or a disabled twin), the node's own file.
    const key = state.nodeKey(f);
    if (!byKey.has(key) || relations.get(key)?.file === path) byKey.set(key, [path, f]);
  }
  const columnsOf = (key: string, depth: number): string[] | null => {
    if (derived.has(key)) return derived.get(key)!;
    const rel = relations.get(key);
    if (!rel) return null;
    if (rel.from === 'manifest' && rel.definedColumns) return rel.definedColumns;
    const entry = byKey.get(key);
    if (!entry || rel.file !== entry[0] || depth > 50) {
      const known = rel.definedColumns ?? rel.databaseColumns?.map((c) => c.name) ?? (rel.columns.length ? rel.columns.map((c) => c.name) : null);
      return known;
    }
    derived.set(key, null); // cycles resolve to unknown
    const [path, f] = entry;
    const ctes = new Map(f.shape.ctes.map((c) => [c.name, c.output]));
    const expand = (items: OutputItem[], seen: Set<string>): string[] | null => {
      const out: string[] = [];
      for (const item of items) {
        if ('name' in item) {
          if (!item.name) return null;
          out.push(item.name);
          continue;
        }
        if (!item.relation) return null;
        const cte = ctes.get(item.relation);
        if (cte && !seen.has(item.relation)) {
          const inner = expand(cte, new Set([...seen, item.relation]));
          if (!inner) return null;
          out.push(...inner);
          continue;
        }
        const target = state.keyOfName(path, item.relation);
        const cols = target ? columnsOf(target, depth + 1) : null;
        if (!cols) return null;
        out.push(...cols);
      }
      return out;
    };
    const cols = expand(f.shape.output, new Set());
    derived.set(key, cols);
    return cols;
  };
  for (const rel of only ? [...only].map((k) => relations.get(k)).filter((r): r is IndexedRelation => !!r) : relations.values()) {
    if (rel.from !== 'files' || (rel.kind !== 'model' && rel.kind !== 'snapshot')) continue;
    const cols = columnsOf(rel.key, 0);
    if (!cols) {
      delete rel.definedColumns;
      continue;
    }
    rel.definedColumns = cols;
    if (!rel.databaseColumns) {
      const base = baseColumns.get(rel.key) ?? baseColumns.set(rel.key, rel.columns).get(rel.key)!;
      const documented = new Map(base.map((c) => [c.name.toLowerCase(), c]));
      const seen = new Set(cols.map((c) => c.toLowerCase()));
      rel.columns = [...cols.map((name) => ({ ...documented.get(name.toLowerCase()), name })), ...base.filter((c) => !seen.has(c.name.toLowerCase()))];
    }
  }
}
