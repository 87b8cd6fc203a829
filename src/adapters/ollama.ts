import { createHash } from 'node:crypto';
import { Ollama } from 'ollama';
import type { ChatModel } from '../core/answer/answer';
import type { ChatMessage } from '../core/answer/prompt';
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
    const promptTokens = messages.reduce((s, m) => s + estimateTokens(m.content) + 4, 0);
    // Ollama keeps the end of an over-long prompt and drops the start — the schema. Refuse instead.
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

  private explain(e: unknown, signal: AbortSignal | undefined, partial = ''): OllamaError {
    if (e instanceof OllamaError) return e;
    const err = e as Error & { cause?: { code?: string } };
    if (signal?.aborted || err.name === 'AbortError') {
      return new OllamaError('aborted', signal?.reason instanceof Error && signal.reason.name === 'TimeoutError' ? `Ollama at ${this.host} did not answer in time.` : 'Stopped.');
    }
    // The package's ResponseError (not exported): an HTTP error status with Ollama's `{"error"}` text.
    const status = (e as { status_code?: unknown }).status_code;
    if (typeof status === 'number') {
      if (status === 404 && /model|not found/i.test(err.message)) {
        return new OllamaError('model-missing', `The model ${this.name} is not pulled on ${this.host}. Run: ollama pull ${this.name}`);
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
