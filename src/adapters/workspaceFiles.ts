import { promises as fs, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { renderProfileValue } from '../core/index/dbtRender';
import { WorkspaceIndexer, type IndexCache, type LiveCatalog } from '../core/index/workspaceIndex';
import type { Engine } from './engine';
import { readIndexCache, writeIndexCache } from './indexCache';
import { readLiveCatalog } from './liveCatalog';
import { findDbtTarget, manifestAdapterType } from './projectDatabase';

/**
 * Feeds a WorkspaceIndexer from disk: finds dbt projects (packages included), reads the files the
 * index wants, and turns unreadable ones into warnings instead of failures.
 */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

// Folders that never hold the team's queries. dbt_packages is walked on purpose: packages are code the project runs.
const SKIP = new Set(['node_modules', '.git', '.venv', 'venv', '__pycache__', 'logs', '.vscode-test', '.askdata-cache']);

export interface ScanResult {
  indexer: WorkspaceIndexer;
  /** Files read (not taken from the cache). */
  read: number;
  fromCache: boolean;
}

type Loaded = { text: string } | { problem: { line: number; message: string } };

/** A cheap first test on the file name before the path is worked out. */
const WANTED_NAME = /\.(sql|ya?ml|csv|json|md|py)$/i;

/** Files read ahead of the one being indexed. */
const READ_AHEAD = 64;

/** Files up to this size are read synchronously (a dbt model is a few KB). */
const SYNC_READ_BYTES = 256 * 1024;

interface Found {
  file: string;
  stat: Stats;
}

export class WorkspaceFiles {
  /** mtime+size per path, to skip re-reading files the cache already holds. */
  private readonly stamps = new Map<string, string>();

  constructor(readonly root: string, readonly indexer = new WorkspaceIndexer()) {}

  /** Walks the workspace; with a cache, only files whose size or mtime changed are read. */
  async scan(cache?: { index: IndexCache; stamps: Record<string, string> }, onProgress?: (done: number, total: number) => void): Promise<ScanResult> {
    const { found, loops } = await this.walk();
    const projectFiles = found.filter((f) => path.basename(f.file) === 'dbt_project.yml');
    await Promise.all(projectFiles.map((f) => this.readProject(f.file)));
    const fromCache = !!cache && this.indexer.loadCache(cache.index);
    if (fromCache) for (const [p, s] of Object.entries(cache.stamps)) this.stamps.set(p, s);
    const wanted = found.filter((f) => this.indexer.reads(this.rel(f.file)));
    const present = new Set([...wanted.map((f) => this.rel(f.file)), ...loops]);
    if (fromCache) for (const known of this.indexer.paths()) if (!present.has(known)) this.indexer.setFile(known, undefined);
    let read = 0;
    let done = 0;
    const artifacts = new Set<string>();
    const queue = wanted.filter((f) => {
      const rel = this.rel(f.file);
      if (/(^|\/)target\/(manifest|catalog)\.json$/.test(rel)) {
        artifacts.add(path.dirname(path.dirname(f.file)));
        return false;
      }
      // Unchanged since the cache was written: its result (or its warning) is in the cache.
      return !(fromCache && this.stamps.get(rel) === stamp(f.stat) && this.indexer.knows(rel));
    });
    // Reads overlap (the disk is the slow part); indexing stays in order, macros first since models render with them.
    const first = new Set(queue.filter((f) => this.indexer.shapesRendering(this.rel(f.file))));
    queue.sort((a, b) => Number(!first.has(a)) - Number(!first.has(b)));
    const loaded = new Array<Promise<Loaded>>(queue.length);
    let next = 0;
    const startReads = () => {
      while (next < queue.length && next < done + READ_AHEAD) {
        const f = queue[next]!;
        loaded[next++] = this.load(f.file, f.stat);
      }
    };
    startReads();
    for (let i = 0; i < queue.length; i++) {
      this.apply(queue[i]!.file, queue[i]!.stat, await loaded[i]!);
      loaded[i] = undefined as unknown as Promise<Loaded>;
      read++;
      if (++done % 200 === 0) {
        onProgress?.(done, queue.length);
        // Most reads are synchronous: let the editor's other work in now and then.
        await new Promise((resolve) => setImmediate(resolve));
      }
      startReads();
    }
    for (const stale of this.indexer.staleFiles()) {
      await this.refresh(path.join(this.root, stale));
      read++;
    }
    for (const dir of artifacts) await this.readArtifacts(dir);
    return { indexer: this.indexer, read, fromCache };
  }

  /** One path changed, appeared or disappeared; returns true if the index may have changed. */
  async refresh(file: string): Promise<boolean> {
    const rel = this.rel(file);
    if (rel.startsWith('..')) return false;
    if (path.basename(file) === 'dbt_project.yml') {
      await this.readProject(file);
      for (const stale of this.indexer.staleFiles()) await this.refresh(path.join(this.root, stale));
      return true;
    }
    if (/(^|\/)target\/(manifest|catalog)\.json$/.test(rel)) {
      await this.readArtifacts(path.dirname(path.dirname(file)));
      return true;
    }
    if (!this.indexer.reads(rel)) return false;
    let stat: Stats;
    try {
      stat = await fs.stat(file);
    } catch {
      this.stamps.delete(rel);
      this.indexer.setFile(rel, undefined);
      return true;
    }
    await this.readFile(file, stat);
    if (/\.sql$/i.test(file)) for (const stale of this.indexer.staleFiles()) if (stale !== rel) await this.readFile(path.join(this.root, stale), await fs.stat(path.join(this.root, stale)));
    return true;
  }

  setLiveCatalog(projectRoot: string, live: LiveCatalog | undefined): void {
    this.indexer.setLiveCatalog(this.rel(projectRoot), live);
  }

  cache(): { index: IndexCache; stamps: Record<string, string> } {
    return { index: this.indexer.toCache(), stamps: Object.fromEntries(this.stamps) };
  }

  rel(file: string): string {
    // The walk calls this for every file: a prefix slice where possible, path.relative otherwise.
    const prefix = this.root.endsWith(path.sep) ? this.root : this.root + path.sep;
    const r = file.startsWith(prefix) ? file.slice(prefix.length) : path.relative(this.root, file);
    return path.sep === '/' ? r : r.split(path.sep).join('/');
  }

  private async readProject(file: string): Promise<void> {
    const root = path.dirname(file);
    let text: string | undefined;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      text = undefined;
    }
    const target = text === undefined ? undefined : await findDbtTarget(root).catch(() => undefined);
    // The profile's adapter type is the dialect macros dispatch on; without a profile in the repo,
    // the adapter of the last dbt compile (target/manifest.json), else DuckDB's.
    // Its values are often Jinja reading the environment, rendered as dbt renders them.
    const type = target?.type ?? (text === undefined ? undefined : await manifestAdapterType(root));
    const value = (v: string | undefined) => (v === undefined ? undefined : renderProfileValue(v, process.env, type));
    const schema = value(target?.schema);
    const database = value(target?.database);
    this.indexer.setProject(this.rel(root), text, { schema: schema ?? 'main', type: type ?? 'duckdb', name: target?.target ?? 'dev', ...(database ? { database } : {}) });
    if (text !== undefined) await this.readArtifacts(root);
  }

  private async readArtifacts(projectRoot: string): Promise<void> {
    const read = (name: string) => fs.readFile(path.join(projectRoot, 'target', name), 'utf8').catch(() => undefined);
    const [manifest, catalog] = await Promise.all([read('manifest.json'), read('catalog.json')]);
    this.indexer.setArtifacts(this.rel(projectRoot), manifest, catalog);
  }

  private async readFile(file: string, stat: Stats): Promise<void> {
    this.apply(file, stat, await this.load(file, stat));
  }

  private apply(file: string, stat: Stats, loaded: Loaded): void {
    const rel = this.rel(file);
    this.stamps.set(rel, stamp(stat));
    if ('problem' in loaded) this.indexer.setProblem(rel, loaded.problem);
    else this.indexer.setFile(rel, loaded.text);
  }

  /** A file's text, or why it cannot be indexed. */
  private async load(file: string, stat: Stats): Promise<Loaded> {
    // A seed's columns are its header: big seed files are read only as far as that.
    if (/\.csv$/i.test(file)) {
      let head: Buffer;
      try {
        head = await readHead(file, 64 * 1024);
      } catch (e) {
        return { problem: { line: 1, message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); its columns are not known` } };
      }
      return decodeText(head, 'its columns are not known');
    }
    if (stat.size > MAX_FILE_BYTES) {
      return { problem: { line: 1, message: `${(stat.size / 1024 / 1024).toFixed(1)} MB is over the ${MAX_FILE_BYTES / 1024 / 1024} MB the index reads; its content is not indexed (a model there still counts: refs to it resolve)` } };
    }
    let bytes: Buffer;
    try {
      // Small files read faster in one synchronous call than through the thread pool; big ones do not block.
      bytes = stat.size <= SYNC_READ_BYTES ? readFileSync(file) : await fs.readFile(file);
    } catch (e) {
      return { problem: { line: 1, message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); its content is not indexed` } };
    }
    return decodeText(bytes, 'its content is not indexed');
  }

  /**
   * Every file under the root. Real folders are walked in parallel (they cannot form loops);
   * symbolic links to folders are followed afterwards, one at a time and in order, so that a link
   * back to a folder already walked is reported as a loop the same way every run.
   */
  private async walk(): Promise<{ found: Found[]; loops: string[] }> {
    const out: Found[] = [];
    const loops: string[] = [];
    const visited = new Set<string>();
    const links: string[] = [];
    // Synchronous: a listing and a stat are microseconds each, far less than a round trip through the thread pool.
    const walkDir = (dir: string): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Gone since its parent was listed: nothing to say. Anything else loses files, and is said.
        if (code !== 'ENOENT') {
          this.indexer.setProblem(this.rel(dir), { line: 1, message: `is a folder that cannot be read (${code ?? (e as Error).message}); the files in it are not indexed` });
          loops.push(this.rel(dir));
        }
        return;
      }
      const subdirs: string[] = [];
      // The walk visits every file: a plain concatenation instead of path.join, which normalises each time.
      const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
      for (const e of entries) {
        if (SKIP.has(e.name)) continue;
        const full = prefix + e.name;
        if (e.isSymbolicLink()) links.push(full);
        else if (e.isDirectory()) {
          if (!e.name.startsWith('.')) subdirs.push(full);
        } else if (e.name === 'dbt_project.yml' || (WANTED_NAME.test(e.name) && WorkspaceIndexer.wants(this.rel(full)))) {
          // A stat is a few microseconds synchronously and far more through the thread pool; a folder's worth at a time stays short.
          try {
            out.push({ file: full, stat: statSync(full) });
          } catch {
            // gone since the listing
          }
        }
      }
      for (const d of subdirs) walkDir(d);
    };
    const walkTree = async (dir: string): Promise<void> => {
      const real = await fs.realpath(dir).catch(() => undefined);
      if (!real) return;
      if ([...visited].some((v) => real === v || real.startsWith(v + path.sep))) {
        this.indexer.setProblem(this.rel(dir), { line: 1, message: `is a symbolic link back to ${this.rel(real) || '.'} (a loop); not followed` });
        loops.push(this.rel(dir));
        return;
      }
      visited.add(real);
      walkDir(dir);
    };
    await walkTree(this.root);
    while (links.length > 0) {
      for (const link of links.splice(0).sort()) {
        const stat = await fs.stat(link).catch(() => undefined); // a dangling link is skipped
        if (!stat) continue;
        if (stat.isDirectory()) await walkTree(link);
        else if (WorkspaceIndexer.wants(this.rel(link))) out.push({ file: link, stat });
      }
    }
    return { found: out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)), loops };
  }
}

/** The file's first line (up to `bytes`), as bytes. */
async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    const newline = buffer.subarray(0, bytesRead).indexOf(10);
    let end = newline < 0 ? bytesRead : newline + 1;
    // A header longer than the buffer: end on a whole character, not inside one.
    if (newline < 0 && bytesRead === bytes) {
      let k = end - 1;
      while (k > 0 && (buffer[k]! & 0xc0) === 0x80) k--;
      if (buffer[k]! >= 0xc0) end = k;
    }
    return buffer.subarray(0, end);
  } finally {
    await handle.close();
  }
}

/** UTF-8 text without its BOM, or why it is not text (what is lost is said in `loss`). */
function decodeText(bytes: Buffer, loss: string): Loaded {
  if (bytes.subarray(0, 8000).includes(0)) return { problem: { line: 1, message: `looks binary (it contains NUL bytes); ${loss}` } };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '') };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
    return { problem: { line, message: `is not valid UTF-8 (dbt reads files as UTF-8); ${loss} until it is saved as UTF-8` } };
  }
}

function stamp(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}`;
}

function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >> 5 === 6 ? 2 : b >> 4 === 14 ? 3 : b >> 3 === 30 ? 4 : 0;
    if (n === 0) return i;
    for (let k = 1; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += n;
  }
  return bytes.length;
}

export interface IndexRun {
  files: WorkspaceFiles;
  /** Database catalogs that could not be read, per project root. */
  databaseProblems: Array<{ project: string; message: string }>;
  /** Whether the shared cache was used, and whether it was written back. */
  cache: { file?: string; used: boolean; written: boolean; bytes?: number };
}

/**
 * Indexes a folder: its files, then each project's live database. `openEngine` is how databases
 * are opened (the CLI and the editor share it); a project whose database cannot be opened is
 * indexed from its files alone, with the reason reported. With `cacheFile` the editor's cache is
 * read first and written back when anything changed.
 */
export async function indexFolder(root: string, openEngine?: (projectRoot: string) => Promise<Engine>, options: { cacheFile?: string } = {}): Promise<IndexRun> {
  const files = new WorkspaceFiles(root);
  const cached = options.cacheFile ? await readIndexCache(options.cacheFile, root) : undefined;
  const scan = await files.scan(cached);
  const databaseProblems: IndexRun['databaseProblems'] = [];
  if (openEngine) {
    const roots = new Set(files.indexer.build().projects.filter((p) => !p.package).map((p) => p.root));
    if (roots.size === 0) roots.add('');
    for (const rel of roots) {
      const projectRoot = path.join(root, rel);
      let engine: Engine | undefined;
      try {
        engine = await openEngine(projectRoot);
        files.setLiveCatalog(projectRoot, await readLiveCatalog(engine));
      } catch (e) {
        databaseProblems.push({ project: rel || '.', message: (e as Error).message });
      } finally {
        engine?.close();
      }
    }
  }
  files.indexer.build();
  const cache: IndexRun['cache'] = { ...(options.cacheFile ? { file: options.cacheFile } : {}), used: scan.fromCache, written: false };
  if (options.cacheFile && !files.indexer.unchangedSinceCache()) {
    try {
      cache.bytes = await writeIndexCache(options.cacheFile, root, { ...files.cache(), ...(cached?.history ? { history: cached.history } : {}) });
      cache.written = true;
    } catch {
      // A cache that cannot be written costs the next run its warm start, nothing else.
    }
  }
  return { files, databaseProblems, cache };
}
