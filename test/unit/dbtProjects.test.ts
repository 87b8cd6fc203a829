import { strict as assert } from 'node:assert';
import { parseExpr, evaluate } from '../../src/core/dbt/jinjaExpr';
import { toText } from '../../src/core/dbt/jinjaValues';
import type { WorkspaceIndex } from '../../src/core/index/workspaceIndex';
import { buildAskContext } from '../../src/core/answer/askContext';
import { indexFixture, jinjaLeft, relationOf } from '../support/dbtFixture';

/**
 * What real dbt projects write, each construct in a small project made here, judged by content:
 * the refs the index resolves against the models the fixture defines, the SQL it renders, and
 * each warning's file, line and kind.
 */
async function indexOf(files: Record<string, string>): Promise<WorkspaceIndex> {
  return (await indexFixture(files)).index;
}

const rel = relationOf;
const warnings = (index: WorkspaceIndex) => index.warnings.map((w) => `${w.file}:${w.line} ${w.kind}`);

const project = (name: string, extra = '') => `name: ${name}\nprofile: ${name}\n${extra}`;

describe('dbt projects as teams write them', function () {
  this.timeout(30_000);

  it('resolves refs through a project macro that overrides ref with builtins.ref (positional and varargs forms)', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      // A company-style override: route every ref through builtins.ref, with kwargs for versions.
      'macros/overrides/ref.sql': `{% macro ref() %}
  {%- set version = kwargs.get('version') or kwargs.get('v') -%}
  {%- if varargs | length == 1 -%}{%- set rel = builtins.ref(varargs[0], version=version) -%}
  {%- else -%}{%- set rel = builtins.ref(varargs[0], varargs[1], version=version) -%}{%- endif -%}
  {%- if rel.database == target.database -%}{% do return(rel.include(database=false)) %}{%- endif -%}
  {% do return(rel) %}
{% endmacro %}`,
      'models/stg_orders.sql': 'select 1 as order_id, 2 as customer_id',
      'models/stg_customers.sql': 'select 2 as customer_id',
      'models/orders.sql': "select o.order_id, c.customer_id\nfrom {{ ref('stg_orders') }} o\njoin {{ ref('shop', 'stg_customers') }} c on c.customer_id = o.customer_id",
    });
    assert.deepEqual(index.refs, { resolved: 2, unresolved: 0 });
    assert.deepEqual(rel(index, 'orders').refs?.sort(), ['stg_customers', 'stg_orders']);
    assert.match(rel(index, 'orders').sql!, /from main\.stg_orders o\s+join main\.stg_customers c/);
    assert.ok(index.joins.some((j) => j.left === 'stg_customers' && j.right === 'stg_orders' && j.leftColumn === 'customer_id'));
    assert.deepEqual(warnings(index), []);
  });

  it('resolves refs through the one-argument override form, with a macro of its own in between', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('corp'),
      'macros/ref.sql': `{% macro ref(model_name) %}{{ return(route(builtins.ref(model_name))) }}{% endmacro %}
{% macro route(rel) %}{% if target.name == 'ci' %}{{ return(rel.identifier) }}{% endif %}{{ return(rel) }}{% endmacro %}`,
      'models/a.sql': 'select 1 as id',
      'models/b.sql': "select * from {{ ref('a') }} join {{ ref('missing_one') }} using (id)",
    });
    assert.deepEqual(index.refs, { resolved: 1, unresolved: 1 });
    assert.deepEqual(rel(index, 'b').refs, ['a']);
    assert.deepEqual(warnings(index), ['models/b.sql:1 unresolved-ref']);
  });

  it('a project macro overriding source with builtins.source keeps sources resolved', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'macros/source.sql': "{% macro source(source_name, table_name) %}{{ return(builtins.source(source_name, table_name)) }}{% endmacro %}",
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    schema: landing\n    tables:\n      - name: events\n',
      'models/events.sql': "select * from {{ source('raw', 'events') }}",
    });
    assert.match(rel(index, 'events').sql!, /from landing\.events/);
    assert.deepEqual(warnings(index), []);
  });

  it('reads a tag to its real end when a string inside it holds }} or %}', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'models/a.sql': 'select 1 as id',
      'models/b.sql': `{{ config(materialized='table', post_hook="grant select on {{ this }} to role reporter", tags=['a %} b']) }}
select id from {{ ref('a') }}`,
    });
    const b = rel(index, 'b');
    assert.equal(b.materialized, 'table');
    assert.deepEqual(b.tags, ['a %} b']);
    assert.equal(b.sql!.trim(), 'select id from main.a');
    assert.deepEqual(warnings(index), []);
  });

  it('gives a package the vars scoped to it, and renders vars whose value is Jinja', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('app', `vars:\n  region: EU\n  tracker:\n    project_table: "{{ ref('stg_tracker__project') }}"\n    tracker_schema: raw_tracker\n`),
      'dbt_packages/tracker/dbt_project.yml': project('tracker', 'vars:\n  tracker_schema: tracker\n  lookback: 3\n'),
      'dbt_packages/tracker/models/stg_tracker__project.sql': "select 1 as project_id, '{{ var('tracker_schema') }}' as schema_name, {{ var('lookback') }} as lookback",
      'dbt_packages/tracker/models/tracker__projects.sql': "select * from {{ var('project_table') }} where '{{ var('region') }}' = 'EU'",
    });
    const projects = rel(index, 'tracker__projects');
    assert.deepEqual(projects.refs, ['stg_tracker__project']);
    assert.match(projects.sql!, /from main\.stg_tracker__project where 'EU' = 'EU'/);
    // The root's scoped value wins over the package's own; the package's own default still applies.
    assert.match(rel(index, 'stg_tracker__project').sql!, /'raw_tracker' as schema_name, 3 as lookback/);
    assert.deepEqual(warnings(index), []);
  });

  it('adapter.dispatch calls the <adapter>__ implementation, then default__, in the dispatch search order', async () => {
    const files = (type: string) => ({
      'dbt_project.yml': project('shop', 'dispatch:\n  - macro_namespace: utils\n    search_order: [shop, utils]\n'),
      'profiles.yml': `shop:\n  target: dev\n  outputs:\n    dev:\n      type: ${type}\n      schema: analytics\n`,
      'dbt_packages/utils/dbt_project.yml': project('utils'),
      'dbt_packages/utils/macros/age.sql': `{% macro age(col) %}{{ return(adapter.dispatch('age', 'utils')(col)) }}{% endmacro %}
{% macro default__age(col) %}date_diff('day', {{ col }}, current_date){% endmacro %}
{% macro snowflake__age(col) %}datediff(day, {{ col }}, current_date()){% endmacro %}
{% macro bigquery__age(col) %}utils_bigquery_age({{ col }}){% endmacro %}`,
      // The project's own override, found first by its search order.
      'macros/bq.sql': '{% macro bigquery__age(col) %}date_diff(current_date(), {{ col }}, day){% endmacro %}',
      'models/m.sql': "select {{ utils.age('signed_up_at') }} as age_days, {{ dbt.dateadd('day', 7, 'signed_up_at') }} as week_later, cast(x as {{ dbt.type_string() }}) as s from t",
    });
    const duck = await indexOf(files('duckdb'));
    assert.match(rel(duck, 'm').sql!, /select date_diff\('day', signed_up_at, current_date\) as age_days, \(signed_up_at \+ interval \(7\) day\) as week_later, cast\(x as varchar\)/);
    const snow = await indexOf(files('snowflake'));
    assert.match(rel(snow, 'm').sql!, /select datediff\(day, signed_up_at, current_date\(\)\) as age_days, dateadd\(day, 7, signed_up_at\) as week_later, cast\(x as varchar\)/);
    assert.equal(rel(snow, 'm').relation, 'analytics.m');
    const bq = await indexOf(files('bigquery'));
    assert.match(rel(bq, 'm').sql!, /select date_diff\(current_date\(\), signed_up_at, day\) as age_days/);
    assert.match(rel(bq, 'm').sql!, /cast\(x as string\)/);
    for (const i of [duck, snow, bq]) assert.deepEqual(warnings(i), []);
  });

  it('names relations with the project\'s own generate_schema_name and generate_alias_name, as dbt builds them', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('corp', 'models:\n  corp:\n    finance:\n      +schema: finance\n'),
      'profiles.yml': 'corp:\n  target: dev\n  outputs:\n    dev:\n      type: snowflake\n      schema: dbt_maya\n      database: analytics\n',
      'macros/naming.sql': `{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
  {%- if custom_alias_name -%}{{ custom_alias_name | trim }}{%- else -%}{{ node.name | upper }}{%- endif -%}
{%- endmacro %}`,
      'models/finance/revenue.sql': "{{ config(alias='rev') }}\nselect * from {{ ref('orders') }}",
      'models/orders.sql': 'select 1 as order_id',
    });
    assert.equal(rel(index, 'revenue').relation, 'finance.rev');
    assert.equal(rel(index, 'orders').relation, 'dbt_maya.ORDERS');
    assert.match(rel(index, 'revenue').sql!, /from dbt_maya\.ORDERS/);
    assert.deepEqual(warnings(index), []);
  });

  it('renders what company projects write around a model: sql headers, incremental guards, env vars with defaults, hooks', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('corp', 'models:\n  corp:\n    +post-hook: "grant select on {{ this }} to role reporter"\n'),
      'profiles.yml': 'corp:\n  target: dev\n  outputs:\n    dev:\n      type: snowflake\n      schema: dbt_maya\n      database: analytics\n',
      'models/events.sql': 'select 1 as event_id, current_timestamp as loaded_at',
      'models/daily.sql': `{{ config(materialized='incremental', unique_key='day', on_schema_change='sync_all_columns') }}
{% call set_sql_header(config) %}alter session set timezone = 'UTC';{% endcall %}
{% set lookback = env_var('DBT_LOOKBACK_DAYS', '3') | int %}
select date_trunc('day', loaded_at) as day, count(*) as events
from {{ ref('events') }}
{% if is_incremental() %}where loaded_at > (select max(day) from {{ this }}) - {{ lookback }}{% endif %}
where '{{ target.database }}' = 'analytics' and {{ adapter.quote('day') }} is not null
group by 1`,
    });
    const daily = rel(index, 'daily');
    assert.equal(daily.materialized, 'incremental');
    assert.deepEqual(daily.refs, ['events']);
    assert.match(daily.sql!, /from dbt_maya\.events\s+where 'analytics' = 'analytics' and "day" is not null/);
    assert.doesNotMatch(daily.sql!, /alter session|max\(day\)/);
    assert.deepEqual(warnings(index), []);
  });

  it('evaluates what the expression parser used to misread', () => {
    const scope = (vars: Record<string, unknown>) => (name: string) => (vars[name] ?? null) as never;
    const value = (src: string, vars: Record<string, unknown> = {}) => toText(evaluate(parseExpr(src), scope(vars)));
    assert.equal(value(`a ~ "-" ~ b`, { a: 'x', b: 'y' }), 'x-y');
    assert.equal(value(`"not" ~ ")"`), 'not)');
    assert.equal(value(`'-' in s`, { s: 'a-b' }), 'True');
    assert.equal(value('s[0:3] ~ s[:2] ~ s[4:] ~ s[-1]', { s: 'abcdef' }), 'abcabeff');
    assert.equal(value('xs[1:]|join(",")', { xs: ['a', 'b', 'c'] }), 'b,c');
    assert.equal(value('x is not none and x|length > 2', { x: 'abc' }), 'True');
    // Jinja binds ~ tighter than + and looser than *.
    assert.equal(value('(1 + 2 * 3) ~ "!"'), '7!');
    assert.equal(value('2 * 3 ~ "!"'), '6!');
    assert.equal(value("'{}.{}'.format(a, b)", { a: 'db', b: 't' }), 'db.t');
  });

  it('renders *varargs, **kwargs, return(), do, namespace, this.schema and config.set in macros and models', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'macros/helpers.sql': `{% macro cols(prefix) %}{% set out = [] %}{% for c in varargs %}{% do out.append(prefix ~ c) %}{% endfor %}{{ return(out) }}{% endmacro %}
{% macro pass(a, b=2) %}{{ return(a ~ ':' ~ b ~ ':' ~ (kwargs | length)) }}{% endmacro %}
{% macro forward() %}{{ return(pass(*varargs, **kwargs)) }}{% endmacro %}`,
      'models/m.sql': `{% set ns = namespace(n=0, names=[]) %}
{% for c in cols('x_', 'a', 'b') %}{% set ns.n = ns.n + 1 %}{% do ns.names.append(c) %}{% endfor %}
{% do config.set('materialized', 'view') %}
select {{ ns.names | join(', ') }}, {{ ns.n }} as n, '{{ forward(1, b=5) }}' as p, '{{ this.schema }}.{{ this.identifier }}' as me from t`,
    });
    const m = rel(index, 'm');
    assert.match(m.sql!, /select x_a, x_b, 2 as n, '1:5:0' as p, 'main\.m' as me from t/);
    assert.equal(m.materialized, 'view');
    assert.deepEqual(warnings(index), []);
  });

  it('drops disabled models as dbt does, without warning about their refs or their properties', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop', 'vars:\n  use_returns: false\nmodels:\n  shop:\n    legacy:\n      +enabled: false\n'),
      'models/orders.sql': 'select 1 as id',
      'models/returns.sql': "{{ config(enabled=var('use_returns', true)) }}\nselect * from {{ ref('returns_tmp') }}",
      'models/off.sql': "{{ config(enabled=false) }}\nselect * from {{ ref('nowhere') }}",
      'models/legacy/old.sql': "select * from {{ ref('gone') }}",
      'models/by_docs.sql': "select * from {{ ref('also_gone') }}",
      'models/props.yml': 'version: 2\nmodels:\n  - name: returns\n    description: Returns.\n  - name: off\n  - name: old\n  - name: by_docs\n    config:\n      enabled: false\n  - name: orders\n    description: Orders.\n',
    });
    assert.deepEqual(index.relations.map((r) => r.key), ['orders']);
    assert.deepEqual(index.refs, { resolved: 0, unresolved: 0 });
    assert.deepEqual(warnings(index), []);
  });

  it('does not index a package\'s integration_tests project', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'models/a.sql': "select {{ utils.one() }} as x",
      'dbt_packages/utils/dbt_project.yml': project('utils'),
      'dbt_packages/utils/macros/one.sql': '{% macro one() %}1{% endmacro %}',
      'dbt_packages/utils/integration_tests/dbt_project.yml': project('utils_integration_tests'),
      'dbt_packages/utils/integration_tests/models/test_one.sql': "select * from {{ ref('data_one') }}",
      'dbt_packages/utils/integration_tests/models/schema.yml': 'version: 2\nmodels:\n  - name: test_missing\n',
    });
    assert.deepEqual(index.relations.map((r) => r.key), ['a']);
    assert.deepEqual(index.projects.map((p) => p.name), ['shop', 'utils']);
    assert.match(rel(index, 'a').sql!, /select 1 as x/);
    assert.deepEqual(warnings(index), []);
  });

  it('resolves doc() in descriptions from .md docs blocks of the project and its packages', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'models/docs.md': '{% docs order_status %}\nOne of placed, shipped, returned.\n{% enddocs %}\n\n{% docs orders %}Every order, one row each.{% enddocs %}',
      'dbt_packages/utils/dbt_project.yml': project('utils'),
      'dbt_packages/utils/models/shared.md': '{% docs id_column %}The surrogate key.{% enddocs %}',
      'models/orders.sql': 'select 1 as order_id, 1 as status',
      'models/orders.yml': `version: 2
models:
  - name: orders
    description: '{{ doc("orders") }}'
    columns:
      - name: status
        description: "Status: {{ doc('order_status') }}"
      - name: order_id
        description: "{{ doc('utils', 'id_column') }}"
      - name: missing
        description: "{{ doc('nowhere') }}"
`,
    });
    const orders = rel(index, 'orders');
    assert.equal(orders.description, 'Every order, one row each.');
    const col = (n: string) => orders.columns.find((c) => c.name === n);
    assert.equal(col('status')?.description, 'Status: One of placed, shipped, returned.');
    assert.equal(col('order_id')?.description, 'The surrogate key.');
    assert.equal(col('missing')?.description, undefined);
    assert.deepEqual(warnings(index), ['models/orders.yml:3 doc-missing']);
    assert.match(index.warnings[0]!.message, /doc\('nowhere'\) names no docs block/);
    for (const r of index.relations) for (const c of [r.description, ...r.columns.map((x) => x.description)]) assert.doesNotMatch(c ?? '', /\{\{\s*doc\(/);
  });

  it('gives the model\'s prompt the docs block text, not the doc() call', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'models/docs.md': '{% docs refund_reason %}Why the customer sent it back: damaged, late or unwanted.{% enddocs %}',
      'models/refunds.sql': 'select 1 as refund_id, 2 as reason',
      'models/refunds.yml': 'version: 2\nmodels:\n  - name: refunds\n    description: Refunds issued.\n    columns:\n      - name: reason\n        description: \'{{ doc("refund_reason") }}\'\n',
    });
    const context = buildAskContext({ projectRoot: '/p', pairs: [], relations: index.relations, joins: index.joins, dialect: 'duckdb' });
    const grounding = context.ground('Why are refunds sent back? reason per refund');
    assert.match(grounding.schema, /damaged, late or unwanted/);
    assert.doesNotMatch(grounding.schema, /doc\(/);
  });

  it('warns about a duplicate YAML key on its line and keeps the file, the last value winning', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop', 'vars:\n  start: 2020\n  start: 2024\n'),
      'models/a.sql': "select {{ var('start') }} as y",
      'models/b.sql': 'select 1 as id',
      'models/props.yml': 'version: 2\nmodels:\n  - name: a\n    description: First.\nmodels:\n  - name: b\n    description: Second.\n    description: Third.\n',
    });
    assert.equal(rel(index, 'b').description, 'Third.');
    assert.equal(rel(index, 'a').description, undefined, 'the first models: list is dropped, as dbt drops it');
    assert.match(rel(index, 'a').sql!, /select 2024 as y/);
    assert.deepEqual(warnings(index).sort(), ['dbt_project.yml:5 duplicate-key', 'models/props.yml:5 duplicate-key', 'models/props.yml:8 duplicate-key']);
    assert.match(index.warnings.find((w) => w.file === 'models/props.yml' && w.line === 5)!.message, /key models: appears again \(first on line 2\)/);
  });

  it('says once that a package packages.yml lists is not installed, and counts the calls into it as unresolved', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'packages.yml': 'packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.1.1\n  - git: "https://github.com/example/dbt-extras.git"\n',
      'dbt_packages/dbt_extras/dbt_project.yml': project('dbt_extras'),
      'models/a.sql': "select {{ dbt_utils.generate_surrogate_key(['id']) }} as sk, id from t",
      'models/b.sql': "select {{ dbt_utils.star(ref('a')) }} from {{ ref('a') }}",
    });
    assert.deepEqual(index.warnings.map((w) => [w.file, w.line, w.message]), [['packages.yml', 2, 'packages.yml lists dbt_utils, which is not installed: run `dbt deps` (until then, refs and macro calls into it are left unresolved)']]);
    assert.equal(index.unrendered, 2);
    assert.deepEqual(rel(index, 'b').refs, ['a'], 'a ref inside the call still counts as lineage');
  });

  it('leaves a loop over a list only the database knows out of the SQL, with a counted warning on the model line', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'macros/methods.sql': "{% macro methods() %}{% set r = run_query('select distinct method from payments') %}{{ return(r.columns[0].values()) }}{% endmacro %}",
      'models/pivot.sql': "select\n  order_id,\n  {% for m in methods() %}sum(case when method = '{{ m }}' then amount end) as {{ m|lower }}_amount,{% endfor %}\n  sum(amount) as total\nfrom payments group by 1",
    });
    const pivot = rel(index, 'pivot');
    assert.equal(jinjaLeft(pivot.sql), 0);
    assert.doesNotMatch(pivot.sql!, /_amount/);
    assert.deepEqual(warnings(index), ['models/pivot.sql:3 needs-dbt']);
    assert.match(index.warnings[0]!.message, /run_query\(\) is known only when dbt runs against the database/);
    assert.match(index.warnings[0]!.message, /dbt compile/);
    assert.equal(index.unrendered, 1);
  });

  it('warns with the model line about a macro nothing defines, leaving a counted, commented fragment', async () => {
    const index = await indexOf({
      'dbt_project.yml': project('shop'),
      'models/a.sql': "select\n  {{ cents_to_dollars('amount') }} as amount\nfrom t",
    });
    assert.deepEqual(warnings(index), ['models/a.sql:2 undefined-macro']);
    assert.match(index.warnings[0]!.message, /calls cents_to_dollars, which nothing in the project or its installed packages defines/);
    assert.equal(index.unrendered, 1);
  });
});
