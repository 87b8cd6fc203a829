import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A large dbt project shaped like real ones: layered staging → intermediate → marts models with
 * refs to earlier layers, Jinja loops and macros, properties files with docs and tests, seeds.
 * Deterministic for a given size, so benchmark runs compare.
 */
export interface SyntheticOptions {
  models: number;
  propertiesFiles: number;
}

export async function writeSyntheticProject(dir: string, options: SyntheticOptions): Promise<{ files: number }> {
  let files = 0;
  const write = async (rel: string, text: string) => {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
    files++;
  };
  await write('dbt_project.yml', `name: synth\nprofile: synth\nmodel-paths: [models]\nseed-paths: [seeds]\nmacro-paths: [macros]\nvars:\n  start_date: '2024-01-01'\nmodels:\n  synth:\n    staging:\n      +materialized: view\n    marts:\n      +materialized: table\n      +schema: marts\n`);
  await write('macros/cents.sql', `{% macro cents_to_dollars(col, scale=2) -%}\n  ({{ col }} / 100)::numeric(16, {{ scale }})\n{%- endmacro %}\n`);
  const seeds = 20;
  for (let s = 0; s < seeds; s++) await write(`seeds/raw_${s}.csv`, `id,account_id,status,amount_cents,created_at\n1,1,open,100,2024-01-01\n`);
  const layer = (i: number) => (i < options.models * 0.4 ? 'staging' : i < options.models * 0.75 ? 'intermediate' : 'marts');
  const name = (i: number) => `${layer(i) === 'staging' ? 'stg' : layer(i) === 'intermediate' ? 'int' : 'fct'}_${i}`;
  for (let i = 0; i < options.models; i++) {
    const l = layer(i);
    const folder = `models/${l}/domain_${i % 25}`;
    if (l === 'staging') {
      await write(`${folder}/${name(i)}.sql`, `with source as (\n  select * from {{ ref('raw_${i % seeds}') }}\n),\nrenamed as (\n  select\n    id as ${name(i)}_id,\n    account_id,\n    status,\n    {{ cents_to_dollars('amount_cents') }} as amount,\n    cast(created_at as date) as created_date\n  from source\n  where created_at >= '{{ var("start_date") }}'\n)\nselect * from renamed\n`);
    } else {
      const a = (i * 7919) % Math.floor(options.models * (l === 'marts' ? 0.75 : 0.4));
      const b = (i * 104729 + 13) % Math.floor(options.models * 0.4);
      await write(`${folder}/${name(i)}.sql`, `{{ config(tags=['${l}', 'domain_${i % 25}']) }}\n{%- set statuses = ['open', 'paid', 'void'] -%}\nwith a as (\n  select * from {{ ref('${name(a)}') }}\n),\nb as (\n  select * from {{ ref('${name(b)}') }}\n)\nselect\n  a.account_id,\n  date_trunc('month', a.created_date) as month,\n  {% for s in statuses -%}\n  sum(case when a.status = '${'{{ s }}'}' then a.amount else 0 end) as ${'{{ s }}'}_amount,\n  {% endfor -%}\n  count(distinct b.account_id) as accounts\nfrom a\nleft join b on a.account_id = b.account_id\nwhere a.status <> 'void'\ngroup by 1, 2\n`);
    }
  }
  const perFile = Math.ceil(options.models / options.propertiesFiles);
  for (let p = 0; p < options.propertiesFiles; p++) {
    const entries: string[] = [];
    for (let i = p * perFile; i < Math.min(options.models, (p + 1) * perFile); i++) {
      const cols = layer(i) === 'staging'
        ? [`      - name: ${name(i)}_id\n        description: Primary key.\n        data_tests: [unique, not_null]`, `      - name: status\n        description: Lifecycle state.\n        data_tests:\n          - accepted_values:\n              arguments:\n                values: ['open', 'paid', 'void']`, `      - name: account_id\n        description: The account.`]
        : [`      - name: account_id\n        description: The account.\n        data_tests:\n          - relationships:\n              arguments:\n                to: ref('${name(i % Math.floor(options.models * 0.4))}')\n                field: account_id`, `      - name: month\n        description: Calendar month.`];
      entries.push(`  - name: ${name(i)}\n    description: Model ${i} of the ${layer(i)} layer.\n    columns:\n${cols.join('\n')}`);
    }
    await write(`models/${layer(p * perFile)}/_props_${p}.yml`, `version: 2\n\nmodels:\n${entries.join('\n')}\n`);
  }
  return { files };
}

export async function syntheticProject(options: SyntheticOptions): Promise<{ dir: string; files: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-synth-'));
  const { files } = await writeSyntheticProject(dir, options);
  return { dir, files };
}
