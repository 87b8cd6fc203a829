import { z } from 'zod';

/**
 * Every message between the extension host and the Ask panel. Both sides parse what they receive
 * with these schemas and drop anything that does not match, so a bug or a hostile value on one
 * side cannot become an unexpected shape on the other.
 */

/** One entry of a pair's append-only history, as shown in the panel. */
export const historyEntry = z.object({
  at: z.string(),
  event: z.string(),
  by: z.string().optional(),
  model: z.string().optional(),
  text: z.string().optional(),
});

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
  approved: z.object({ by: z.string(), at: z.string() }).optional(),
  rejected: z.object({ by: z.string(), at: z.string(), reason: z.string().optional() }).optional(),
  history: z.array(historyEntry),
  /** Why the pair may no longer match the project, when it may not. */
  stale: z.string().optional(),
});
export type PairView = z.infer<typeof pairView>;

/** An approved question that resembles the one being typed. */
export const similarPair = z.object({ id: z.string(), question: z.string(), score: z.number() });
export type SimilarPair = z.infer<typeof similarPair>;

/** What the panel shows; kept by the webview (getState/setState) so it survives reloads. */
export const panelState = z.object({
  projectRoot: z.string(),
  pairId: z.string().optional(),
  draftQuestion: z.string().optional(),
  about: z.string().optional(),
});
export type PanelState = z.infer<typeof panelState>;

// ── host → webview ──────────────────────────────────────────────────────────────────────────

/** Sent once the webview says it is ready: everything the panel needs to render. */
export const initMessage = z.object({
  type: z.literal('init'),
  state: panelState,
  projectName: z.string(),
  /** Null for a new question; the pair when the panel was opened from the queue. */
  pair: pairView.nullable(),
  /** Whether this build can answer questions, and if not, why (shown as is). */
  answering: z.object({ available: z.boolean(), reason: z.string() }),
});

/** The pair changed on disk (approved from the queue, edited in git, …) or was deleted (null). */
export const pairChangedMessage = z.object({ type: z.literal('pairChanged'), pair: pairView.nullable() });

/** The answer to a request, matched by its id. */
export const replyMessage = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('reply'), id: z.number().int(), ok: z.literal(true), result: z.unknown().optional() }),
  z.object({ type: z.literal('reply'), id: z.number().int(), ok: z.literal(false), error: z.string() }),
]);

export const hostToWebview = z.union([initMessage, pairChangedMessage, replyMessage]);
export type HostToWebview = z.infer<typeof hostToWebview>;

// ── webview → host ──────────────────────────────────────────────────────────────────────────

/** The webview has loaded and listens; the host answers with `init`. */
export const readyMessage = z.object({ type: z.literal('ready'), state: panelState.optional().catch(undefined) });

/** The webview's state changed (draft question typed, pair opened); the host keeps it for reloads. */
export const stateMessage = z.object({ type: z.literal('state'), state: panelState });

export const requestBody = z.discriminatedUnion('method', [
  /** Approve the pair shown. */
  z.object({ method: z.literal('approve') }),
  /** Reject the pair shown, optionally saying why. */
  z.object({ method: z.literal('reject'), reason: z.string().max(2000).optional() }),
  /** Take back the approval of the pair shown (it returns to pending). */
  z.object({ method: z.literal('removeApproval') }),
  /** Save edits to the pair's question and SQL. */
  z.object({ method: z.literal('save'), question: z.string().min(1).max(10_000), sql: z.string().min(1).max(200_000) }),
  /** Open the pair's file in an editor. */
  z.object({ method: z.literal('openFile') }),
  /** Approved questions resembling `question`; the reply's result is SimilarPair[]. */
  z.object({ method: z.literal('similar'), question: z.string().max(10_000) }),
  /** Open (or focus) the panel of another pair. */
  z.object({ method: z.literal('openPair'), pairId: z.string() }),
]);
export type RequestBody = z.infer<typeof requestBody>;

export const requestMessage = z.object({ type: z.literal('request'), id: z.number().int(), body: requestBody });

export const webviewToHost = z.union([readyMessage, stateMessage, requestMessage]);
export type WebviewToHost = z.infer<typeof webviewToHost>;

export const ASK_PANEL_VIEW_TYPE = 'askData.ask';
