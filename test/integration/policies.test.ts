import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDbEngine } from '../../src/adapters/duckdbEngine';
import { readProjectPolicies } from '../../src/adapters/projectPolicies';
import { SqliteEngine } from '../../src/adapters/sqliteEngine';
import { main } from '../../src/cli/main';
import { ExecutionError } from '../../src/core/execution/errors';
import type { ResultRow } from '../../src/core/execution/result';
import { decideAccess, isHidden, policyWarnings, policyWarningsWithLines, visibleCatalog, type AccessDecision } from '../../src/core/policies/access';
import { parsePolicyFile, type PolicyFile } from '../../src/core/policies/policySchema';
import { sampleWithDatabase } from '../support/sampleDb';
import { sampleShop, tempDir } from '../support/tempDir';
import { writePetsDatabase } from '../support/petsDb';

const MARKETING = 'sam.okafor@shop.example';
const LENA = 'lena.fischer@country.shop.example';
const TOM = 'tom.baker@country.shop.example';

describe('access decisions from policies.yml', () => {
  const policy: PolicyFile = {
    default: 'allow',
    groups: {
      a: { members: ['*@a.example'], tables: { allow: ['t', 'u'] }, columns: { deny: ['t.secret', 't.pii'] } },
      b: { members: ['*@b.example', 'both@a.example'], tables: { allow: ['*'], deny: ['u'] }, columns: { deny: ['t.secret'] } },
    },
    row_policies: [{ name: 'mine', applies_to: { groups: ['a'] }, filters: { t: 'owner = {{ asker.email }} and region = {{ asker.region }}' } }],
    askers: { 'x@a.example': { region: "O'Hare" }, 'both@a.example': { region: 'North' } },
  };

  it('applies groups by email glob, and row filters with the asker as SQL literals', () => {
    const d = decideAccess(policy, 'X@A.example');
    assert.deepEqual(d.groups, ['a']);
    assert.equal(d.table('T').rowFilters[0]!.condition, "owner = 'X@A.example' and region = 'O''Hare'");
    assert.deepEqual([...d.table('t').hiddenColumns.keys()], ['secret', 'pii']);
    assert.match(d.table('v').denied!, /group a may not read it/);
    assert.doesNotMatch(d.table('v').denied!, /\bv\b/, 'the reason names the rule, not the table');
  });

  it('grants by a name DuckDB reads as the same (ASCII case), restricts by any spelling that could be', () => {
    const kelvin = decideAccess({ groups: { g: { members: ['*'], tables: { allow: ['marketing_daily', 'customers'], deny: ['raw_data'] }, columns: { deny: ['customers.email'] } } } }, 'x@y');
    assert.equal(kelvin.table('MARKETING_DAILY').denied, undefined);
    assert.ok(kelvin.table('mar\u212Aeting_daily').denied, 'the Kelvin sign is not a k to DuckDB: that is another table, not granted');
    assert.ok(kelvin.table('RAW_DATA').denied);
    assert.ok(kelvin.table('ｒａｗ_ｄａｔａ').denied, 'a fullwidth spelling of a denied name is denied too');
    assert.ok(isHidden(kelvin.table('customers'), 'EMAIL'));
    assert.ok(isHidden(kelvin.table('Customers'), 'ｅｍａｉｌ'));
  });

  it('unions groups: a table readable by any group is readable, a column hidden only if every group hides it', () => {
    const d = decideAccess(policy, 'both@a.example');
    assert.deepEqual(d.groups, ['a', 'b']);
    assert.deepEqual([...d.table('t').hiddenColumns.keys()], ['secret']);
    assert.equal(d.table('u').denied, undefined, 'group a reads u');
    assert.equal(d.table('anything').denied, undefined, 'group b reads everything but u');
  });

  it('refuses a table whose row policy needs an attribute the asker lacks, naming the policy and the attribute, and nothing else', () => {
    const d = decideAccess(policy, 'y@a.example');
    const e = d.table('t').missingAttribute;
    assert.ok(e instanceof ExecutionError && e.errorClass === 'permission-denied' && /row policy mine needs your region/.test(e.message), String(e));
    assert.equal(d.table('u').missingAttribute, undefined, 'a table without that policy is unaffected');
    assert.equal(d.table('u').denied, undefined);
  });

  it('warns when groups are defined but no default:, saying what an asker in no group can see', () => {
    assert.match(policyWarnings({ groups: { g: { members: ['a'] } } })[0]!, /asker in no group .* can read every table/);
    assert.deepEqual(policyWarnings({ default: 'allow', groups: { g: { members: ['a'] } } }), []);
    assert.deepEqual(policyWarnings({ default: 'deny', groups: { g: { members: ['a'] } } }), []);
    assert.deepEqual(policyWarnings({ row_policies: [] }), []);
    assert.deepEqual(policyWarningsWithLines('version: 1\ngroups:\n  g: { members: [a] }\n', { groups: { g: { members: ['a'] } } }).map((w) => w.line), [2]);
  });

  it('leaves askers in no group unrestricted, unless the default is deny', () => {
    assert.equal(decideAccess(policy, 'z@other.example').unrestricted, true);
    assert.match(decideAccess({ ...policy, default: 'deny' }, 'z@other.example').table('t').denied!, /default is deny/);
    assert.equal(decideAccess(undefined, 'z@other.example').unrestricted, true);
  });

  it("validates the sample's policies.yml, and reports a broken one by line", async () => {
    assert.ok(await readProjectPolicies(sampleShop));
    const parsed = parsePolicyFile('groups:\n  g:\n    members: [a]\n    columns: { deny: [email] }\n');
    assert.ok(!parsed.ok);
    assert.equal(parsed.problems[0]!.line, 4);
    assert.match(parsed.problems[0]!.message, /must be table\.column/);
  });
});

describe('access policies enforced on DuckDB queries', function () {
  this.timeout(60_000);
  let engine: DuckDbEngine;
  let policy: PolicyFile;
  const as = (email: string) => decideAccess(policy, email);

  async function rows(sql: string, access: AccessDecision): Promise<{ columns: string[]; rows: ResultRow[] }> {
    const cursor = await engine.run(sql, { access, pageSize: 100_000, rowCap: 100_000 });
    return { columns: cursor.first.columns.map((c) => c.name), rows: cursor.first.rows };
  }
  async function denied(sql: string, access: AccessDecision, what: RegExp): Promise<void> {
    await assert.rejects(engine.run(sql, { access }), (e: unknown) => {
      assert.ok(e instanceof ExecutionError, String(e));
      assert.equal(e.errorClass, 'permission-denied', `${sql}: ${e.message}`);
      assert.match(e.message, what);
      assert.doesNotMatch(e.message, /\b(email|stg_\w+|raw_\w+|marketing_daily)\b/, 'a refusal names nothing hidden');
      return true;
    }, `${sql} should be denied`);
  }

  before(async () => {
    const sample = await sampleWithDatabase();
    engine = await DuckDbEngine.open({ database: sample.database, baseDirectory: sample.project });
    policy = (await readProjectPolicies(sample.project))!;
  });
  after(() => engine?.close());

  it('hides a denied column from every way of asking for it', async () => {
    const marketing = as(MARKETING);
    for (const sql of [
      'select email from customers', 'select c.email from customers c', 'select "EMAIL" from customers', 'select customers.email from main.customers',
      "select count(*) from customers where email like '%@%'", 'select * from customers c, lateral (select c.email) l', 'select max(email) over () from customers',
      'select customer_id from customers order by email', 'with x as (select email from customers) select * from x',
    ]) await denied(sql, marketing, /uses a column that your access policies hide from you/);

    for (const sql of [
      'select * from customers limit 5', 'select c.* from customers c limit 5', "select columns('e.*|c.*') from customers limit 5",
      'with customers as (select * from main.customers) select * from customers limit 5', 'select * from (select * from customers) x limit 5',
      'select * from customers union all select * from customers limit 5', 'select * from shop.main.customers limit 5', 'select * from "main"."customers" limit 5',
      'select * exclude (customer_id) from customers limit 5', 'from customers limit 5',
    ]) {
      const { columns } = await rows(sql, marketing);
      assert.ok(columns.length > 0 && !columns.some((c) => /email/i.test(c)), `${sql} → ${columns.join(', ')}`);
    }
    for (const sql of ['select to_json(c) as j from customers c limit 3', 'select c as r from customers c limit 3']) {
      const { rows: r } = await rows(sql, marketing);
      assert.ok(!JSON.stringify(r).includes('@example.com'), `${sql} leaks an email`);
    }
  });

  it('refuses tables outside the groups, in every position', async () => {
    const marketing = as(MARKETING);
    for (const sql of [
      'select * from stg_customers', 'select * from raw_customers', 'select * from "main"."stg_customers"', 'select * from shop.main.raw_customers',
      'with x as (select * from stg_customers) select 1', 'select * from customers where customer_id in (select customer_id from raw_customers)',
      'select 1 union all select count(*) from stg_customers', 'select * from customers c, lateral (select * from raw_customers r where r.customer_id = c.customer_id) l',
      'select (select max(email) from raw_customers)',
    ]) await denied(sql, marketing, /reads a table or view that your access policies do not let you read \(policies\.yml: group marketing/);
    await denied('select * from information_schema.columns', marketing, /describes every table/);
    await denied('summarize customers', marketing, /not available under access policies/);
    await denied('describe customers', marketing, /not available under access policies/);
  });

  it('filters rows through aliases, CTEs, subqueries, unions, joins and shadowing names', async () => {
    const lena = as(LENA);
    const unrestricted = decideAccess(policy, 'analyst@shop.example');
    const germans = (await rows("select count(*) from customers where country = 'DE'", unrestricted)).rows[0]![0];
    assert.deepEqual((await rows('select count(*) from customers', lena)).rows, [[germans]]);
    for (const sql of [
      'select distinct country from customers', 'select distinct c.country from customers as c', 'select distinct country from main.customers',
      'with c as (select * from "customers") select distinct country from c', 'with customers as (select * from customers) select distinct country from customers',
      'select distinct country from (select * from customers) as customers', 'select distinct country from customers union select distinct shipping_country from orders',
      'select distinct shipping_country from orders', 'select distinct o.shipping_country from orders o join customers c using (customer_id)',
      'select distinct country from customers where country in (select shipping_country from orders)',
      "select distinct shipping_country from orders where order_id in (select order_id from order_items)",
    ]) assert.deepEqual((await rows(sql, lena)).rows, [['DE']], sql);
    assert.deepEqual((await rows("select * from customers where country <> 'DE'", lena)).rows, []);
    // The rewrite splices text at DuckDB's byte offsets: multi-byte text before a table, and
    // literals JavaScript numbers cannot hold, must come through exactly.
    assert.deepEqual((await rows("select 'München – ü' as m, 9007199254740993::bigint as big, count(*) as n from \"main\" . \"customers\" as c group by all", lena)).rows, [['München – ü', '9007199254740993', germans]]);
    assert.deepEqual((await rows("select count(*) from orders o join customers c using (customer_id) where c.country = 'US'", lena)).rows, [['0']]);
    const lines = (await rows("select count(*) from order_items i join orders o using (order_id) where o.shipping_country <> 'DE'", unrestricted)).rows[0]![0];
    assert.notEqual(lines, '0');
    assert.deepEqual((await rows('select count(*) from order_items i where i.order_id not in (select order_id from orders)', lena)).rows, [['0']], 'no order lines of other countries');
    assert.deepEqual((await rows('select distinct country from customers', as(TOM))).rows, [['GB']]);
    await denied('select * from stg_orders', lena, /do not let you read/);
    await denied('select * from marketing_daily', lena, /do not let you read/);
    await denied('select * from customers', as('new.manager@country.shop.example'), /row policy country_managers_see_their_country needs your country/);
    assert.equal((await rows('select count(*) from products', as('new.manager@country.shop.example'))).rows[0]![0], '30', 'what needs no country is answered');
  });

  it('shows the asker only the tables and columns they may read', async () => {
    const catalog = await engine.catalog();
    const seen = visibleCatalog(catalog, as(MARKETING));
    const tables = [...new Set(seen.map((c) => c.table))].sort();
    assert.deepEqual(tables, ['customers', 'marketing_daily', 'order_items', 'orders', 'products']);
    assert.ok(!seen.some((c) => c.table === 'customers' && c.column === 'email'));
    assert.ok(seen.some((c) => c.table === 'customers' && c.column === 'lifetime_revenue'));
    assert.equal(visibleCatalog(catalog, decideAccess(policy, 'analyst@shop.example')).length, catalog.length);
  });

  it('leaves an asker in no group unrestricted', async () => {
    const { rows: r } = await rows('select count(distinct country) from raw_customers', decideAccess(policy, 'analyst@shop.example'));
    assert.deepEqual(r, [['7']]);
  });

  it('applies the asker given to `askdata run --as`', async () => {
    const { project } = await sampleWithDatabase();
    let out = '';
    const code = await main(['run', '--project', project, '--as', LENA, '--json', 'select distinct country from customers'], (s) => (out += s), () => undefined);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out).rows, [['DE']]);
    out = '';
    assert.equal(await main(['run', '--project', project, '--as', MARKETING, '--json', 'select email from customers'], (s) => (out += s), () => undefined), 1);
    assert.equal(JSON.parse(out).error.class, 'permission-denied');
  });
});

describe('access policies enforced on SQLite queries', () => {
  const policy: PolicyFile = {
    groups: { vets: { members: ['*@vet.example'], tables: { allow: ['Student', 'Has_Pet'] }, columns: { deny: ['Student.LName', 'Student.StuID'] } } },
    row_policies: [{ name: 'same_sex', applies_to: { groups: ['vets'] }, filters: { Student: 'Sex = {{ asker.sex }}' } }],
    askers: { 'ann@vet.example': { sex: 'F' } },
  };

  it('removes what the asker may not read from its private copy, so no SQL reaches it', async () => {
    const copy = await writePetsDatabase(path.join(await tempDir(), 'pets.sqlite'));
    const original = await fs.readFile(copy);
    const engine = await SqliteEngine.open({ database: copy, access: decideAccess(policy, 'ann@vet.example') });
    try {
      const all = async (sql: string) => (await engine.run(sql, { pageSize: 10_000 })).first;
      assert.deepEqual((await all('SELECT DISTINCT Sex FROM Student')).rows, [['F']]);
      assert.deepEqual((await all("SELECT count(*) FROM Student AS s WHERE s.Sex = 'M'")).rows, [[0]]);
      assert.deepEqual((await all("WITH Pets AS (SELECT * FROM Student) SELECT DISTINCT Sex FROM Pets")).rows, [['F']]);
      const star = await all('SELECT * FROM Student');
      assert.deepEqual(star.columns.map((c) => c.name), ['Fname', 'Age', 'Sex', 'Major', 'Advisor', 'city_code'], 'hidden columns, the primary key among them, are gone');
      for (const [sql, what] of [['SELECT LName FROM Student', /hide from you/], ['SELECT * FROM Pets', /do not let you read/], ['SELECT s.LName FROM Student s', /hide from you/], ['SELECT StuID FROM Student', /hide from you/]] as const) {
        await assert.rejects(engine.run(sql), (e: unknown) => e instanceof ExecutionError && e.errorClass === 'permission-denied' && what.test(e.message) && !/LName|StuID|Pets/.test(e.message), sql);
      }
      await assert.rejects(engine.run('SELECT sql FROM sqlite_master'), (e: unknown) => e instanceof ExecutionError && /schema table/.test(e.message));
      assert.deepEqual((await all('SELECT min(rowid), max(rowid), count(*) FROM Student')).rows[0]![0], 1, 'rows are numbered anew: a rowid cannot count the rows left out');
    } finally {
      engine.close();
    }
    assert.ok(original.equals(await fs.readFile(copy)), 'the file is never written');
  });
});
