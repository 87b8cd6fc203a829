import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { repoRoot } from '../support/tempDir';

// The layer rules live in eslint.config.mjs; this proves they fire, so a typo in a glob cannot
// quietly turn them off.
describe('layer boundaries (lint)', function () {
  // The snippets are files that do not exist, which the type-aware rules cannot read; the layer
  // rules need no types.
  const eslint = new ESLint({ cwd: repoRoot, overrideConfig: tseslint.configs.disableTypeChecked });
  const errorsFor = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  };

  const cases: Array<[string, string, boolean]> = [
    ['src/core/pairs/x.ts', "import * as vscode from 'vscode';", true],
    ['src/core/pairs/x.ts', "import { promises } from 'node:fs';", true],
    ['src/core/pairs/x.ts', "import { NodePairFiles } from '../../adapters/nodePairFiles';", true],
    ['src/core/pairs/x.ts', "import { parse } from 'yaml';", false],
    ['src/adapters/x.ts', "import * as vscode from 'vscode';", true],
    ['src/cli/x.ts', "import { activate } from '../host/extension';", true],
    ['src/protocol/x.ts', "import { PairStore } from '../core/pairs/pairStore';", true],
    ['webview-ui/x.ts', "import { PairStore } from '../src/core/pairs/pairStore';", true],
    ['webview-ui/x.ts', "import * as vscode from 'vscode';", true],
    ['webview-ui/x.ts', "import { hostToWebview } from '../src/protocol/messages';", false],
    ['src/host/x.ts', "import * as vscode from 'vscode';", false],
    ['src/host/x.ts', "import { main } from '../cli/main';", true],
    ['src/host/x.ts', "import { openAskProject } from '../usecases/project';", false],
    ['src/usecases/x.ts', "import * as vscode from 'vscode';", true],
    ['src/usecases/x.ts', "import { main } from '../cli/main';", true],
    ['src/usecases/x.ts', "import { DuckDbEngine } from '../adapters/duckdbEngine';", false],
    ['src/adapters/x.ts', "import { openAskProject } from '../usecases/project';", true],
    ['src/core/pairs/x.ts', "import { openAskProject } from '../../usecases/project';", true],
  ];
  for (const [file, code, refused] of cases) {
    it(`${refused ? 'refuses' : 'allows'} ${code} in ${file}`, async () => {
      const errors = await errorsFor(file, `${code}\nexport const used = typeof ${/import \* as (\w+)|import \{ (\w+)/.exec(code)!.slice(1).find(Boolean)};\n`);
      assert.equal(errors.length > 0, refused, errors.join('; ') || 'no error');
    });
  }
});
