import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { sampleWithDatabase } from '../support/sampleDb';
import { repoRoot } from '../support/tempDir';
import { startSession, type Session } from './codeServer';
import { runCommand, webview } from './workbench';

const run = promisify(execFile);

/**
 * The README's way to install Ask Data in desktop VS Code is `npm run package` and installing the
 * VSIX. This builds it exactly so, installs it into code-server as a user would (no link to this
 * checkout), and sees the installed copy activate and answer from DuckDB: packaging cannot break
 * silently again.
 */
describe('the packaged extension (npm run package), installed into code-server', function () {
  let s: Session | undefined;
  const vsix = path.join(repoRoot, 'dist', 'ask-data-linux-x64.vsix');

  before(async function () {
    this.timeout(600_000);
    await fs.rm(vsix, { force: true });
    await run('npm', ['run', 'package'], { cwd: repoRoot, maxBuffer: 64 << 20 });
    assert.ok(existsSync(vsix), 'npm run package wrote the VSIX');
    const { project } = await sampleWithDatabase();
    s = await startSession({ workspaceFrom: project, vsix, settings: { 'askData.ollama.host': 'http://127.0.0.1:9' } });
  });

  after(async function () {
    this.timeout(120_000);
    await s?.close();
    // The package script builds minified bundles; put the development build back for other suites.
    await run('node', ['esbuild.mjs'], { cwd: repoRoot });
  });

  it('installs as files of its own, activates, and answers a question from DuckDB', async () => {
    const { page } = s!;
    const extensions = path.join(path.dirname(s!.userData), 'extensions');
    const installed = (await fs.readdir(extensions)).filter((d) => d.startsWith('askdata.ask-data-'));
    assert.equal(installed.length, 1, `installed: ${installed.join(', ')}`);
    const dir = path.join(extensions, installed[0]!);
    assert.ok(!(await fs.lstat(dir)).isSymbolicLink(), 'a copy from the VSIX, not a link to the checkout');
    assert.ok(existsSync(path.join(dir, 'dist', 'extension.js')) && existsSync(path.join(dir, 'node_modules', '@duckdb', 'node-api')));

    await page.locator('.statusbar-item', { hasText: '19 approved · 3 pending' }).waitFor({ timeout: 60_000 });
    await runCommand(page, 'Ask Data: Ask data');
    const view = webview(page);
    await view.locator('#question').click();
    await page.keyboard.type('Show me sales from the last 90 days');
    await page.keyboard.press('Control+Enter');
    await view.locator('#source .badge', { hasText: 'recall' }).waitFor({ timeout: 30_000 });
    await view.locator('#row-count', { hasText: 'rows' }).waitFor();
    assert.ok((await view.locator('.grid [role="gridcell"]').count()) > 0, 'the result has rows');
    await s!.screenshot('20-installed-from-vsix');
  });
});
