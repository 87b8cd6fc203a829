import { restricts } from './access';
import type { PolicyFile } from './policySchema';

/**
 * The relations a project has, by name, each with its columns when they are known (from the
 * index and the database): what a policy entry's names are checked against.
 */
export type KnownRelations = ReadonlyMap<string, readonly string[] | undefined>;

export interface PolicyNameWarning {
  line: number;
  message: string;
}

/**
 * Entries of policies.yml that name no relation or column the project has. A misspelt entry is
 * valid YAML and a valid policy, and it restricts nothing: `columns.deny: [customer.email]` hides
 * no column of `customers`, and a row filter keyed by `custmers` filters no row. Nothing can tell
 * such a typo from a table dbt has not built yet, so this warns (in `pairs validate`, CI and the
 * Problems panel) rather than refusing queries. Names are matched as the policies match them.
 */
export function unmatchedPolicyNames(text: string, policy: PolicyFile | undefined, known: KnownRelations): PolicyNameWarning[] {
  if (!policy || known.size === 0) return [];
  const lines = text.split(/\r?\n/);
  const out: PolicyNameWarning[] = [];
  const relationsFor = (name: string) => [...known.keys()].filter((r) => restricts(name, r));
  const lineOf = (entry: string, after: number) => {
    const escaped = entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(^|[\\s\\[,"'])${escaped}(?=$|[\\s\\],:"'])`);
    const i = lines.findIndex((l, n) => n >= after && re.test(l));
    return i >= 0 ? i + 1 : after + 1;
  };
  const sectionStart = (key: string) => Math.max(0, lines.findIndex((l) => new RegExp(`^\\s*${key}\\s*:`).test(l)));
  const warn = (entry: string, after: number, what: string) => out.push({ line: lineOf(entry, after), message: `${what} The project has no table or view of that name (checked against the index and the database): a misspelt name restricts nothing. Fix the name, or ignore this until dbt has built it.` });

  for (const [group, g] of Object.entries(policy.groups ?? {})) {
    const at = sectionStart(group);
    for (const t of g.tables?.deny ?? []) if (relationsFor(t).length === 0) warn(t, at, `Group ${group} denies ${t}, which denies nothing.`);
    for (const t of g.tables?.allow ?? []) if (relationsFor(t).length === 0) warn(t, at, `Group ${group} allows ${t}, which grants nothing.`);
    for (const entry of g.columns?.deny ?? []) {
      const [table = '', column = ''] = entry.split('.');
      const tables = relationsFor(table);
      if (tables.length === 0) {
        warn(entry, at, `Group ${group} hides ${entry}, which hides nothing.`);
        continue;
      }
      const columnsKnown = tables.map((t) => known.get(t)).filter((c): c is readonly string[] => !!c && c.length > 0);
      if (columnsKnown.length === tables.length && !columnsKnown.some((cols) => cols.some((c) => restricts(column, c)))) {
        out.push({ line: lineOf(entry, at), message: `Group ${group} hides ${entry}, but ${tables.join(', ')} has no column ${column}: a misspelt column hides nothing. Fix the name.` });
      }
    }
  }
  const policiesAt = sectionStart('row_policies');
  for (const p of policy.row_policies ?? []) {
    const at = Math.max(policiesAt, lines.findIndex((l) => l.includes(p.name)));
    for (const table of Object.keys(p.filters)) {
      if (relationsFor(table).length === 0) warn(table, at, `Row policy ${p.name} filters ${table}, which filters no row.`);
    }
  }
  return out;
}

/**
 * The relations of an index by every name a query may use for them (the model's name and the
 * identifier it is built as), with the columns when they are certain: what the database has, else
 * what the definition produces. Documented columns alone may be a few of many, so they do not count.
 */
export function knownRelations(relations: ReadonlyArray<{ name: string; relation?: string; definedColumns?: string[]; databaseColumns?: Array<{ name: string }> }>): KnownRelations {
  const out = new Map<string, readonly string[] | undefined>();
  for (const r of relations) {
    const columns = r.databaseColumns?.map((c) => c.name) ?? r.definedColumns;
    for (const name of new Set([r.name, r.relation?.split('.').pop()].filter((n): n is string => !!n))) {
      const known = out.get(name);
      // A name two relations share is certain only when both are.
      out.set(name, out.has(name) ? (known && columns ? [...known, ...columns] : undefined) : columns);
    }
  }
  return out;
}
