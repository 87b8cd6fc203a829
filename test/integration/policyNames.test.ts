import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { knownRelations, unmatchedPolicyNames } from '../../src/core/policies/policyNames';
import { parsePolicyFile } from '../../src/core/policies/policySchema';
import { sampleWithDatabase } from '../support/sampleDb';
import { tempDir } from '../support/tempDir';

/**
 * A misspelt name in policies.yml is a valid policy that restricts nothing. `pairs validate`
 * (and so CI) must say so at the line of the entry, and say nothing about names that exist.
 */
describe('policies.yml entries that name nothing in the project', function () {
  this.timeout(120_000);
  let project = '';
  let original = '';
  const file = () => path.join(project, 'askdata', 'policies.yml');
  const validate = async () => {
    let out = '';
    const code = await main(['pairs', 'validate', '--project', project, '--json'], (s) => (out += s), () => undefined);
    return { code, json: JSON.parse(out) as { ok: boolean; warnings: Array<{ line: number; message: string }> } };
  };

  before(async () => {
    const { project: built } = await sampleWithDatabase();
    project = path.join(await tempDir('askdata-policy-names-'), 'shop');
    await fs.cp(built, project, { recursive: true });
    original = await fs.readFile(file(), 'utf8');
  });
  afterEach(() => fs.writeFile(file(), original));

  it('the sample names only tables and columns it has: no such warning', async () => {
    const { code, json } = await validate();
    assert.equal(code, 0);
    assert.deepEqual(json.warnings.filter((w) => /restricts nothing|hides nothing|no column/.test(w.message)), []);
  });

  it('a misspelt table in a column rule, a row filter or a table list, and a misspelt column, are each warned at their line', async () => {
    const edited = original
      .replace('deny: [customers.email]', 'deny: [customer.email, customers.emial]')
      .replace('      orders: "shipping_country', '      ordres: "shipping_country')
      .replace('allow: [customers, orders, order_items, products]', 'allow: [customers, orders, order_items, prodcuts]');
    assert.notEqual(edited, original);
    await fs.writeFile(file(), edited);
    const lines = edited.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    const { code, json } = await validate();
    assert.equal(code, 0, 'warnings, not errors: a table dbt has not built yet looks the same');
    const got = json.warnings.filter((w) => !/no default:/.test(w.message)).map((w) => [w.line, /(customer\.email|customers\.emial|ordres|prodcuts)/.exec(w.message)?.[1]]).sort();
    assert.deepEqual(got, [
      [lineOf('customer.email'), 'customer.email'],
      [lineOf('customer.email'), 'customers.emial'],
      [lineOf('ordres:'), 'ordres'],
      [lineOf('prodcuts'), 'prodcuts'],
    ].sort());
  });

  it('patterns and case match as the policies match them; columns are checked only where they are certain', () => {
    const text = 'groups:\n  g:\n    members: ["*"]\n    tables:\n      deny: [RAW_*, Staging_Orders]\n    columns:\n      deny: ["*.email", docs_only.secret]\n';
    const parsed = parsePolicyFile(text);
    assert.ok(parsed.ok);
    const known = knownRelations([
      { name: 'raw_customers', relation: 'main.raw_customers', databaseColumns: [{ name: 'email' }] },
      { name: 'stg_orders', relation: 'main.staging_orders' },
      { name: 'docs_only' },
    ]);
    assert.deepEqual(unmatchedPolicyNames(text, parsed.value, known), []);
    assert.deepEqual(unmatchedPolicyNames(text, parsed.value, new Map()), [], 'nothing known: nothing to check against');
  });
});
