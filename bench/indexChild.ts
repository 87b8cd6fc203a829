import { performance } from 'node:perf_hooks';
import { readIndexCache, writeIndexCache } from '../src/adapters/indexCache';
import { WorkspaceFiles } from '../src/adapters/workspaceFiles';

/**
 * One index run in a fresh process, so that "cold" means cold (no JIT, no file cache in the
 * process) and peak memory is this run's own: `cold DIR [CACHE_OUT]` or `warm DIR CACHE`, with the
 * cache file the editor and the CLI share. Prints {ms, cpuMs, maxRssMiB, relations, warnings, cacheBytes}.
 */
async function main(): Promise<void> {
  const [mode, dir, cacheFile] = process.argv.slice(2);
  if (!dir || (mode !== 'cold' && mode !== 'warm')) throw new Error('usage: indexChild cold|warm DIR [CACHE]');
  const started = performance.now();
  const cpu = process.cpuUsage();
  const files = new WorkspaceFiles(dir);
  const cache = mode === 'warm' ? await readIndexCache(cacheFile!, dir) : undefined;
  if (mode === 'warm' && !cache) throw new Error(`no cache in ${cacheFile}`);
  const scan = await files.scan(cache);
  const index = files.indexer.build();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  // CPU time says what the run costs even when other work shares the machine.
  const cpuMs = (used.user + used.system) / 1000;
  if (mode === 'warm' && (!scan.fromCache || scan.read > 0)) throw new Error(`the warm run read ${scan.read} files (from cache: ${scan.fromCache})`);
  const cacheBytes = mode === 'cold' && cacheFile ? await writeIndexCache(cacheFile, dir, files.cache()) : undefined;
  process.stdout.write(JSON.stringify({ ms, cpuMs, maxRssMiB: process.resourceUsage().maxRSS / 1024, relations: index.relations.length, warnings: index.warnings.length, cacheBytes }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
