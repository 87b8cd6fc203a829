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
  /** A script run before the panel's (the tests' stand-in for VS Code's webview API). */
  preamble?: string;
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
${page.preamble ? `<script nonce="${page.nonce}">${page.preamble}</script>\n` : ''}<script nonce="${page.nonce}" src="${page.script}"></script>
</body>
</html>`;
}
