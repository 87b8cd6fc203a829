import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, visit, parse } from 'yaml';
import { fileSignature } from '../../src/adapters/fileSignature';
import { emailOf, gitIdentity, IdentityCache } from '../../src/adapters/gitIdentity';
import { main } from '../../src/cli/main';
import { askerInputFiles } from '../../src/usecases/project';
import { ASKERS, buildPermittedViews, type PermittedViews } from '../support/permittedView';
import { sampleWithDatabase } from '../support/sampleDb';
import { runCli, sampleRepo as sharedSampleRepo } from '../support/sampleRepo';
import { tempDir } from '../support/tempDir';

/**
 * What an asker is shown right after policies.yml, or who they are, changes — and what an
 * approval records for an approver whom policies restrict. Judged by content: the rows an asker
 * gets are compared with a database holding only what they may see (test/support/permittedView).
 */

const run = runCli;
const sampleRepo = () => sharedSampleRepo('askdata-access-changes-');

const COUNT = 'select count(*) as n from customers';

describe('access after policies.yml changes, and approvals by restricted approvers', function () {
  this.timeout(120_000);
  let views: PermittedViews;
  let project: string;
  let policies: string;
  let original: string;

  before(async () => {
    views = await buildPermittedViews((await sampleWithDatabase()).database);
    project = await sampleRepo();
    policies = path.join(project, 'askdata', 'policies.yml');
    original = await fs.readFile(policies, 'utf8');
  });
  after(() => views?.close());
  afterEach(async () => {
    await fs.rm(policies, { recursive: true, force: true });
    await fs.writeFile(policies, original);
  });

  /** What `askdata run --as` gives: its rows, or the error. */
  async function asAsker(email: string, sql: string): Promise<{ rows?: unknown[][]; error?: { class: string; message: string } }> {
    const r = await run(['run', '--project', project, '--as', email, '--json', sql]);
    return JSON.parse(r.out) as { rows?: unknown[][]; error?: { class: string; message: string } };
  }

  it('refuses every query while a key of policies.yml is misspelt, naming the file and the key\'s line — whichever key it is', async () => {
    // Every key Ask Data reads, misspelt in turn: read leniently, each would drop a restriction
    // (row_policy: drops the country filter, column: shows marketing the emails, members: empties a group…).
    const lines = new LineCounter();
    const doc = parseDocument(original, { lineCounter: lines });
    const keys: Array<{ offset: number; text: string; line: number }> = [];
    visit(doc, {
      Pair(_, pair, ancestors) {
        if (!isScalar(pair.key) || !pair.key.range) return;
        // Group names, asker emails and filtered tables are the file's own names, not keys of the format.
        const owner = ancestors.filter(isMap).length;
        const parentKey = (ancestors.at(-2) as { key?: { value?: unknown } } | undefined)?.key?.value;
        if (owner > 1 && ['groups', 'askers', 'filters'].includes(String(parentKey))) return;
        if (ancestors.some((a) => (a as { key?: { value?: unknown } }).key?.value === 'askers')) return;
        keys.push({ offset: pair.key.range[0], text: String(pair.key.value), line: lines.linePos(pair.key.range[0]).line });
      },
    });
    const names = keys.map((k) => k.text);
    for (const expected of ['version', 'default', 'groups', 'members', 'tables', 'allow', 'columns', 'deny', 'row_policies', 'name', 'applies_to', 'filters', 'askers']) {
      assert.ok(names.includes(expected), `the walk finds the key ${expected} (found ${names.join(', ')})`);
    }
    assert.ok(!names.includes('marketing') && !names.includes('customers'), 'group names and filtered tables are not keys of the format');

    for (const key of keys) {
      const misspelt = `${original.slice(0, key.offset)}${key.text}s${original.slice(key.offset + key.text.length)}`;
      await fs.writeFile(policies, misspelt);
      for (const asker of [ASKERS.lena, ASKERS.sam]) {
        const got = await asAsker(asker, asker === ASKERS.sam ? 'select email from customers limit 1' : COUNT);
        assert.equal(got.rows, undefined, `${key.text}s: at line ${key.line} must not leave ${asker} reading (got ${JSON.stringify(got.rows)})`);
        assert.equal(got.error?.class, 'permission-denied', JSON.stringify(got));
        assert.match(got.error!.message, new RegExp(`^askdata/policies\\.yml:${key.line}:\\d+: .*${key.text}s: not a key`), JSON.stringify(got));
      }
    }
    const validate = await run(['pairs', 'validate', '--project', project, '--json']);
    assert.equal(validate.code, 1, 'pairs validate reports it too');
  });

  it('answers under the file as it is now: correct, edited in place, renamed over by git, removed', async () => {
    const lenaCount = async () => (await asAsker(ASKERS.lena, COUNT)).rows?.[0]?.[0];
    const permitted = async (asker: 'lena' | 'analyst') => {
      const r = await views.run(asker, COUNT);
      assert.ok(r.ok);
      return String(r.rows[0]![0]);
    };
    assert.equal(await lenaCount(), await permitted('lena'), 'no over-blocking: Lena sees her country');
    // Lena moved out of the country managers (in place), then back by a rename over the file, as git checkout does.
    await fs.writeFile(policies, original.replace('members: ["*@country.shop.example"]', 'members: ["*@managers.shop.example"]'));
    assert.equal(await lenaCount(), await permitted('analyst'), 'in no group, with default: allow, she reads everything');
    const incoming = `${policies}.incoming`;
    await fs.writeFile(incoming, original);
    await fs.rename(incoming, policies);
    assert.equal(await lenaCount(), await permitted('lena'), 'the renamed-over file restricts her again at once');
    // A tightened row filter applies to the next query.
    await fs.writeFile(policies, original.replace('customers: "country = {{ asker.country }}"', 'customers: "country = {{ asker.country }} and customer_id < 0"'));
    assert.equal(await lenaCount(), '0');
  });

  it('fails closed when policies.yml is there but cannot be read; only a file that is not there means no policies', async () => {
    const cases: Array<[string, () => Promise<void>]> = [
      ['a folder', async () => {
        await fs.rm(policies);
        await fs.mkdir(policies);
      }],
      ['a link to nowhere', async () => {
        await fs.rm(policies);
        await fs.symlink(path.join(project, 'askdata', 'policies-moved.yml'), policies);
      }],
      ['a half-written key', async () => fs.writeFile(policies, original.slice(0, original.indexOf('row_policies:') + 'row_pol'.length))],
    ];
    for (const [what, make] of cases) {
      await fs.rm(policies, { recursive: true, force: true });
      await fs.writeFile(policies, original);
      await make();
      const got = await asAsker(ASKERS.lena, COUNT);
      assert.equal(got.rows, undefined, `policies.yml as ${what}: Lena must not read (got ${JSON.stringify(got.rows)})`);
      assert.equal(got.error?.class, 'permission-denied', `${what}: ${JSON.stringify(got)}`);
      assert.match(got.error!.message, /askdata\/policies\.yml/);
    }
    await fs.rm(policies, { recursive: true, force: true });
    const none = await asAsker(ASKERS.lena, COUNT);
    const all = await views.run('analyst', COUNT);
    assert.ok(all.ok);
    assert.equal(String(none.rows?.[0]?.[0]), String(all.rows[0]![0]), 'a project without policies.yml restricts no one (README)');
  });

  it('does not record the share of the data a restricted approver sees as the result of the SQL', async () => {
    const add = async (question: string, sql: string) => JSON.parse((await run(['pairs', 'add', '--project', project, '--question', question, '--sql', sql, '--json'])).out).pair as { id: string; file: string };
    const counted = await add('How many customers are there?', COUNT);
    const file = path.join(project, counted.file);
    const before = await fs.readFile(file, 'utf8');
    for (const who of ['Lena Fischer <lena.fischer@country.shop.example>', 'Sam Okafor <sam.okafor@shop.example>']) {
      // Lena sees German customers only; Sam sees customers without their email, which * would drop.
      const refused = await run(['pairs', 'approve', '--project', project, '--by', who, '--json', counted.id]);
      assert.equal(refused.code, 1, `${who}: ${refused.out}`);
      assert.equal(JSON.parse(refused.out).error.class, 'not-run');
      assert.match(JSON.parse(refused.out).error.message, /Not approved: .*access policies limit/);
      assert.equal(await fs.readFile(file, 'utf8'), before, 'the file is left as it was');
    }
    const unverified = await run(['pairs', 'approve', '--project', project, '--by', 'Lena Fischer <lena.fischer@country.shop.example>', '--unverified', counted.id]);
    assert.equal(unverified.code, 0, unverified.err);
    assert.equal(parse(await fs.readFile(file, 'utf8')).result, 'unverified', 'on purpose, it is approved with no result');

    // Tables the approver reads whole: no over-blocking, and the result is everyone's.
    const orders = await add('Spend per channel?', 'select channel, sum(spend) as spend from marketing_daily group by channel order by channel');
    const bySam = await run(['pairs', 'approve', '--project', project, '--by', 'Sam Okafor <sam.okafor@shop.example>', '--json', orders.id]);
    assert.equal(bySam.code, 0, bySam.out);
    const recorded = parse(await fs.readFile(path.join(project, orders.file), 'utf8')).result as { rows: number };
    const truth = await views.run('analyst', 'select channel, sum(spend) as spend from marketing_daily group by channel order by channel');
    assert.ok(truth.ok);
    assert.equal(recorded.rows, truth.rows.length);
    const test = JSON.parse((await run(['test', '--project', project, '--json'])).out) as { pairs: Array<{ file: string; status: string }> };
    assert.equal(test.pairs.find((p) => p.file === orders.file)?.status, 'passed', 'askdata test finds the data Sam signed off on');
  });
});

describe('who is asking, kept between questions and read again when git says otherwise', function () {
  this.timeout(60_000);
  let views: PermittedViews;
  let globalBefore: string | undefined;
  let globalConfig: string;

  before(async () => {
    views = await buildPermittedViews((await sampleWithDatabase()).database);
    // The user's configuration, for this test only: git reads GIT_CONFIG_GLOBAL instead of ~/.gitconfig.
    globalBefore = process.env.GIT_CONFIG_GLOBAL;
    globalConfig = path.join(await tempDir('askdata-global-git-'), 'gitconfig');
    process.env.GIT_CONFIG_GLOBAL = globalConfig;
  });
  after(() => {
    views?.close();
    if (globalBefore === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    else process.env.GIT_CONFIG_GLOBAL = globalBefore;
  });

  /** The sample inside a larger repository (its .git two folders up), as dbt projects often are. */
  async function nestedSample(): Promise<{ repo: string; project: string }> {
    const { project: built } = await sampleWithDatabase();
    const repo = await tempDir('askdata-monorepo-');
    const project = path.join(repo, 'analytics', 'shop');
    await fs.cp(built, project, { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    return { repo, project };
  }

  const gitConfig = (cwd: string, ...args: string[]) => execFileSync('git', ['config', ...args], { cwd, stdio: 'pipe' });

  /** The count of customers the identity the cache holds gets, as the editor would ask it. */
  async function countAs(cache: IdentityCache, project: string): Promise<string> {
    const email = emailOf(await cache.get(project));
    assert.ok(email, 'an identity is read');
    let out = '';
    await main(['run', '--project', project, '--as', email, '--json', COUNT], (s) => (out += s), () => undefined);
    return String((JSON.parse(out) as { rows: unknown[][] }).rows[0]![0]);
  }
  const permitted = async (asker: 'lena' | 'tom' | 'analyst') => {
    const r = await views.run(asker, COUNT);
    assert.ok(r.ok);
    return String(r.rows[0]![0]);
  };

  it('follows git config user.email changed in the repository above the project, in the user\'s config, and in a worktree', async () => {
    const { repo, project } = await nestedSample();
    await fs.writeFile(globalConfig, '[user]\n\tname = Lena Fischer\n\temail = lena.fischer@country.shop.example\n');
    const reads: string[] = [];
    const cache = new IdentityCache(async (root) => {
      reads.push(root);
      return gitIdentity(root);
    });
    assert.equal(await countAs(cache, project), await permitted('lena'), "the user's config: Lena, her country");
    assert.equal(await countAs(cache, project), await permitted('lena'));
    assert.equal(reads.length, 1, 'asked again with nothing changed, git is not run again');

    gitConfig(repo, 'user.email', 'tom.baker@country.shop.example');
    assert.equal(await countAs(cache, project), await permitted('tom'), "the repository's config, two folders up, takes precedence at once");
    gitConfig(repo, '--unset', 'user.email');
    await fs.writeFile(globalConfig, '[user]\n\tname = Dana\n\temail = analyst@shop.example\n');
    assert.equal(await countAs(cache, project), await permitted('analyst'), "the user's config rewritten");

    // A worktree of the repository: its config lives in the main repository's .git.
    execFileSync('git', ['-c', 'user.email=x@y', '-c', 'user.name=x', 'commit', '-q', '--allow-empty', '-m', 'start'], { cwd: repo });
    const tree = path.join(await tempDir('askdata-worktree-'), 'wt');
    execFileSync('git', ['worktree', 'add', '-q', tree], { cwd: repo });
    const inTree = path.join(tree, 'analytics', 'shop');
    await fs.cp(project, inTree, { recursive: true });
    assert.equal(await countAs(cache, inTree), await permitted('analyst'));
    gitConfig(repo, 'user.email', 'lena.fischer@country.shop.example');
    assert.equal(await countAs(cache, inTree), await permitted('lena'), "the worktree's identity follows the common config");
  });

  it('tells every kind of change to rules.md and policies.yml by stat, without reading them', async () => {
    const root = await tempDir('askdata-signature-');
    await fs.mkdir(path.join(root, 'askdata'));
    const [rules, policies] = askerInputFiles(root);
    let last: string | undefined;
    const step = async (what: string, change: () => Promise<unknown>) => {
      await change();
      const signature = await fileSignature(askerInputFiles(root));
      assert.notEqual(signature, last, `${what} changes the signature`);
      assert.equal(await fileSignature(askerInputFiles(root)), signature, `${what}: and only a change does`);
      last = signature;
    };
    await step('nothing there', async () => undefined);
    await step('rules.md created', () => fs.writeFile(rules!, 'Revenue excludes refunds.\n'));
    await step('policies.yml created', () => fs.writeFile(policies!, 'default: allow\n'));
    // Same size, at once: what a quick edit of one letter looks like.
    await step('policies.yml edited in place, same size', () => fs.writeFile(policies!, 'default: deny\n'.replace('deny', 'dany')));
    await step('policies.yml renamed over, as git checkout does', async () => {
      await fs.writeFile(`${policies}.tmp`, 'default: dany\n');
      await fs.rename(`${policies}.tmp`, policies!);
    });
    await step('policies.yml made unreadable', () => fs.chmod(policies!, 0o000));
    await step('policies.yml removed', () => fs.rm(policies!));
    await step('policies.yml a link to nowhere', () => fs.symlink(path.join(root, 'gone.yml'), policies!));
    await step('rules.md removed with its folder', () => fs.rm(path.join(root, 'askdata'), { recursive: true }));
  });
});
