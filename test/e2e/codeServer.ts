import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../support/tempDir';
import version from './version.json';

export const CODE_SERVER_VERSION: string = version.codeServer;
const cacheDir = process.env.ASKDATA_CACHE ?? path.join(os.homedir(), '.cache', 'ask-data');
const codeServerBin = path.join(cacheDir, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', '.bin', 'code-server');
const chromiumBin = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const resultsDir = path.join(repoRoot, 'test-results', 'e2e');

export interface Session {
  page: Page;
  workspace: string;
  userData: string;
  url: string;
  screenshot(name: string): Promise<string>;
  /** The extension host log and our own output channel, for failures. */
  logs(): Promise<string>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Copied into a fresh temporary workspace, which is made a git repository. */
  workspaceFrom: string;
  theme?: string;
  gitUser?: { name: string; email: string };
  settings?: Record<string, unknown>;
  /** Install this VSIX, as a user would, instead of loading the extension from this checkout. */
  vsix?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer at ${url} within ${timeoutMs / 1000}s:\n${output()}`);
}

export function checkPrerequisites(): void {
  const missing: string[] = [];
  if (!existsSync(codeServerBin)) missing.push(`code-server ${CODE_SERVER_VERSION} (expected at ${codeServerBin})`);
  if (!existsSync(chromiumBin)) missing.push(`Chromium (expected at ${chromiumBin})`);
  if (!existsSync(path.join(repoRoot, 'dist', 'extension.js'))) missing.push('the built extension (run `npm run build`)');
  if (missing.length) throw new Error(`The end-to-end tests need ${missing.join(', ')}. Run \`bash scripts/install-system.sh\` (as root) and \`npm run build\`.`);
}

/** The VS Code log files under a user-data folder whose path passes `wanted`. */
export async function readLogs(userData: string, wanted: (file: string) => boolean): Promise<Array<{ file: string; text: string }>> {
  const found: Array<{ file: string; text: string }> = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (p.endsWith('.log') && wanted(p)) found.push({ file: p, text: await fs.readFile(p, 'utf8') });
    }
  };
  await walk(path.join(userData, 'logs'));
  return found;
}

/** A real VS Code (code-server) with the extension installed from this checkout, driven by Chromium. */
export async function startSession(options: SessionOptions): Promise<Session> {
  checkPrerequisites();
  const pkg = JSON.parse(await fs.readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-e2e-'));
  const workspace = path.join(base, 'workspace');
  const extensions = path.join(base, 'extensions');
  const userData = path.join(base, 'user-data');

  // The database comes along (the panel runs queries on it); a write-ahead log of a build in progress does not.
  await fs.cp(options.workspaceFrom, workspace, { recursive: true, filter: (src) => !/\.duckdb\.wal$/.test(src) });
  const user = options.gitUser ?? { name: 'Erin Tester', email: 'erin@shop.example' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', user.name);
  git('config', 'user.email', user.email);
  git('add', '-A');
  git('commit', '-qm', 'sample');

  await fs.mkdir(extensions, { recursive: true });
  if (options.vsix) {
    execFileSync(codeServerBin, ['--extensions-dir', extensions, '--user-data-dir', userData, '--install-extension', options.vsix], { stdio: 'pipe', env: { ...process.env, VSCODE_PROXY_URI: '' } });
  } else {
    await fs.symlink(repoRoot, path.join(extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`), 'dir');
  }
  await fs.mkdir(path.join(userData, 'User'), { recursive: true });
  await fs.writeFile(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'workbench.colorTheme': options.theme ?? 'Default Dark Modern',
    'workbench.tips.enabled': false,
    'extensions.ignoreRecommendations': true,
    'chat.commandCenter.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'window.commandCenter': false,
    'update.mode': 'none',
    'git.openRepositoryInParentFolders': 'never',
    ...options.settings,
  }, null, 2));
  await fs.writeFile(path.join(userData, 'config.yaml'), 'auth: none\ncert: false\n');

  const port = await freePort();
  let output = '';
  const child = spawn(codeServerBin, [
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--extensions-dir', extensions, '--user-data-dir', userData,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--config', path.join(userData, 'config.yaml'), workspace,
  ], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VSCODE_PROXY_URI: '', ASKDATA_CACHE_DIR: path.join(userData, 'askdata-cache') } });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;

  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    // code-server starts a file watcher child: end the whole process group.
    try {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  try {
    await waitForHttp(`${url}healthz`, child, () => output);
    browser = await chromium.launch({
      executablePath: chromiumBin,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${url}?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await fs.mkdir(resultsDir, { recursive: true });
    return {
      page,
      workspace,
      userData,
      url,
      async screenshot(name) {
        const file = path.join(resultsDir, `${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      async logs() {
        const found = await readLogs(userData, (file) => /exthost|Ask Data/.test(file));
        return `${found.map((l) => `── ${l.file}\n${l.text}`).join('\n')}\n── code-server output\n${output}`;
      },
      close: stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
