import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { Script } from 'node:vm';
import { indexCacheDir } from '../adapters/indexCache';

/**
 * The `askdata` command: loads the CLI bundle (askdata-cli.js beside this file) with V8's code
 * cache, kept in the index cache folder, so that a warm `askdata index` is not half spent
 * compiling JavaScript (Node 20 has no compile cache of its own). A missing, stale or rejected
 * code cache only costs the compile; it is rewritten after the run.
 */
const bundle = path.join(__dirname, 'askdata-cli.js');
const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
const key = createHash('sha1').update(`${process.version}\0${process.arch}\0`).update(source).digest('hex').slice(0, 16);
const cacheFile = path.join(indexCacheDir(), `cli-${key}.v8`);
let cached: Buffer | undefined;
try {
  cached = readFileSync(cacheFile);
} catch {
  cached = undefined;
}
const script = new Script(Module.wrap(source), { filename: bundle, ...(cached ? { cachedData: cached } : {}) });
const cli = new Module(bundle, module);
cli.filename = bundle;
cli.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(bundle));
const wrapper = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: Module, filename: string, dirname: string) => void;
wrapper.call(cli.exports, cli.exports, ((id: string) => cli.require(id)) as NodeRequire, cli, bundle, path.dirname(bundle));

const { main } = cli.exports as { main(argv: string[]): Promise<number> };
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (cached && !script.cachedDataRejected) return;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const temp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile);
  } catch {
    // no cache folder: the next run compiles again
  }
});
