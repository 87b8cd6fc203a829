import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

/**
 * Runs the extension-host suite (test/electron/suite) inside a desktop VS Code build, for machines
 * that have one: VSCODE_EXECUTABLE=/path/to/code npm run test:electron. Set
 * ASKDATA_VSCODE_DOWNLOAD=1 to let @vscode/test-electron download a build instead. Our CI machines
 * can do neither, so CI runs the same journey through code-server (test/e2e).
 */
async function main(): Promise<void> {
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE;
  if (!vscodeExecutablePath && !process.env.ASKDATA_VSCODE_DOWNLOAD) {
    console.error('test:electron needs a desktop VS Code: set VSCODE_EXECUTABLE=/path/to/code, or ASKDATA_VSCODE_DOWNLOAD=1 to download one.');
    process.exit(2);
  }
  const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-electron-'));
  await fs.cp(path.join(repoRoot, 'samples', 'shop'), workspace, { recursive: true, filter: (src) => !/\.duckdb(\.wal)?$/.test(src) });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, stdio: 'pipe' });
  git('init', '-q');
  git('config', 'user.name', 'Erin Tester');
  git('config', 'user.email', 'erin@shop.example');
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
    extensionTestsEnv: { ASKDATA_TEST_WORKSPACE: workspace },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
