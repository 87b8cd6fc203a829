import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { indexCacheDir, indexCacheFile, readIndexCache, writeIndexCache } from '../../src/adapters/indexCache';
import { indexFolder, WorkspaceFiles } from '../../src/adapters/workspaceFiles';
import { main } from '../../src/cli/main';
import { writeSyntheticProject } from '../support/syntheticDbt';

/** The cache the editor and `askdata index` share: same answers as indexing from scratch, warm when nothing changed. */
describe('shared index cache', function () {
  this.timeout(60_000);
  let cacheDir = '';
  let saved: string | undefined;
  beforeEach(async () => {
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-cache-'));
    saved = process.env.ASKDATA_CACHE_DIR;
    process.env.ASKDATA_CACHE_DIR = cacheDir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.ASKDATA_CACHE_DIR;
    else process.env.ASKDATA_CACHE_DIR = saved;
  });

  const cli = async (dir: string, ...extra: string[]) => {
    const out: string[] = [];
    assert.equal(await main(['index', '--project', dir, '--no-database', '--json', ...extra], (s) => out.push(s)), 0);
    const report = JSON.parse(out.join('')) as Record<string, unknown> & { cache: { used: boolean; written: boolean; file: string } };
    const { ms: _ms, cache, ...rest } = report;
    return { cache, rest };
  };

  it('lives where ASKDATA_CACHE_DIR, XDG_CACHE_HOME or the home folder say, one file per folder', () => {
    assert.equal(indexCacheDir({ ASKDATA_CACHE_DIR: '/tmp/x' }), path.resolve('/tmp/x'));
    if (process.platform === 'linux') {
      assert.equal(indexCacheDir({ XDG_CACHE_HOME: '/tmp/xdg' }), '/tmp/xdg/askdata');
      assert.equal(indexCacheDir({}), path.join(os.homedir(), '.cache', 'askdata'));
    }
    assert.notEqual(indexCacheFile('/a/b', '/c'), indexCacheFile('/a/c', '/c'));
    assert.equal(indexCacheFile('/a/b/', '/c'), indexCacheFile('/a/b', '/c'));
  });

  it('a second askdata index of an unchanged folder answers from the cache the editor wrote, the same as from scratch', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-synth-'));
    await writeSyntheticProject(dir, { models: 80, propertiesFiles: 8 });
    const scratch = await cli(dir);
    assert.equal(scratch.cache.used, false);
    assert.equal(scratch.cache.written, true);
    assert.equal(path.dirname(scratch.cache.file), cacheDir);

    // The editor writes the same file (here: the same call the editor's service makes).
    const editor = new WorkspaceFiles(dir);
    await editor.scan();
    editor.indexer.build();
    await writeIndexCache(indexCacheFile(dir), dir, { ...editor.cache(), history: { types: { 'a.b': 'INTEGER' }, changes: [] } });

    const warm = await cli(dir);
    assert.deepEqual(warm.cache, { file: scratch.cache.file, used: true, written: false });
    assert.deepEqual(warm.rest, scratch.rest);
    // The editor's column history survives a CLI run that writes the cache back.
    await fs.appendFile(path.join(dir, 'models/staging/domain_0/stg_0.sql'), '\n-- edited\n');
    const edited = await cli(dir);
    assert.equal(edited.cache.written, true);
    assert.deepEqual((await readIndexCache(indexCacheFile(dir), dir))?.history, { types: { 'a.b': 'INTEGER' }, changes: [] });
    const uncached = await cli(dir, '--no-cache');
    assert.deepEqual(uncached.cache, { used: false, written: false });
    assert.deepEqual(edited.rest, uncached.rest);
  });

  it('after a warm start, a one-file change gives the index a from-scratch run gives', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-synth-'));
    await writeSyntheticProject(dir, { models: 60, propertiesFiles: 6 });
    const file = indexCacheFile(dir);
    await indexFolder(dir, undefined, { cacheFile: file });
    await fs.writeFile(path.join(dir, 'models/marts/domain_0/fct_50.sql'), "select account_id, 1 as renamed from {{ ref('stg_3') }}");
    const warm = await indexFolder(dir, undefined, { cacheFile: file });
    assert.equal(warm.cache.used, true);
    const fresh = new WorkspaceFiles(dir);
    await fresh.scan();
    assert.deepEqual(warm.files.indexer.build(), fresh.indexer.build());
  });

  it('ignores a torn cache file or one made for another folder', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-synth-'));
    await writeSyntheticProject(dir, { models: 10, propertiesFiles: 1 });
    const file = indexCacheFile(dir);
    await indexFolder(dir, undefined, { cacheFile: file });
    assert.ok(await readIndexCache(file, dir));
    assert.equal(await readIndexCache(file, path.join(dir, 'other')), undefined);
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 10));
    assert.equal(await readIndexCache(file, dir), undefined);
    const again = await indexFolder(dir, undefined, { cacheFile: file });
    assert.equal(again.cache.used, false);
    assert.equal(again.cache.written, true);
  });
});
