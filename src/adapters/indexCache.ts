import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import type { ColumnHistoryData } from '../core/index/staleness';
import type { Fragment, IndexCache } from '../core/index/workspaceIndex';

/**
 * The index cache the editor and the CLI share: one file per indexed folder in the user's cache
 * directory, so that `askdata index` after the editor indexed a folder (or the other way round)
 * starts warm. The file holds two gzip'd parts: what a warm start needs (the built index, the file
 * stamps, the column history) and the per-file results, which are only read when a file changed.
 *
 * Where: $ASKDATA_CACHE_DIR, else $XDG_CACHE_HOME/askdata, else ~/.cache/askdata
 * (~/Library/Caches/askdata on macOS, %LOCALAPPDATA%\askdata\Cache on Windows).
 */
export const CACHE_VERSION = 2;
const MAGIC = 'askdata-index-cache';

export interface CachedIndex {
  index: IndexCache;
  stamps: Record<string, string>;
  history?: ColumnHistoryData;
}

export function indexCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.ASKDATA_CACHE_DIR) return path.resolve(env.ASKDATA_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'askdata');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'askdata');
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'askdata', 'Cache');
  return path.join(os.homedir(), '.cache', 'askdata');
}

/** The cache file of a folder: named by a hash of its absolute path. */
export function indexCacheFile(folder: string, dir = indexCacheDir()): string {
  return path.join(dir, `index-${createHash('sha1').update(path.resolve(folder)).digest('hex').slice(0, 16)}.cache`);
}

/** The cache for `folder`, or undefined when there is none, it is torn, or it was made by another version or for another folder. */
export async function readIndexCache(file: string, folder: string): Promise<CachedIndex | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    return undefined;
  }
  try {
    const newline = bytes.indexOf(10);
    const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as { magic?: string; version?: number; folder?: string; head?: number; rest?: number };
    if (header.magic !== MAGIC || header.version !== CACHE_VERSION || header.folder !== path.resolve(folder) || !header.head || header.rest === undefined) return undefined;
    const start = newline + 1;
    const head = JSON.parse(gunzipSync(bytes.subarray(start, start + header.head)).toString('utf8')) as Omit<CachedIndex, 'index'> & { index: Omit<IndexCache, 'files'> };
    const rest = bytes.subarray(start + header.head, start + header.head + header.rest);
    if (rest.length !== header.rest) return undefined;
    // Read only if a file changed; a warm start that changes nothing never pays for it.
    const files = () => JSON.parse(gunzipSync(rest).toString('utf8')) as Record<string, Fragment>;
    // Every path the index knows has a stamp, or a problem: the list is not stored twice.
    const paths = [...new Set([...Object.keys(head.stamps), ...Object.keys(head.index.problems ?? {})])];
    return { ...head, index: { ...head.index, files, paths } };
  } catch {
    return undefined; // torn or foreign: index from scratch
  }
}

/** Writes the cache atomically (a reader never sees half a file). */
export async function writeIndexCache(file: string, folder: string, data: CachedIndex): Promise<number> {
  const { files, paths: _paths, ...index } = data.index;
  const perFile = typeof files === 'function' ? files() : files;
  const head = await promisify(gzip)(JSON.stringify({ ...data, index }), { level: 6 });
  const rest = await promisify(gzip)(JSON.stringify(perFile), { level: 6 });
  const header = Buffer.from(`${JSON.stringify({ magic: MAGIC, version: CACHE_VERSION, folder: path.resolve(folder), head: head.length, rest: rest.length })}\n`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temp, Buffer.concat([header, head, rest]));
  await fs.rename(temp, file);
  return header.length + head.length + rest.length;
}
