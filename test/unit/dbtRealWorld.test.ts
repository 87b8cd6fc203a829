import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { indexFolder, WorkspaceFiles } from '../../src/adapters/workspaceFiles';
import { main } from '../../src/cli/main';
import { projectDialect } from '../../src/adapters/projectDatabase';
import { buildAskContext } from '../../src/core/answer/askContext';
import type { WorkspaceIndex } from '../../src/core/index/workspaceIndex';
import { indexFixture, indexTree, jinjaLeft, relationOf as rel, warningList, writeTree } from '../support/dbtFixture';

/**
 * What real teams write in dbt projects, each in a small project made here, with the truth worked
 * out by hand from dbt's documented behaviour: which relation each ref lands on, the SQL dbt would
 * compile (no Jinja left), the descriptions with doc() resolved, and which warnings a person
 * should see — none about things that are not a problem of the project, and never a ref that
 * vanishes without one.
 */

// A Snowflake company's profile: values read from the environment with defaults, as most teams keep it.
const SNOWFLAKE_PROFILE = `corp:
  target: "{{ env_var('ASKDATA_TEST_UNSET_TARGET', 'dev') }}"
  outputs:
    dev:
      type: snowflake
      account: "{{ env_var('ASKDATA_TEST_UNSET_ACCOUNT') }}"
      database: ANALYTICS
      schema: "{{ env_var('ASKDATA_TEST_UNSET_SCHEMA', 'dbt_dev') }}"
      warehouse: TRANSFORMING
    prod:
      type: snowflake
      database: ANALYTICS
      schema: analytics
`;

const STAGING = {
  'models/staging/stg_orders.sql': 'select 1 as order_id, 10 as customer_id',
  'models/staging/stg_customers.sql': 'select 10 as customer_id',
  'models/staging/sources.yml': 'version: 2\nsources:\n  - name: raw\n    database: RAW\n    schema: shop\n    tables:\n      - name: payments\n',
};

/** Every ref (one- and two-argument) and the source, joined: the lineage and join paths the override must not lose. */
const ORDERS_ONE_ARG = `select o.order_id, c.customer_id, p.amount
from {{ ref('stg_orders') }} o
join {{ ref('stg_customers') }} c on c.customer_id = o.customer_id
left join {{ source('raw', 'payments') }} p on p.order_id = o.order_id`;
const ORDERS_TWO_ARG = ORDERS_ONE_ARG.replace("ref('stg_customers')", "ref('corp', 'stg_customers')");
const VERSIONED = {
  'models/marts/dim_customers_v1.sql': 'select 10 as customer_id, 1 as legacy',
  'models/marts/dim_customers_v2.sql': 'select 10 as customer_id',
  'models/marts/dim_customers.yml': 'version: 2\nmodels:\n  - name: dim_customers\n    latest_version: 2\n    versions:\n      - v: 1\n      - v: 2\n',
  'models/marts/customer_report.sql': "select * from {{ ref('dim_customers', v=1) }}\nunion all\nselect *, 0 as legacy from {{ ref('dim_customers') }}",
};

function overrideProject(refMacro: string, models: Record<string, string>) {
  return {
    'dbt_project.yml': 'name: corp\nprofile: corp\nconfig-version: 2\n',
    'profiles.yml': SNOWFLAKE_PROFILE,
    'macros/overrides/ref.sql': refMacro,
    ...STAGING,
    ...models,
  };
}

function assertOrdersLineage(index: WorkspaceIndex): void {
  const orders = rel(index, 'orders');
  assert.deepEqual([...(orders.refs ?? [])].sort(), ['stg_customers', 'stg_orders']);
  assert.equal(orders.sql, `select o.order_id, c.customer_id, p.amount
from dbt_dev.stg_orders o
join dbt_dev.stg_customers c on c.customer_id = o.customer_id
left join shop.payments p on p.order_id = o.order_id`);
  const joins = index.joins.map((j) => `${j.left}.${j.leftColumn}=${j.right}.${j.rightColumn}`).sort();
  assert.deepEqual(joins, ['raw.payments.order_id=stg_orders.order_id', 'stg_customers.customer_id=stg_orders.customer_id']);
}

describe('real-world dbt: ref and source overrides in every style', function () {
  this.timeout(30_000);

  const styles: Array<{ name: string; macro: string; twoArgs: boolean; versions: boolean }> = [
    {
      name: 'one argument, do return(builtins.ref(…).include(database=false)), source with a defaulted third argument',
      macro: `{% macro ref(model_name) %}
{% do return(builtins.ref(model_name).include(database=false)) %}
{% endmacro %}

{% macro source(source_name, table_name, include_database = False) %}
{% do return(builtins.source(source_name, table_name).include(database = include_database)) %}
{% endmacro %}`,
      twoArgs: false,
      versions: false,
    },
    {
      name: 'varargs/kwargs with versions and packages, replace_path',
      macro: `{% macro ref() %}
  {#- what the caller passed: one or two names, and a version -#}
  {%- set version = kwargs.get('version') or kwargs.get('v') -%}
  {%- set packagename = none -%}
  {%- if (varargs | length) == 1 -%}
    {%- set modelname = varargs[0] -%}
  {%- else -%}
    {%- set packagename = varargs[0] -%}
    {%- set modelname = varargs[1] -%}
  {%- endif -%}
  {%- if packagename is not none -%}
    {%- set rel = builtins.ref(packagename, modelname, version=version) -%}
  {%- else -%}
    {%- set rel = builtins.ref(modelname, version=version) -%}
  {%- endif -%}
  {% do return(rel.replace_path(database="dev")) %}
{% endmacro %}`,
      twoArgs: true,
      versions: true,
    },
    {
      name: 'named first argument forwarding *varargs and **kwargs',
      macro: '{% macro ref(model_name) %}\n  {%- set rel = builtins.ref(model_name, *varargs, **kwargs) -%}\n  {{ return(rel) }}\n{% endmacro %}',
      twoArgs: true,
      versions: true,
    },
    {
      name: 'keyword parameters for the version',
      macro: '{%- macro ref(model_name, v=none, version=none) -%}\n  {{ return(builtins.ref(model_name, v=(v or version))) }}\n{%- endmacro -%}',
      twoArgs: false,
      versions: true,
    },
    {
      name: 'output instead of return',
      macro: '{% macro ref(model_name) -%}\n  {{ builtins.ref(model_name) }}\n{%- endmacro %}',
      twoArgs: false,
      versions: false,
    },
    {
      name: 'api.Relation.create from the builtin relation in dev',
      macro: `{% macro ref(model_name) %}
  {%- set rel = builtins.ref(model_name) -%}
  {%- if target.name in ['dev', 'ci'] -%}
    {%- set rel = api.Relation.create(database=target.database, schema=rel.schema, identifier=rel.identifier, type=rel.type) -%}
  {%- endif -%}
  {{ return(rel) }}
{% endmacro %}`,
      twoArgs: false,
      versions: false,
    },
    {
      name: 'a var naming a replacement model, for unit tests',
      macro: `{% macro ref(model_name) %}
  {% if var('ref_' ~ model_name, none) %}
    {% do return(builtins.ref(var('ref_' ~ model_name))) %}
  {% endif %}
  {% do return(builtins.ref(model_name)) %}
{% endmacro %}`,
      twoArgs: false,
      versions: false,
    },
    {
      name: 'looks the node up in graph when execute (what only a dbt run knows), then falls through',
      macro: `{% macro ref(model_name) %}
  {%- if execute -%}
    {%- set node = graph.nodes.values() | selectattr('name', 'equalto', model_name) | first -%}
    {%- if node and node.config.materialized == 'ephemeral' -%}
      {{ return(builtins.ref(model_name)) }}
    {%- endif -%}
  {%- endif -%}
  {{ return(builtins.ref(model_name).include(database=false)) }}
{% endmacro %}`,
      twoArgs: false,
      versions: false,
    },
  ];

  for (const style of styles) {
    it(`resolves every ref through an override: ${style.name}`, async () => {
      const { index } = await indexFixture(overrideProject(style.macro, {
        'models/marts/orders.sql': style.twoArgs ? ORDERS_TWO_ARG : ORDERS_ONE_ARG,
        ...(style.versions ? VERSIONED : {}),
      }));
      assertOrdersLineage(index);
      if (style.versions) {
        assert.deepEqual(rel(index, 'customer_report').refs, ['dim_customers_v1', 'dim_customers_v2']);
        assert.match(rel(index, 'customer_report').sql!, /from dbt_dev\.dim_customers_v1\nunion all\nselect \*, 0 as legacy from dbt_dev\.dim_customers_v2$/);
      }
      assert.deepEqual(index.refs, { resolved: style.versions ? 4 : 2, unresolved: 0 });
      assert.deepEqual(warningList(index), []);
      assert.equal(index.unrendered, 0);
    });
  }

  it('the root override delegating to a package macro serves the root and the package models alike', async () => {
    const { index } = await indexFixture({
      ...overrideProject('{% macro ref() %}{{ return(corp_utils.smart_ref(*varargs, **kwargs)) }}{% endmacro %}', { 'models/marts/orders.sql': ORDERS_TWO_ARG }),
      'dbt_packages/corp_utils/dbt_project.yml': 'name: corp_utils\nconfig-version: 2\n',
      'dbt_packages/corp_utils/macros/smart_ref.sql': "{% macro smart_ref() %}\n  {%- set rel = builtins.ref(*varargs, **kwargs) -%}\n  {{ return(rel.include(database=(target.name == 'prod'))) }}\n{% endmacro %}",
      'dbt_packages/corp_utils/models/util_days.sql': 'select 1 as d',
      'dbt_packages/corp_utils/models/util_weeks.sql': "select d from {{ ref('util_days') }}",
    });
    assertOrdersLineage(index);
    assert.deepEqual(rel(index, 'util_weeks').refs, ['util_days']);
    assert.deepEqual(index.refs, { resolved: 3, unresolved: 0 });
    assert.deepEqual(warningList(index), []);
  });

  it('a package\'s own ref override applies to its models only, as dbt scopes it (the root keeps the builtin)', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\n',
      'profiles.yml': SNOWFLAKE_PROFILE,
      ...STAGING,
      'models/marts/orders.sql': ORDERS_ONE_ARG,
      'dbt_packages/legacy/dbt_project.yml': 'name: legacy\n',
      // dbt: a package cannot override ref for the root project, only for its own nodes.
      'dbt_packages/legacy/macros/ref.sql': "{% macro ref(model_name) %}{{ return(builtins.ref('legacy_' ~ model_name)) }}{% endmacro %}",
      'dbt_packages/legacy/models/legacy_days.sql': 'select 1 as d',
      'dbt_packages/legacy/models/weeks.sql': "select d from {{ ref('days') }}",
    });
    assertOrdersLineage(index);
    assert.deepEqual(rel(index, 'weeks').refs, ['legacy_days']);
    assert.deepEqual(warningList(index), []);
  });

  it('a source override keeps sources resolved and the database part dropped in dev', async () => {
    const { index } = await indexFixture({
      ...overrideProject(`{% macro source(source_name, table_name) %}
  {%- set rel = builtins.source(source_name, table_name) -%}
  {%- if target.name == 'dev' -%}{% do return(rel.include(database=false)) %}{%- endif -%}
  {% do return(rel) %}
{% endmacro %}`, { 'models/marts/orders.sql': ORDERS_TWO_ARG }),
    });
    assertOrdersLineage(index);
    assert.deepEqual(warningList(index), []);
  });

  it('an override whose target only the database knows counts each ref as unresolved, said on its line — never a silent loss', async () => {
    const { index } = await indexFixture(overrideProject(`{% macro ref(model_name) %}
  {%- set mapped = run_query("select target from ref_map where src = '" ~ model_name ~ "'").columns[0].values()[0] -%}
  {{ return(builtins.ref(mapped)) }}
{% endmacro %}`, { 'models/marts/orders.sql': ORDERS_ONE_ARG }));
    assert.deepEqual(index.refs, { resolved: 0, unresolved: 2 });
    const onOrders = index.warnings.filter((w) => w.file === 'models/marts/orders.sql');
    // One cause, said once, with every line it costs.
    assert.deepEqual(onOrders.map((w) => `${w.line} ${w.kind}`), ['2 needs-dbt']);
    assert.match(onOrders[0]!.message, /run_query\(\).*\(also on line 3\)$/);
  });
});

describe('real-world dbt: where relations are built (naming, seeds, snapshots, versions)', function () {
  this.timeout(30_000);
  const PROFILE = 'corp:\n  target: dev\n  outputs:\n    dev:\n      type: snowflake\n      database: ANALYTICS\n      schema: dbt_dev\n';

  it('a generate_schema_name override that reads node.fqn and node.resource_type names relations by folder, seeds included', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\nmodel-paths: ["models", "marts"]\nseeds:\n  corp:\n    +schema: lookups\n',
      'profiles.yml': PROFILE,
      'macros/naming/generate_schema_name.sql': `{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if node.resource_type == 'seed' -%}{{ custom_schema_name | trim }}
  {%- elif node.config.get('meta', {}).get('schema_override') -%}{{ node.config.meta.schema_override }}
  {%- elif custom_schema_name -%}{{ custom_schema_name | trim | lower }}
  {%- elif node.fqn | length > 2 -%}{{ node.fqn[1] | lower }}
  {%- else -%}{{ target.schema }}
  {%- endif -%}
{%- endmacro %}`,
      'macros/naming/generate_database_name.sql': `{% macro generate_database_name(custom_database_name=none, node=none) -%}
  {%- if custom_database_name is none -%}{{ target.database }}{%- else -%}{{ custom_database_name | trim }}{%- endif -%}
{%- endmacro %}`,
      'models/Sales/orders.sql': "select * from {{ ref('countries') }}",
      'models/top.sql': 'select 1 as id',
      'models/Sales/pinned.sql': "{{ config(meta={'schema_override': 'pinned_schema', 'owner': 'finance'}) }}\nselect 1 as id",
      // The second model path: its folders count from that path, as in dbt's fqn.
      'marts/finance/revenue.sql': "{{ config(schema='FIN') }}\nselect * from {{ ref('orders') }}",
      'seeds/countries.csv': 'code,name\nDE,Germany\n',
    });
    assert.equal(rel(index, 'orders').relation, 'sales.orders');
    assert.equal(rel(index, 'top').relation, 'dbt_dev.top');
    assert.equal(rel(index, 'pinned').relation, 'pinned_schema.pinned');
    assert.equal(rel(index, 'revenue').relation, 'fin.revenue');
    assert.equal(rel(index, 'countries').relation, 'lookups.countries');
    assert.equal(rel(index, 'revenue').sql, '\nselect * from sales.orders');
    assert.deepEqual(warningList(index), []);
  });

  it('schema, alias and materialized set in a properties file name the relation (file config > properties > dbt_project.yml)', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\nmodels:\n  corp:\n    +materialized: view\n',
      'profiles.yml': PROFILE,
      'models/orders.sql': 'select 1 as order_id',
      'models/items.sql': "{{ config(alias='line_items') }}\nselect * from {{ ref('orders') }}",
      'models/_models.yml': `version: 2
models:
  - name: orders
    config:
      schema: sales
      alias: sales_orders
      materialized: table
      tags: ['finance']
  - name: items
    config:
      alias: ignored_because_the_file_says_otherwise
`,
    });
    const orders = rel(index, 'orders');
    assert.equal(orders.relation, 'dbt_dev_sales.sales_orders');
    assert.equal(orders.materialized, 'table');
    assert.deepEqual(orders.tags, ['finance']);
    assert.equal(rel(index, 'items').relation, 'dbt_dev.line_items');
    assert.equal(rel(index, 'items').sql, '\nselect * from dbt_dev_sales.sales_orders');
    assert.deepEqual(warningList(index), []);
  });

  it('seeds take +column_types for their columns and +enabled/+alias from dbt_project.yml', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': `name: corp
profile: corp
seeds:
  corp:
    +schema: lookups
    countries:
      +alias: country_codes
      +column_types:
        code: varchar(2)
        population: bigint
    retired:
      +enabled: false
`,
      'profiles.yml': PROFILE,
      'seeds/countries.csv': '\uFEFFcode,name,population\r\nDE,Germany,83000000\r\n',
      'seeds/retired/old_codes.csv': 'code\nXX\n',
      'models/m.sql': "select * from {{ ref('countries') }}",
    });
    const countries = rel(index, 'countries');
    assert.equal(countries.relation, 'dbt_dev_lookups.country_codes');
    assert.deepEqual(countries.columns.map((c) => [c.name, c.type]), [['code', 'varchar(2)'], ['name', undefined], ['population', 'bigint']]);
    assert.ok(!index.relations.some((r) => r.key === 'old_codes'));
    assert.equal(rel(index, 'm').sql, 'select * from dbt_dev_lookups.country_codes');
    assert.deepEqual(warningList(index), []);
  });

  it('a snapshot is the node its {% snapshot %} block names (not its file), built in target_schema', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\n',
      'profiles.yml': PROFILE,
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n      - name: customers\n',
      'snapshots/history.sql': `{% snapshot orders_history %}
{{ config(target_schema='snapshots', unique_key='order_id', strategy='timestamp', updated_at='updated_at') }}
select * from {{ source('raw', 'orders') }}
{% endsnapshot %}

{% snapshot customers_history %}
{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols='all') }}
select * from {{ source('raw', 'customers') }}
{% endsnapshot %}`,
      'models/order_changes.sql': "select * from {{ ref('orders_history') }} join {{ ref('customers_history') }} using (customer_id)",
    });
    assert.equal(rel(index, 'orders_history').kind, 'snapshot');
    assert.equal(rel(index, 'orders_history').relation, 'snapshots.orders_history');
    assert.equal(rel(index, 'customers_history').relation, 'snapshots.customers_history');
    assert.ok(!index.relations.some((r) => r.key === 'history'), 'the file name is not a node');
    assert.deepEqual(rel(index, 'order_changes').refs, ['orders_history', 'customers_history']);
    assert.equal(rel(index, 'order_changes').sql, 'select * from snapshots.orders_history join snapshots.customers_history using (customer_id)');
    assert.deepEqual(warningList(index), []);
  });

  it('a YAML-defined snapshot (dbt 1.9) is a node refs resolve to', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\n',
      'profiles.yml': PROFILE,
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n',
      'snapshots/orders_snapshot.yml': "snapshots:\n  - name: orders_snapshot\n    relation: source('raw', 'orders')\n    config:\n      schema: snapshots\n      unique_key: id\n      strategy: timestamp\n      updated_at: updated_at\n",
      'models/changes.sql': "select * from {{ ref('orders_snapshot') }}",
    });
    assert.equal(rel(index, 'orders_snapshot').kind, 'snapshot');
    assert.deepEqual(rel(index, 'changes').refs, ['orders_snapshot']);
    assert.deepEqual(index.refs, { resolved: 1, unresolved: 0 });
    assert.deepEqual(warningList(index), []);
  });

  it('versioned models: defined_in files, v= to each version, no version to the latest, a version that does not exist is unresolved', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\n',
      'profiles.yml': PROFILE,
      'models/dim_customers_old.sql': 'select 1 as id, 1 as legacy_flag',
      'models/dim_customers.sql': 'select 1 as id',
      'models/dim_customers.yml': `version: 2
models:
  - name: dim_customers
    description: One row per customer.
    latest_version: 2
    columns:
      - name: id
        description: The customer.
    versions:
      - v: 1
        defined_in: dim_customers_old
      - v: 2
        defined_in: dim_customers
`,
      'models/report.sql': "select * from {{ ref('dim_customers', v=1) }}\nunion all\nselect *, 0 from {{ ref('dim_customers') }}\nunion all\nselect *, 0 from {{ ref('dim_customers', version=2) }}",
      'models/broken.sql': "select * from {{ ref('dim_customers', v=3) }}",
    });
    const report = rel(index, 'report');
    // dbt builds each version as <name>_v<version> unless an alias says otherwise.
    assert.equal(report.sql, 'select * from dbt_dev.dim_customers_v1\nunion all\nselect *, 0 from dbt_dev.dim_customers_v2\nunion all\nselect *, 0 from dbt_dev.dim_customers_v2');
    assert.deepEqual(report.refs, ['dim_customers_v1', 'dim_customers_v2']);
    assert.deepEqual(rel(index, 'dim_customers_v2').columns.map((c) => [c.name, c.description]), [['id', 'The customer.']]);
    assert.ok(!index.relations.some((r) => r.key === 'dim_customers_old' || r.key === 'dim_customers'), 'versions are keyed by version, not by file');
    assert.deepEqual(index.refs, { resolved: 3, unresolved: 1 });
    assert.deepEqual(warningList(index), ['models/broken.sql:1 unresolved-ref']);
    assert.match(index.warnings[0]!.message, /v=3|version 3/);
  });

  it('a Python model is a node: refs to it resolve, its dbt.ref/dbt.source are its lineage, its properties apply', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\n',
      'profiles.yml': PROFILE,
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n',
      'models/stg_events.sql': "select * from {{ source('raw', 'events') }}",
      'models/ml/churn_scores.py': `import pandas as pd

def model(dbt, session):
    dbt.config(materialized="table", packages=["scikit-learn"])
    events = dbt.ref("stg_events").to_pandas()
    # old = dbt.ref("legacy_scores")
    raw = dbt.source('raw', 'events')
    return events.assign(score=0.5)
`,
      'models/ml/_ml.yml': 'version: 2\nmodels:\n  - name: churn_scores\n    description: Churn score per customer.\n    columns:\n      - name: score\n',
      'models/report.sql': "select * from {{ ref('churn_scores') }}",
      'scripts/etl_helper.py': "print(dbt.ref('not_a_model'))",
    });
    const churn = rel(index, 'churn_scores');
    assert.equal(churn.kind, 'model');
    assert.equal(churn.materialized, 'table');
    assert.equal(churn.description, 'Churn score per customer.');
    assert.deepEqual(churn.refs, ['stg_events']);
    assert.equal(churn.relation, 'dbt_dev.churn_scores');
    assert.deepEqual(rel(index, 'report').refs, ['churn_scores']);
    assert.deepEqual(index.refs, { resolved: 2, unresolved: 0 });
    assert.deepEqual(warningList(index), []);
  });

  it('an ephemeral model is a node refs resolve to', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\nmodels:\n  corp:\n    intermediate:\n      +materialized: ephemeral\n',
      'profiles.yml': PROFILE,
      'models/intermediate/int_paid.sql': "select 1 as order_id where 'paid' = 'paid'",
      'models/paid_orders.sql': "select * from {{ ref('int_paid') }}",
    });
    assert.equal(rel(index, 'int_paid').materialized, 'ephemeral');
    assert.deepEqual(rel(index, 'paid_orders').refs, ['int_paid']);
    assert.deepEqual(warningList(index), []);
  });
});

describe('real-world dbt: the Jinja teams write in models', function () {
  this.timeout(30_000);
  const base = { 'dbt_project.yml': 'name: shop\nprofile: shop\n', 'models/a.sql': 'select 1 as id, 2 as amount' };
  const sqlOf = async (files: Record<string, string>, key: string) => {
    const { index } = await indexFixture({ ...base, ...files });
    return { index, sql: rel(index, key).sql ?? '' };
  };

  it('config() with hooks holding }} and %} in strings, a list of hooks, a positional dict, and folder hooks', async () => {
    const { index, sql } = await sqlOf({
      'dbt_project.yml': `name: shop\nprofile: shop\nmodels:\n  shop:\n    +post-hook:\n      - "{{ log('built ' ~ this, info=true) }}"\n      - "grant select on {{ this }} to role analyst"\non-run-end:\n  - "{% for s in schemas %}grant usage on schema {{ s }} to role analyst;{% endfor %}"\n`,
      'models/b.sql': `{{
  config(
    materialized = 'incremental',
    unique_key = 'id',
    pre_hook = ["set x = '{{ var(\\"start\\", \\"2020-01-01\\") }}'", "alter session set query_tag = '%} not a tag end'"],
    post_hook = "{% if target.name == 'prod' %}grant select on {{ this }} to role bi{% endif %}",
    tags = ['daily'],
  )
}}
select id from {{ ref('a') }}`,
      'models/c.sql': "{{ config({'materialized': 'table', 'tags': ['dict']}) }}\nselect id from {{ ref('a') }}",
    }, 'b');
    assert.equal(sql.trim(), 'select id from main.a');
    assert.equal(rel(index, 'b').materialized, 'incremental');
    assert.deepEqual(rel(index, 'b').tags, ['daily']);
    assert.equal(rel(index, 'c').materialized, 'table');
    assert.deepEqual(rel(index, 'c').tags, ['dict']);
    assert.deepEqual(warningList(index), []);
  });

  it('{% set %} blocks, tuple assignment, macros with defaults and caller(), and {% call %} with arguments', async () => {
    const { index, sql } = await sqlOf({
      'macros/audit.sql': `{% macro with_audit(relation, cols=['id'], note='n/a') -%}
select {{ cols | join(', ') }}, '{{ note }}' as note, {{ caller() }} from {{ relation }}
{%- endmacro %}
{% macro each_col(cols) -%}
{%- for c in cols %}{{ caller(c, loop.index) }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}`,
      'models/b.sql': `{%- set measures -%}
sum(amount) as total,
count(*) as n
{%- endset -%}
{%- set lo, hi = 1, 100 -%}
{% call with_audit(ref('a'), note='nightly') %}{{ measures }}{% endcall %}
where amount between {{ lo }} and {{ hi }}
union all
select {% call(col, i) each_col(['id', 'amount']) %}{{ col }} as c{{ i }}{% endcall %}, 'x', 1, 2 from {{ ref('a') }}`,
    }, 'b');
    assert.equal(sql.trim(), `select id, 'nightly' as note, sum(amount) as total,
count(*) as n from main.a
where amount between 1 and 100
union all
select id as c1, amount as c2, 'x', 1, 2 from main.a`);
    assert.deepEqual(warningList(index), []);
  });

  it('loops over dicts, items(), dictsort, and a known list of columns with loop.last', async () => {
    const { index, sql } = await sqlOf({
      'models/b.sql': `{%- set methods = {'card': 'credit_card', 'cash': 'cash', 'gift': 'gift_card'} -%}
select
{%- for key, col in methods.items() %}
  sum(case when method = '{{ key }}' then amount end) as {{ col }}_amount,
{%- endfor %}
{%- for k in methods %} '{{ k }}' as k_{{ loop.index }},{% endfor %}
{%- for k, v in methods | dictsort %} {{ loop.index0 }} as {{ k }}_pos{{ ',' if not loop.last }}{% endfor %}
from {{ ref('a') }}`,
    }, 'b');
    assert.equal(sql, `select
  sum(case when method = 'card' then amount end) as credit_card_amount,
  sum(case when method = 'cash' then amount end) as cash_amount,
  sum(case when method = 'gift' then amount end) as gift_card_amount, 'card' as k_1, 'cash' as k_2, 'gift' as k_3, 0 as card_pos, 1 as cash_pos, 2 as gift_pos
from main.a`);
    assert.deepEqual(warningList(index), []);
  });

  it('a loop over dbt_utils.get_column_values (what only the database knows) is left out with one counted warning, no fragments', async () => {
    const { index, sql } = await sqlOf({
      'packages.yml': 'packages:\n  - package: dbt-labs/dbt_utils\n    version: [">=1.0.0", "<2.0.0"]\n',
      'dbt_packages/dbt_utils/dbt_project.yml': 'name: dbt_utils\n',
      'dbt_packages/dbt_utils/macros/get_column_values.sql': `{% macro get_column_values(table, column, order_by='count(*) desc', max_records=none, default=none, where=none) -%}
    {{ return(adapter.dispatch('get_column_values', 'dbt_utils')(table, column, order_by, max_records, default, where)) }}
{%- endmacro %}
{% macro default__get_column_values(table, column, order_by='count(*) desc', max_records=none, default=none, where=none) -%}
    {%- if not execute -%}{% set default = [] if not default %}{{ return(default) }}{% endif -%}
    {%- set target_relation = adapter.get_relation(database=table.database, schema=table.schema, identifier=table.identifier) -%}
    {%- call statement('get_column_values', fetch_result=true) %}
      select {{ column }} as value from {{ target_relation }} group by {{ column }} order by {{ order_by }}
    {%- endcall -%}
    {%- set value_list = load_result('get_column_values') -%}
    {%- set values = value_list['data'] | map(attribute=0) | list %}
    {{ return(values) }}
{%- endmacro %}`,
      'models/b.sql': `select
  id,
  {%- for m in dbt_utils.get_column_values(table=ref('a'), column='method') %}
  sum(case when method = '{{ m }}' then amount end) as {{ m | lower }}_amount,
  {%- endfor %}
  sum(amount) as total
from {{ ref('a') }}
group by 1`,
    }, 'b');
    assert.equal(jinjaLeft(sql), 0);
    assert.equal(sql, 'select\n  id,\n  sum(amount) as total\nfrom main.a\ngroup by 1');
    assert.deepEqual(warningList(index), ['models/b.sql:3 needs-dbt']);
    assert.match(index.warnings[0]!.message, /database/);
    assert.equal(index.unrendered, 1);
    assert.deepEqual(rel(index, 'b').refs, ['a']);
  });

  it('var(): defaults, nested values, lists, a var made of another var, package scopes, and has_var', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': `name: shop
profile: shop
vars:
  start_date: '2024-01-01'
  regions: ['EU', 'US']
  limits: {daily: 10, monthly: 300}
  window_start: "{{ var('start_date') }}T00:00:00"
  tracker:
    tracker_schema: raw_tracker
  tracker_schema: ignored_by_the_package
`,
      'models/a.sql': `select '{{ var('start_date') }}' as s, '{{ var('regions') | join("','") }}' as r, {{ var('limits')['monthly'] }} as m, {{ var('limits').daily }} as d,
  '{{ var('window_start') }}' as w, {{ var('missing_with_default', 7) }} as x, '{{ var('none_default', none) is none }}' as n, '{{ var.has_var('start_date') }}' as h`,
      'dbt_packages/tracker/dbt_project.yml': "name: tracker\nvars:\n  tracker_schema: tracker\n  lookback: 3\n",
      'dbt_packages/tracker/models/tracker_events.sql': "select '{{ var('tracker_schema') }}' as s, {{ var('lookback') }} as l",
    });
    assert.equal(rel(index, 'a').sql, `select '2024-01-01' as s, 'EU','US' as r, 300 as m, 10 as d,
  '2024-01-01T00:00:00' as w, 7 as x, 'True' as n, 'True' as h`);
    assert.equal(rel(index, 'tracker_events').sql, "select 'raw_tracker' as s, 3 as l");
    assert.deepEqual(warningList(index), []);
  });

  it('env_var() with a default renders it; without one it is said once as needing dbt, and the rest of the model renders', async () => {
    const { index } = await indexFixture({
      ...base,
      'models/b.sql': "select '{{ env_var('ASKDATA_TEST_UNSET_REGION', 'eu-west-1') }}' as region, {{ env_var('ASKDATA_TEST_UNSET_DAYS', '3') | int + 1 }} as days,\n  '{{ env_var('ASKDATA_TEST_UNSET_SECRET') }}' as token, id from {{ ref('a') }}",
    });
    assert.match(rel(index, 'b').sql!, /^select 'eu-west-1' as region, 4 as days,\n {2}'\/\* .* \*\/' as token, id from main\.a$/);
    assert.deepEqual(warningList(index), ['models/b.sql:2 needs-dbt']);
    assert.match(index.warnings[0]!.message, /ASKDATA_TEST_UNSET_SECRET/);
  });

  it('is_incremental(), this, target.name/target.type: the branch a first dev run compiles', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: shop\nprofile: shop\n',
      'profiles.yml': 'shop:\n  target: dev\n  outputs:\n    dev:\n      type: bigquery\n      project: acme-analytics\n      dataset: dbt_dev\n',
      'models/events.sql': 'select 1 as id, current_timestamp() as at',
      'models/events_sample.sql': "select * from {{ ref('events') }} where rand() < 0.01",
      'models/b.sql': `{{ config(materialized='incremental') }}
select id, at from {% if target.name == 'prod' %}{{ ref('events') }}{% else %}{{ ref('events_sample') }}{% endif %}
{% if is_incremental() %}where at > (select max(at) from {{ this }}){% endif %}
{% if not is_incremental() %}where at > '2020-01-01'{% endif %}
{% if target.type == 'bigquery' %}and \`at\` is not null{% elif target.type == 'snowflake' %}and at is not null{% endif %}
and '{{ this.database }}.{{ this.schema }}.{{ this.identifier }}' != ''`,
    });
    assert.equal(rel(index, 'b').sql, "\nselect id, at from dbt_dev.events_sample\n\nwhere at > '2020-01-01'\nand `at` is not null\nand 'acme-analytics.dbt_dev.b' != ''");
    assert.deepEqual(rel(index, 'b').refs, ['events_sample']);
    assert.deepEqual(warningList(index), []);
  });

  it('without a profile in the repo, the adapter of the last dbt compile (target/manifest.json) is the dialect, else DuckDB\'s; a model the manifest lacks is read from its file, with a warning', async () => {
    const files = {
      'dbt_project.yml': 'name: shop\nprofile: shop\n',
      'models/a.sql': "select {% if target.type == 'snowflake' %}'sf'{% elif target.type == 'duckdb' %}'duck'{% else %}'other'{% endif %} as d",
    };
    const manifest = JSON.stringify({ metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json', dbt_version: '1.8.0', generated_at: '2026-11-30T10:00:00Z', invocation_id: 'x', env: { DBT_CLOUD_PROJECT_ID: '1' }, project_name: 'shop', adapter_type: 'snowflake' }, nodes: {}, sources: {} });
    // The manifest predates models/a.sql: the model is read from its file, in the manifest's dialect, and the index says the manifest is behind.
    const compiled = await writeTree({ ...files, 'target/manifest.json': manifest });
    const { index } = await indexTree(compiled);
    assert.match(rel(index, 'a').sql ?? '', /'sf' as d/);
    assert.deepEqual(warningList(index), ['models/a.sql:1 artifact']);
    assert.match(index.warnings[0]!.message, /not in target\/manifest\.json.*dbt compile/);
    assert.equal(await projectDialect(compiled, {}), 'snowflake');
    const never = await writeTree(files);
    assert.match(rel((await indexTree(never)).index, 'a').sql ?? '', /'duck' as d/);
    assert.equal(await projectDialect(never, {}), 'ansi');
  });

  it('Jinja comments holding {{ and %}, whitespace control, {% raw %}, Snowflake $$ strings and quoted identifiers, BigQuery backticks, unicode', async () => {
    const { index } = await indexFixture({
      ...base,
      'models/b.sql': `{#- an old version:
  select * from {{ ref('legacy_orders') }} {% if x %} #}
{#- {{ config(materialized='table') }} -#}
select
  "Order ID",
  $$ it's {{ "rendered" }} inside $$ as dollar_quoted,
  '{% raw %}{{ not jinja }}{% endraw %}' as raw_text,
  {%- if true %} größe, 'café ☕' as naïve {%- endif %}
from {{ ref('a') }}   {{- ' -- trailing' }}`,
    });
    assert.equal(rel(index, 'b').sql, `select
  "Order ID",
  $$ it's rendered inside $$ as dollar_quoted,
  '{{ not jinja }}' as raw_text, größe, 'café ☕' as naïve
from main.a -- trailing`);
    assert.deepEqual(rel(index, 'b').refs, ['a'], 'a ref inside a comment is not lineage');
    assert.equal(rel(index, 'b').materialized, undefined);
    assert.deepEqual(warningList(index), []);
  });

  it('Python idioms dbt accepts: % formatting, format filters, str methods, modules.re and modules.datetime, run_started_at', async () => {
    const { index } = await indexFixture({
      ...base,
      'models/b.sql': `{%- set parts = 'a.b.c'.split('.', 1) -%}
select '{{ "%s_%s" % ("x", 1) }}' as p1, '{{ "%05.1f|%-3s|%d%%" % (3.14159, "ab", 7) }}' as p2, '{{ "%s-%s" | format("y", 2) }}' as p3,
  '{{ parts | join("|") }}' as p4, '{{ "Ab".ljust(4, "*") }}{{ "x".rjust(3) }}' as p5, '{{ modules.re.sub("[^a-z0-9]+", "_", "Hello World!".lower()) }}' as p6,
  {{ modules.re.match("^v(\\\\d+)$", "v12") is not none }} as p7, '{{ modules.re.search("(\\\\d+)", "ab12cd").group(1) }}' as p8,
  {{ run_started_at.strftime("%Y") | int > 2000 }} as p9, {{ (modules.datetime.date(2024, 3, 1) - modules.datetime.timedelta(days=1)).strftime("%Y-%m-%d") == "2024-02-29" }} as p10,
  {{ modules.datetime.datetime.now().year >= 2024 }} as p11, "{{ [{'k': 'b'}, {'k': 'a'}, {'k': 'b'}] | groupby('k') | map('first') | list }}" as p12, "{{ [1, 2, 3, 4, 5] | slice(2) | list }}" as p13
from {{ ref('a') }}`,
    });
    assert.equal(rel(index, 'b').sql, `select 'x_1' as p1, '003.1|ab |7%' as p2, 'y-2' as p3,
  'a|b.c' as p4, 'Ab**  x' as p5, 'hello_world_' as p6,
  True as p7, '12' as p8,
  True as p9, True as p10,
  True as p11, "['a', 'b']" as p12, "[[1, 2, 3], [4, 5]]" as p13
from main.a`);
    assert.deepEqual(warningList(index), []);
  });

  it('{% with %} scopes, {%+ %} and chained comparisons', async () => {
    const { index } = await indexFixture({
      ...base,
      'models/b.sql': "{% with n = 3 %}select {{ n }} as n,{% endwith %} '{{ n is defined }}' as leaked, {{ 1 < 3 < 2 }} as c1, {{ 3 > 2 > 1 }} as c2\n{%+ if true +%}from {{ ref('a') }}{%+ endif %}",
    });
    assert.equal(rel(index, 'b').sql, "select 3 as n, 'False' as leaked, False as c1, True as c2\nfrom main.a");
    assert.deepEqual(warningList(index), []);
  });
});

describe('real-world dbt: descriptions as the model and the editor see them', function () {
  this.timeout(60_000);
  const DOCS = {
    'dbt_project.yml': 'name: shop\nprofile: shop\nvars:\n  company: Acme\n',
    // CRLF, several blocks per file, trimmed tags, markdown.
    'models/docs/overview.md': '{% docs orders %}\r\nEvery **order**, one row each.\r\n{% enddocs %}\r\n\r\n{%- docs order_status -%}\r\nOne of `placed`, `shipped`, `returned`.\r\n{%- enddocs -%}\r\n\r\n{% docs channel %}Web or store.{% enddocs %}\r\n{% docs raw_source %}Loaded by the shop\'s loader.{% enddocs %}{% docs events %}One row per event.{% enddocs %}\r\n',
    'seeds/docs.md': '{% docs countries %}ISO countries.{% enddocs %}\n{% docs event_kind %}click or view{% enddocs %}',
    'seeds/countries.csv': 'code,name\n',
    'dbt_packages/utils/dbt_project.yml': 'name: utils\n',
    'dbt_packages/utils/models/utils.md': '{% docs channel %}The package\'s own channel text.{% enddocs %}',
    'dbt_packages/utils/models/util_channels.sql': 'select 1 as channel',
    'dbt_packages/utils/models/utils.yml': 'version: 2\nmodels:\n  - name: util_channels\n    description: "{{ doc(\'utils\', \'channel\') }}"\n    columns:\n      - name: channel\n        description: "{{ doc(\'channel\') }}"\n',
    'models/orders.sql': 'select 1 as order_id, 2 as customer_id, 3 as status, 4 as amount, 5 as channel',
    'models/schema.yml': `version: 2
models:
  - name: orders
    description: '{{ doc("orders") }}'
    columns:
      - name: status
        description: >
          {{ doc('order_status') }}
      - name: amount
        description: "Amount in {{ var('currency', 'EUR') }} for {{ var('company') }}."
      - name: channel
        description: "{{ doc('channel') | trim }} (see the channel docs)"
      - name: customer_id
        description: "{{ doc('no_such_block') }}"
sources:
  - name: raw
    description: "{{ doc('raw_source') }}"
    tables:
      - name: events
        description: '{{ doc("events") }}'
        columns:
          - name: kind
            description: "{{ doc('event_kind') }}"
seeds:
  - name: countries
    description: "{{ doc('countries') }}"
`,
  };

  it('resolves doc() and other Jinja in every description: models, columns, sources, seeds, package models; the root block wins', async () => {
    const { index } = await indexFixture(DOCS);
    const col = (key: string, name: string) => rel(index, key).columns.find((c) => c.name === name)?.description;
    assert.equal(rel(index, 'orders').description, 'Every **order**, one row each.');
    assert.equal(col('orders', 'status'), 'One of `placed`, `shipped`, `returned`.');
    assert.equal(col('orders', 'amount'), 'Amount in EUR for Acme.');
    assert.equal(col('orders', 'channel'), 'Web or store. (see the channel docs)');
    assert.equal(col('orders', 'customer_id'), undefined);
    assert.equal(rel(index, 'raw.events').description, 'One row per event.');
    assert.equal(col('raw.events', 'kind'), 'click or view');
    assert.equal(rel(index, 'countries').description, 'ISO countries.');
    assert.equal(rel(index, 'util_channels').description, 'The package\'s own channel text.');
    // dbt looks a one-argument doc() up in the root project first.
    assert.equal(col('util_channels', 'channel'), 'Web or store.');
    for (const r of index.relations) for (const d of [r.description, ...r.columns.map((c) => c.description)]) assert.doesNotMatch(d ?? '', /\{\{|\{%|doc\(/);
    assert.deepEqual(warningList(index), ['models/schema.yml:3 doc-missing']);
  });

  it('askdata index and askdata context show the block text, with a ref override in place', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const root = await writeTree({
      ...DOCS,
      'dbt_project.yml': 'name: shop\nprofile: shop\nvars:\n  company: Acme\n',
      'profiles.yml': 'shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n',
      'macros/ref.sql': '{% macro ref(model_name) %}{% do return(builtins.ref(model_name).include(database=false)) %}{% endmacro %}',
      'models/customers.sql': 'select 2 as customer_id',
      'models/order_facts.sql': "select o.order_id, o.amount, c.customer_id from {{ ref('orders') }} o join {{ ref('customers') }} c on c.customer_id = o.customer_id",
    });
    const db = await DuckDBInstance.create(path.join(root, 'shop.duckdb'));
    const c = await db.connect();
    await c.run('create table orders as select 1 as order_id, 2 as customer_id, 3 as status, 4 as amount, 5 as channel; create table customers as select 2 as customer_id; create table order_facts as select 1 as order_id, 4 as amount, 2 as customer_id');
    c.closeSync();
    db.closeSync();
    const run = async (argv: string[]) => {
      let out = '';
      const code = await main(argv, (s) => (out += s), () => undefined);
      return { code, out };
    };
    const indexed = await run(['index', '--project', root, '--no-cache', '--json']);
    assert.equal(indexed.code, 0);
    const report = JSON.parse(indexed.out) as { refs: { resolved: number; unresolved: number }; warnings: Array<{ kind: string }> };
    assert.deepEqual(report.refs, { resolved: 2, unresolved: 0 });
    assert.deepEqual(report.warnings.map((w) => w.kind), ['doc-missing']);
    const context = await run(['context', '--project', root, '--json', 'What is the amount per order status and channel?']);
    assert.equal(context.code, 0);
    const { schema } = JSON.parse(context.out) as { schema: string };
    // The schema text drops a description's final full stop.
    assert.match(schema, /status INTEGER, -- One of `placed`, `shipped`, `returned`\n/);
    assert.match(schema, /amount INTEGER, -- Amount in EUR for Acme\n/);
    assert.match(schema, /channel INTEGER -- Web or store\. \(see the channel docs\)/);
    assert.doesNotMatch(schema, /\{\{|\{%|doc\(/);
    const grounding = buildAskContext({ projectRoot: root, pairs: [], relations: (await indexTree(root)).index.relations, joins: [], dialect: 'duckdb' }).ground('amount per order status');
    assert.doesNotMatch(grounding.schema, /\{\{|doc\(/);
  });
});

describe('real-world dbt: packages, dependencies and cross-project refs', function () {
  this.timeout(30_000);

  it('git packages with a subdirectory, an env_var token, local packages: installed under their project names, no false "not installed"', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: corp\nprofile: corp\n',
      'packages.yml': `packages:
  - package: dbt-labs/dbt_utils
    version: 1.1.1
  - git: "https://{{ env_var('DBT_ENV_SECRET_GIT_TOKEN') }}@gitlab.example.com/data/dbt-monorepo.git"
    revision: v2.3.0
    subdirectory: "packages/corp_macros"
  - git: "git@github.com:acme/analytics-helpers.git"
    revision: main
  - local: ../common/finance_models
`,
      'dbt_packages/dbt_utils/dbt_project.yml': 'name: dbt_utils\n',
      'dbt_packages/corp_macros/dbt_project.yml': 'name: corp_macros\n',
      'dbt_packages/corp_macros/macros/cents.sql': '{% macro cents(c) %}({{ c }} / 100.0){% endmacro %}',
      // A git package whose project name is not its repository's name: dbt installs it under the project's name.
      'dbt_packages/acme_helpers/dbt_project.yml': 'name: acme_helpers\n',
      'dbt_packages/finance_models/dbt_project.yml': 'name: finance_models\n',
      'dbt_packages/finance_models/models/fx_rates.sql': 'select 1 as rate',
      'models/m.sql': "select {{ corp_macros.cents('amount') }} as amount, rate from {{ ref('finance_models', 'fx_rates') }}",
    });
    assert.equal(rel(index, 'm').sql, 'select (amount / 100.0) as amount, rate from main.fx_rates');
    assert.deepEqual(warningList(index), []);
  });

  it('dependencies.yml projects (dbt Mesh): a cross-project ref is unresolved and said as such, not "no such model"', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: marketing\nprofile: marketing\n',
      'dependencies.yml': 'projects:\n  - name: core_platform\npackages:\n  - package: dbt-labs/dbt_utils\n    version: 1.1.1\n',
      'dbt_packages/dbt_utils/dbt_project.yml': 'name: dbt_utils\n',
      'models/campaigns.sql': "select c.* from {{ ref('core_platform', 'dim_customers') }} c join {{ ref('spend') }} s on s.customer_id = c.customer_id",
      'models/spend.sql': 'select 1 as customer_id',
    });
    assert.deepEqual(index.refs, { resolved: 1, unresolved: 1 });
    const w = index.warnings.filter((x) => x.file === 'models/campaigns.sql');
    assert.equal(w.length, 1);
    assert.match(w[0]!.message, /core_platform/);
    assert.match(w[0]!.message, /dependencies\.yml/);
    assert.doesNotMatch(w[0]!.message, /points at no model/);
  });
});

describe('real-world dbt: properties files as teams write them', function () {
  this.timeout(30_000);

  it('exposures, metrics, semantic models, analyses, singular tests and unit tests: no false warnings, semantic columns merged', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: shop\nprofile: shop\n',
      'models/orders.sql': 'select 1 as order_id, 2 as amount, current_date as ordered_at',
      'models/exposures.yml': "version: 2\nexposures:\n  - name: weekly_kpis\n    type: dashboard\n    owner: {name: BI, email: bi@example.com}\n    depends_on:\n      - ref('orders')\n",
      'models/semantic.yml': `semantic_models:
  - name: orders_sm
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - name: order
        type: primary
        expr: order_id
    measures:
      - name: revenue
        agg: sum
        expr: amount
        description: Gross revenue.
    dimensions:
      - name: ordered_at
        type: time
        type_params: {time_granularity: day}
metrics:
  - name: revenue
    label: Revenue
    type: simple
    type_params:
      measure: revenue
unit_tests:
  - name: orders_positive
    model: orders
    given: []
    expect: {rows: []}
`,
      'analyses/weekly.sql': "select date_trunc('week', ordered_at) as w, sum(amount) from {{ ref('orders') }} group by 1",
      'tests/assert_positive.sql': "select * from {{ ref('orders') }} where amount < 0",
      'tests/generic/is_even.sql': '{% test is_even(model, column_name) %}select * from {{ model }} where {{ column_name }} % 2 = 1{% endtest %}',
    });
    assert.equal(rel(index, 'orders').columns.find((c) => c.name === 'amount')?.description, 'Gross revenue.');
    assert.deepEqual(index.queries.find((q) => q.file === 'analyses/weekly.sql')?.relations, ['orders']);
    assert.equal(index.refs.unresolved, 0);
    assert.deepEqual(warningList(index), []);
  });

  it('a root source that overrides a package\'s source moves all its tables to the root\'s schema, and its table descriptions win', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': 'name: shop\nprofile: shop\nvars:\n  stripe_schema: raw_stripe_eu\n',
      'dbt_packages/stripe_source/dbt_project.yml': 'name: stripe_source\n',
      'dbt_packages/stripe_source/models/src_stripe.yml': 'version: 2\nsources:\n  - name: stripe\n    schema: stripe\n    tables:\n      - name: charge\n        description: Package text.\n      - name: refund\n        identifier: refunds\n        description: Refunds, as the package says.\n',
      'dbt_packages/stripe_source/models/stg_stripe__charge.sql': "select * from {{ source('stripe', 'charge') }}",
      // dbt's overrides: database, schema and descriptions (not identifiers); tables need not be listed.
      'models/src_stripe_override.yml': "version: 2\nsources:\n  - name: stripe\n    overrides: stripe_source\n    schema: \"{{ var('stripe_schema') }}\"\n    tables:\n      - name: charge\n        description: EU charges, loaded hourly.\n",
    });
    assert.equal(rel(index, 'stripe.charge').relation, 'raw_stripe_eu.charge');
    assert.equal(rel(index, 'stripe.charge').description, 'EU charges, loaded hourly.');
    assert.equal(rel(index, 'stripe.refund').relation, 'raw_stripe_eu.refunds');
    assert.equal(rel(index, 'stripe.refund').description, 'Refunds, as the package says.');
    assert.equal(rel(index, 'stg_stripe__charge').sql, 'select * from raw_stripe_eu.charge');
    assert.deepEqual(warningList(index), []);
  });

  it('tabs in YAML, a BOM, CRLF and a duplicate key: one precise warning each where it is wrong, every other file kept', async () => {
    const { index } = await indexFixture({
      'dbt_project.yml': '\uFEFFname: shop\r\nprofile: shop\r\nmodels:\r\n  shop:\r\n    +materialized: table\r\n',
      'models/a.sql': '\uFEFFselect 1 as id\r\n',
      'models/b.sql': "select id from {{ ref('a') }}\r\n",
      'models/good.yml': '\uFEFFversion: 2\r\nmodels:\r\n  - name: a\r\n    description: "A, documented."\r\n    columns:\r\n      - name: id\r\n        description: The id.\r\n',
      // A tab before a key is not YAML: dbt refuses the file, and so is it said.
      'models/tabs.yml': 'version: 2\nmodels:\n  - name: b\n\tdescription: tabbed\n',
      'models/dupes.yml': 'version: 2\nmodels:\n  - name: b\n    description: first\n    description: "B, second."\n',
    });
    assert.equal(rel(index, 'a').materialized, 'table');
    assert.equal(rel(index, 'a').description, 'A, documented.');
    assert.equal(rel(index, 'a').columns.find((c) => c.name === 'id')?.description, 'The id.');
    assert.equal(rel(index, 'b').description, 'B, second.');
    assert.equal(rel(index, 'b').sql?.trim(), 'select id from main.a');
    assert.deepEqual(warningList(index), ['models/dupes.yml:5 duplicate-key', 'models/tabs.yml:4 invalid-yaml']);
  });
});

describe('real-world dbt: bad input gets a clear warning and loses nothing else', function () {
  this.timeout(60_000);
  const base = { 'dbt_project.yml': 'name: shop\nprofile: shop\n', 'models/a.sql': 'select 1 as id' };

  it('Jinja the renderer lacks is said on its line as a limit of Ask Data, and the rest of the file still renders', async () => {
    const { index } = await indexFixture({ ...base, 'models/b.sql': "select id\nfrom {{ ref('a') }}\nwhere x = '{{ 'a b' | urlencode }}'" });
    assert.deepEqual(rel(index, 'b').refs, ['a']);
    assert.match(rel(index, 'b').sql!, /^select id\nfrom main\.a\nwhere x = '\/\* .* \*\/'$/);
    assert.deepEqual(warningList(index), ['models/b.sql:3 unsupported']);
    assert.match(index.warnings[0]!.message, /urlencode/);
  });

  it('a macro that recurses forever, or fans out past any budget, stops with a warning; other files are untouched', async () => {
    const { index } = await indexFixture({
      ...base,
      'macros/bad.sql': '{% macro forever(n) %}{{ forever(n + 1) }}{% endmacro %}\n{% macro fan(n) %}{% if n > 0 %}{{ fan(n - 1) }}{{ fan(n - 1) }}{% endif %}x{% endmacro %}',
      'models/b.sql': "select '{{ forever(0) }}' as f, id from {{ ref('a') }}",
      'models/c.sql': "select '{{ fan(40) }}' as f, id from {{ ref('a') }}",
      'models/d.sql': "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}select '{{ 'x' * 1000000000 }}' as s, id from {{ ref('a') }}",
      'models/e.sql': "select id from {{ ref('a') }}",
    });
    for (const key of ['b', 'c', 'd', 'e']) assert.deepEqual(rel(index, key).refs, ['a'], key);
    assert.equal(rel(index, 'e').sql, 'select id from main.a');
    const files = new Set(index.warnings.map((w) => w.file));
    assert.deepEqual([...files].sort(), ['models/b.sql', 'models/c.sql', 'models/d.sql']);
    assert.ok((rel(index, 'c').sql ?? '').length < 2_000_000);
    assert.ok((rel(index, 'd').sql ?? '').length < 2_000_000);
  });

  it('a model over the size limit, a binary one and one that is not UTF-8 are said — and stay models that refs resolve to', async () => {
    const huge = `select id,\n  case id\n${Array.from({ length: 60_000 }, (_, i) => `    when ${i} then 'label number ${i}'`).join('\n')}\n  end as label\nfrom {{ ref('a') }}`;
    assert.ok(huge.length > 2 * 1024 * 1024);
    const big = `select id,\n  case id\n${Array.from({ length: 40_000 }, (_, i) => `    when ${i} then '${i}'`).join('\n')}\n  end as label\nfrom {{ ref('a') }}`;
    assert.ok(big.length > 800_000 && big.length < 2 * 1024 * 1024);
    const { index } = await indexFixture({
      ...base,
      'models/huge.sql': huge,
      'models/big.sql': big,
      'models/blob.sql': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]),
      'models/latin.sql': Buffer.from('select 1 as id -- pr\xe9nom\n', 'latin1'),
      'seeds/people.csv': Buffer.from('id,pr\xe9nom\n1,Ren\xe9\n', 'latin1'),
      'seeds/packed.csv': Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x0a, 0x00]),
      'models/uses.sql': "select * from {{ ref('huge') }} join {{ ref('blob') }} using (id) join {{ ref('latin') }} using (id) join {{ ref('people') }} using (id) join {{ ref('packed') }} using (id)",
    });
    assert.deepEqual(rel(index, 'big').refs, ['a']);
    assert.equal(jinjaLeft(rel(index, 'big').sql), 0);
    assert.deepEqual(rel(index, 'uses').refs, ['huge', 'blob', 'latin', 'people', 'packed']);
    assert.deepEqual(index.refs.unresolved, 0);
    assert.deepEqual(warningList(index), ['models/blob.sql:1 unreadable', 'models/huge.sql:1 unreadable', 'models/latin.sql:1 unreadable', 'seeds/packed.csv:1 unreadable', 'seeds/people.csv:1 unreadable']);
    for (const w of index.warnings) assert.match(w.message, /MB|binary|UTF-8/);
  });

  it('a symbolic link loop is said once and nothing is indexed twice; a linked package folder is followed', async () => {
    const root = await writeTree({
      ...base,
      'models/b.sql': "select * from {{ ref('a') }} join {{ ref('shared_days') }} using (id)",
      '../askdata-shared-pkg/dbt_project.yml': 'name: shared\n',
      '../askdata-shared-pkg/models/shared_days.sql': 'select 1 as id',
    });
    await fs.symlink('..', path.join(root, 'models', 'loop'));
    await fs.mkdir(path.join(root, 'dbt_packages'));
    await fs.symlink(path.join(root, '..', 'askdata-shared-pkg'), path.join(root, 'dbt_packages', 'shared'));
    const { index } = await indexTree(root);
    assert.deepEqual(index.relations.map((r) => r.key), ['a', 'b', 'shared_days']);
    assert.deepEqual(rel(index, 'b').refs, ['a', 'shared_days']);
    assert.deepEqual(warningList(index), ['models/loop:1 unreadable']);
  });

  it('a folder or a file that cannot be read is said, and every other file is indexed', async function () {
    const root = await writeTree({ ...base, 'models/locked/secret.sql': 'select 2 as id', 'models/closed.sql': 'select 3 as id', 'models/b.sql': "select * from {{ ref('a') }}" });
    await fs.chmod(path.join(root, 'models', 'locked'), 0o000);
    await fs.chmod(path.join(root, 'models', 'closed.sql'), 0o000);
    let warnings: string[];
    let keys: string[];
    if (process.getuid?.() === 0) {
      // root reads anything: index as an unprivileged user in a child process, with the same code.
      const { execFile } = await import('node:child_process');
      await fs.chmod(root, 0o755);
      const script = `const { WorkspaceFiles } = require(${JSON.stringify(path.resolve(__dirname, '../../src/adapters/workspaceFiles.ts'))});
(async () => { const s = new WorkspaceFiles(process.argv[1]); await s.scan(); const ix = s.indexer.build();
process.stdout.write(JSON.stringify({ warnings: ix.warnings.map((w) => w.file + ':' + w.line + ' ' + w.kind).sort(), keys: ix.relations.map((r) => r.key) })); })();`;
      const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, ['--import', 'tsx', '-e', script, root], { uid: 65534, gid: 65534, cwd: path.resolve(__dirname, '../..'), env: { ...process.env, HOME: '/tmp' } }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout))));
      ({ warnings, keys } = JSON.parse(out) as { warnings: string[]; keys: string[] });
    } else {
      const { index } = await indexTree(root);
      warnings = warningList(index);
      keys = index.relations.map((r) => r.key);
    }
    await fs.chmod(path.join(root, 'models', 'locked'), 0o755);
    assert.deepEqual(warnings, ['models/closed.sql:1 unreadable', 'models/locked:1 unreadable']);
    assert.deepEqual(keys, ['a', 'b', 'closed']);
  });

  it('malformed YAML, a macro file that does not parse and a broken dbt_project.yml are each said; the other project indexes in full', async () => {
    const { index } = await indexFixture({
      ...base,
      'models/props.yml': 'version: 2\nmodels:\n  - name: a\n    description: "unterminated\n  - name: b\n',
      'macros/broken.sql': '{% macro good() %}1{% endmacro %}\n{% macro bad(x %}{{ x }}{% endmacro %}',
      'models/b.sql': "select {{ good() }} as g, id from {{ ref('a') }}",
      'packages.yml': 'packages:\n  - package: [unclosed\n',
      'other/dbt_project.yml': 'name: other\nmodels: [\n',
      'other/models/x.sql': "select * from {{ ref('y') }}",
    });
    assert.equal(rel(index, 'b').sql, 'select 1 as g, id from main.a');
    assert.deepEqual(warningList(index), ['macros/broken.sql:2 jinja-syntax', 'models/props.yml:4 invalid-yaml', 'other/dbt_project.yml:2 invalid-project', 'packages.yml:2 invalid-yaml']);
  });

  it('never writes to a file of the workspace, whatever it holds', async () => {
    const root = await writeTree({
      ...base,
      'models/b.sql': "{{ config(post_hook='delete from x') }}select * from {{ ref('a') }}",
      'models/bad.yml': 'models: [\n',
      'models/huge.sql': 'x'.repeat(3 * 1024 * 1024),
      'dbt_packages/p/dbt_project.yml': 'name: p\n',
      'target/manifest.json': '{not json',
    });
    const snapshot = async () => {
      const out: Record<string, string> = {};
      const walk = async (dir: string): Promise<void> => {
        for (const e of await fs.readdir(dir, { withFileTypes: true })) {
          const full = path.join(dir, e.name);
          if (e.isDirectory()) await walk(full);
          else {
            const st = await fs.stat(full);
            out[path.relative(root, full)] = `${st.mtimeMs}:${st.size}:${createHash('sha1').update(await fs.readFile(full)).digest('hex')}`;
          }
        }
      };
      await walk(root);
      return out;
    };
    const before = await snapshot();
    const cacheFile = path.join(await writeTree({}), 'index.cache');
    await indexFolder(root, undefined, { cacheFile });
    await indexFolder(root, undefined, { cacheFile });
    assert.deepEqual(await snapshot(), before);
  });
});

describe('real-world dbt: an edit, or a warm start, gives what a fresh index gives', function () {
  this.timeout(60_000);

  it('on a company-style project (override, versions, naming, properties config, snapshots, seeds, an unreadable model)', async () => {
    const root = await writeTree({
      ...overrideProject(`{% macro ref() %}{{ return(builtins.ref(*varargs, **kwargs).include(database=false)) }}{% endmacro %}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ node.fqn[1] if node.fqn | length > 2 else target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}`, { 'models/marts/orders.sql': ORDERS_TWO_ARG, ...VERSIONED }),
      'models/marts/_props.yml': 'version: 2\nmodels:\n  - name: orders\n    config:\n      alias: all_orders\n      tags: [finance]\n',
      'snapshots/history.sql': "{% snapshot orders_history %}{{ config(target_schema='snapshots', unique_key='order_id', strategy='check', check_cols='all') }}select * from {{ ref('orders') }}{% endsnapshot %}",
      'seeds/countries.csv': 'code,name\n',
      'models/marts/wide.sql': `select 1 as id -- ${'x'.repeat(2 * 1024 * 1024)}`,
      'models/marts/uses.sql': "select * from {{ ref('wide') }} join {{ ref('orders_history') }} using (order_id) join {{ ref('countries') }} on true",
    });
    const cacheFile = path.join(await writeTree({}), 'index.cache');
    const fresh = async () => (await indexTree(root)).index;
    const live = new WorkspaceFiles(root);
    await live.scan();
    await indexFolder(root, undefined, { cacheFile });
    const warm = await indexFolder(root, undefined, { cacheFile });
    assert.equal(warm.cache.used, true);
    assert.deepEqual(warm.files.indexer.build(), await fresh());
    const before = live.indexer.build();
    assert.equal(rel(before, 'orders').relation, 'marts.all_orders');
    assert.deepEqual(rel(before, 'uses').refs, ['wide', 'orders_history', 'countries']);
    for (const file of ['models/marts/orders.sql', 'models/marts/dim_customers_v1.sql', 'models/marts/customer_report.sql', 'snapshots/history.sql', 'models/marts/uses.sql']) {
      await fs.appendFile(path.join(root, file), '\n-- edited\n');
      await live.refresh(path.join(root, file));
      assert.deepEqual(live.indexer.build(), await fresh(), `after editing ${file}`);
    }
    const afterEdits = await indexFolder(root, undefined, { cacheFile });
    assert.deepEqual(afterEdits.files.indexer.build(), await fresh());
  });
});
