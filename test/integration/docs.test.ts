import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { sampleWithDatabase } from '../support/sampleDb';
import { repoRoot, tempDir } from '../support/tempDir';

/**
 * The README and docs/cli.md show `npx askdata …` commands; each one is run here, on a copy of
 * the sample, so that a renamed command or option cannot leave the documentation behind. Each
 * must succeed, but for those that need the local model (there is none here) or a file the
 * example only names: they must fail for that reason, not with a usage error.
 */
function documentedCommands(text: string): string[] {
  const lines = [...text.matchAll(/`?(npx askdata [^`\n]+)`?/g)].map((m) => m[1]!.replace(/\s+#.*$/, '').replace(/\s+—.*$/, '').trim());
  return [...new Set(lines)];
}

/** Shell words, with "…" quoting; `[…]` optional parts are dropped, and placeholders (DIR, FILE) make a line a template. */
function words(line: string): string[] | undefined {
  // Standard input comes from the test (`select 1`), not from a shell redirection.
  const cleaned = line.replace(/\s*\[[^\]]*\](…)?/g, '').replace(/\s+<\s+\S+$/, '');
  if (/\b(DIR|FILE|EMAIL|NAME|QUESTION|SQL|N|R|Q)\b(?![a-z])|(^|\s)…(\s|$)/.test(cleaned.replace(/"[^"]*"/g, '""'))) return undefined;
  const out: string[] = [];
  for (const m of cleaned.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\n/g, '\n') : m[2]!);
  return out.slice(2);
}

describe('the documentation shows commands that exist', function () {
  this.timeout(180_000);
  let project = '';
  before(async () => {
    const { project: built } = await sampleWithDatabase();
    project = path.join(await tempDir('askdata-docs-'), 'shop');
    await fs.cp(built, project, { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: project });
    execFileSync('git', ['config', 'user.name', 'Docs Reader'], { cwd: project });
    execFileSync('git', ['config', 'user.email', 'docs@shop.example'], { cwd: project });
  });

  for (const doc of ['README.md', 'docs/cli.md']) {
    it(`runs every askdata command of ${doc} without a usage error`, async () => {
      const text = await fs.readFile(path.join(repoRoot, doc), 'utf8');
      const commands = documentedCommands(text);
      assert.ok(commands.length >= 10, `${commands.length} commands found in ${doc}`);
      let ran = 0;
      for (const line of commands) {
        const args = words(line);
        if (!args) continue;
        // Paths the example writes (`--out lora/`) land beside the copy, never in the repo.
        const argv = args.map((a, i) => (a === 'samples/shop' || a === '.' ? project : args[i - 1] === '--out' && !path.isAbsolute(a) ? path.join(project, '..', a) : a));
        let err = '';
        const code = await main([...argv, '--host', 'http://127.0.0.1:9'], () => undefined, (s) => (err += s), async () => 'select 1');
        // The local model, an adapter file, a PostgreSQL server (scripts/sample-postgres.sh; tested in postgresEngine.test.ts).
        const needsWhatIsNotHere = /askdata (train(?! export)|augment)\b|--target postgres/.test(line);
        if (needsWhatIsNotHere) assert.equal(code, 1, `${doc}: ${line}\n${err.split('\n')[0]}`);
        else assert.equal(code, 0, `${doc}: ${line}\n${err.split('\n')[0]}`);
        ran++;
      }
      assert.ok(ran >= 8, `${ran} of ${doc}'s commands ran`);
    });
  }

  it('links only to files that exist', async () => {
    for (const doc of ['README.md', 'ARCHITECTURE.md', 'CHANGELOG.md', ...(await fs.readdir(path.join(repoRoot, 'docs'))).map((f) => `docs/${f}`)]) {
      const text = await fs.readFile(path.join(repoRoot, doc), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^https?:/.test(target)) continue;
        await fs.access(path.join(repoRoot, path.dirname(doc), target)).catch(() => assert.fail(`${doc} links to ${target}, which does not exist`));
      }
    }
  });
});
