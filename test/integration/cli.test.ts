import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { sampleShop, tempDir } from '../support/tempDir';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('askdata CLI', () => {
  let project: string;
  before(async () => {
    project = await tempDir();
    await fs.cp(path.join(sampleShop, 'askdata'), path.join(project, 'askdata'), { recursive: true });
  });

  it('lists the sample pairs as JSON with counts', async () => {
    const { code, out } = await run(['pairs', 'list', '--project', project, '--json']);
    assert.equal(code, 0);
    const report = JSON.parse(out);
    assert.deepEqual(report.counts, { approved: 19, pending: 3, rejected: 1, invalid: 0, hidden: 0 });
    const top = report.pairs.find((p: { id: string }) => p.id === 'who-are-my-top-customers');
    assert.equal(top.question, 'Who are my top customers?');
    assert.deepEqual(top.tables, ['customers']);
    assert.equal(top.file, path.join('askdata', 'pairs', 'who-are-my-top-customers.yml'));
  });

  it('filters by status', async () => {
    const { out } = await run(['pairs', 'list', '--project', project, '--status', 'pending', '--json']);
    assert.deepEqual(JSON.parse(out).pairs.map((p: { status: string }) => p.status), ['pending', 'pending', 'pending']);
  });

  it('validates: exit 0 on the sample, exit 1 with file:line:col after a pair is broken by hand', async () => {
    assert.equal((await run(['pairs', 'validate', '--project', project])).code, 0);
    const file = path.join(project, 'askdata', 'pairs', 'sales-last-30-days.yml');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace('status: approved', 'status: aproved'));
    const lineOfStatus = text.split('\n').findIndex((l) => l.startsWith('status:')) + 1;
    const { code, err } = await run(['pairs', 'validate', '--project', project]);
    assert.equal(code, 1);
    assert.equal(err.split('\n')[0], `${path.join('askdata', 'pairs', 'sales-last-30-days.yml')}:${lineOfStatus}:9: status: must be one of pending, approved, rejected`);
    const json = JSON.parse((await run(['pairs', 'validate', '--project', project, '--json'])).out);
    assert.equal(json.ok, false);
    assert.equal(json.problems[0].line, lineOfStatus);
    await fs.writeFile(file, text);
  });

  it('answers a usage error with exit code 2 and the usage', async () => {
    const { code, err } = await run(['pairs', 'frobnicate']);
    assert.equal(code, 2);
    assert.match(err, /unknown command: pairs frobnicate/);
    assert.match(err, /Usage:/);
  });
});
