import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';
import { Script } from 'node:vm';
import { indexCacheDir } from '../adapters/indexCache';

/**
 * The `askdata` command: loads the CLI bundle (askdata-cli.js beside this file) with V8's code
 * cache, kept in the index cache folder, so that a warm `askdata index` is not half spent
 * compiling JavaScript (Node 20 has no compile cache of its own). A missing, stale or rejected
 * code cache only costs the compile; it is rewritten after the run.
 *
 * V8 checks that a code cache fits its version, flags and the source's length, but not that its
 * bytes are intact: a damaged file crashes the process (SIGSEGV, "unreachable code") on every run.
 * So the file carries a SHA-1 of its payload, and a file that does not match is never handed to V8.
 */
const MAGIC = Buffer.from('askdata-v8-1\n');
const DIGEST = 20;

const bundle = path.join(__dirname, 'askdata-cli.js');
const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
// The source itself is in the key: V8 compares only its length.
const key = createHash('sha1').update(`${process.version}\0${process.arch}\0`).update(source).digest('hex').slice(0, 16);
const cacheDir = indexCacheDir();
const cacheFile = path.join(cacheDir, `cli-${key}.v8`);

function readCodeCache(): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  if (file.length <= MAGIC.length + DIGEST || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const digest = file.subarray(MAGIC.length, MAGIC.length + DIGEST);
  const payload = file.subarray(MAGIC.length + DIGEST);
  return createHash('sha1').update(payload).digest().equals(digest) ? payload : undefined;
}

function writeCodeCache(data: Buffer): void {
  try {
    mkdirSync(cacheDir, { recursive: true });
    const temp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temp, Buffer.concat([MAGIC, createHash('sha1').update(data).digest(), data]));
    // Atomic: a concurrent run reads the old file or the new one, never half of one.
    renameSync(temp, cacheFile);
    // Code caches of other builds or Node versions are of no further use.
    for (const name of readdirSync(cacheDir)) {
      if (/^cli-[0-9a-f]{16}\.v8$/.test(name) && name !== path.basename(cacheFile)) unlinkSync(path.join(cacheDir, name));
    }
  } catch {
    // a read-only or missing cache folder: the next run compiles again
  }
}

const cached = readCodeCache();
const script = new Script(Module.wrap(source), { filename: bundle, ...(cached ? { cachedData: cached } : {}) });
const cli = new Module(bundle, module);
cli.filename = bundle;
cli.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(bundle));
// A real require for the bundle (resolve, cache), rooted where the bundle is.
const bundleRequire = createRequire(bundle);
const wrapper = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: Module, filename: string, dirname: string) => void;
wrapper.call(cli.exports, cli.exports, bundleRequire, cli, bundle, path.dirname(bundle));

const { main } = cli.exports as { main: (argv: string[]) => Promise<number> };
// main reports its own errors and returns the exit code; it does not reject.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (!cached || script.cachedDataRejected) writeCodeCache(script.createCachedData());
});
