#!/usr/bin/env node
// Builds samples/shop/shop.duckdb the way `dbt seed && dbt run` would, without dbt (which cannot be
// installed here): generate the seeds up to the build day, load them, then run each model's SQL in
// dependency order with ref() resolved and config() honoured. Only the Jinja the sample uses is
// supported; anything else is an error, so the sample cannot drift into what this build ignores.
//
//   node scripts/build-sample.mjs [--project DIR] [--today YYYY-MM-DD] [--out FILE] [--quiet]

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateShopData, toCsv } from './sample-data.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const args = { project: path.join(repo, 'samples/shop'), today: process.env.ASKDATA_SAMPLE_TODAY, out: undefined, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--project') args.project = path.resolve(argv[++i]);
    else if (a === '--today') args.today = argv[++i];
    else if (a === '--out') args.out = path.resolve(argv[++i]);
    else if (a === '--quiet') args.quiet = true;
    else throw new Error(`unknown argument ${a}`);
  }
  args.today ??= new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(args.today)) throw new Error(`--today must be YYYY-MM-DD, got ${args.today}`);
  return args;
}

async function listSql(dir) {
  const out = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listSql(p)));
    else if (e.name.endsWith('.sql')) out.push(p);
  }
  return out;
}

const REF = /\{\{\s*ref\(\s*['"]([\w]+)['"]\s*\)\s*\}\}/g;
const CONFIG = /\{\{\s*config\(([^)]*)\)\s*\}\}/g;

function folderMaterialization(projectConfig, projectName, relDir) {
  let node = projectConfig.models?.[projectName] ?? {};
  let materialized = node['+materialized'] ?? 'view';
  for (const part of relDir.split(path.sep).filter(Boolean)) {
    node = node?.[part];
    if (!node) break;
    materialized = node['+materialized'] ?? materialized;
  }
  return materialized;
}

async function readModels(project, projectConfig) {
  const models = new Map();
  for (const modelDir of projectConfig['model-paths'] ?? ['models']) {
    const root = path.join(project, modelDir);
    for (const file of await listSql(root)) {
      const name = path.basename(file, '.sql');
      const text = await fs.readFile(file, 'utf8');
      let materialized = folderMaterialization(projectConfig, projectConfig.name, path.relative(root, path.dirname(file)));
      for (const m of text.matchAll(CONFIG)) {
        const mat = /materialized\s*=\s*['"](\w+)['"]/.exec(m[1]);
        if (mat) materialized = mat[1];
      }
      const deps = [...text.matchAll(REF)].map((m) => m[1]);
      const sql = text.replace(CONFIG, '').replace(REF, (_, ref) => `"main"."${ref}"`).trim();
      const leftover = /\{\{|\{%/.exec(sql);
      if (leftover) throw new Error(`${path.relative(project, file)}: the sample builder only supports ref() and config(); found other Jinja`);
      models.set(name, { name, file, sql, deps, materialized });
    }
  }
  return models;
}

function dependencyOrder(models, seeds) {
  const order = [];
  const state = new Map();
  const visit = (name, chain) => {
    if (seeds.has(name)) return;
    const model = models.get(name);
    if (!model) throw new Error(`ref('${name}') in ${chain.at(-1)} names no model or seed`);
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`dependency cycle: ${[...chain, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const d of model.deps) visit(d, [...chain, name]);
    state.set(name, 'done');
    order.push(model);
  };
  for (const name of [...models.keys()].sort()) visit(name, []);
  return order;
}

export async function buildSample(options) {
  const { project, today, quiet } = options;
  const log = quiet ? () => {} : (s) => console.log(s);
  const projectConfig = parseYaml(await fs.readFile(path.join(project, 'dbt_project.yml'), 'utf8'));
  const profiles = parseYaml(await fs.readFile(path.join(project, 'profiles.yml'), 'utf8'));
  const profile = profiles[projectConfig.profile];
  const target = profile.outputs[profile.target];
  const out = options.out ?? path.resolve(project, target.path);

  const started = Date.now();
  const data = generateShopData(today);
  const seedDir = path.join(project, (projectConfig['seed-paths'] ?? ['seeds'])[0]);
  await fs.mkdir(seedDir, { recursive: true });
  for (const [name, rows] of Object.entries(data)) {
    await fs.writeFile(path.join(seedDir, `${name}.csv`), toCsv(rows));
  }
  log(`seeds: ${Object.entries(data).map(([k, v]) => `${k} ${v.length}`).join(', ')} (through ${today})`);

  const models = await readModels(project, projectConfig);
  const order = dependencyOrder(models, new Set(Object.keys(data)));

  // Build next to the target and swap it in at the end, so a failed build never leaves half a database.
  const building = `${out}.building`;
  await fs.rm(building, { force: true });
  await fs.rm(`${building}.wal`, { force: true });
  const instance = await DuckDBInstance.create(building);
  const connection = await instance.connect();
  try {
    for (const name of Object.keys(data)) {
      const csv = path.join(seedDir, `${name}.csv`).replaceAll("'", "''");
      await connection.run(`create table "main"."${name}" as select * from read_csv('${csv}', header = true, auto_detect = true)`);
    }
    for (const model of order) {
      const kind = model.materialized === 'table' ? 'table' : 'view';
      try {
        await connection.run(`create ${kind} "main"."${model.name}" as ${model.sql}`);
      } catch (e) {
        throw new Error(`${path.relative(project, model.file)}: ${e.message}`);
      }
      log(`  ${kind.padEnd(5)} ${model.name}`);
    }
    await connection.run('checkpoint');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  await fs.rename(building, out);
  await fs.rm(`${building}.wal`, { force: true });
  log(`built ${path.relative(process.cwd(), out) || out}: ${order.length} models in ${Date.now() - started} ms`);
  return { out, models: order.map((m) => m.name), seeds: Object.keys(data) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildSample(parseArgs(process.argv.slice(2))).catch((e) => {
    console.error(`build-sample: ${e.message}`);
    process.exit(1);
  });
}
