import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { repoRoot, tempDir } from '../support/tempDir';

/**
 * The `askdata` launcher (src/cli/bin.ts) keeps V8's code cache of the CLI bundle in the cache
 * folder. Whatever happens to that file — damaged bytes, a cut-off write, runs at the same time,
 * a folder it cannot write — `askdata` must run as if there were no cache.
 */
describe('the askdata launcher and its V8 code cache', function () {
  this.timeout(120_000);
  let dist: string;

  before(async () => {
    dist = await tempDir('askdata-launcher-');
    const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', external: ['vscode', '@duckdb/node-api', '@duckdb/node-bindings'], logLevel: 'silent' as const, nodePaths: [path.join(repoRoot, 'node_modules')] };
    await esbuild.build({ ...common, entryPoints: [path.join(repoRoot, 'src/cli/main.ts')], outfile: path.join(dist, 'askdata-cli.js'), supported: { 'dynamic-import': false } });
    await esbuild.build({ ...common, entryPoints: [path.join(repoRoot, 'src/cli/bin.ts')], outfile: path.join(dist, 'cli.js') });
  });

  const run = async (cacheDir: string) => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(dist, 'cli.js'), '--help'], { env: { ...process.env, ASKDATA_CACHE_DIR: cacheDir } });
    assert.match(stdout, /^askdata — Ask Data from the command line/);
  };
  const codeCache = async (dir: string) => {
    const files = (await fs.readdir(dir)).filter((f) => /^cli-[0-9a-f]{16}\.v8$/.test(f));
    assert.equal(files.length, 1, `one code cache file, not ${files.join(', ')}`);
    return path.join(dir, files[0]!);
  };

  it('runs on a damaged, cut-off or empty code cache, and writes a good one again', async () => {
    const dir = await tempDir('askdata-v8-');
    await run(dir);
    const file = await codeCache(dir);
    const good = await fs.readFile(file);
    const damaged = Buffer.from(good);
    for (let i = 64; i < damaged.length; i += 997) damaged[i]! ^= 0xff;
    const zeroed = Buffer.from(good);
    zeroed.fill(0, Math.floor(good.length / 2), Math.floor(good.length / 2) + 4096);
    for (const bad of [damaged, zeroed, good.subarray(0, Math.floor(good.length / 3)), Buffer.alloc(0)]) {
      await fs.writeFile(file, bad);
      await run(dir);
      const rewritten = await fs.readFile(file);
      assert.ok(!rewritten.equals(bad), 'the bad cache is replaced');
      // The rewritten cache is accepted: a further run leaves it as it is.
      await run(dir);
      assert.ok((await fs.readFile(file)).equals(rewritten));
    }
  });

  it('runs at the same time as itself, and without a folder it can write to', async () => {
    const dir = await tempDir('askdata-v8-');
    await Promise.all(Array.from({ length: 6 }, () => run(dir)));
    await run(dir);
    await codeCache(dir);
    const file = path.join(await tempDir('askdata-v8-'), 'a-file');
    await fs.writeFile(file, 'not a folder');
    await run(path.join(file, 'cache'));
  });

  it('keeps only the code cache of the bundle that runs', async () => {
    const dir = await tempDir('askdata-v8-');
    await fs.writeFile(path.join(dir, 'cli-0123456789abcdef.v8'), 'an older build');
    await run(dir);
    await codeCache(dir);
  });
});
