import { ExecutionError } from '../execution/errors';
import type { PolicyFile } from './policySchema';

/**
 * What one asker may read, decided from policies.yml without any model: which tables, which
 * columns, and which rows (as SQL conditions with the asker's attributes filled in).
 */
export interface TableAccess {
  /** Why the table may not be read at all, naming the rule; undefined if it may. */
  denied?: string;
  /** Lower-case columns hidden from the asker, with the rule that hides each. */
  hiddenColumns: Map<string, string>;
  /** Conditions every row must meet, each with the row policy it comes from. */
  rowFilters: Array<{ policy: string; condition: string }>;
}

export interface AccessDecision {
  asker: string | undefined;
  groups: string[];
  /** Access to a table by name (schema and catalog are ignored: policies name relations). */
  table(name: string): TableAccess;
  /** True when nothing is restricted for this asker, so queries need no rewriting. */
  unrestricted: boolean;
}

const ALL: TableAccess = { hiddenColumns: new Map(), rowFilters: [] };

export function decideAccess(policy: PolicyFile | undefined, askerEmail: string | undefined): AccessDecision {
  if (!policy) return { asker: askerEmail, groups: [], table: () => ALL, unrestricted: true };
  const email = askerEmail?.trim().toLowerCase();
  const groups = Object.entries(policy.groups ?? {})
    .filter(([, g]) => email !== undefined && g.members.some((m) => globMatch(m, email)))
    .map(([name]) => name);
  const rowPolicies = (policy.row_policies ?? []).filter((p) =>
    (email !== undefined && (p.applies_to.members ?? []).some((m) => globMatch(m, email))) || (p.applies_to.groups ?? []).some((g) => groups.includes(g)));
  const attributes = email === undefined ? undefined : Object.entries(policy.askers ?? {}).find(([k]) => k.toLowerCase() === email)?.[1];
  const defaultDeny = policy.default === 'deny';
  const unrestricted = groups.length === 0 && rowPolicies.length === 0 && !defaultDeny;

  const cache = new Map<string, TableAccess>();
  const table = (name: string): TableAccess => {
    const key = name.toLowerCase();
    const known = cache.get(key);
    if (known) return known;
    const access = decideTable(key);
    cache.set(key, access);
    return access;
  };

  function decideTable(t: string): TableAccess {
    const rowFilters = rowPolicies.flatMap((p) => {
      const condition = Object.entries(p.filters).find(([table]) => table.toLowerCase() === t)?.[1];
      return condition ? [{ policy: p.name, condition: fillAsker(condition, p.name, attributes, askerEmail) }] : [];
    });
    if (groups.length === 0) {
      return defaultDeny
        ? { denied: `policies.yml: ${askerEmail ?? 'an unknown asker'} is in no group, and default is deny`, hiddenColumns: new Map(), rowFilters }
        : { hiddenColumns: new Map(), rowFilters };
    }
    const permitting = groups.filter((name) => {
      const g = policy!.groups![name]!;
      const allow = g.tables?.allow;
      const allowed = !allow || allow.some((a) => a === '*' || a.toLowerCase() === t);
      return allowed && !(g.tables?.deny ?? []).some((d) => d.toLowerCase() === t);
    });
    if (permitting.length === 0) {
      return { denied: `policies.yml: group${groups.length > 1 ? 's' : ''} ${groups.join(', ')} may not read ${t}`, hiddenColumns: new Map(), rowFilters };
    }
    // A column is hidden only if every group that may read the table hides it.
    const hidden = new Map<string, string>();
    const hiddenBy = permitting.map((name) => new Set((policy!.groups![name]!.columns?.deny ?? [])
      .map((c) => c.toLowerCase().split('.'))
      .filter(([table]) => table === t)
      .map(([, column]) => column!)));
    for (const column of hiddenBy[0] ?? []) {
      if (hiddenBy.every((s) => s.has(column))) hidden.set(column, `policies.yml: ${permitting.join(', ')} may not see ${t}.${column}`);
    }
    return { hiddenColumns: hidden, rowFilters };
  }

  return { asker: askerEmail, groups, table, unrestricted };
}

/** `{{ asker.country }}` → 'DE', as a SQL literal; a missing attribute refuses rather than guesses. */
function fillAsker(condition: string, policy: string, attributes: Record<string, string | number | boolean> | undefined, email: string | undefined): string {
  return condition.replace(/\{\{\s*asker\.(\w+)\s*\}\}/g, (_, attribute: string) => {
    if (attribute === 'email' && email) return sqlLiteral(email);
    const value = attributes?.[attribute];
    if (value === undefined) {
      throw new ExecutionError('permission-denied', `The row policy ${policy} needs your ${attribute}, which policies.yml does not give for ${email ?? 'you'}; ask whoever maintains askdata/policies.yml to add it.`, `permission denied: row policy ${policy} has no ${attribute} for this asker`);
    }
    return sqlLiteral(value);
  });
}

export function sqlLiteral(v: string | number | boolean): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return `'${v.replaceAll("'", "''")}'`;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.toLowerCase().split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/**
 * The schema as the asker may see it: tables they may not read and columns hidden from them are
 * left out, so the model is never shown what the asker could not query.
 */
export function visibleCatalog<T extends { table: string; column: string }>(catalog: readonly T[], decision: AccessDecision): T[] {
  if (decision.unrestricted) return [...catalog];
  return catalog.filter((c) => {
    const access = decision.table(c.table);
    return !access.denied && !access.hiddenColumns.has(c.column.toLowerCase());
  });
}
