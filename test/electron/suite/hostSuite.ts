import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';

// The same checks as the code-server journey, made through the VS Code API from inside the host.
const workspace = process.env.ASKDATA_TEST_WORKSPACE!;

async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Ask Data in the extension host', () => {
  before(async () => {
    await vscode.extensions.getExtension('askdata.ask-data')!.activate();
  });

  it('registers its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['askData.ask', 'askData.approvePair', 'askData.rejectPair', 'askData.removeApproval', 'askData.filterQueueByModel', 'askData.addPendingPair']) {
      assert.ok(commands.includes(c), c);
    }
  });

  it('counts the approved questions that use the customers mart in a code lens', async () => {
    const uri = vscode.Uri.file(path.join(workspace, 'models', 'marts', 'customers.sql'));
    const lenses = await eventually(async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return found?.find((l) => l.command?.title.endsWith('use this model'));
    }, 'the lens');
    const pairs = await fs.readdir(path.join(workspace, 'askdata', 'pairs'));
    let expected = 0;
    for (const name of pairs) {
      const data = parse(await fs.readFile(path.join(workspace, 'askdata', 'pairs', name), 'utf8'));
      if (data.status === 'approved' && data.tables?.includes('customers')) expected++;
    }
    assert.equal(lenses.command!.title, `${expected} approved questions use this model`);
  });

  it('approves a pending pair, recording the git identity', async () => {
    await vscode.commands.executeCommand('askData.approvePair', { projectRoot: workspace, pairId: 'gross-margin-by-category' });
    const data = parse(await fs.readFile(path.join(workspace, 'askdata', 'pairs', 'gross-margin-by-category.yml'), 'utf8'));
    assert.equal(data.status, 'approved');
    assert.equal(data.approved.by, 'Erin Tester <erin@shop.example>');
  });

  it('opens the Ask panel', async () => {
    await vscode.commands.executeCommand('askData.ask');
    await eventually(async () => (vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label === 'Ask data') ? true : undefined), 'the Ask data tab');
  });
});
