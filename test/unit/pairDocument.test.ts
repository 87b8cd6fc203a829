import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parsePairText, readPairText } from '../../src/core/pairs/pairDocument';
import { sampleShop } from '../support/tempDir';

describe('pair reading: the fast path agrees with the authoritative parser', () => {
  const base = 'question: Revenue?\nsql: select 1\nstatus: pending\n';
  const cases: Record<string, string> = {
    plain: base,
    timestamps: `${base}history:\n  - { at: 2026-11-20T10:10:02Z, event: asked }\n`,
    'duplicate key': `${base}status: approved\n`,
    'anchors and aliases': `${base}tags: &t [a, b]\nx-copy: *t\n`,
    'yes/no stay text': 'question: yes\nsql: no\nstatus: pending\n',
    'number as question': 'question: 42\nsql: select 1\nstatus: pending\n',
    'tab indentation': 'question: Revenue?\nsql: |\n\tselect 1\nstatus: pending\n',
    'bad indentation': 'question: Revenue?\n  sql: select 1\nstatus: pending\n',
    'two documents': `${base}---\n${base}`,
    'empty file': '',
    'unknown fields': `${base}owner: growth\nx-meta: { a: 1 }\n`,
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      const slow = parsePairText(text);
      const fast = readPairText(text);
      assert.equal(fast.ok, slow.ok);
      if (fast.ok && slow.ok) assert.deepEqual(fast.pair, slow.pair);
      if (!fast.ok && !slow.ok) assert.deepEqual(fast.problems, slow.problems);
    });
  }

  it('on every sample pair', async () => {
    const dir = path.join(sampleShop, 'askdata', 'pairs');
    for (const name of await fs.readdir(dir)) {
      const text = await fs.readFile(path.join(dir, name), 'utf8');
      const slow = parsePairText(text);
      assert.ok(slow.ok, name);
      assert.deepEqual(readPairText(text), { ok: true, pair: slow.pair }, name);
    }
  });
});
