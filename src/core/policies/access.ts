import { ExecutionError } from '../execution/errors';
import { asciiLower, looseFold } from '../execution/functionPolicy';
import type { PolicyFile } from './policySchema';

/**
 * What one asker may read, decided from policies.yml without any model: which tables, which
 * columns, and which rows (as SQL conditions with the asker's attributes filled in).
 */
export interface TableAccess {
  /**
   * Why the table may not be read at all, for the person asking: it names the groups and the
   * default, never the table (messages shown to an asker name only what they may see).
   */
  denied?: string;
  /** Columns hidden from the asker (keyed by {@link columnKey}), with the rule that hides each. */
  hiddenColumns: Map<string, string>;
  /** Conditions every row must meet, each with the row policy it comes from. */
  rowFilters: Array<{ policy: string; condition: string }>;
  /**
   * A row policy applies to this table but needs an attribute policies.yml does not give the
   * asker: the table cannot be filtered, so queries that read it are refused with this error.
   * Queries that do not read it are unaffected.
   */
  missingAttribute?: ExecutionError;
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

/**
 * Policies name relations and columns the way SQL does, and DuckDB and SQLite match identifiers
 * ignoring ASCII case only. A name that grants (an `allow` entry) must match that way exactly; a
 * name that restricts (`deny`, hidden columns, row filters) matches after a wider folding too —
 * Unicode case and compatibility forms, so `CUSTOMERS`, `"Customers"` and a name spelt with the
 * Kelvin sign are all restricted alike. A spelling the two rules disagree on is then restricted
 * and not granted: refused, never shown. In every entry `*` matches any run of characters, as in
 * members (`raw_*`, `*.email`): an entry written as a pattern and read as a name would grant
 * nothing — and, worse, restrict nothing.
 */
export function grants(policyName: string, relation: string): boolean {
  return namePattern(asciiLower(policyName)).test(asciiLower(relation));
}

export function restricts(policyName: string, relation: string): boolean {
  return grants(policyName, relation) || namePattern(looseFold(policyName)).test(looseFold(relation));
}

const patterns = new Map<string, RegExp>();
function namePattern(name: string): RegExp {
  let re = patterns.get(name);
  if (!re) {
    re = new RegExp(`^${name.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'su');
    if (patterns.size > 1000) patterns.clear();
    patterns.set(name, re);
  }
  return re;
}

/** The key of a column in {@link TableAccess.hiddenColumns}. */
export function columnKey(column: string): string {
  return looseFold(column);
}

export function isHidden(access: TableAccess, column: string): boolean {
  return access.hiddenColumns.has(columnKey(column)) || access.hiddenColumns.has(asciiLower(column));
}

/**
 * The columns of one table that policies hide, as a map answering for any column name: hidden
 * when each group that may read the table has an entry (a name or a pattern) restricting it.
 * Iterating it gives the entries written as plain names; `size` is non-zero whenever any entry
 * could hide a column, so a table with one is never taken to read freely.
 */
class HiddenColumns extends Map<string, string> {
  constructor(private readonly by: ReadonlyArray<readonly string[]>, private readonly why: string) {
    super();
    for (const column of new Set(by[0] ?? [])) {
      if (!column.includes('*') && by.every((entries) => entries.some((e) => restricts(e, column)))) super.set(columnKey(column), why);
    }
  }

  override has(key: string): boolean {
    return this.by.length > 0 && this.by.every((entries) => entries.some((e) => restricts(e, key)));
  }

  override get(key: string): string | undefined {
    return this.has(key) ? this.why : undefined;
  }

  override get size(): number {
    return Math.max(super.size, this.by.length > 0 ? 1 : 0);
  }
}

/** Whether the asker may read the table as it is: no policy hides, filters or denies any of it. */
export function readsFreely(access: TableAccess): boolean {
  return !access.denied && !access.missingAttribute && access.hiddenColumns.size === 0 && access.rowFilters.length === 0;
}

export function decideAccess(policy: PolicyFile | undefined, askerEmail: string | undefined): AccessDecision {
  if (!policy) return { asker: askerEmail, groups: [], table: () => ALL, unrestricted: true };
  const email = askerEmail?.trim().toLowerCase();
  // Emails are matched ignoring case (as mail systems treat them); patterns too.
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
    const known = cache.get(name);
    if (known) return known;
    const access = decideTable(name);
    cache.set(name, access);
    return access;
  };

  function decideTable(t: string): TableAccess {
    let missingAttribute: ExecutionError | undefined;
    const rowFilters = rowPolicies.flatMap((p) => Object.entries(p.filters).filter(([table]) => restricts(table, t)).flatMap(([, condition]) => {
      try {
        return [{ policy: p.name, condition: fillAsker(condition, p.name, attributes, askerEmail) }];
      } catch (e) {
        missingAttribute ??= e as ExecutionError;
        return [];
      }
    }));
    const extra = missingAttribute ? { missingAttribute } : {};
    if (groups.length === 0) {
      return defaultDeny
        ? { denied: `policies.yml: ${askerEmail ?? 'an unknown asker'} is in no group, and default is deny`, hiddenColumns: new Map(), rowFilters, ...extra }
        : { hiddenColumns: new Map(), rowFilters, ...extra };
    }
    const permitting = groups.filter((name) => {
      const g = policy!.groups![name]!;
      const allow = g.tables?.allow;
      const allowed = !allow || allow.some((a) => grants(a, t));
      return allowed && !(g.tables?.deny ?? []).some((d) => restricts(d, t));
    });
    if (permitting.length === 0) {
      return { denied: `policies.yml: group${groups.length > 1 ? 's' : ''} ${groups.join(', ')} may not read it`, hiddenColumns: new Map(), rowFilters, ...extra };
    }
    // A column is hidden only if every group that may read the table hides it.
    // A column is hidden when every group that may read the table hides it (each group's entries
    // for this table, as names or patterns).
    const deniedBy = permitting.map((name) => (policy!.groups![name]!.columns?.deny ?? [])
      .map((c) => c.split('.') as [string, string])
      .filter(([table]) => restricts(table, t))
      .map(([, column]) => column));
    const why = `policies.yml: ${permitting.join(', ')} may not see it`;
    const hidden = deniedBy.some((entries) => entries.length === 0) ? undefined : { why, by: deniedBy };
    return { hiddenColumns: hidden ? new HiddenColumns(hidden.by, hidden.why) : new Map<string, string>(), rowFilters, ...extra };
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
    return !access.denied && !access.missingAttribute && !isHidden(access, c.column);
  });
}

/** How policies.yml restricts an asker, in words, for a command that refuses restricted askers. */
export function restrictionOf(decision: AccessDecision): string {
  if (decision.unrestricted) return 'is not restricted';
  if (decision.groups.length > 0) return `is in the group${decision.groups.length > 1 ? 's' : ''} ${decision.groups.join(', ')}`;
  return decision.table('').denied ? 'is in no group, and policies.yml denies such askers by default' : 'has row policies that apply to them';
}

/**
 * Refuses a command that shows or learns from every approved pair and its results (test, eval,
 * train, export, augment) to an asker whom policies restrict: those commands have no restricted
 * form, and what they print or build would show what the asker may not see.
 */
export function requireUnrestricted(decision: AccessDecision, what: string): void {
  if (decision.unrestricted) return;
  throw new ExecutionError('permission-denied', `${what} uses every approved pair and its results, so it runs only for askers whom askdata/policies.yml does not restrict; ${decision.asker ?? 'the asker'} ${restrictionOf(decision)}. Run it as someone it does not restrict (--as, or git's user.email).`, 'permission denied: only for unrestricted askers');
}

/**
 * What policies.yml says about itself that its authors should know; empty when nothing. Groups
 * without `default:` leave askers in no group — anyone whose email matches no members —
 * unrestricted, which is rarely what a file that defines groups means.
 */
export function policyWarnings(policy: PolicyFile | undefined): string[] {
  if (!policy || policy.default !== undefined || Object.keys(policy.groups ?? {}).length === 0) return [];
  return ["policies.yml defines groups but no default:, so an asker in no group (anyone whose email matches no group's members) can read every table and column, except what a row policy naming them restricts. Add `default: deny` to refuse them everything, or `default: allow` to say that this is meant."];
}

/** {@link policyWarnings}, each at the line it is about (the `groups:` key), for Problems and CI. */
export function policyWarningsWithLines(text: string, policy: PolicyFile | undefined): Array<{ line: number; message: string }> {
  const at = text.split(/\r?\n/).findIndex((l) => /^groups\s*:/.test(l));
  return policyWarnings(policy).map((message) => ({ line: at >= 0 ? at + 1 : 1, message }));
}
