import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostToWebview, PanelInit, PanelState, RequestBody, WebviewToHost } from '../../src/protocol/messages';
import { panelHtml } from '../../src/protocol/panelHtml';
import { repoRoot } from './tempDir';

/**
 * The built Ask panel (dist/webview.js) in a real Chromium, under the panel's own CSP, with
 * VS Code's webview API played by this harness: the page carries the panel's first state as the
 * host writes it, getState/setState are kept here as VS Code keeps them (across reloads of the
 * page), what the panel posts arrives here, and the test answers as the extension host would.
 * For checks of the panel itself (escaping, the grid, the chart, its state) and for the
 * benchmark's paint timing; the whole product runs in code-server in the end-to-end suite.
 */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ORIGIN = 'https://askdata-panel.test';
const NONCE = 'aGFybmVzcy1ub25jZQ==';

export type RequestHandler = (body: RequestBody, id: number) => unknown | Promise<unknown>;

export interface PanelOptions {
  /** CSS variables set on the page, as VS Code's theme sets them. */
  theme?: Record<string, string>;
  /** What getState returns when the page loads, as VS Code keeps it for a panel. */
  kept?: PanelState;
  /** Wait for the panel to say it is ready (default); a panel that cannot draw never does. */
  expectReady?: boolean;
}

export class WebviewHarness {
  readonly received: WebviewToHost[] = [];
  /** Script errors and CSP violations reported by the page. */
  readonly problems: string[] = [];
  /** Every state the panel kept with setState, in order. */
  readonly keptStates: PanelState[] = [];
  private handler: RequestHandler = () => undefined;
  private html = '';

  private constructor(private readonly browser: Browser, readonly page: Page) {}

  /** A browser ready to load panels; answer requests with onRequest before loading one. */
  static async launch(): Promise<WebviewHarness> {
    try {
      await fs.access(path.join(repoRoot, 'dist', 'webview.js'));
    } catch {
      throw new Error('The panel is not built: run `npm run build` first.');
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const harness = new WebviewHarness(browser, page);
    page.on('pageerror', (e) => harness.problems.push(`error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) harness.problems.push(`console: ${m.text()}`);
    });
    await page.exposeFunction('__askdataToHost', (message: WebviewToHost) => harness.receive(message));
    await page.exposeFunction('__askdataSetState', (state: PanelState) => void harness.keptStates.push(state));
    await page.route(`${ORIGIN}/**`, async (route) => {
      const name = new URL(route.request().url()).pathname.slice(1);
      if (name === '' || name === 'index.html') {
        await route.fulfill({ contentType: 'text/html', body: harness.html });
        return;
      }
      const file = path.join(repoRoot, 'dist', path.basename(name));
      try {
        await route.fulfill({ body: await fs.readFile(file), contentType: name.endsWith('.css') ? 'text/css' : 'text/javascript' });
      } catch {
        await route.fulfill({ status: 404, body: '' });
      }
    });
    return harness;
  }

  /** Launches a browser and loads a panel whose page carries `init`. */
  static async open(init: PanelInit, options: PanelOptions & { onRequest?: RequestHandler } = {}): Promise<WebviewHarness> {
    const harness = await WebviewHarness.launch();
    if (options.onRequest) harness.onRequest(options.onRequest);
    await harness.load(init, options);
    return harness;
  }

  /** Loads the panel's page, as VS Code does when a panel opens or is shown again after being hidden. */
  async load(init: PanelInit, options: PanelOptions = {}): Promise<void> {
    const theme = Object.entries(options.theme ?? {}).map(([k, v]) => `document.documentElement.style.setProperty(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('');
    const kept = options.kept === undefined ? 'undefined' : JSON.stringify(options.kept);
    const preamble = `${theme}let s=${kept};window.acquireVsCodeApi=()=>({postMessage:(m)=>window.__askdataToHost(m),getState:()=>s,setState:(x)=>{s=x;window.__askdataSetState(x);}});`;
    this.html = panelHtml({ nonce: NONCE, cspSource: ORIGIN, script: `${ORIGIN}/webview.js`, style: `${ORIGIN}/panel.css`, preamble, init });
    this.received.length = 0;
    await this.page.goto(`${ORIGIN}/index.html`);
    if (options.expectReady !== false) await this.ready();
  }

  /** The last state the panel kept, as VS Code would hand it back. */
  get kept(): PanelState | undefined {
    return this.keptStates.at(-1);
  }

  /** Answers the panel's requests; the value returned is the reply, a thrown error a failed reply. */
  onRequest(handler: RequestHandler): void {
    this.handler = handler;
  }

  async post(message: HostToWebview): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message as unknown);
  }

  /** Resolves when the panel has said it is ready. */
  private async ready(): Promise<void> {
    for (let i = 0; i < 200 && !this.received.some((m) => m.type === 'ready'); i++) await new Promise((r) => setTimeout(r, 25));
    if (!this.received.some((m) => m.type === 'ready')) throw new Error('the panel never said it was ready');
  }

  requests(method?: RequestBody['method']): Array<Extract<WebviewToHost, { type: 'request' }>> {
    return this.received.filter((m): m is Extract<WebviewToHost, { type: 'request' }> => m.type === 'request' && (!method || m.body.method === method));
  }

  private async receive(message: WebviewToHost): Promise<void> {
    this.received.push(message);
    if (message.type !== 'request') return;
    const { method } = message.body;
    try {
      const result = await this.handler(message.body, message.id);
      await this.post({ type: 'reply', id: message.id, ok: true, method, result } as HostToWebview);
    } catch (e) {
      await this.post({ type: 'reply', id: message.id, ok: false, method, error: (e as Error).message, errorClass: (e as { errorClass?: string }).errorClass } as HostToWebview);
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
