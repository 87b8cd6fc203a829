import type { Document } from 'yaml';
import {
  appendHistory, newPairDocument, parsePairText, readPairText, removeKey, renderPairDocument, setQuestion, setResult, setSignOff,
  setSql, setStatus, type PairProblem,
} from './pairDocument';
import { PAIR_FORMAT_VERSION, type HistoryEvent, type PairFile, type PairStatus, type RecordedResult } from './pairSchema';

/** The file operations the store needs; the file-system adapter provides them. */
export interface PairFiles {
  /** Names (not paths) of the entries directly inside `dir`; empty when `dir` does not exist. */
  list(dir: string): Promise<string[]>;
  /** The file's text, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /**
   * Atomically replaces the file with `text`, but only if it still holds `expected` (undefined: only
   * if it does not exist yet). Otherwise throws {@link PairConflictError} and leaves the file alone.
   */
  replace(path: string, text: string, expected: string | undefined): Promise<void>;
}

export class PairConflictError extends Error {
  constructor(readonly path: string) {
    super(`${path} changed on disk while Ask Data was writing it`);
    this.name = 'PairConflictError';
  }
}

export class PairStoreError extends Error {
  constructor(message: string, readonly path?: string, readonly problems?: PairProblem[]) {
    super(message);
    this.name = 'PairStoreError';
  }
}

export interface Pair {
  /** The file name without `.yml`: stable, and what people see in the repo. */
  id: string;
  /** Absolute path of the file. */
  path: string;
  question: string;
  sql: string;
  status: PairStatus;
  tags: string[];
  tables: string[];
  history: HistoryEvent[];
  /** Everything in the file, unknown fields included. */
  data: PairFile;
}

export interface InvalidPairFile {
  id: string;
  path: string;
  problems: PairProblem[];
}

export interface NewPair {
  question: string;
  sql: string;
  status?: PairStatus;
  tables?: string[];
  tags?: string[];
  by: string;
  /** The first history event; `created` unless the pair came from a question that was asked. */
  event?: { event: string; model?: string; text?: string };
  /**
   * The whole history when the pair was worked out before it was saved (asked, feedback, edited,
   * run …), oldest first; the store adds the final event (`created` or `approved`) itself.
   */
  history?: HistoryEvent[];
  /** Why, for a pair saved as rejected. */
  reason?: string;
  /** Generated (a paraphrase or an SQL variant of an approved pair), not asked by a person. */
  synthetic?: boolean;
  /** The result signed off on, for an approved pair: what `askdata test` compares against later. */
  result?: RecordedResult;
}

export const PAIRS_DIR = 'askdata/pairs';
const PAIR_FILE = /^(?!\.)(.+)\.ya?ml$/;
const MAX_WRITE_ATTEMPTS = 5;

export function isPairFileName(name: string): boolean {
  return PAIR_FILE.test(name);
}

/**
 * The approved, pending and rejected pairs of one project, read from `askdata/pairs/*.yml`.
 * A file that does not parse or validate is reported and skipped; the store never writes to it.
 */
export class PairStore {
  readonly pairsDir: string;
  private readonly byPath = new Map<string, Pair | InvalidPairFile>();
  private readonly listeners = new Set<() => void>();
  // Writes to one file are queued so that two operations from this process never race each other.
  private readonly writeQueue = new Map<string, Promise<unknown>>();

  constructor(
    readonly projectRoot: string,
    private readonly files: PairFiles,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.pairsDir = joinPath(projectRoot, PAIRS_DIR);
  }

  // The queue, the lenses and the status bar all read these after every change; sort once.
  private views: { pairs: Pair[]; invalid: InvalidPairFile[]; byId: Map<string, Pair | InvalidPairFile> } | undefined;

  private get view() {
    if (!this.views) {
      const all = [...this.byPath.values()].sort(byId);
      this.views = {
        pairs: all.filter(isPair),
        invalid: all.filter((p): p is InvalidPairFile => !isPair(p)),
        byId: new Map(all.map((p) => [p.id, p])),
      };
    }
    return this.views;
  }

  get pairs(): readonly Pair[] {
    return this.view.pairs;
  }

  get invalid(): readonly InvalidPairFile[] {
    return this.view.invalid;
  }

  get(id: string): Pair | undefined {
    const p = this.view.byId.get(id);
    return p && isPair(p) ? p : undefined;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async load(): Promise<void> {
    const names = (await this.files.list(this.pairsDir)).filter(isPairFileName).sort();
    const loaded = await Promise.all(names.map(async (name) => {
      const path = joinPath(this.pairsDir, name);
      return [path, await this.files.read(path)] as const;
    }));
    this.byPath.clear();
    for (const [path, text] of loaded) {
      if (text !== undefined) this.byPath.set(path, entryFromText(path, text));
    }
    this.emit();
  }

  /** Re-reads one file after an outside change (editor save, git checkout, pull). */
  async refresh(path: string): Promise<void> {
    const text = await this.files.read(path);
    if (text === undefined) this.byPath.delete(path);
    else this.byPath.set(path, entryFromText(path, text));
    this.emit();
  }

  forget(path: string): void {
    if (this.byPath.delete(path)) this.emit();
  }

  /** Approves; with `result`, also records the result the approver saw (row count, columns, fingerprint). */
  approve(id: string, by: string, result?: RecordedResult): Promise<Pair> {
    return this.mutate(id, (doc, at) => {
      setStatus(doc, 'approved');
      setSignOff(doc, 'approved', { by, at });
      removeKey(doc, 'rejected');
      if (result) setResult(doc, result);
      appendHistory(doc, { at, event: 'approved', by });
    });
  }

  reject(id: string, by: string, reason?: string): Promise<Pair> {
    return this.mutate(id, (doc, at) => {
      setStatus(doc, 'rejected');
      setSignOff(doc, 'rejected', reason ? { by, at, reason } : { by, at });
      removeKey(doc, 'approved');
      appendHistory(doc, { at, event: 'rejected', by, text: reason });
    });
  }

  /** Takes an approval back: the pair returns to pending, and its history says who did it. */
  removeApproval(id: string, by: string): Promise<Pair> {
    return this.mutate(id, (doc, at, pair) => {
      if (pair.status !== 'approved') throw new PairStoreError(`"${pair.question}" is not approved`);
      setStatus(doc, 'pending');
      removeKey(doc, 'approved');
      appendHistory(doc, { at, event: 'approval removed', by });
    });
  }

  /**
   * Changes the question or the SQL. What was approved is no longer what the file says, so an
   * approved pair goes back to pending and its stored result summary is dropped.
   */
  edit(id: string, change: { question?: string; sql?: string }, by: string, steps: readonly HistoryEvent[] = []): Promise<Pair> {
    return this.mutate(id, (doc, at, pair) => {
      const edited: string[] = [];
      if (change.question !== undefined && change.question.trim() !== pair.question.trim()) {
        setQuestion(doc, change.question.trim());
        edited.push('question');
      }
      if (change.sql !== undefined && change.sql.trim() !== pair.sql.trim()) {
        setSql(doc, change.sql.trim());
        removeKey(doc, 'result');
        edited.push('sql');
      }
      if (edited.length === 0) return false;
      if (pair.status === 'approved') {
        setStatus(doc, 'pending');
        removeKey(doc, 'approved');
      }
      // The steps that led to the edit (feedback, regenerations) come first, in the order they happened.
      for (const step of steps) appendHistory(doc, step);
      appendHistory(doc, { at, event: 'edited', by, text: edited.join(' and ') });
      return true;
    });
  }

  async add(input: NewPair): Promise<Pair> {
    const at = isoSeconds(this.now());
    const status = input.status ?? 'pending';
    const pair: PairFile = {
      version: PAIR_FORMAT_VERSION,
      question: input.question.trim(),
      sql: input.sql.trim(),
      status,
      tags: input.tags?.length ? input.tags : undefined,
      tables: input.tables?.length ? input.tables : undefined,
      synthetic: input.synthetic || undefined,
      approved: status === 'approved' ? { by: input.by, at } : undefined,
      rejected: status === 'rejected' ? { by: input.by, at, ...(input.reason ? { reason: input.reason } : {}) } : undefined,
      result: input.result,
      history: input.history?.length
        ? [...input.history, ...(status === 'pending' ? [] : [{ event: status, at, by: input.by, ...(input.reason ? { text: input.reason } : {}) }])]
        : [{ ...(input.event ?? { event: 'created' }), at, by: input.by }],
    };
    const text = renderPairDocument(newPairDocument(pair));
    const check = parsePairText(text);
    if (!check.ok) throw new PairStoreError(`the new pair is not valid: ${check.problems.map((p) => p.message).join('; ')}`);
    const base = slugify(pair.question);
    for (let n = 1; n < 1000; n++) {
      const path = joinPath(this.pairsDir, `${n === 1 ? base : `${base}-${n}`}.yml`);
      if (this.byPath.has(path)) continue;
      try {
        await this.files.replace(path, text, undefined);
      } catch (e) {
        if (e instanceof PairConflictError) continue; // a file of that name appeared meanwhile
        throw e;
      }
      const entry = entryFromText(path, text);
      this.byPath.set(path, entry);
      this.emit();
      return entry as Pair;
    }
    throw new PairStoreError(`could not find a free file name for "${pair.question}"`);
  }

  private pathOf(id: string): string {
    return this.view.byId.get(id)?.path ?? joinPath(this.pairsDir, `${id}.yml`);
  }

  /**
   * Read–modify–write on the file as it is on disk now, not as it was when loaded: an outside edit
   * made in between is kept, and one made during the write makes us start over from it.
   */
  private mutate(id: string, change: (doc: Document, at: string, pair: PairFile) => boolean | void): Promise<Pair> {
    const path = this.pathOf(id);
    const previous = this.writeQueue.get(path) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
        const text = await this.files.read(path);
        if (text === undefined) {
          this.forget(path);
          throw new PairStoreError(`${path} no longer exists`, path);
        }
        const parsed = parsePairText(text);
        if (!parsed.ok) {
          this.byPath.set(path, { id: idOf(path), path, problems: parsed.problems });
          this.emit();
          throw new PairStoreError(`${path} is not a valid pair file, so Ask Data will not change it: ${parsed.problems[0]?.message ?? ''}`, path, parsed.problems);
        }
        const changed = change(parsed.doc, isoSeconds(this.now()), parsed.pair);
        if (changed === false) return this.remember(path, text);
        const next = renderPairDocument(parsed.doc);
        try {
          await this.files.replace(path, next, text);
        } catch (e) {
          if (e instanceof PairConflictError) continue;
          throw e;
        }
        return this.remember(path, next);
      }
      throw new PairStoreError(`${path} kept changing on disk; try again`, path);
    });
    this.writeQueue.set(path, run);
    return run.finally(() => {
      if (this.writeQueue.get(path) === run) this.writeQueue.delete(path);
    });
  }

  private remember(path: string, text: string): Pair {
    const entry = entryFromText(path, text);
    this.byPath.set(path, entry);
    this.emit();
    if (!isPair(entry)) throw new PairStoreError(`${path} did not validate after writing`, path, entry.problems);
    return entry;
  }

  private emit(): void {
    this.views = undefined;
    for (const l of this.listeners) l();
  }
}

function entryFromText(path: string, text: string): Pair | InvalidPairFile {
  const id = idOf(path);
  const parsed = readPairText(text);
  if (!parsed.ok) return { id, path, problems: parsed.problems };
  const data = parsed.pair;
  return {
    id,
    path,
    question: data.question,
    sql: data.sql,
    status: data.status,
    tags: data.tags ?? [],
    tables: data.tables ?? [],
    history: data.history ?? [],
    data,
  };
}

/** Timestamps in pair files are to the second, like those people write by hand. */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isPair(entry: Pair | InvalidPairFile): entry is Pair {
  return 'status' in entry;
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id.localeCompare(b.id);
}

function idOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.replace(/\.ya?ml$/, '');
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/** A readable, portable file name from a question: "Who are my top customers?" → who-are-my-top-customers. */
export function slugify(question: string): string {
  const slug = question
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
  return slug || 'question';
}
