import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { repoRoot, sampleShop, tempDir } from './tempDir';

let built: Promise<{ project: string; database: string }> | undefined;

/**
 * A copy of the sample project with its database freshly built (once per test run), so tests
 * never touch the sample's own files.
 */
export function sampleWithDatabase(): Promise<{ project: string; database: string }> {
  built ??= (async () => {
    const project = await tempDir('askdata-sample-');
    await fs.cp(sampleShop, project, { recursive: true, filter: (src) => !/shop\.duckdb|\.csv$/.test(src) });
    const { buildSample } = (await import(path.join(repoRoot, 'scripts', 'build-sample.mjs'))) as {
      buildSample(o: { project: string; today: string; out: string; quiet: boolean }): Promise<{ out: string }>;
    };
    const { out } = await buildSample({ project, today: new Date().toISOString().slice(0, 10), out: path.join(project, 'shop.duckdb'), quiet: true });
    return { project, database: out };
  })();
  return built;
}
