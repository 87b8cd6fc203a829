import { promises as fs } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WorkspaceFiles } from '../src/adapters/workspaceFiles';

/**
 * One index run in a fresh process, so that "cold" means cold (no JIT, no file cache in the
 * process) and peak memory is this run's own: `cold DIR [CACHE_OUT]` or `warm DIR CACHE`.
 * Prints {ms, maxRssMiB, relations}.
 */
async function main(): Promise<void> {
  const [mode, dir, cacheFile] = process.argv.slice(2);
  if (!dir || (mode !== 'cold' && mode !== 'warm')) throw new Error('usage: indexChild cold|warm DIR [CACHE]');
  const started = performance.now();
  const files = new WorkspaceFiles(dir);
  const cache = mode === 'warm' ? JSON.parse(await fs.readFile(cacheFile!, 'utf8')) : undefined;
  const scan = await files.scan(cache);
  const index = files.indexer.build();
  const ms = performance.now() - started;
  if (mode === 'warm' && (!scan.fromCache || scan.read > 0)) throw new Error(`the warm run read ${scan.read} files (from cache: ${scan.fromCache})`);
  if (mode === 'cold' && cacheFile) await fs.writeFile(cacheFile, JSON.stringify(files.cache()));
  process.stdout.write(JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, relations: index.relations.length, warnings: index.warnings.length }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
