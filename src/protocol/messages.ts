import * as z from 'zod/mini';
import { errorClasses } from './errorClasses';

/**
 * Every message between the extension host and the Ask panel. Both sides parse what they receive
 * with these schemas and drop anything that does not match, so a bug or a hostile value on one
 * side cannot become an unexpected shape on the other. Requests carry an id; each gets exactly one
 * reply with that id, and long ones send progress with it first. The schemas use zod's "mini"
 * build: the same checks at a thirtieth of the webview bundle size of the classic API.
 */

const text = (max: number, min = 0) => z.string().check(...(min ? [z.minLength(min)] : []), z.maxLength(max));
/** Trimmed, non-empty text (questions, SQL). */
const filled = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));
const int = () => z.number().check(z.int());

/** One entry of a pair's append-only history, as shown in the panel and written on a decision. */
export const historyEntry = z.object({
  at: z.iso.datetime({ offset: true }),
  event: text(100, 1),
  by: z.optional(text(500)),
  model: z.optional(text(500)),
  text: z.optional(text(10_000)),
});
export type HistoryEntry = z.infer<typeof historyEntry>;

/** A pair as the panel shows it. */
export const pairView = z.object({
  id: z.string(),
  /** Path relative to the project root, e.g. askdata/pairs/who-are-my-top-customers.yml. */
  file: z.string(),
  question: z.string(),
  sql: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
  tags: z.array(z.string()),
  tables: z.array(z.string()),
  approved: z.optional(z.object({ by: z.string(), at: z.string() })),
  rejected: z.optional(z.object({ by: z.string(), at: z.string(), reason: z.optional(z.string()) })),
  /** The result recorded when it was approved. */
  result: z.optional(z.object({ rows: z.number(), columns: z.array(z.string()), fingerprint: z.optional(z.string()) })),
  /** Approved deliberately without having run (`result: unverified`). */
  unverified: z.optional(z.boolean()),
  synthetic: z.optional(z.boolean()),
  /** What the SQL states it assumes (its `-- assumption:` comments). */
  assumptions: z.array(z.string()),
  history: z.array(z.extend(historyEntry, { at: z.string() })),
  /** Why the pair may no longer match the project, when it may not. */
  stale: z.optional(z.string()),
});
export type PairView = z.infer<typeof pairView>;

/** An approved question that resembles the one being typed. */
export const similarPair = z.object({ id: z.string(), question: z.string(), score: z.number() });
export type SimilarPair = z.infer<typeof similarPair>;

// ── results ──────────────────────────────────────────────────────────────────────────────────

export const resultColumn = z.object({ name: z.string(), type: z.string() });
export type ResultColumnView = z.infer<typeof resultColumn>;

/**
 * A cell as the engines render it (see core/execution/result.ts): text, number, boolean, null,
 * or a list/struct of those. The panel only ever puts cells into text nodes.
 */
export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };

function isCell(v: unknown, depth = 0): v is Cell {
  if (v === null) return true;
  const t = typeof v;
  if (t === 'string' || t === 'boolean') return true;
  if (t === 'number') return true;
  if (depth > 8 || t !== 'object') return false;
  if (Array.isArray(v)) return v.every((x) => isCell(x, depth + 1));
  return Object.values(v as object).every((x) => isCell(x, depth + 1));
}

/**
 * Rows are checked by hand rather than by a nested zod schema: a 100,000-row result is validated
 * in one tight loop instead of a million schema calls, which keeps the first paint quick.
 */
const resultRows = z.custom<Cell[][]>((v) => {
  if (!Array.isArray(v)) return false;
  for (const row of v) {
    if (!Array.isArray(row)) return false;
    for (const cell of row) if (cell !== null && typeof cell !== 'string' && typeof cell !== 'number' && !isCell(cell)) return false;
  }
  return true;
}, 'rows must be arrays of plain values');

export const resultView = z.object({
  columns: z.array(resultColumn),
  rows: resultRows,
  /** Rows the query returned (counted to the cap), of which `rows` holds the first ones. */
  rowCount: z.number().check(z.int(), z.nonnegative()),
  /** More rows exist than were counted. */
  capped: z.boolean(),
  ms: z.number().check(z.nonnegative()),
}).check(z.refine((r) => r.rows.every((row) => row.length === r.columns.length), 'every row must have one value per column'));
export type ResultView = z.infer<typeof resultView>;

/** One of the error classes of ./errorClasses (unknown-column, permission-denied, cancelled, …). */
export const errorClass = z.enum(errorClasses);

export const errorView = z.object({
  class: errorClass,
  message: z.string(),
});
export type ErrorView = z.infer<typeof errorView>;

// ── answers ──────────────────────────────────────────────────────────────────────────────────

/** What the model was shown: the grounding, for "What the model saw". */
export const groundingView = z.object({
  /** duckdb, sqlite, postgres, or a warehouse's dialect (snowflake, bigquery, …) whose SQL is shown, not run. */
  dialect: z.string(),
  tables: z.array(z.object({ name: z.string(), score: z.number(), reasons: z.array(z.string()), columns: z.number(), omittedColumns: z.number() })),
  tablesAvailable: z.number(),
  hidden: z.object({ tables: z.number(), columns: z.number() }),
  joins: z.array(z.string()),
  examples: z.array(z.object({ id: z.string(), file: z.string(), question: z.string(), sql: z.string(), score: z.number() })),
  rules: z.string(),
  schema: z.string(),
  tokens: z.object({ total: z.number(), budget: z.number() }),
});
export type GroundingView = z.infer<typeof groundingView>;

export const answerView = z.object({
  question: z.string(),
  sql: z.nullable(z.string()),
  source: z.nullable(z.enum(['recall', 'model'])),
  model: z.nullable(z.string()),
  /** For recall: the approved pair answered from. */
  pair: z.nullable(z.object({ id: z.string(), file: z.string(), similarity: z.number() })),
  /** What recall changed in the approved SQL, e.g. "30 → 90". */
  adaptations: z.array(z.string()),
  /** For recall: the components of the question the pair matched ("measure: a count"), adapted ones marked. */
  matched: z.optional(z.array(z.string())),
  /** On an abstention: what differs from the nearest approved pair, in the asker's words. */
  differences: z.optional(z.array(z.string())),
  /** A rejected pair asking (nearly) the same, and why it was rejected. */
  rejected: z.optional(z.nullable(z.object({ question: z.string(), file: z.string(), reason: z.nullable(z.string()) }))),
  assumptions: z.array(z.string()),
  abstained: z.boolean(),
  reason: z.nullable(z.string()),
  error: z.nullable(errorView),
  attempts: int(),
  result: z.nullable(resultView),
  grounding: groundingView,
});
export type AnswerView = z.infer<typeof answerView>;

/** The local model as the panel needs to know it. */
export const modelView = z.object({
  available: z.boolean(),
  name: z.string(),
  /** What to say when it is not available (the status bar item opens the setup). */
  problem: z.optional(z.string()),
});
export type ModelView = z.infer<typeof modelView>;

/**
 * The work in progress of an unsaved question, kept by the webview (getState/setState) so that it
 * survives hiding and reloads. The result rows are not kept: they are fetched again on restore.
 */
export const draftState = z.object({
  question: text(10_000),
  sql: text(200_000),
  answer: z.nullable(z.extend(z.omit(answerView, { result: true }), { result: z.null() })),
  /** The steps so far (asked, feedback, edited, …), written to the pair's history on a decision. */
  history: z.array(historyEntry).check(z.maxLength(200)),
});
export type DraftState = z.infer<typeof draftState>;

/**
 * What a panel is, and the work in it. The webview owns it: it keeps it with getState/setState,
 * VS Code persists it and hands it to the host's serializer after a reload. The host decides only
 * which panel it is (project, pair, model asked about); the draft is the webview's.
 */
export const panelState = z.object({
  projectRoot: z.string(),
  pairId: z.optional(z.string()),
  /** The draft's question, as states saved before `draft` held it. */
  draftQuestion: z.optional(z.string()),
  about: z.optional(z.string()),
  draft: z.optional(draftState),
});
export type PanelState = z.infer<typeof panelState>;

/**
 * Everything the panel needs to draw itself, placed in the page by the host (see panelHtml) so
 * that the first paint waits for no message. Later changes come as pairChanged and modelChanged.
 */
export const panelInit = z.object({
  state: panelState,
  projectName: z.string(),
  /** Null for a new question; the pair when the panel is a pair's. */
  pair: z.nullable(pairView),
  model: modelView,
});
export type PanelInit = z.infer<typeof panelInit>;

// ── host → webview ──────────────────────────────────────────────────────────────────────────

/** The pair changed on disk (approved from the queue, edited in git, …) or was deleted (null). */
export const pairChangedMessage = z.object({ type: z.literal('pairChanged'), pair: z.nullable(pairView) });

/** The local model became available or went away. */
export const modelChangedMessage = z.object({ type: z.literal('modelChanged'), model: modelView });

/** A step of a long request (ask, fix): grounding, recall, generating, running, repairing. */
export const progressMessage = z.object({
  type: z.literal('progress'),
  id: int(),
  step: z.enum(['grounding', 'recall', 'generating', 'running', 'repairing']),
  detail: z.optional(z.string()),
});

/** Text streamed by the model while it writes, shown as it comes. */
export const tokenMessage = z.object({ type: z.literal('token'), id: int(), text: z.string() });

// ── requests and their replies ──────────────────────────────────────────────────────────

const questionText = filled(10_000);
const sqlText = filled(200_000);

/**
 * Every request, with the type of its reply. The webview's `request()` is typed from this table,
 * so a caller cannot expect a reply the host does not send.
 */
export const requestBody = z.discriminatedUnion('method', [
  /** Answer a question. With `feedback`, regenerate `previousSql` ("Not quite right?"). Reply: AnswerView. */
  z.object({
    method: z.literal('ask'),
    question: questionText,
    feedback: z.optional(z.object({ text: filled(2000), sql: sqlText, shape: z.optional(z.object({ columns: z.array(z.string()), rows: z.number() })) })),
  }),
  /** Ask the model to repair `sql` from the error it caused. Reply: AnswerView. */
  z.object({ method: z.literal('fix'), question: questionText, sql: sqlText, error: errorView }),
  /** Run SQL as the asker, read-only and under their access policies. Reply: ResultView. */
  z.object({ method: z.literal('run'), sql: sqlText }),
  /** Stop the request with this id (an ask or a run). Reply: nothing. */
  z.object({ method: z.literal('cancel'), requestId: int() }),
  /** Save the answer shown as a new pair. Reply: PairView (the panel becomes that pair's). */
  z.object({
    method: z.literal('decide'),
    decision: z.enum(['approve', 'pending', 'reject']),
    question: questionText,
    sql: sqlText,
    reason: z.optional(text(2000)),
    history: z.array(historyEntry).check(z.maxLength(200)),
    model: z.optional(text(500)),
  }),
  /** Approve the pair shown (its SQL is run once more for the result fingerprint). */
  z.object({ method: z.literal('approve') }),
  /** Reject the pair shown, optionally saying why. */
  z.object({ method: z.literal('reject'), reason: z.optional(text(2000)) }),
  /** Take back the approval of the pair shown (it returns to pending). */
  z.object({ method: z.literal('removeApproval') }),
  /** Save edits to the pair's question and SQL, with the steps that led to them. */
  z.object({ method: z.literal('save'), question: questionText, sql: sqlText, history: z.optional(z.array(historyEntry).check(z.maxLength(200))) }),
  /** Open the pair's file in an editor. */
  z.object({ method: z.literal('openFile') }),
  /** Approved questions resembling `question`; the reply's result is SimilarPair[]. */
  z.object({ method: z.literal('similar'), question: text(10_000) }),
  /** Open (or focus) the panel of another pair. */
  z.object({ method: z.literal('openPair'), pairId: z.string() }),
  /** Put text on the clipboard (a result as CSV or Markdown). */
  z.object({ method: z.literal('copy'), text: text(100_000_000) }),
  /** Open the model setup (the status bar's command). */
  z.object({ method: z.literal('setupModel') }),
]);
export type RequestBody = z.infer<typeof requestBody>;
export type RequestMethod = RequestBody['method'];
export type RequestOf<M extends RequestMethod> = Extract<RequestBody, { method: M }>;

const nothing = z.optional(z.void());

/** What each request's reply carries: the one definition both sides check replies with. */
export const replySchemas = {
  ask: answerView,
  fix: answerView,
  run: resultView,
  cancel: nothing,
  decide: pairView,
  approve: nothing,
  reject: nothing,
  removeApproval: nothing,
  save: nothing,
  openFile: nothing,
  similar: z.array(similarPair),
  openPair: nothing,
  copy: nothing,
  setupModel: nothing,
} satisfies { [M in RequestMethod]: z.ZodMiniType };
export type ReplyOf = { [M in RequestMethod]: z.infer<(typeof replySchemas)[M]> };

/**
 * The host's side of the requests: one handler for each, returning that request's reply type, so
 * the compiler holds every handler to its reply schema.
 */
export type RequestHandlers<Context> = { [M in RequestMethod]: (body: RequestOf<M>, context: Context) => Promise<ReplyOf[M]> };

/** Calls the handler of `body`'s method. */
export function handleRequest<Context, M extends RequestMethod>(handlers: RequestHandlers<Context>, body: RequestOf<M>, context: Context): Promise<ReplyOf[M]> {
  return handlers[body.method](body, context);
}

const okReply = <M extends RequestMethod>(method: M) => z.object({ type: z.literal('reply'), id: int(), ok: z.literal(true), method: z.literal(method), result: replySchemas[method] });

/**
 * The answer to a request, matched by its id and naming its method, so that its result is checked
 * against that method's schema by whoever parses it: the host before sending, the webview on arrival.
 */
export const replyMessage = z.union([
  z.discriminatedUnion('method', [
    okReply('ask'), okReply('fix'), okReply('run'), okReply('cancel'), okReply('decide'), okReply('approve'), okReply('reject'),
    okReply('removeApproval'), okReply('save'), okReply('openFile'), okReply('similar'), okReply('openPair'), okReply('copy'), okReply('setupModel'),
  ]),
  z.object({ type: z.literal('reply'), id: int(), ok: z.literal(false), method: z.enum(requestMethods()), error: z.string(), errorClass: z.optional(errorClass) }),
]);
export type ReplyMessage = z.infer<typeof replyMessage>;
export type OkReply<M extends RequestMethod> = Extract<ReplyMessage, { ok: true; method: M }>;
// Does not compile if a request is missing from the replies above.
const _everyRequestReplied: [Exclude<RequestMethod, Extract<ReplyMessage, { ok: true }>['method']>] extends [never] ? true : never = true;

/** A successful reply to request `id`, its result typed by its method. */
export function okReplyTo<M extends RequestMethod>(id: number, method: M, result: ReplyOf[M]): OkReply<M> {
  // TypeScript cannot narrow the union of replies by a generic method; the parameters are typed instead.
  return { type: 'reply', id, ok: true, method, result } as unknown as OkReply<M>;
}

function requestMethods(): [RequestMethod, ...RequestMethod[]] {
  return Object.keys(replySchemas) as [RequestMethod, ...RequestMethod[]];
}

export const hostToWebview = z.union([pairChangedMessage, modelChangedMessage, progressMessage, tokenMessage, replyMessage]);
export type HostToWebview = z.infer<typeof hostToWebview>;

// ── webview → host ──────────────────────────────────────────────────────────────────────────

/**
 * The webview has drawn itself from the page and listens: the host sends what changed since it
 * wrote the page (the pair, the model), which a hidden panel could not be told.
 */
export const readyMessage = z.object({ type: z.literal('ready') });

export const requestMessage = z.object({ type: z.literal('request'), id: int(), body: requestBody });

export const webviewToHost = z.union([readyMessage, requestMessage]);
export type WebviewToHost = z.infer<typeof webviewToHost>;

export const ASK_PANEL_VIEW_TYPE = 'askData.ask';
