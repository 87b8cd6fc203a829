import { strict as assert } from 'node:assert';
import { indexFixture, jinjaLeft, relationOf as rel, warningList } from '../support/dbtFixture';

/**
 * Where the dbt index used to lose lineage or content without a word: each class in a small
 * project written here, judged by what a dbt user expects dbt to compile — the relations a model
 * reads, the SQL with every relation named, the schema dbt builds a node in, the config a macro
 * reads — and by the warnings (none, as none of these is a problem of the project).
 */

const POSTGRES_PROFILE = 'shop:\n  target: dev\n  outputs:\n    dev: {type: postgres, host: localhost, user: u, dbname: analytics, schema: dev}\n';
const PROJECT = (extra = '') => `name: shop\nversion: '1.0'\nprofile: shop\n${extra}`;
const STAGING = {
  'models/stg_orders.sql': 'select 1 as order_id, 10 as customer_id',
  'models/stg_customers.sql': 'select 10 as customer_id',
};

describe('dbt index: lineage and content that used to vanish silently', function () {
  this.timeout(20_000);

  it('refs in the body of {% call statement %} and {% call set_sql_header %} are what the model reads; the body stays out of its SQL', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': PROJECT(),
      'profiles.yml': POSTGRES_PROFILE,
      ...STAGING,
      'models/orders_capped.sql': `{%- call statement('max_id', fetch_result=True) -%}
  select max(order_id) from {{ ref('stg_orders') }}
{%- endcall -%}
{% call set_sql_header(config) %}
  set search_path = {{ ref('stg_customers').schema }};
{% endcall %}
select order_id from {{ ref('stg_orders') }}
`,
      'models/with_header.sql': `{% call set_sql_header(config) %}
create temporary view recent as select * from {{ ref('stg_customers') }};
{% endcall %}
select * from recent
`,
    });
    assert.deepEqual(rel(index, 'orders_capped').refs?.sort(), ['stg_customers', 'stg_orders']);
    assert.deepEqual(rel(index, 'with_header').refs, ['stg_customers']);
    assert.equal(rel(index, 'orders_capped').sql?.trim(), 'select order_id from dev.stg_orders');
    assert.equal(rel(index, 'with_header').sql?.trim(), 'select * from recent');
    assert.deepEqual(index.refs, { resolved: 3, unresolved: 0 });
    assert.deepEqual(warningList(index), []);
  });

  it('a ref or source under {% filter upper %} or | lower keeps its relation (in the case dbt compiles) and its join', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': PROJECT(),
      'profiles.yml': POSTGRES_PROFILE,
      ...STAGING,
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    schema: raw_shop\n    tables: [{name: payments}]\n',
      'models/upper_orders.sql': `{% filter upper %}
select o.order_id, p.amount from {{ ref('stg_orders') }} o join {{ source('raw', 'payments') }} p on o.order_id = p.order_id
{% endfilter %}`,
      'models/lower_customers.sql': "select c.customer_id from {{ ref('stg_customers') | lower }} c join {{ ref('stg_orders') | upper }} o on o.customer_id = c.customer_id",
    });
    const upper = rel(index, 'upper_orders').sql ?? '';
    assert.equal(upper.trim(), 'SELECT O.ORDER_ID, P.AMOUNT FROM DEV.STG_ORDERS O JOIN RAW_SHOP.PAYMENTS P ON O.ORDER_ID = P.ORDER_ID');
    assert.equal(rel(index, 'lower_customers').sql, 'select c.customer_id from dev.stg_customers c join DEV.STG_ORDERS o on o.customer_id = c.customer_id');
    for (const key of ['upper_orders', 'lower_customers']) assert.doesNotMatch(rel(index, key).sql ?? '', /__askdata_/i);
    const joins = index.joins.map((j) => [j.left, j.right].sort().join(' ~ ')).sort();
    assert.deepEqual(joins, ['raw.payments ~ stg_orders', 'stg_customers ~ stg_orders']);
    assert.deepEqual(warningList(index), []);
  });

  it('an installed package\'s models are built with the root project\'s profile: its target schema, its +schema for the package', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': PROJECT('models:\n  shop:\n    +schema: marts\n  crm:\n    reporting:\n      +schema: crm_reporting\n'),
      'profiles.yml': POSTGRES_PROFILE,
      'packages.yml': 'packages:\n  - package: acme/crm\n    version: 1.0.0\n',
      'dbt_packages/crm/dbt_project.yml': "name: crm\nversion: '1.0'\n",
      'dbt_packages/crm/models/crm_contacts.sql': 'select 1 as contact_id',
      'dbt_packages/crm/models/reporting/crm_summary.sql': "select count(*) as n from {{ ref('crm_contacts') }}",
      'models/contacts.sql': "select * from {{ ref('crm_contacts') }} join {{ ref('crm', 'crm_summary') }} on true",
    });
    assert.equal(rel(index, 'crm_contacts').relation, 'dev.crm_contacts');
    assert.equal(rel(index, 'crm_summary').relation, 'dev_crm_reporting.crm_summary');
    assert.equal(rel(index, 'crm_summary').sql, 'select count(*) as n from dev.crm_contacts');
    assert.equal(rel(index, 'contacts').relation, 'dev_marts.contacts');
    assert.equal(rel(index, 'contacts').sql, 'select * from dev.crm_contacts join dev_crm_reporting.crm_summary on true');
    assert.deepEqual(index.projects.map((p) => `${p.name} ${p.targetSchema}`).sort(), ['crm dev', 'shop dev']);
    assert.deepEqual(warningList(index), []);
  });

  it('naming macros found as dbt dispatches them: a default__/<adapter>__ override in the project, or in a package the dbt namespace lists', async () => {
    const customSchema = (name: string) => `{% macro ${name}(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}\n`;
    const files = (dispatch: string, macros: Record<string, string>) => ({
      'dbt_project.yml': PROJECT(`${dispatch}models:\n  shop:\n    marts:\n      +schema: marts\n`),
      'profiles.yml': POSTGRES_PROFILE,
      'packages.yml': 'packages:\n  - package: acme/naming\n    version: 1.0.0\n',
      'dbt_packages/naming/dbt_project.yml': "name: naming\nversion: '1.0'\n",
      'dbt_packages/naming/macros/naming.sql': customSchema('default__generate_schema_name'),
      'models/stg_orders.sql': 'select 1 as order_id',
      'models/marts/orders.sql': "select * from {{ ref('stg_orders') }}",
      ...macros,
    });
    // The package's macro is used only when dispatch lists it for the dbt namespace.
    const listed = (await indexFixture(files("dispatch:\n  - macro_namespace: dbt\n    search_order: ['shop', 'naming', 'dbt']\n", {}))).index;
    assert.equal(rel(listed, 'orders').relation, 'marts.orders');
    assert.equal(rel(listed, 'stg_orders').relation, 'dev.stg_orders');
    const unlisted = (await indexFixture(files('', {}))).index;
    assert.equal(rel(unlisted, 'orders').relation, 'dev_marts.orders');
    // In the project itself: default__ replaces dbt's default, and the adapter's own wins over it.
    const own = (await indexFixture(files('', {
      'macros/naming.sql': `${customSchema('default__generate_schema_name')}{% macro postgres__generate_alias_name(custom_alias_name=none, node=none) -%}
  {{ node.name }}_pg
{%- endmacro %}
{% macro default__generate_alias_name(custom_alias_name=none, node=none) -%}
  {{ node.name }}_default
{%- endmacro %}\n`,
    }))).index;
    assert.equal(rel(own, 'orders').relation, 'marts.orders_pg');
    assert.equal(rel(own, 'orders').sql, 'select * from dev.stg_orders_pg');
    for (const ix of [listed, unlisted, own]) assert.deepEqual(warningList(ix), []);
  });

  it('config.get() and model.config see what dbt_project.yml gives the node, beneath the file\'s own config()', async () => {
    const { index, fragments } = await indexFixture({
      'dbt_project.yml': PROJECT('models:\n  shop:\n    +meta: {owner: finance}\n    marts:\n      +materialized: incremental\n'),
      'profiles.yml': POSTGRES_PROFILE,
      ...STAGING,
      'models/marts/orders.sql': `select '{{ config.get('materialized', 'view') }}' as mat, '{{ model.config.materialized }}' as model_mat,
  '{{ config.get('meta', {}).get('owner', 'nobody') }}' as owner
from {% if config.get('materialized') == 'incremental' %}{{ ref('stg_orders') }}{% else %}{{ ref('stg_customers') }}{% endif %}`,
      'models/plain.sql': "{{ config(materialized='table') }}select '{{ config.get('materialized') }}' as a, '{{ model.config.materialized }}' as b, '{{ config.get('unset', 'fallback') }}' as c",
      'models/default_view.sql': "select '{{ model.config.materialized }}' as m",
    });
    assert.equal(rel(index, 'orders').sql, "select 'incremental' as mat, 'incremental' as model_mat,\n  'finance' as owner\nfrom dev.stg_orders");
    assert.deepEqual(rel(index, 'orders').refs, ['stg_orders']);
    assert.equal(rel(index, 'plain').sql, "select 'table' as a, 'table' as b, 'fallback' as c");
    assert.equal(rel(index, 'default_view').sql, "select 'view' as m");
    assert.equal(rel(index, 'plain').materialized, 'table');
    for (const f of fragments.values()) if (f.kind === 'sql') assert.equal(jinjaLeft(f.sql), 0);
    assert.deepEqual(warningList(index), []);
  });
});

describe('dbt index: every model file is a node, or a warning says why not', function () {
  this.timeout(20_000);

  it('two enabled models (or a model and a seed) of one project with the same name: said on the file set aside, whichever order files come in', async () => {
    const files = {
      'dbt_project.yml': PROJECT(),
      'profiles.yml': POSTGRES_PROFILE,
      'models/finance/orders.sql': 'select 1 as order_id, 5 as amount',
      'models/staging/orders.sql': 'select 1 as order_id',
      'models/staging/disabled_twin.sql': "{{ config(enabled=false) }}select 1 as x",
      'models/other/disabled_twin.sql': 'select 2 as x',
      'models/report.sql': "select * from {{ ref('orders') }}",
      'seeds/report.csv': 'a,b\n1,2\n',
      'dbt_packages/crm/dbt_project.yml': "name: crm\nversion: '1.0'\n",
      'dbt_packages/crm/models/orders.sql': 'select 3 as crm_order_id',
    };
    const { index } = await indexFixture(files);
    assert.deepEqual(warningList(index), ['models/staging/orders.sql:1 duplicate-node', 'seeds/report.csv:1 duplicate-node']);
    assert.match(index.warnings.find((w) => w.file === 'models/staging/orders.sql')!.message, /^orders is also defined in models\/finance\/orders\.sql: dbt stops .* until one is renamed or disabled/);
    // The kept file is the node refs land on; a disabled twin and a package's model of the same name are no duplicates.
    assert.equal(rel(index, 'orders').file, 'models/finance/orders.sql');
    assert.deepEqual(rel(index, 'orders').definedColumns, ['order_id', 'amount']);
    assert.equal(rel(index, 'report').kind, 'model');
    assert.equal(rel(index, 'disabled_twin').file, 'models/other/disabled_twin.sql');
    assert.deepEqual(index.refs, { resolved: 1, unresolved: 0 });
    // The same answer with the files written in the other order.
    const reversed = await indexFixture(Object.fromEntries(Object.entries(files).reverse()));
    assert.deepEqual(warningList(reversed.index), warningList(index));
    assert.equal(rel(reversed.index, 'orders').file, 'models/finance/orders.sql');
  });
});

describe('dbt index: descriptions a version gives itself', function () {
  this.timeout(20_000);

  it('a version\'s own description and columns (doc() resolved), and the model\'s columns it includes or excludes', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': PROJECT(),
      'profiles.yml': POSTGRES_PROFILE,
      'models/orders_v1.sql': 'select 1 as order_id, 2 as amount, 3 as legacy_code',
      'models/orders_v2.sql': 'select 1 as order_id, 2 as amount, 3 as tax',
      'models/orders_v3.sql': 'select 1 as order_id, 2 as amount_cents',
      'models/docs.md': '{% docs amount %}Amount in cents.{% enddocs %}\n{% docs tax %}\nTax, in cents.\n{% enddocs %}\n',
      'models/orders.yml': `version: 2
models:
  - name: orders
    description: One row per order.
    latest_version: 2
    columns:
      - name: order_id
        description: The order.
      - name: amount
        description: "{{ doc('amount') }}"
    versions:
      - v: 1
        description: Orders before the tax split.
        columns:
          - include: all
            exclude: [amount]
          - name: legacy_code
            description: The code of the old system.
      - v: 2
        columns:
          - name: tax
            description: "{{ doc('tax') }}"
      - v: 3
        columns:
          - include: [order_id]
          - name: amount_cents
            description: "{{ doc('amount') }}"
`,
    });
    const described = (key: string) => Object.fromEntries(rel(index, key).columns.filter((c) => c.description).map((c) => [c.name, c.description]));
    assert.equal(rel(index, 'orders_v1').description, 'Orders before the tax split.');
    assert.deepEqual(described('orders_v1'), { order_id: 'The order.', legacy_code: 'The code of the old system.' });
    assert.equal(rel(index, 'orders_v2').description, 'One row per order.');
    assert.deepEqual(described('orders_v2'), { order_id: 'The order.', amount: 'Amount in cents.', tax: 'Tax, in cents.' });
    assert.deepEqual(described('orders_v3'), { order_id: 'The order.', amount_cents: 'Amount in cents.' });
    assert.deepEqual(warningList(index), []);
  });
});
