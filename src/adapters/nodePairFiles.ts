import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PairConflictError, type PairFiles } from '../core/pairs/pairStore';

/** Pair files on the local disk, written atomically (temporary file in the same folder, then rename). */
export class NodePairFiles implements PairFiles {
  async list(dir: string): Promise<string[]> {
    try {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => e.name);
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  async read(file: string): Promise<string | undefined> {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async replace(file: string, text: string, expected: string | undefined): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    // A dot-name that does not end in .yml, so watchers and the store ignore it.
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    await fs.writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
    try {
      if (expected === undefined) {
        // link() fails if the target exists, so a file created meanwhile is never overwritten.
        try {
          await fs.link(temp, file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new PairConflictError(file);
          throw e;
        }
        return;
      }
      // Keep the window between this check and the rename as small as we can; without a lock
      // shared with every other writer (editors, git) it cannot be zero.
      const current = await this.read(file);
      if (current !== expected) throw new PairConflictError(file);
      await fs.rename(temp, file);
    } finally {
      await fs.rm(temp, { force: true });
    }
  }
}

function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
