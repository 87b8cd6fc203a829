import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A faithful stand-in for Ollama's HTTP API on loopback, for what our client depends on: NDJSON
 * streams of chat chunks ending in a `done` line, `{"error": …}` lines mid-stream, 404 with
 * `{"error": "model … not found"}` for a model that is not pulled, pull progress, embeddings,
 * slow answers and dropped connections. It plays the model with scripted replies; it tests our
 * client's behaviour, not model quality.
 */
export interface FakeReply {
  /** The answer, streamed in these chunks (a string is split into words). */
  content: string | string[];
  /** Milliseconds before the response headers, and between chunks. */
  delayMs?: number;
  chunkDelayMs?: number;
  /** Send this `{"error"}` line after the content instead of the done line. */
  errorMidStream?: string;
  /** Close the connection after the content, without a done line. */
  dropAfterContent?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  /** For a blob upload: the bytes received and their digest. */
  upload?: { bytes: number; digest: string; contentLength?: string };
}

/** A model built by `/api/create`, as the fake keeps it. */
export interface CreatedModel {
  from: string;
  family: string;
  system?: string;
  messages: Array<{ role: string; content: string }>;
  parameters?: Record<string, unknown>;
  adapters?: Record<string, string>;
}

/** Families whose models Ollama runs on its newer engine, which (as of 0.12) loads no LoRA adapter. */
export const NO_ADAPTER_FAMILIES = ['gemma3', 'qwen3', 'llama4', 'mistral3', 'gptoss'];

export interface FakeOllamaOptions {
  models?: string[];
  /** What the model says to a chat request; default: a fixed SELECT. */
  reply?: (request: { model: string; messages: Array<{ role: string; content: string }>; options?: Record<string, unknown> }) => FakeReply;
  /** Models `/api/pull` can fetch. */
  pullable?: string[];
  /** Milliseconds between `/api/create` status lines. */
  createDelayMs?: number;
}

/**
 * One chat as the fake's model saw it, assembled as Ollama assembles it (each step confirmed in
 * Ollama's source):
 * - server/routes.go, ChatHandler: `msgs := append(m.Messages, req.Messages...)` — a created
 *   model's messages come first — and the model's own SYSTEM is prepended only when the request's
 *   first message is not a system message (so a request opening with one drops it);
 * - server/prompt.go, chatPrompt: with truncation on (the default), messages are dropped from the
 *   front, silently, until the rendered prompt fits `num_ctx`; system messages of the dropped part
 *   are kept, and the last message always is;
 * - template/template.go, collate: every system message is joined with "\n\n" into one system
 *   prompt, and consecutive messages of the same role are merged.
 */
export interface AssembledChat {
  model: string;
  numCtx: number;
  /** The joined system prompt the template receives. */
  system: string;
  /** The non-system messages after truncation and merging, in order. */
  messages: Array<{ role: string; content: string }>;
  /** Messages dropped to fit num_ctx (Ollama logs this at debug level only). */
  dropped: number;
  /** Whether the model's own system prompt was dropped because the request carried one. */
  modelSystemDropped: boolean;
  /** Tokens of the rendered prompt, by the fake's tokenizer (4 characters a token). */
  promptTokens: number;
}

/** Ollama's default context when neither the request nor the model sets num_ctx. */
export const DEFAULT_NUM_CTX = 4096;

export function assembleChat(model: string, created: CreatedModel | undefined, request: Array<{ role: string; content: string }>, requestNumCtx?: number): AssembledChat {
  let msgs = [...(created?.messages ?? []), ...request];
  const modelSystemDropped = !!created?.system && request[0]?.role === 'system';
  if (request[0]?.role !== 'system' && created?.system) msgs = [{ role: 'system', content: created.system }, ...msgs];
  const numCtx = requestNumCtx ?? (created?.parameters?.num_ctx as number | undefined) ?? DEFAULT_NUM_CTX;
  const render = (ms: Array<{ role: string; content: string }>) => {
    const { system, collated } = collate(ms);
    return [system ? `<|im_start|>system\n${system}<|im_end|>\n` : '', ...collated.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`), '<|im_start|>assistant\n'].join('');
  };
  const tokens = (text: string) => Math.ceil(text.length / 4);
  let start = 0;
  let kept = msgs;
  for (let i = 0; i < msgs.length; i++) {
    const candidate = [...msgs.slice(0, i).filter((m) => m.role === 'system'), ...msgs.slice(i)];
    start = i;
    kept = candidate;
    if (tokens(render(candidate)) <= numCtx || i === msgs.length - 1) break;
  }
  const dropped = msgs.slice(0, start).filter((m) => m.role !== 'system').length;
  const { system, collated } = collate(kept);
  return { model, numCtx, system, messages: collated, dropped, modelSystemDropped, promptTokens: tokens(render(kept)) };
}

function collate(msgs: ReadonlyArray<{ role: string; content: string }>): { system: string; collated: Array<{ role: string; content: string }> } {
  const system: string[] = [];
  const collated: Array<{ role: string; content: string }> = [];
  for (const m of msgs) {
    if (m.role === 'system') {
      system.push(m.content);
      continue;
    }
    const last = collated.at(-1);
    if (last && last.role === m.role) last.content += `\n\n${m.content}`;
    else collated.push({ role: m.role, content: m.content });
  }
  return { system: system.join('\n\n'), collated };
}

export class FakeOllama {
  readonly requests: RecordedRequest[] = [];
  /** Every chat as the model saw it (see assembleChat). */
  readonly chats: AssembledChat[] = [];
  readonly models: Set<string>;
  readonly created = new Map<string, CreatedModel>();
  readonly blobs = new Map<string, number>();
  private server: http.Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();
  url = '';

  /** What the model says; tests may replace it between requests. */
  reply: NonNullable<FakeOllamaOptions['reply']>;

  constructor(private readonly options: FakeOllamaOptions = {}) {
    this.models = new Set(options.models ?? ['qwen2.5-coder:1.5b']);
    this.reply = options.reply ?? (() => ({ content: '```sql\nselect 1 as one\n```' }));
  }

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Requests to one endpoint, e.g. '/api/chat'. */
  calls(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** The family `/api/show` reports, from the model's name as Ollama's library names them. */
  familyOf(name: string): string {
    const made = this.created.get(name);
    if (made) return made.family;
    const base = name.split(':')[0]!.toLowerCase();
    if (base.startsWith('qwen2')) return 'qwen2';
    if (base.startsWith('qwen3')) return 'qwen3';
    if (base.startsWith('gemma3')) return 'gemma3';
    if (base.startsWith('llama3') || base.startsWith('codellama')) return 'llama';
    return base.replace(/[\d.]+$/, '');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const blob = /^\/api\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
    if (blob) return this.handleBlob(req, res, blob[1]!);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      return json(res, 400, { error: 'invalid character in request body' });
    }
    this.requests.push({ method: req.method ?? 'GET', path, body });
    // Ollama accepts `name` as the older spelling of `model` (the npm client still sends it for pull).
    const model = typeof body?.model === 'string' ? body.model : typeof body?.name === 'string' ? body.name : '';
    const missing = () => json(res, 404, { error: `model "${model}" not found, try pulling it first` });
    const now = () => new Date().toISOString();

    if (req.method === 'GET' && path === '/api/version') return json(res, 200, { version: '0.12.6' });
    if (req.method === 'GET' && path === '/api/tags') {
      return json(res, 200, { models: [...this.models].map((name) => ({ name, model: name, modified_at: now(), size: 986_000_000, digest: sha(name), details: { family: this.familyOf(name), families: [this.familyOf(name)], parameter_size: '1.5B', quantization_level: 'Q4_K_M', format: 'gguf' } })) });
    }
    if (req.method === 'GET' && path === '/api/ps') return json(res, 200, { models: [] });
    if (req.method === 'DELETE' && path === '/api/delete') {
      if (!this.models.has(model)) return json(res, 404, { error: `model '${model}' not found` });
      this.models.delete(model);
      this.created.delete(model);
      return void res.writeHead(200).end();
    }
    if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' });
    const stream = body?.stream !== false;

    if (path === '/api/show') {
      if (!this.models.has(model)) return missing();
      const family = this.familyOf(model);
      const made = this.created.get(model);
      return json(res, 200, { details: { family, families: [family], parameter_size: '1.5B', format: 'gguf' }, model_info: { [`${family}.context_length`]: 32768 }, ...(made ? { system: made.system ?? '', messages: made.messages } : {}) });
    }
    if (path === '/api/create') return this.handleCreate(res, body ?? {}, stream);
    if (path === '/api/generate') {
      if (!this.models.has(model)) return missing();
      // An empty prompt loads the model, as Ollama documents.
      return json(res, 200, { model, created_at: now(), response: '', done: true, done_reason: 'load' });
    }
    if (path === '/api/embed') {
      if (!this.models.has(model)) return missing();
      const input = Array.isArray(body?.input) ? (body.input as string[]) : [String(body?.input ?? '')];
      return json(res, 200, { model, embeddings: input.map(embedding) });
    }
    if (path === '/api/pull') {
      if (!(this.options.pullable ?? []).includes(model)) {
        if (!stream) return json(res, 500, { error: 'pull model manifest: file does not exist' });
        res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
        line(res, { status: 'pulling manifest' });
        line(res, { error: 'pull model manifest: file does not exist' });
        return void res.end();
      }
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      line(res, { status: 'pulling manifest' });
      const total = 986_000_000;
      for (const completed of [0, total / 4, total / 2, total]) line(res, { status: `pulling ${sha(model).slice(7, 19)}`, digest: sha(model), total, completed });
      line(res, { status: 'verifying sha256 digest' });
      line(res, { status: 'writing manifest' });
      this.models.add(model);
      line(res, { status: 'success' });
      return void res.end();
    }
    if (path === '/api/chat') {
      if (!this.models.has(model)) return missing();
      const requestOptions = body?.options as Record<string, unknown> | undefined;
      const assembled = assembleChat(model, this.created.get(model), (body?.messages ?? []) as Array<{ role: string; content: string }>, requestOptions?.num_ctx as number | undefined);
      this.chats.push(assembled);
      // The model answers what it was given: the joined system prompt, then the kept messages.
      const messages = [...(assembled.system ? [{ role: 'system', content: assembled.system }] : []), ...assembled.messages];
      const reply = this.reply({ model, messages, options: requestOptions });
      await sleep(reply.delayMs ?? 0);
      if (res.destroyed) return;
      const parts = typeof reply.content === 'string' ? reply.content.split(/(?<=\s)/) : reply.content;
      if (!stream) {
        return json(res, 200, { model, created_at: now(), message: { role: 'assistant', content: parts.join('') }, done: true, done_reason: 'stop', total_duration: 1, prompt_eval_count: 10, eval_count: parts.length });
      }
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      for (const content of parts) {
        if (res.destroyed) return;
        line(res, { model, created_at: now(), message: { role: 'assistant', content }, done: false });
        await sleep(reply.chunkDelayMs ?? 0);
      }
      if (reply.errorMidStream) line(res, { error: reply.errorMidStream });
      else if (reply.dropAfterContent) return void res.destroy();
      else line(res, { model, created_at: now(), message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', total_duration: 1, prompt_eval_count: 10, eval_count: parts.length });
      return void res.end();
    }
    return json(res, 404, { error: `unknown endpoint ${path}` });
  }

  /** `HEAD` says whether the blob is there; `POST` stores it if the bytes hash to the digest named. */
  private async handleBlob(req: http.IncomingMessage, res: http.ServerResponse, digest: string): Promise<void> {
    if (req.method === 'HEAD') {
      this.requests.push({ method: 'HEAD', path: req.url!, body: undefined });
      return void res.writeHead(this.blobs.has(digest) ? 200 : 404).end();
    }
    if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' });
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const c of req) {
      hash.update(c as Buffer);
      bytes += (c as Buffer).length;
    }
    const got = `sha256:${hash.digest('hex')}`;
    this.requests.push({ method: 'POST', path: req.url!, body: undefined, upload: { bytes, digest: got, ...(req.headers['content-length'] ? { contentLength: req.headers['content-length'] } : {}) } });
    if (got !== digest) return json(res, 400, { error: `digest mismatch, expected "${digest}", got "${got}"` });
    this.blobs.set(digest, bytes);
    return void res.writeHead(201).end();
  }

  private async handleCreate(res: http.ServerResponse, body: Record<string, unknown>, stream: boolean): Promise<void> {
    const name = typeof body.model === 'string' ? body.model : '';
    const from = typeof body.from === 'string' ? body.from : '';
    if (!/^[\w][\w.-]*(:[\w][\w.-]{0,127})?$/.test(name)) return json(res, 400, { error: 'invalid model name' });
    if (!from && !body.files) return json(res, 400, { error: "neither 'from' or 'files' was specified" });
    const steps: Array<{ status: string } | { error: string }> = [];
    const messages = (body.messages ?? []) as Array<{ role: string; content: string }>;
    const adapters = (body.adapters ?? {}) as Record<string, string>;
    const family = this.familyOf(from);
    if (!this.models.has(from)) steps.push({ status: 'pulling manifest' }, { error: 'pull model manifest: file does not exist' });
    else if (messages.some((m) => !['system', 'user', 'assistant'].includes(m.role))) steps.push({ error: `invalid message role: ${messages.find((m) => !['system', 'user', 'assistant'].includes(m.role))!.role}` });
    else if (Object.values(adapters).some((d) => !this.blobs.has(d))) steps.push({ error: `open ${Object.values(adapters).find((d) => !this.blobs.has(d))}: no such file or directory` });
    else if (Object.keys(adapters).length > 0 && NO_ADAPTER_FAMILIES.includes(family)) steps.push({ status: 'parsing GGUF' }, { error: `${family} models do not support adapters` });
    else {
      steps.push({ status: `using existing layer ${sha(from)}` });
      for (const digest of Object.values(adapters)) steps.push({ status: `using existing layer ${digest}` });
      if (body.system) steps.push({ status: `creating new layer ${sha(String(body.system))}` });
      if (messages.length) steps.push({ status: `creating new layer ${sha(JSON.stringify(messages))}` });
      if (body.parameters) steps.push({ status: `creating new layer ${sha(JSON.stringify(body.parameters))}` });
      steps.push({ status: 'writing manifest' }, { status: 'success' });
    }
    const failed = steps.find((s): s is { error: string } => 'error' in s);
    if (!failed) {
      const tagged = name.includes(':') ? name : `${name}:latest`;
      this.models.add(tagged);
      this.created.set(tagged, { from, family, messages, ...(body.system ? { system: String(body.system) } : {}), ...(body.parameters ? { parameters: body.parameters as Record<string, unknown> } : {}), ...(Object.keys(adapters).length ? { adapters } : {}) });
    }
    if (!stream) return failed ? json(res, 400, failed) : json(res, 200, { status: 'success' });
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    for (const s of steps) {
      line(res, s);
      await sleep(this.options.createDelayMs ?? 0);
    }
    res.end();
  }
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

function line(res: http.ServerResponse, value: unknown): void {
  res.write(`${JSON.stringify(value)}\n`);
}

function sha(s: string): string {
  return `sha256:${createHash('sha256').update(s).digest('hex')}`;
}

// Deterministic: similar texts share words, so share dimensions.
function embedding(text: string): number[] {
  const v = new Array<number>(32).fill(0);
  for (const w of text.toLowerCase().split(/\W+/).filter(Boolean)) v[createHash('md5').update(w).digest()[0]! % 32]! += 1;
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / n);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
