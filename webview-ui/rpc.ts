import type { ErrorClass } from '../src/protocol/errorClasses';
import {
  hostToWebview, type HostToWebview, type PanelState, type ReplyOf, type RequestBody, type RequestMethod, type RequestOf, type WebviewToHost,
} from '../src/protocol/messages';

/**
 * The webview's side of the protocol: every message from the host is parsed before use (a reply's
 * result against its method's schema), requests get ids and typed replies, and a request's
 * progress and streamed text reach whoever made it. The panel's state is kept with VS Code
 * (getState/setState), never sent to the host: VS Code hands it to the host itself after a reload.
 */
interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export class RequestError extends Error {
  constructor(message: string, readonly errorClass?: ErrorClass) {
    super(message);
  }
}

/** The person stopped it (Stop, Escape): said by the reply's class, whatever its message. */
export function isCancelled(e: unknown): boolean {
  return e instanceof RequestError && e.errorClass === 'cancelled';
}

type Progress = Extract<HostToWebview, { type: 'progress' }>;
type Listener = (message: Extract<HostToWebview, { type: 'pairChanged' | 'modelChanged' }>) => void;

interface Waiter {
  method: RequestMethod;
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?(p: Progress): void;
  onToken?(text: string): void;
}

let nextId = 1;
const waiting = new Map<number, Waiter>();
const listeners: Listener[] = [];

export interface RequestHandle<T> {
  id: number;
  reply: Promise<T>;
}

/** Sends a request; `reply` settles with its typed result or a RequestError. */
export function send<M extends RequestMethod>(body: RequestOf<M>, on: { progress?: (p: Progress) => void; token?: (text: string) => void } = {}): RequestHandle<ReplyOf[M]> {
  const id = nextId++;
  const reply = new Promise<ReplyOf[M]>((resolve, reject) => {
    waiting.set(id, { method: body.method, resolve: resolve, reject, onProgress: on.progress, onToken: on.token });
  });
  api.postMessage({ type: 'request', id, body: body as RequestBody });
  return { id, reply };
}

export function request<M extends RequestMethod>(body: RequestOf<M>): Promise<ReplyOf[M]> {
  return send(body).reply;
}

export function onMessage(listener: Listener): void {
  listeners.push(listener);
}

/** Keeps the panel's state with VS Code, for when the panel is hidden and shown, or the window reloads. */
export function keepState(state: PanelState): void {
  api.setState(state);
}

/** The state VS Code kept for this panel, if any (unchecked). */
export function keptState(): unknown {
  return api.getState();
}

/** Tells the host the panel is drawn and listening. */
export function ready(): void {
  api.postMessage({ type: 'ready' });
}

window.addEventListener('message', (event: MessageEvent) => {
  const received = performance.now();
  const parsed = hostToWebview.safeParse(event.data);
  if (!parsed.success) {
    console.warn('Ask Data: ignored a message that does not match the protocol', parsed.error.issues[0]);
    // A reply we cannot read still ends its request, rather than leave the panel waiting.
    const id = (event.data as { type?: unknown; id?: unknown } | null)?.type === 'reply' ? (event.data as { id: unknown }).id : undefined;
    const waiter = typeof id === 'number' ? waiting.get(id) : undefined;
    if (waiter) {
      waiting.delete(id as number);
      const issue = parsed.error.issues[0];
      waiter.reject(new RequestError(`The extension sent a ${waiter.method} reply this panel does not understand (${issue?.path.join('.')}: ${issue?.message}).`));
    }
    return;
  }
  const message = parsed.data;
  if (message.type === 'progress' || message.type === 'token') {
    const waiter = waiting.get(message.id);
    if (message.type === 'progress') waiter?.onProgress?.(message);
    else waiter?.onToken?.(message.text);
    return;
  }
  if (message.type !== 'reply') {
    for (const l of listeners) l(message);
    return;
  }
  const waiter = waiting.get(message.id);
  if (!waiter) return;
  waiting.delete(message.id);
  if (message.method !== waiter.method) {
    waiter.reject(new RequestError(`The extension answered a ${waiter.method} request with a ${message.method} reply.`));
    return;
  }
  if (!message.ok) {
    waiter.reject(new RequestError(message.error, message.errorClass));
    return;
  }
  // For the benchmark: when a reply arrived, so the first paint of its rows can be timed from it.
  performance.mark('askdata:reply-received', { startTime: received, detail: waiter.method });
  waiter.resolve(message.result);
});
