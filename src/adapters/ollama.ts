import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { Ollama } from 'ollama';
import type { ChatModel } from '../core/answer/answer';
import { forBuiltIn, type BuiltIn, type ChatMessage } from '../core/answer/prompt';
import { estimateTokens } from '../core/grounding/grounding';

/**
 * Ask Data's Ollama client, on the `ollama` package. Every failure becomes an OllamaError whose
 * kind says what the person can do: start the server, pull the model, shorten the question.
 */
export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
/** Apache-2.0; the 3B variant of the same family is under the Qwen research licence, not Apache. */
export const DEFAULT_MODEL = 'qwen2.5-coder:1.5b';
export const DEFAULT_NUM_CTX = 8192;
export const DEFAULT_KEEP_ALIVE = '30m';
export const DEFAULT_SEED = 42;

export type OllamaErrorKind = 'unreachable' | 'model-missing' | 'prompt-too-long' | 'stream' | 'aborted' | 'server';

export class OllamaError extends Error {
  constructor(readonly kind: OllamaErrorKind, message: string) {
    super(message);
    this.name = 'OllamaError';
  }
}

export interface OllamaSettings {
  host: string;
  model: string;
  numCtx?: number;
  keepAlive?: string;
  seed?: number;
}

/** The setting if given, else OLLAMA_HOST (as Ollama's own CLI reads it), else the default. */
export function resolveOllamaHost(setting: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const raw = setting?.trim() || env.OLLAMA_HOST?.trim() || DEFAULT_OLLAMA_HOST;
  if (/^https?:\/\//i.test(raw)) return raw.replace(/\/+$/, '');
  // OLLAMA_HOST may be "0.0.0.0", "host:port" or ":port", as `ollama serve` accepts.
  const withPort = raw.startsWith(':') ? `127.0.0.1${raw}` : /:\d+$/.test(raw) ? raw : `${raw}:11434`;
  return `http://${withPort.replace(/^0\.0\.0\.0/, '127.0.0.1')}`;
}

export interface OllamaStatus {
  reachable: boolean;
  host: string;
  model: string;
  version?: string;
  /** Whether the configured model is pulled. */
  modelPulled: boolean;
  models: string[];
  /** What is wrong, for the person, when something is. */
  problem?: string;
}

export interface PullProgress {
  status: string;
  /** 0–1 when the server says how far it is. */
  fraction?: number;
}

/** What `/api/create` is given to build a model (Ollama ≥ 0.5's JSON form, no Modelfile). */
export interface CreateModelRequest {
  model: string;
  from: string;
  system?: string;
  messages?: ChatMessage[];
  parameters?: Record<string, unknown>;
  /** Adapter file name → blob digest (`sha256:…`), uploaded first with uploadBlob. */
  adapters?: Record<string, string>;
}

export interface ModelInfo {
  family: string;
  families: string[];
  parameterSize?: string;
}

export class OllamaClient implements ChatModel {
  readonly host: string;
  readonly name: string;
  private readonly numCtx: number;
  private readonly keepAlive: string;
  private readonly seed: number;
  private readonly embedCache = new Map<string, number[]>();

  constructor(settings: OllamaSettings) {
    this.host = settings.host;
    this.name = settings.model;
    this.numCtx = settings.numCtx ?? DEFAULT_NUM_CTX;
    this.keepAlive = settings.keepAlive ?? DEFAULT_KEEP_ALIVE;
    this.seed = settings.seed ?? DEFAULT_SEED;
  }

  /** The same server and options, another model (a specialised one, or a candidate under evaluation). */
  withModel(model: string, builtIn?: BuiltIn): OllamaClient {
    const client = new OllamaClient({ host: this.host, model, numCtx: this.numCtx, keepAlive: this.keepAlive, seed: this.seed });
    // A model built with /api/create carries a system prompt and messages that Ollama adds to every chat.
    client.builtIn = builtIn ? Promise.resolve(builtIn) : undefined;
    client.specialised = true;
    return client;
  }

  private specialised = false;
  private builtIn: Promise<BuiltIn> | undefined;

  /** The system prompt and messages the model was created with (from /api/show), once. */
  private builtInOf(signal?: AbortSignal): Promise<BuiltIn> | undefined {
    if (!this.specialised) return undefined;
    this.builtIn ??= this.api(signal).show({ model: this.name }).then(
      (r) => ({ system: r.system ?? '', messages: (r.messages ?? []).map((m) => ({ role: m.role as ChatMessage['role'], content: m.content })) }),
      (e) => {
        this.builtIn = undefined;
        throw this.explain(e, signal);
      },
    );
    return this.builtIn;
  }

  get contextLength(): number {
    return this.numCtx;
  }

  /** A client whose every request ends when `signal` aborts, the wait for response headers included. */
  private api(signal?: AbortSignal): Ollama {
    return new Ollama({
      host: this.host,
      fetch: (input, init) => fetch(input, { ...init, signal: signal && init?.signal ? AbortSignal.any([signal, init.signal]) : (signal ?? init?.signal) }),
    });
  }

  async status(signal?: AbortSignal): Promise<OllamaStatus> {
    const base = { host: this.host, model: this.name };
    try {
      const api = this.api(signal ?? AbortSignal.timeout(3000));
      const { version } = await api.version();
      const { models } = await api.list();
      const names = models.map((m) => m.name);
      const modelPulled = names.some((n) => sameModel(n, this.name));
      return { ...base, reachable: true, version, models: names, modelPulled, ...(modelPulled ? {} : { problem: `The model ${this.name} is not pulled. Run: ollama pull ${this.name}` }) };
    } catch (e) {
      const err = this.explain(e, signal);
      return { ...base, reachable: false, modelPulled: false, models: [], problem: err.message };
    }
  }

  async chat(messages: ChatMessage[], options: { signal?: AbortSignal; onToken?: (text: string) => void; temperature?: number; seed?: number } = {}): Promise<string> {
    const builtIn = await this.builtInOf(options.signal);
    const fitted = forBuiltIn(messages, builtIn, estimateTokens);
    messages = fitted.messages;
    const promptTokens = fitted.tokens;
    // Ollama keeps the end of an over-long prompt and silently drops the oldest messages — the
    // model's own examples first. Refuse instead, counting what the model carries too.
    if (promptTokens > this.numCtx * 0.9) {
      throw new OllamaError('prompt-too-long', `The prompt is about ${promptTokens} tokens but the model's context (num_ctx) is ${this.numCtx}: fewer examples or a shorter rules.md would fit, or raise askData.ollama.contextLength.`);
    }
    let text = '';
    try {
      const stream = await this.api(options.signal).chat({
        model: this.name,
        messages,
        stream: true,
        keep_alive: this.keepAlive,
        options: { temperature: options.temperature ?? 0, seed: options.seed ?? this.seed, num_ctx: this.numCtx },
      });
      for await (const part of stream) {
        const piece = part.message?.content ?? '';
        if (piece) {
          text += piece;
          options.onToken?.(piece);
        }
        if (part.done) break;
      }
    } catch (e) {
      throw this.explain(e, options.signal, text);
    }
    return text;
  }

  /** Loads the model into memory so that the first question does not wait for it. */
  async warmUp(signal?: AbortSignal): Promise<void> {
    try {
      await this.api(signal).generate({ model: this.name, prompt: '', keep_alive: this.keepAlive, stream: false });
    } catch (e) {
      throw this.explain(e, signal);
    }
  }

  async pull(onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    try {
      const stream = await this.api(signal).pull({ model: this.name, stream: true });
      for await (const p of stream) {
        onProgress({ status: p.status, ...(p.total ? { fraction: Math.min(1, (p.completed ?? 0) / p.total) } : {}) });
      }
    } catch (e) {
      throw this.explain(e, signal);
    }
  }

  /** The models on the server, by name. */
  async list(signal?: AbortSignal): Promise<string[]> {
    try {
      return (await this.api(signal).list()).models.map((m) => m.name);
    } catch (e) {
      throw this.explain(e, signal);
    }
  }

  /** What a model is built on (from `/api/show`): whether it can take an adapter depends on it. */
  async info(model: string, signal?: AbortSignal): Promise<ModelInfo> {
    try {
      const { details } = await this.api(signal).show({ model });
      return { family: details.family, families: details.families ?? [details.family], ...(details.parameter_size ? { parameterSize: details.parameter_size } : {}) };
    } catch (e) {
      throw this.explain(e, signal, '', model);
    }
  }

  /** Builds a model with `/api/create`, streaming Ollama's status lines ("using existing layer …", "writing manifest"). */
  async create(request: CreateModelRequest, onProgress: (status: string) => void, signal?: AbortSignal): Promise<void> {
    try {
      const stream = await this.api(signal).create({ ...request, stream: true });
      let last = '';
      for await (const p of stream) {
        last = p.status;
        onProgress(p.status);
      }
      if (last !== 'success') throw new OllamaError('stream', `Ollama at ${this.host} stopped building ${request.model} before it was done (last step: ${last || 'none'}).`);
    } catch (e) {
      const err = this.explain(e, signal, '', request.from);
      // Ollama's own words say what was wrong with the request (an unsupported adapter, a bad parameter).
      if (err.kind === 'server' || (err.kind === 'stream' && !(e instanceof OllamaError))) throw new OllamaError(err.kind, `Ollama could not build ${request.model}: ${(e as Error).message}`);
      throw err;
    }
  }

  /** Removes a model; one already gone is not an error. */
  async remove(model: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.api(signal).delete({ model });
    } catch (e) {
      if ((e as { status_code?: unknown }).status_code === 404) return;
      throw this.explain(e, signal);
    }
  }

  /**
   * Uploads a file as a blob, as `ollama create` does before it names the blob in a request: the
   * digest is computed first, `HEAD /api/blobs/<digest>` asks whether the server has it, and if
   * not the file is streamed in a `POST` (never read into memory: adapters are hundreds of MB).
   * The ollama package has no call for this. Returns the digest.
   */
  async uploadBlob(file: string, onProgress?: (sent: number, total: number) => void, signal?: AbortSignal): Promise<{ digest: string; uploaded: boolean }> {
    const { size } = await fs.stat(file);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const digest = `sha256:${hash.digest('hex')}`;
    const url = `${this.host}/api/blobs/${digest}`;
    try {
      const head = await fetch(url, { method: 'HEAD', signal });
      if (head.ok) return { digest, uploaded: false };
      if (head.status !== 404) throw new OllamaError('server', `Ollama at ${this.host} answered ${head.status} when asked whether it has ${digest}.`);
      let sent = 0;
      const source = createReadStream(file);
      source.on('data', (c) => {
        sent += (c as Buffer).length;
        onProgress?.(sent, size);
      });
      const body = Readable.toWeb(source) as ReadableStream<Uint8Array>;
      const post = await fetch(url, { method: 'POST', body, signal, headers: { 'Content-Length': String(size) }, duplex: 'half' } as RequestInit);
      if (!post.ok) {
        const text = await post.text();
        let message = text;
        try {
          message = (JSON.parse(text) as { error?: string }).error ?? text;
        } catch {
          // Not JSON: the text is the message.
        }
        throw new OllamaError('server', `Ollama at ${this.host} refused the upload of ${digest} (${post.status}): ${message}`);
      }
      return { digest, uploaded: true };
    } catch (e) {
      throw this.explain(e, signal);
    }
  }

  /** Embeddings by `/api/embed`, cached by text hash for the life of the client. */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const keys = texts.map((t) => createHash('sha256').update(t).digest('hex'));
    const missing = [...new Set(texts.filter((_, i) => !this.embedCache.has(keys[i]!)))];
    if (missing.length > 0) {
      try {
        const { embeddings } = await this.api(signal).embed({ model: this.name, input: missing, keep_alive: this.keepAlive });
        missing.forEach((t, i) => this.embedCache.set(createHash('sha256').update(t).digest('hex'), embeddings[i]!));
      } catch (e) {
        throw this.explain(e, signal);
      }
    }
    return keys.map((k) => this.embedCache.get(k)!);
  }

  private explain(e: unknown, signal: AbortSignal | undefined, partial = '', model = this.name): OllamaError {
    if (e instanceof OllamaError) return e;
    const err = e as Error & { cause?: { code?: string } };
    if (signal?.aborted || err.name === 'AbortError') {
      return new OllamaError('aborted', signal?.reason instanceof Error && signal.reason.name === 'TimeoutError' ? `Ollama at ${this.host} did not answer in time.` : 'Stopped.');
    }
    // The package's ResponseError (not exported): an HTTP error status with Ollama's `{"error"}` text.
    const status = (e as { status_code?: unknown }).status_code;
    if (typeof status === 'number') {
      if (status === 404 && /model|not found/i.test(err.message)) {
        return new OllamaError('model-missing', `The model ${model} is not pulled on ${this.host}. Run: ollama pull ${model}`);
      }
      return new OllamaError('server', `Ollama at ${this.host} answered ${status}: ${err.message}`);
    }
    if (err.message === 'fetch failed' || ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EHOSTUNREACH'].includes(err.cause?.code ?? '')) {
      if (partial) return new OllamaError('stream', `The connection to Ollama at ${this.host} broke after ${partial.length} characters of the answer.`);
      return new OllamaError('unreachable', `Ollama is not running at ${this.host}. Start it with: ollama serve`);
    }
    if (/did not receive done/i.test(err.message)) {
      return new OllamaError('stream', `Ollama at ${this.host} ended the answer before it was complete.`);
    }
    // A `{"error": …}` line in the middle of a stream.
    return new OllamaError('stream', `Ollama reported an error while answering: ${err.message}`);
  }
}

/** "qwen2.5-coder:1.5b" is pulled as itself; "llama3" means "llama3:latest". */
export function sameModel(pulled: string, wanted: string): boolean {
  const tag = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  return tag(pulled) === tag(wanted);
}
