import type { FrameLocator, Page } from 'playwright-core';

/** Small helpers for driving the VS Code workbench the way a person does: palette, quick open, clicks. */

export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // A key press can land while focus moves into or out of a webview, and then nothing opens:
  // press again rather than wait for a palette that is not coming.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+Shift+P');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      break;
    } catch (e) {
      if (attempt === 4) throw e;
    }
  }
  await input.fill(`>${title}`);
  // Enter acts on the focused row, which lags behind the typing for a moment.
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title }).waitFor();
  await page.keyboard.press('Enter');
}

export async function quickOpen(page: Page, relativePath: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(relativePath);
  // The list first shows recently opened files; wait for the one we asked for.
  const name = relativePath.split('/').pop()!;
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: name }).waitFor();
  await page.keyboard.press('Enter');
}

export async function openAskDataView(page: Page): Promise<void> {
  // A click on the icon of the container already shown would close the side bar.
  if (await page.locator('.pane-header[aria-label^="Approval queue"]').isVisible()) return;
  // The pending-count badge sits on top of the icon and would take the click.
  await page.locator('.activitybar a[aria-label^="Ask Data"]').click({ force: true });
  // With one view in the container its header is hidden, but it is there.
  await page.locator('.pane-header[aria-label^="Approval queue"]').waitFor({ state: 'attached' });
}

export function treeRow(page: Page, text: string) {
  return page.locator('.monaco-list-row[role="treeitem"]', { hasText: text }).first();
}

/** The content of the visible webview panel (two iframes down). */
export function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

/** An editor's tab by (the start of) its title, in the order the tabs are shown. */
export function editorTab(page: Page, title: string) {
  return page.locator('.tabs-container .tab', { hasText: title });
}

export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  await page.waitForFunction(() => document.querySelectorAll('.tabs-container .tab').length === 0);
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Ask Data: Set Up Local Model, until the status bar names the model; its notifications cleared. */
export async function setUpModel(page: Page, model = 'qwen2.5-coder:1.5b'): Promise<void> {
  await runCommand(page, 'Ask Data: Set Up Local Model');
  await page.locator('.statusbar-item', { hasText: model }).waitFor({ timeout: 30_000 });
  await runCommand(page, 'Notifications: Clear All Notifications');
}

/** A new Ask panel, once it knows the model, with `question` asked in it. */
export async function askWithModel(page: Page, question: string, model = 'qwen2.5-coder:1.5b'): Promise<FrameLocator> {
  await closeAllEditors(page);
  await runCommand(page, 'Ask Data: Ask data');
  const view = webview(page);
  await view.locator('.model-badge', { hasText: model }).waitFor({ timeout: 30_000 });
  await view.locator('#question').click();
  await page.keyboard.type(question);
  await page.keyboard.press('Control+Enter');
  return view;
}
