import {
  hostToWebview, replySchemas, type HostToWebview, type PanelState, type ReplyOf, type RequestBody, type WebviewToHost,
} from '../src/protocol/messages';

/**
 * The webview's side of the protocol: every message from the host is parsed before use, requests
 * get ids and typed replies (checked against their schema too), and a request's progress and
 * streamed text reach whoever made it.
 */
interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export class RequestError extends Error {
  constructor(message: string, readonly errorClass?: string) {
    super(message);
  }
}

type Progress = Extract<HostToWebview, { type: 'progress' }>;
type Listener = (message: Exclude<HostToWebview, { type: 'reply' | 'progress' | 'token' }>) => void;

interface Waiter {
  method: RequestBody['method'];
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
export function send<B extends RequestBody>(body: B, on: { progress?(p: Progress): void; token?(text: string): void } = {}): RequestHandle<ReplyOf[B['method']]> {
  const id = nextId++;
  const reply = new Promise<ReplyOf[B['method']]>((resolve, reject) => {
    waiting.set(id, { method: body.method, resolve: resolve as (v: unknown) => void, reject, onProgress: on.progress, onToken: on.token });
  });
  api.postMessage({ type: 'request', id, body });
  return { id, reply };
}

export function request<B extends RequestBody>(body: B): Promise<ReplyOf[B['method']]> {
  return send(body).reply;
}

export function onMessage(listener: Listener): void {
  listeners.push(listener);
}

export function saveState(state: PanelState): void {
  api.setState(state);
  api.postMessage({ type: 'state', state });
}

export function ready(): void {
  api.postMessage({ type: 'ready', state: api.getState() as PanelState | undefined });
}

window.addEventListener('message', (event: MessageEvent) => {
  const received = performance.now();
  const parsed = hostToWebview.safeParse(event.data);
  if (!parsed.success) {
    console.warn('Ask Data: ignored a message that does not match the protocol', parsed.error.issues[0]);
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
  waiting.delete(message.id);
  if (!waiter) return;
  if (!message.ok) {
    waiter.reject(new RequestError(message.error, message.errorClass));
    return;
  }
  const schema = replySchemas[waiter.method];
  if (!schema) {
    waiter.resolve(message.result);
    return;
  }
  const result = schema.safeParse(message.result);
  if (!result.success) {
    waiter.reject(new RequestError(`The extension sent a ${waiter.method} reply this panel does not understand (${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}).`));
    return;
  }
  // For the benchmark: when a reply arrived, so the first paint of its rows can be timed from it.
  performance.mark('askdata:reply-received', { startTime: received, detail: waiter.method });
  waiter.resolve(result.data);
});
