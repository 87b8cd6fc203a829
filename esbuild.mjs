// Builds the three bundles: the extension host (Node), the Ask panel (browser) and the CLI (Node).
//   node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// DuckDB is a native module: it stays in node_modules and ships in the platform-specific VSIX.
const nodeExternals = ['vscode', '@duckdb/node-api', '@duckdb/node-bindings'];

const common = {
  bundle: true,
  sourcemap: true,
  minify: production,
  logLevel: 'info',
  legalComments: 'linked',
};

const builds = [
  { ...common, entryPoints: ['src/host/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals },
  // dist/cli.js is a small launcher that loads the CLI bundle with V8's code cache (see src/cli/bin.ts).
  // No import() in it: the launcher compiles it with vm.Script, where import() would need an experimental flag.
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/askdata-cli.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals, supported: { 'dynamic-import': false }, banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternals, banner: { js: '#!/usr/bin/env node' } },
  // The panel is minified even in development builds: it loads every time a panel opens.
  { ...common, minify: true, entryPoints: ['webview-ui/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  { ...common, entryPoints: ['test/electron/runTest.ts', 'test/electron/suite/index.ts'], outdir: 'dist/test/electron', outbase: 'test/electron', platform: 'node', format: 'cjs', target: 'node20', external: [...nodeExternals, 'mocha', '@vscode/test-electron'] },
];

async function copyAssets() {
  await fs.mkdir('dist', { recursive: true });
  // sql.js loads its WebAssembly from next to the bundle at run time.
  await fs.copyFile(path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm'), 'dist/sql-wasm.wasm');
  await fs.copyFile('webview-ui/panel.css', 'dist/panel.css');
  await fs.chmod('dist/cli.js', 0o755).catch(() => {});
  await fs.chmod('dist/askdata-cli.js', 0o755).catch(() => {});
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.rebuild()));
  await copyAssets();
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('watching for changes…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  await copyAssets();
}
