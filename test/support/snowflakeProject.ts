import { tempDir, writeFiles } from './tempDir';

const MANIFEST = {
  metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json', project_name: 'acme' },
  nodes: {
    'model.acme.fct_orders': {
      resource_type: 'model', name: 'fct_orders', package_name: 'acme', original_file_path: 'models/fct_orders.sql', relation_name: 'ANALYTICS.MARTS.FCT_ORDERS',
      schema: 'MARTS', alias: 'fct_orders', raw_code: "select order_id, customer_id, order_total, ordered_at from {{ ref('stg_orders') }}",
      compiled_code: 'select order_id, customer_id, order_total, ordered_at from ANALYTICS.STAGING.STG_ORDERS', description: 'One row per order placed in the web shop.',
      columns: { order_total: { name: 'order_total', description: 'What the customer paid, in EUR, after discounts.' } },
      depends_on: { nodes: ['model.acme.stg_orders'] }, config: { materialized: 'table', tags: [], enabled: true },
    },
    'model.acme.dim_customers': {
      resource_type: 'model', name: 'dim_customers', package_name: 'acme', original_file_path: 'models/dim_customers.sql', relation_name: 'ANALYTICS.MARTS.DIM_CUSTOMERS',
      schema: 'MARTS', alias: 'dim_customers', raw_code: 'select 1', compiled_code: 'select customer_id, customer_name, region from ANALYTICS.STAGING.STG_CUSTOMERS',
      description: 'Customers with their sales region.', columns: { region: { name: 'region', description: 'Sales region: EMEA, AMER or APAC.' } },
      depends_on: { nodes: [] }, config: { materialized: 'table', tags: [], enabled: true },
    },
  },
  sources: {},
};
const CATALOG = {
  metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/catalog/v1.json' },
  nodes: {
    'model.acme.fct_orders': { columns: { ORDER_ID: { name: 'ORDER_ID', type: 'NUMBER(38,0)', index: 1 }, CUSTOMER_ID: { name: 'CUSTOMER_ID', type: 'NUMBER(38,0)', index: 2 }, ORDER_TOTAL: { name: 'ORDER_TOTAL', type: 'NUMBER(12,2)', index: 3 }, ORDERED_AT: { name: 'ORDERED_AT', type: 'TIMESTAMP_NTZ', index: 4 } } },
    'model.acme.dim_customers': { columns: { CUSTOMER_ID: { name: 'CUSTOMER_ID', type: 'NUMBER(38,0)', index: 1 }, CUSTOMER_NAME: { name: 'CUSTOMER_NAME', type: 'VARCHAR(256)', index: 2 }, REGION: { name: 'REGION', type: 'VARCHAR(16)', index: 3 } } },
  },
  sources: {},
};

/**
 * A warehouse team's project: a dbt project on Snowflake (a profile Ask Data has no engine for),
 * with docs, tests, and with `artifacts` target/manifest.json and target/catalog.json — and no
 * database file anywhere. One approved pair was approved without running (`result: unverified`).
 */
export async function snowflakeProject(options: { artifacts: boolean }): Promise<string> {
  const dir = await tempDir('askdata-snowflake-');
  await writeFiles(dir, {
    'dbt_project.yml': 'name: acme\nversion: "1.0.0"\nconfig-version: 2\nprofile: acme\nmodel-paths: ["models"]\n',
    'profiles.yml': "acme:\n  target: prod\n  outputs:\n    prod:\n      type: snowflake\n      account: \"{{ env_var('SNOWFLAKE_ACCOUNT') }}\"\n      user: \"{{ env_var('SNOWFLAKE_USER') }}\"\n      password: \"{{ env_var('SNOWFLAKE_PASSWORD') }}\"\n      role: TRANSFORMER\n      database: ANALYTICS\n      warehouse: TRANSFORMING\n      schema: MARTS\n",
    'models/stg_orders.sql': "select id as order_id, user_id as customer_id, amount as order_total, created_at as ordered_at from {{ source('shop', 'orders') }}",
    'models/fct_orders.sql': "select order_id, customer_id, order_total, ordered_at from {{ ref('stg_orders') }}",
    'models/dim_customers.sql': 'select customer_id, customer_name, region from {{ ref(\'stg_customers\') }}',
    'models/stg_customers.sql': "select id as customer_id, name as customer_name, region from {{ source('shop', 'customers') }}",
    'models/_models.yml': 'version: 2\nsources:\n  - name: shop\n    tables: [{ name: orders }, { name: customers }]\nmodels:\n  - name: fct_orders\n    description: One row per order placed in the web shop.\n    columns:\n      - name: order_id\n        tests: [unique, not_null]\n      - name: customer_id\n        tests: [{ relationships: { to: "ref(\'dim_customers\')", field: customer_id } }]\n      - name: order_total\n        description: What the customer paid, in EUR, after discounts.\n  - name: dim_customers\n    description: Customers with their sales region.\n    columns:\n      - name: region\n        description: "Sales region: EMEA, AMER or APAC."\n        tests: [{ accepted_values: { values: [EMEA, AMER, APAC] } }]\n',
    'askdata/pairs/revenue-by-region.yml': 'version: 1\nquestion: What is our revenue by region?\nsql: |\n  select c.region, sum(o.order_total) as revenue\n  from fct_orders o join dim_customers c on c.customer_id = o.customer_id\n  group by c.region\nstatus: approved\ntables: [fct_orders, dim_customers]\napproved: { by: "Ana <ana@acme.example>", at: 2026-01-05T10:00:00Z }\nresult: unverified\n',
    'askdata/pairs/orders-last-week.yml': 'version: 1\nquestion: How many orders were placed in the last 7 days?\nsql: |\n  select count(*) as orders from fct_orders where ordered_at >= dateadd(day, -7, current_date())\nstatus: approved\napproved: { by: "Ana <ana@acme.example>", at: 2026-01-05T10:00:00Z }\n',
    'askdata/rules.md': 'Revenue means order_total, in EUR.\n',
    ...(options.artifacts ? { 'target/manifest.json': JSON.stringify(MANIFEST), 'target/catalog.json': JSON.stringify(CATALOG) } : {}),
  });
  return dir;
}
