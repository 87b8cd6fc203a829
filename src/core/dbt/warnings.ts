/**
 * Every index warning has a kind. Most name a problem of the project that dbt itself would report
 * (a ref to no model, a var without a value, a package not installed); `needs-dbt` says what only a
 * dbt run can know; `unsupported` is a limit of Ask Data's renderer and counts against the index.
 */
export type WarningKind =
  | 'jinja-syntax'
  | 'undefined-macro'
  | 'undefined-name'
  | 'package-missing'
  | 'package-not-installed'
  | 'needs-dbt'
  | 'compiler-error'
  | 'unsupported'
  | 'missing-var'
  | 'unresolved-ref'
  | 'undeclared-source'
  | 'documented-missing'
  | 'doc-missing'
  | 'invalid-yaml'
  | 'duplicate-key'
  | 'duplicate-node'
  | 'invalid-project'
  | 'artifact'
  | 'unreadable';

/** Kinds that are a shortcoming of the index rather than of the project. */
export const INDEX_LIMITATIONS: ReadonlySet<WarningKind> = new Set(['unsupported']);
