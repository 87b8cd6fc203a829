import type { PanelInit } from './messages';

/**
 * The Ask panel's page. Shared by the extension host and the browser tests and benchmark, so that
 * what they check runs under the very CSP the panel has: scripts and styles only with this page's
 * nonce or from the extension's own files, no eval, no inline handlers, no remote anything.
 */
export interface PanelPage {
  nonce: string;
  /** The webview's resource origin (`webview.cspSource`). */
  cspSource: string;
  script: string;
  style: string;
  /** What the panel draws first, read by its script before anything else (see INITIAL_STATE_ID). */
  init: PanelInit;
  /** A script run before the panel's (the tests' stand-in for VS Code's webview API). */
  preamble?: string;
}

/** The element holding the page's PanelInit as JSON. */
export const INITIAL_STATE_ID = 'initial-state';

/**
 * JSON that stays data inside a <script> element whatever the strings in it say: no `<` can close
 * the element or open a comment, and `&` and `>` are escaped alike. JSON.parse reads them back.
 */
export function jsonInHtml(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function panelHtml(page: PanelPage): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${page.nonce}'`,
    `style-src ${page.cspSource} 'nonce-${page.nonce}'`,
    `font-src ${page.cspSource}`,
    `img-src ${page.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${page.nonce}" href="${page.style}">
<title>Ask data</title>
</head>
<body>
<main id="app" aria-busy="true"></main>
<script type="application/json" id="${INITIAL_STATE_ID}" nonce="${page.nonce}">${jsonInHtml(page.init)}</script>
${page.preamble ? `<script nonce="${page.nonce}">${page.preamble}</script>\n` : ''}<script nonce="${page.nonce}" src="${page.script}"></script>
</body>
</html>`;
}
