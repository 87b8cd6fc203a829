import { promises as fs } from 'node:fs';

/**
 * What `stat` says of each file — inode, size, modification and change times to the nanosecond,
 * or that it is not there — as one string that changes whenever any of the files does: written
 * in place, renamed over (git checkout, an editor's atomic save), removed, created, re-permitted.
 * It reads no file, so it can stand guard on every request where a file watcher's event may
 * come late (or, for a folder removed whole or a file outside the workspace, never).
 */
export async function fileSignature(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (file) => {
    // The link itself and what it leads to: a link to nowhere is not a file that is not there.
    const of = async (stat: typeof fs.stat) => {
      try {
        const s = await stat(file, { bigint: true });
        return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.mode}`;
      } catch (e) {
        return `!${(e as NodeJS.ErrnoException).code ?? 'error'}`;
      }
    };
    return `${await of(fs.lstat)}>${await of(fs.stat)}`;
  }));
  return parts.join('|');
}
