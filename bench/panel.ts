import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { AnswerView, ResultView } from '../src/protocol/messages';
import type { Result } from './result';
import { repoRoot } from '../test/support/tempDir';
import { WebviewHarness } from '../test/support/webviewHarness';

/**
 * The Ask panel's figures: its bundle size, and the time from a 100,000-row result message
 * arriving in the webview (validation included) to its first rows painted, in Chromium with the
 * panel's CSP — the built bundle, as VS Code loads it.
 */
const ROWS = 100_000;
const RUNS = 7;

function bigResult(): ResultView {
  const rows: Array<Array<string | number | null>> = [];
  for (let i = 0; i < ROWS; i++) {
    rows.push([i + 1, `Customer ${i}`, ['DE', 'FR', 'GB', 'US', 'NL'][i % 5]!, `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`, ((i * 7919) % 1_000_003) / 100, i % 97 === 0 ? null : `${(i * 31) % 1000}.50`]);
  }
  return {
    columns: [
      { name: 'customer_id', type: 'INTEGER' }, { name: 'customer_name', type: 'VARCHAR' }, { name: 'country', type: 'VARCHAR' },
      { name: 'first_order', type: 'DATE' }, { name: 'revenue', type: 'DOUBLE' }, { name: 'balance', type: 'DECIMAL(12,2)' },
    ],
    rows,
    rowCount: ROWS,
    capped: false,
    ms: 120,
  };
}

export async function benchPanel(): Promise<Result[]> {
  await promisify(execFile)(process.execPath, [path.join(repoRoot, 'esbuild.mjs')], { cwd: repoRoot });
  const bundle = await fs.readFile(path.join(repoRoot, 'dist', 'webview.js'));
  const css = await fs.readFile(path.join(repoRoot, 'dist', 'panel.css'));
  const result = bigResult();
  const answer: Omit<AnswerView, 'result'> & { result: null } = {
    question: 'Every customer', sql: 'select * from customers', source: 'model', model: 'bench', pair: null, adaptations: [], assumptions: [],
    abstained: false, reason: null, error: null, attempts: 1, result: null,
    grounding: { dialect: 'duckdb', tables: [], tablesAvailable: 0, hidden: { tables: 0, columns: 0 }, joins: [], examples: [], rules: '', schema: '', tokens: { total: 0, budget: 3000 } },
  };
  const harness = await WebviewHarness.launch();
  try {
    harness.onRequest((body) => (body.method === 'run' ? result : undefined));
    const times: number[] = [];
    // A restored draft runs its SQL again at once: the reply is the 100,000-row result. Then Run,
    // in the same page, as a person runs it again.
    await harness.load({ state: { projectRoot: '/bench', draft: { question: answer.question, sql: answer.sql!, answer, history: [] } }, projectName: 'bench', pair: null, model: { available: true, name: 'bench' } });
    for (let i = 0; i < RUNS; i++) {
      if (i > 0) {
        await harness.page.evaluate(() => performance.clearMarks());
        await harness.page.locator('#run:not([disabled])').click();
      }
      await harness.page.waitForFunction(() => performance.getEntriesByName('askdata:rows-painted').length > 0, null, { timeout: 120_000 });
      times.push(await harness.page.evaluate(() => {
        const received = performance.getEntriesByName('askdata:reply-received').at(-1)!;
        const painted = performance.getEntriesByName('askdata:rows-painted').at(-1)!;
        return painted.startTime - received.startTime;
      }));
    }
    if (harness.problems.length) throw new Error(`the panel reported problems: ${harness.problems.join('; ')}`);
    const sorted = [...times].sort((a, b) => a - b);
    return [
      { name: 'panel: result message (100,000 rows × 6 columns) to first rows painted (median of 7)', value: sorted[Math.floor(sorted.length / 2)]!, unit: 'ms', target: '≤ 200 ms', detail: { runs: times.map((t) => Math.round(t)) } },
      { name: 'panel: webview bundle (dist/webview.js, minified)', value: bundle.length / 1024, unit: 'KiB', detail: { gzipKiB: Math.round(gzipSync(bundle).length / 1024), cssKiB: Math.round(css.length / 1024) } },
    ];
  } finally {
    await harness.close();
  }
}
