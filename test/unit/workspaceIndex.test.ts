import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkspaceFiles } from '../../src/adapters/workspaceFiles';
import { renderModel } from '../../src/core/index/dbtRender';
import { ColumnHistory, pairStaleness } from '../../src/core/index/staleness';
import { WorkspaceIndexer, type WorkspaceIndex } from '../../src/core/index/workspaceIndex';
import type { Pair } from '../../src/core/pairs/pairStore';
import { approvedPair } from '../support/pairs';
import { writeSyntheticProject } from '../support/syntheticDbt';

async function tree(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-index-'));
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
  }
  return dir;
}

async function indexOf(dir: string): Promise<{ index: WorkspaceIndex; files: WorkspaceFiles }> {
  const files = new WorkspaceFiles(dir);
  await files.scan();
  return { index: files.indexer.build(), files };
}

const rel = (index: WorkspaceIndex, key: string) => {
  const r = index.relations.find((x) => x.key === key);
  assert.ok(r, `no relation ${key} in ${index.relations.map((x) => x.key).join(', ')}`);
  return r;
};
const warningsFor = (index: WorkspaceIndex, file: string) => index.warnings.filter((w) => w.file === file);

function approvedPairOf(sql: string, tables: string[], at = '2026-01-01T00:00:00Z'): Pair {
  return approvedPair({ id: 'p', question: 'q', sql, tables, at });
}

describe('dbt Jinja rendering', () => {
  const ctx = { rootProject: 'p', package: 'p', vars: { region: 'EU' }, target: { name: 'dev', schema: 'main', type: 'duckdb' }, macros: { packages: new Map(), dispatch: {}, notInstalled: new Set<string>() }, self: 'm' };
  it('renders refs, sources, vars, literal loops and cross-database macros; records config', () => {
    const r = renderModel(`{{ config(materialized='table', alias='fancy', tags=['a']) }}
{%- set methods = ['card', 'cash'] -%}
select
  {% for m in methods %}sum(case when method = '{{ m }}' then amount end) as {{ m }}_amount{% if not loop.last %},{% endif %}
  {% endfor %},
  {{ dbt.date_trunc('week', 'paid_at') }} as week,
  '{{ var("region") }}' as region, '{{ var("missing", "fallback") }}' as other
from {{ ref('stg_payments') }} join {{ ref('pkg', 'dim', v=2) }} using (id) join {{ source('raw', 'events') }} using (id)
{% if is_incremental() %} where paid_at > (select max(paid_at) from {{ this }}) {% endif %}`, ctx);
    assert.match(r.sql, /sum\(case when method = 'card' then amount end\) as card_amount,\s+sum\(case when method = 'cash' then amount end\) as cash_amount/);
    assert.match(r.sql, /date_trunc\('week', paid_at\) as week/);
    assert.match(r.sql, /'EU' as region, 'fallback' as other/);
    assert.doesNotMatch(r.sql, /where paid_at/, 'is_incremental() is false, as in a full refresh');
    assert.deepEqual(r.refs, [{ name: 'stg_payments', line: 8 }, { package: 'pkg', name: 'dim', version: 2, line: 8 }]);
    assert.deepEqual(r.sources, [{ source: 'raw', table: 'events', line: 8 }]);
    assert.deepEqual(r.config, { materialized: 'table', alias: 'fancy', tags: ['a'] });
    assert.deepEqual(r.warnings, []);
  });

  it('keeps going past unknown macros and broken tags, with a warning on the right line', () => {
    const r = renderModel("select {{ mystery_macro(1) }} as x,\n  {{ a ~ }} as y\nfrom t\n{% endif %}\n{% frobnicate %}\n{{ 'tail'", ctx);
    assert.match(r.sql, /\/\* \{\{ mystery_macro\(1\) \}\} \*\/ as x/);
    assert.deepEqual(r.warnings.map((w) => w.line), [1, 2, 4, 5, 6]);
    assert.match(r.warnings[0]!.message, /calls mystery_macro, which nothing in the project or its installed packages defines/);
    assert.equal(r.warnings[0]!.kind, 'undefined-macro');
    assert.equal(r.unrendered, 1);
    assert.match(r.warnings[1]!.message, /cannot read the Jinja expression/);
    assert.match(r.warnings[2]!.message, /endif.*no matching opening tag/);
    assert.match(r.warnings[3]!.message, /unknown Jinja statement/);
    assert.match(r.warnings[4]!.message, /never closed/);
  });

  it('stops expanding macros that recurse', () => {
    const r = renderModel('{% macro again(x) %}{{ again(x) }}{% endmacro %}select {{ again(1) }} as v', ctx);
    assert.match(r.sql, /^select .* as v$/);
  });
});

describe('workspace index fixtures', function () {
  this.timeout(60_000);

  it('handles several projects, installed packages, versioned models, custom schemas and aliases', async () => {
    const dir = await tree({
      'analytics/dbt_project.yml': "name: analytics\nprofile: a\nvars:\n  cutoff: '2024-01-01'\nmodels:\n  analytics:\n    finance:\n      +schema: finance\n      +materialized: table\n",
      'analytics/models/finance/revenue.sql': "{{ config(alias='rev') }}\nselect o.order_id, o.amount, d.day\nfrom {{ ref('orders') }} o join {{ ref('calendar', 'dim_day') }} d on d.day = o.order_date\nwhere o.order_date >= '{{ var(\"cutoff\") }}'",
      'analytics/models/orders.sql': "select * from {{ source('shop', 'raw_orders') }}",
      'analytics/models/customers_v1.sql': 'select 1 as id',
      'analytics/models/customers_v2.sql': "select 1 as id, 'x' as name",
      'analytics/models/uses_versions.sql': "select * from {{ ref('customers', v=1) }} union all select id from {{ ref('customers') }}",
      'analytics/models/disabled.sql': "{{ config(enabled=false) }}\nselect 1",
      'analytics/models/_models.yml': "version: 2\nmodels:\n  - name: customers\n    latest_version: 2\n    versions:\n      - v: 1\n      - v: 2\n    columns:\n      - name: id\n        description: The id.\nsources:\n  - name: shop\n    schema: raw\n    tables:\n      - name: raw_orders\n        description: Orders as loaded.\n        columns:\n          - name: order_id\n            data_tests: [unique]\n",
      'analytics/dbt_packages/calendar/dbt_project.yml': 'name: calendar\n',
      'analytics/dbt_packages/calendar/models/dim_day.sql': "select {{ calendar_days() }} as day",
      'analytics/dbt_packages/calendar/macros/days.sql': "{% macro calendar_days() %}range(date '2020-01-01', date '2030-01-01', interval 1 day){% endmacro %}",
      'marketing/dbt_project.yml': 'name: marketing\n',
      'marketing/models/spend.sql': 'select channel, sum(cost) as cost from raw_spend group by channel',
      'scratch/adhoc.sql': 'select c.country, count(*) from customers c join orders o on o.customer_id = c.customer_id group by 1',
    });
    const { index } = await indexOf(dir);
    assert.deepEqual(index.projects.map((p) => `${p.name}${p.package ? ' (package)' : ''}`), ['analytics', 'calendar (package)', 'marketing']);
    assert.equal(rel(index, 'revenue').relation, 'main_finance.rev', 'custom schema is <target>_<schema>; alias names the table');
    assert.equal(rel(index, 'revenue').materialized, 'table');
    assert.match(rel(index, 'revenue').sql!, /from main\.orders o join main\.dim_day d/);
    assert.match(rel(index, 'revenue').sql!, /'2024-01-01'/);
    assert.equal(rel(index, 'dim_day').package, 'calendar');
    assert.match(rel(index, 'dim_day').sql!, /range\(date '2020-01-01'/, "the package's own macro is expanded");
    assert.deepEqual(rel(index, 'uses_versions').refs, ['customers_v1', 'customers_v2'], 'ref without v= is the latest version');
    assert.equal(rel(index, 'shop.raw_orders').relation, 'raw.raw_orders');
    assert.deepEqual(rel(index, 'orders').refs, []);
    assert.ok(!index.relations.some((r) => r.key === 'disabled'), 'disabled models are not relations');
    assert.deepEqual(rel(index, 'customers_v2').definedColumns, ['id', 'name']);
    assert.deepEqual(index.refs, { resolved: 4, unresolved: 0 });
    assert.ok(index.queries.some((q) => q.file === 'scratch/adhoc.sql' && q.kind === 'query'));
    assert.ok(index.joins.some((j) => j.left === 'dim_day' && j.right === 'revenue' || j.left === 'dim_day' && j.right === 'orders'));
    assert.deepEqual(index.warnings, []);
  });

  it('uses dbt artifacts as the truth when present, also for a project with no model files', async () => {
    const manifest = {
      metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json', project_name: 'compiled' },
      nodes: {
        'model.compiled.orders': { resource_type: 'model', name: 'orders', package_name: 'compiled', original_file_path: 'models/orders.sql', relation_name: '"db"."analytics"."orders"', schema: 'analytics', alias: 'orders', compiled_code: 'select * from "db"."raw"."orders"', raw_code: "select * from {{ source('raw','orders') }}", description: 'Orders, compiled.', columns: { order_id: { name: 'order_id', description: 'Key', data_type: null } }, config: { materialized: 'table', tags: ['core'], enabled: true }, depends_on: { nodes: ['source.compiled.raw.orders'] } },
        'test.compiled.x': { resource_type: 'test', name: 'x' },
      },
      sources: { 'source.compiled.raw.orders': { resource_type: 'source', name: 'orders', source_name: 'raw', relation_name: '"db"."raw"."orders"', columns: {}, config: { enabled: true } } },
    };
    const catalog = { nodes: { 'model.compiled.orders': { columns: { ORDER_ID: { name: 'order_id', type: 'INTEGER', index: 1 }, AMOUNT: { name: 'amount', type: 'DECIMAL(10,2)', index: 2 } } } } };
    const dir = await tree({ 'dbt_project.yml': 'name: compiled\n', 'target/manifest.json': JSON.stringify(manifest), 'target/catalog.json': JSON.stringify(catalog) });
    const { index } = await indexOf(dir);
    assert.equal(index.projects[0]!.source, 'manifest');
    const orders = rel(index, 'orders');
    assert.equal(orders.from, 'manifest');
    assert.equal(orders.relation, 'analytics.orders');
    assert.equal(orders.sql, 'select * from "db"."raw"."orders"');
    assert.deepEqual(orders.columns.map((c) => `${c.name}:${c.type}`), ['order_id:INTEGER', 'amount:DECIMAL(10,2)']);
    assert.equal(rel(index, 'raw.orders').kind, 'source');

    await fs.writeFile(path.join(dir, 'target/manifest.json'), JSON.stringify({ ...manifest, metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v5.json' } }));
    const old = await indexOf(dir);
    assert.equal(old.index.projects[0]!.source, 'files');
    assert.match(warningsFor(old.index, 'target/manifest.json')[0]!.message, /schema v5.*v7 and later/);
  });

  it('warns with file and line about each kind of bad input, and indexes the rest', async () => {
    const dir = await tree({
      'dbt_project.yml': 'name: messy\n',
      'models/good.sql': 'select 1 as id',
      'models/broken_jinja.sql': "select 1 as id\nfrom {{ ref('good') }}\n{% if x %}\nwhere y",
      'models/missing_ref.sql': "select *\nfrom {{ ref('nowhere') }}",
      'models/bad.yml': 'version: 2\nmodels:\n  - name: good\n    description: "a": b\n  - name: other\n',
      'models/good_docs.yml': 'version: 2\nmodels:\n  - name: good\n    description: Still documented.\n',
      'models/huge.sql': `select 1 -- ${'x'.repeat(2.5 * 1024 * 1024)}`,
      'models/binary.sql': Buffer.from([0x73, 0x65, 0x6c, 0x00, 0x01, 0x02]),
      'models/latin1.sql': Buffer.concat([Buffer.from('select 1\n-- caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    });
    await fs.symlink(dir, path.join(dir, 'models', 'loop'));
    const { index, files } = await indexOf(dir);
    // A warm start keeps every warning without reading the bad files again.
    const warm = new WorkspaceFiles(dir);
    const rescan = await warm.scan(JSON.parse(JSON.stringify(files.cache())));
    assert.equal(rescan.read, 0);
    assert.deepEqual(warm.indexer.build().warnings, index.warnings);
    assert.equal(rel(index, 'good').description, 'Still documented.');
    assert.match(warningsFor(index, 'models/broken_jinja.sql')[0]!.message, /\{% if %\} is never closed/);
    assert.equal(warningsFor(index, 'models/broken_jinja.sql')[0]!.line, 3);
    assert.deepEqual(warningsFor(index, 'models/missing_ref.sql').map((w) => [w.line, w.message]), [[2, "ref('nowhere') points at no model, seed or snapshot in the project or its installed packages: dbt stops here; add the model, or fix the name"]]);
    assert.equal(warningsFor(index, 'models/bad.yml')[0]!.line, 4);
    assert.match(warningsFor(index, 'models/bad.yml')[0]!.message, /not valid YAML/);
    assert.match(warningsFor(index, 'models/huge.sql')[0]!.message, /over the 2 MB/);
    assert.match(warningsFor(index, 'models/binary.sql')[0]!.message, /binary/);
    assert.deepEqual(warningsFor(index, 'models/latin1.sql').map((w) => w.line), [2]);
    assert.match(warningsFor(index, 'models/loop')[0]!.message, /symbolic link back to .*loop/);
    assert.deepEqual(index.refs, { resolved: 1, unresolved: 1 });
    // Nothing the index could not parse was touched.
    assert.equal(await fs.readFile(path.join(dir, 'models/bad.yml'), 'utf8'), 'version: 2\nmodels:\n  - name: good\n    description: "a": b\n  - name: other\n');
  });
});

describe('incremental index and cache', function () {
  this.timeout(120_000);

  it('a one-file edit gives the same index as indexing from scratch; a macro edit re-renders its users', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-synth-'));
    await writeSyntheticProject(dir, { models: 200, propertiesFiles: 20 });
    const { files } = await indexOf(dir);
    const model = 'models/marts/domain_0/fct_175.sql';
    const edited = (await fs.readFile(path.join(dir, model), 'utf8')).replace('count(distinct b.account_id) as accounts', 'count(*) as rows_seen, min(a.created_date) as first_seen');
    await fs.writeFile(path.join(dir, model), edited);
    await files.refresh(path.join(dir, model));
    const patched = files.indexer.build();
    assert.ok(rel(patched, 'fct_175').definedColumns!.includes('first_seen'));
    const fresh = (await indexOf(dir)).index;
    assert.deepEqual(patched, fresh);

    await fs.writeFile(path.join(dir, 'macros/cents.sql'), '{% macro cents_to_dollars(col, scale=2) -%}\n  round({{ col }} / 100.0, {{ scale }})\n{%- endmacro %}\n');
    await files.refresh(path.join(dir, 'macros/cents.sql'));
    assert.match(rel(files.indexer.build(), 'stg_0').sql!, /round\(amount_cents \/ 100\.0, 2\) as amount/);
  });

  it('restores from its cache without reading unchanged files, and drops a cache made for other project settings', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-synth-'));
    await writeSyntheticProject(dir, { models: 60, propertiesFiles: 6 });
    const { files, index } = await indexOf(dir);
    const cache = JSON.parse(JSON.stringify(files.cache()));
    const warm = new WorkspaceFiles(dir);
    const result = await warm.scan(cache);
    assert.equal(result.fromCache, true);
    assert.equal(result.read, 0);
    assert.deepEqual(warm.indexer.build(), index);

    await fs.appendFile(path.join(dir, 'dbt_project.yml'), "  extra: '1'\n");
    const changed = new WorkspaceFiles(dir);
    const again = await changed.scan(JSON.parse(JSON.stringify(cache)));
    assert.equal(again.fromCache, false, 'vars feed every model: a new dbt_project.yml invalidates the cache');
  });

  it('ignores a cache of another format', () => {
    const ix = new WorkspaceIndexer();
    assert.equal(ix.loadCache({ format: 999, projects: [], files: {}, problems: {} }), false);
    assert.equal(ix.loadCache(undefined), false);
  });
});

describe('stale approved pairs', () => {
  const project = (modelSql: string, db?: Array<{ column: string; type: string }>) => {
    const ix = new WorkspaceIndexer();
    ix.setProject('', 'name: shop\n');
    ix.setFile('models/customers.sql', modelSql);
    ix.setFile('models/orders.sql', 'select order_id, customer_id, amount from raw_orders');
    ix.setFile('models/_docs.yml', 'version: 2\nmodels:\n  - name: customers\n    columns:\n      - name: lifetime_revenue\n        description: Revenue.\n');
    if (db) ix.setLiveCatalog('', { columns: db.map((c) => ({ schema: 'main', table: 'customers', ...c })) });
    return ix;
  };
  const pair = approvedPairOf('select c.customer_name, sum(o.amount) as total, c.lifetime_revenue from customers c join orders o using (customer_id) group by all', ['customers', 'orders']);

  it('flags a pair whose column was renamed in the model, naming the column', () => {
    assert.equal(pairStaleness(pair, project('select customer_id, customer_name, lifetime_revenue from raw').build()), undefined);
    const stale = pairStaleness(pair, project('select customer_id, customer_name, lifetime_revenue as ltv from raw').build());
    assert.ok(stale);
    assert.deepEqual(stale.columns, ['customers.lifetime_revenue']);
    assert.match(stale.reason, /customers\.lifetime_revenue \(no longer in models\/customers\.sql\)/);
  });

  it('flags a pair whose table is gone, and one whose column is gone from the database', () => {
    const ix = project('select customer_id, customer_name, lifetime_revenue from raw', [{ column: 'customer_id', type: 'BIGINT' }, { column: 'customer_name', type: 'VARCHAR' }]);
    assert.match(pairStaleness(pair, ix.build())!.reason, /lifetime_revenue \(no longer in the database\)/);
    const gone = approvedPairOf('select * from refunds', ['refunds']);
    assert.match(pairStaleness(gone, ix.build())!.reason, /uses refunds, which the project no longer has/);
    assert.equal(pairStaleness({ ...gone, status: 'pending' }, ix.build()), undefined, 'only approved pairs can be stale');
  });

  it('flags a type change that happened after the approval, even after re-indexing', () => {
    const history = new ColumnHistory();
    const model = 'select customer_id, customer_name, lifetime_revenue from raw';
    history.observe(project(model, [{ column: 'customer_name', type: 'VARCHAR' }, { column: 'lifetime_revenue', type: 'DECIMAL(12,2)' }, { column: 'customer_id', type: 'BIGINT' }]).build(), new Date('2026-02-01T00:00:00Z'));
    const after = project(model, [{ column: 'customer_name', type: 'VARCHAR' }, { column: 'lifetime_revenue', type: 'VARCHAR' }, { column: 'customer_id', type: 'BIGINT' }]).build();
    assert.deepEqual(history.observe(after, new Date('2026-03-01T00:00:00Z')).map((c) => c.column), ['customers.lifetime_revenue']);
    history.observe(after, new Date('2026-03-02T00:00:00Z'));
    assert.match(pairStaleness(pair, after, history)!.reason, /customers\.lifetime_revenue changed type from DECIMAL\(12,2\) to VARCHAR/);
    const reapproved = approvedPairOf(pair.sql, pair.tables, '2026-04-01T00:00:00Z');
    assert.equal(pairStaleness(reapproved, after, history), undefined, 'approving again after the change clears it');
  });
});
