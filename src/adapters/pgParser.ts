import { ExecutionError } from '../core/execution/errors';

/**
 * PostgreSQL's own parser (libpg_query, compiled to WebAssembly), called directly rather than
 * through the package's wrapper, for two reasons the wrapper gets wrong:
 * - it takes a parse for an error whenever the tree's JSON contains the word ERROR, so a query
 *   with `status = 'ERROR'` or a column "ERROR" was refused as a syntax error (the tree as the
 *   message); here a result is a tree exactly when it is JSON;
 * - a query nested deeper than the WebAssembly stack holds traps the module, and a trapped
 *   module fails every later parse ("memory access out of bounds") for as long as the process
 *   lives — one query stopped every asker's until a restart. A trap refuses that query, and the
 *   module is thrown away and made afresh; a trapped instance is never used again.
 */
interface PgQueryWasm {
  _malloc(size: number): number;
  _free(ptr: number): void;
  _wasm_parse_query(ptr: number): number;
  _wasm_free_string(ptr: number): void;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, ptr: number, size: number): void;
  UTF8ToString(ptr: number): string;
}

let instance: PgQueryWasm | undefined;
let loading: Promise<PgQueryWasm> | undefined;

type Factory = () => Promise<PgQueryWasm>;

function load(): Promise<PgQueryWasm> {
  const started = (loading ??= (async () => {
    // @ts-expect-error the package ships this Emscripten factory (CommonJS) without types
    const m = (await import('libpg-query/wasm/libpg-query.js')) as { default: Factory | { default: Factory } };
    const factory = typeof m.default === 'function' ? m.default : m.default.default;
    const made = await factory();
    instance = made;
    return made;
  })().catch((e: unknown) => {
    loading = undefined;
    throw e;
  }));
  return started;
}

/** Loads the parser (once, and again after a trap); parsePgSync needs it loaded. */
export async function loadPgParser(): Promise<void> {
  if (!instance) await load();
}

/** Whether the parser is loaded, so that parsePgSync can be called. */
export function pgParserLoaded(): boolean {
  return instance !== undefined;
}

/** The parse tree of `sql`; a syntax error (or a query the parser cannot hold) is an ExecutionError of class syntax. */
export function parsePgSync(sql: string): unknown {
  const wasm = instance;
  if (!wasm) throw new Error('the PostgreSQL parser is not loaded');
  let text: string;
  try {
    const size = wasm.lengthBytesUTF8(sql) + 1;
    const input = wasm._malloc(size);
    let result = 0;
    try {
      wasm.stringToUTF8(sql, input, size);
      result = wasm._wasm_parse_query(input);
      text = wasm.UTF8ToString(result);
    } finally {
      wasm._free(input);
      if (result) wasm._wasm_free_string(result);
    }
  } catch (e) {
    // A trap: this instance is done for; the next parse loads a fresh one.
    if (instance === wasm) {
      instance = undefined;
      loading = undefined;
    }
    throw new ExecutionError('syntax', `PostgreSQL's parser could not read this query (${(e as Error).message}); it may be nested too deeply. It was not run.`, 'syntax error: the parser stopped');
  }
  if (!text.startsWith('{')) {
    const message = text.split('\n')[0]!;
    throw new ExecutionError('syntax', `Syntax error: ${message}`, `syntax error: ${message}`);
  }
  return JSON.parse(text) as unknown;
}
