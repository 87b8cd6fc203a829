/**
 * Every class of error a request or an answer can end in, and what each one means — the one list
 * the engines, the answer pipeline, the host and the panel share. Plain data without zod, so that
 * src/core can import it too (src/protocol imports nothing of core; messages.ts builds the zod
 * enum from this same list).
 */
interface ClassInfo {
  /** Who raises it: running a query (an engine's ExecutionError), or writing one (the model). */
  raisedBy: 'query' | 'model';
  /**
   * A rewrite of the SQL could make it go away without changing what the question asks: the
   * model repairs from it on its own, and the panel offers Fix.
   */
  repairable: boolean;
  /** The SQL has not failed: nothing could run it here. It may be approved deliberately, recorded unverified. */
  couldNotRun?: true;
}

const classes = {
  syntax: { raisedBy: 'query', repairable: true },
  'unknown-table': { raisedBy: 'query', repairable: true },
  'unknown-column': { raisedBy: 'query', repairable: true },
  /** A rewrite would only teach the model to work around an access policy. */
  'permission-denied': { raisedBy: 'query', repairable: false },
  /** The guard refused a write; the model may write the read-only query the question needs. */
  'not-read-only': { raisedBy: 'query', repairable: true },
  /** A faster query is a different one (a filter, a LIMIT): the person chooses it, the model must not change the answer quietly. */
  timeout: { raisedBy: 'query', repairable: false },
  /** The person stopped the request: not a failure of the SQL, never repaired nor answered around. */
  cancelled: { raisedBy: 'query', repairable: false },
  'database-missing': { raisedBy: 'query', repairable: false, couldNotRun: true },
  /** dbt holds the database's write lock. */
  'database-locked': { raisedBy: 'query', repairable: false, couldNotRun: true },
  'database-corrupt': { raisedBy: 'query', repairable: false },
  /** No database Ask Data can run on (a warehouse, a file not built, a server not reachable): the SQL is shown, not run. */
  'not-run': { raisedBy: 'query', repairable: false, couldNotRun: true },
  runtime: { raisedBy: 'query', repairable: true },
  /** The model replied without a query: asking again for one may get it. */
  'no-sql': { raisedBy: 'model', repairable: true },
  'model-unavailable': { raisedBy: 'model', repairable: false },
  'model-unreachable': { raisedBy: 'model', repairable: false },
  'model-model-missing': { raisedBy: 'model', repairable: false },
  'model-prompt-too-long': { raisedBy: 'model', repairable: false },
  'model-stream': { raisedBy: 'model', repairable: false },
  'model-server': { raisedBy: 'model', repairable: false },
  /** The model's request was ended by something other than this request being stopped (a time limit of its own). */
  'model-aborted': { raisedBy: 'model', repairable: false },
  /** A model failure of no known kind. */
  model: { raisedBy: 'model', repairable: false },
} as const satisfies Record<string, ClassInfo>;

export type ErrorClass = keyof typeof classes;
/** The classes an engine raises when running a query. */
export type ExecutionErrorClass = { [K in ErrorClass]: (typeof classes)[K]['raisedBy'] extends 'query' ? K : never }[ErrorClass];

export const errorClasses = Object.keys(classes) as [ErrorClass, ...ErrorClass[]];

export function isErrorClass(name: string): name is ErrorClass {
  return Object.hasOwn(classes, name);
}

/** Whether a rewrite of the SQL could fix it (see ClassInfo.repairable). */
export function isRepairable(errorClass: ErrorClass): boolean {
  return classes[errorClass].repairable;
}

/** Whether the SQL has not failed, only not been run (see ClassInfo.couldNotRun). */
export function couldNotRun(errorClass: ErrorClass): boolean {
  return (classes[errorClass] as ClassInfo).couldNotRun === true;
}
