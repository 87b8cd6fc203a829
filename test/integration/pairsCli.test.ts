import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { snowflakeProject } from '../support/snowflakeProject';
import { runCli, sampleRepo as sharedSampleRepo } from '../support/sampleRepo';
import { tempDir } from '../support/tempDir';

const run = runCli;
const sampleRepo = () => sharedSampleRepo('askdata-pairs-cli-');

describe('the approval workflow from the command line (askdata pairs add | approve | reject | unapprove)', function () {
  this.timeout(60_000);

  it('add → approve → askdata test passes with the recorded result → pairs validate passes', async () => {
    const project = await sampleRepo();
    const sql = "select country, count(*) as customers from customers group by country order by country";
    const added = await run(['pairs', 'add', '--project', project, '--question', 'How many customers per country?', '--sql', sql, '--tags', 'counts,geo', '--json']);
    assert.equal(added.code, 0, added.err);
    const { pair } = JSON.parse(added.out);
    assert.equal(pair.status, 'pending');
    const file = path.join(project, pair.file);
    const pending = parse(await fs.readFile(file, 'utf8'));
    assert.deepEqual([pending.status, pending.tags, pending.tables, pending.history[0].by], ['pending', ['counts', 'geo'], ['customers'], 'Dana Analyst <dana@shop.example>']);

    // Named by its path relative to the current folder.
    const approved = await run(['pairs', 'approve', '--project', project, '--json', path.relative(process.cwd(), file)]);
    assert.equal(approved.code, 0, approved.err);
    const after = parse(await fs.readFile(file, 'utf8'));
    assert.equal(after.status, 'approved');
    assert.equal(after.approved.by, 'Dana Analyst <dana@shop.example>', "git's identity by default");
    assert.match(after.result.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(after.result.columns, ['country', 'customers']);
    assert.equal(after.result.rows, 7);

    const test = await run(['test', '--project', project, '--json']);
    assert.equal(test.code, 0, test.err);
    const mine = JSON.parse(test.out).pairs.find((c: { file: string }) => c.file === pair.file);
    assert.equal(mine.status, 'passed');
    assert.equal((await run(['pairs', 'validate', '--project', project])).code, 0);

    // Taken back and rejected, by someone else, with why; the history keeps every step.
    assert.equal((await run(['pairs', 'unapprove', '--project', project, '--by', 'Jonas Weber <jonas@shop.example>', pair.id])).code, 0);
    const rejected = await run(['pairs', 'reject', '--project', project, '--by', 'Jonas Weber <jonas@shop.example>', '--reason', 'counts accounts, not buyers', `${pair.id}.yml`]);
    assert.equal(rejected.code, 0, rejected.err);
    const last = parse(await fs.readFile(file, 'utf8'));
    assert.equal(last.status, 'rejected');
    assert.equal(last.rejected.reason, 'counts accounts, not buyers');
    assert.deepEqual(last.history.map((h: { event: string }) => h.event), ['created', 'approved', 'approval removed', 'rejected']);
  });

  it('refuses to approve SQL that fails, and SQL the approver may not read, leaving the file pending', async () => {
    const project = await sampleRepo();
    const failing = JSON.parse((await run(['pairs', 'add', '--project', project, '--question', 'Lifetime value?', '--sql', 'select lifetime_value from customers', '--json'])).out).pair;
    const refused = await run(['pairs', 'approve', '--project', project, failing.id]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /Not approved: this SQL does not run \(unknown-column|Not approved: this SQL does not run \(There is no column/);
    assert.equal(parse(await fs.readFile(path.join(project, failing.file), 'utf8')).status, 'pending');

    const emails = JSON.parse((await run(['pairs', 'add', '--project', project, '--question', 'Customer emails?', '--sql', 'select email from customers', '--json'])).out).pair;
    const denied = await run(['pairs', 'approve', '--project', project, '--by', 'Sam Okafor <sam.okafor@shop.example>', emails.id]);
    assert.equal(denied.code, 1, 'the approval runs under the approver\'s access policies');
    assert.match(denied.err, /Not approved/);
    assert.equal(parse(await fs.readFile(path.join(project, emails.file), 'utf8')).status, 'pending');
  });

  it('approves SQL that cannot run here only with --unverified, recorded as such', async () => {
    const project = await snowflakeProject({ artifacts: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: project, stdio: 'pipe' });
    git('init', '-q');
    git('config', 'user.email', 'ana@acme.example');
    git('config', 'user.name', 'Ana');
    const { pair } = JSON.parse((await run(['pairs', 'add', '--project', project, '--question', 'Orders per region?', '--sql', 'select region, count(*) from fct_orders join dim_customers using (customer_id) group by region', '--json'])).out);
    const plain = await run(['pairs', 'approve', '--project', project, pair.id]);
    assert.equal(plain.code, 1);
    assert.match(plain.err, /Not approved: the SQL could not be run/);
    const unverified = await run(['pairs', 'approve', '--project', project, '--unverified', pair.id]);
    assert.equal(unverified.code, 0, unverified.err);
    assert.equal(parse(await fs.readFile(path.join(project, pair.file), 'utf8')).result, 'unverified');
  });

  it('says what is missing: the pair, the question, an identity', async () => {
    const project = await sampleRepo();
    assert.match((await run(['pairs', 'approve', '--project', project, 'no-such-pair'])).err, /No pair file no-such-pair in askdata\/pairs\//);
    assert.equal((await run(['pairs', 'add', '--project', project, '--sql', 'select 1'])).code, 2);
    const bare = path.join(await tempDir(), 'p');
    await fs.mkdir(path.join(bare, 'askdata', 'pairs'), { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: bare });
    const anonymous = await run(['pairs', 'add', '--project', bare, '--question', 'q?', '--sql', 'select 1']);
    if (anonymous.code !== 0) assert.match(anonymous.err, /no identity is set: pass --by/);
  });
});
