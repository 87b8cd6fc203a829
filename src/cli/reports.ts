import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { emailOf, gitIdentity } from '../adapters/gitIdentity';
import { openProjectEngine } from '../adapters/projectDatabase';
import { projectAccess } from '../adapters/projectPolicies';
import { indexCacheFile } from '../adapters/indexCache';
import { indexFolder } from '../adapters/workspaceFiles';
import { ExecutionError } from '../core/execution/errors';
import type { ResultColumn, ResultRow } from '../core/execution/result';
import type { PairStore } from '../core/pairs/pairStore';

export function pairsListReport(store: PairStore, project: string, status?: string) {
  const pairs = store.pairs.filter((p) => !status || p.status === status);
  const rel = (file: string) => path.relative(project, file);
  const json = {
    project,
    counts: {
      approved: store.pairs.filter((p) => p.status === 'approved').length,
      pending: store.pairs.filter((p) => p.status === 'pending').length,
      rejected: store.pairs.filter((p) => p.status === 'rejected').length,
      invalid: store.invalid.length,
    },
    pairs: pairs.map((p) => ({
      id: p.id,
      file: rel(p.path),
      question: p.question,
      status: p.status,
      tags: p.tags,
      tables: p.tables,
      approved: p.data.approved ? { by: p.data.approved.by, at: p.data.approved.at } : undefined,
      sql: p.sql,
    })),
    invalid: store.invalid.map((f) => ({ file: rel(f.path), problems: f.problems })),
  };
  const lines = pairs.map((p) => `${p.status.padEnd(8)}  ${p.question}${p.tables.length ? `  [${p.tables.join(', ')}]` : ''}`);
  const c = json.counts;
  lines.push('', `${c.approved} approved, ${c.pending} pending, ${c.rejected} rejected${c.invalid ? `, ${c.invalid} invalid (run \`askdata pairs validate\`)` : ''}`);
  return { json, text: `${lines.join('\n')}\n` };
}

export function validationReport(store: PairStore, project: string) {
  const problems = store.invalid.flatMap((f) => f.problems.map((p) => ({ file: path.relative(project, f.path), ...p })));
  const ok = problems.length === 0;
  const total = store.pairs.length + store.invalid.length;
  const text = ok
    ? `${total} pair file${total === 1 ? '' : 's'} valid\n`
    : `${problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n')}\n${store.invalid.length} of ${total} pair files invalid\n`;
  return { ok, json: { ok, files: total, invalid: store.invalid.length, problems }, text };
}

export interface RunReport {
  columns: ResultColumn[];
  rows: ResultRow[];
  rowCount: number;
  fingerprint: string;
  ms: number;
  database: { file: string; dialect: string; source: string };
}

/** `askdata run`: the first page, then one more pass for the row count and fingerprint. */
export async function runQuery(project: string, sql: string, limit: number, asker: string | undefined): Promise<RunReport | { error: ReturnType<ExecutionError['toJSON']> }> {
  let opened;
  let access;
  try {
    access = await projectAccess(project, asker ?? emailOf(await gitIdentity(project)));
    opened = await openProjectEngine(project, access);
  } catch (e) {
    return { error: asExecutionError(e).toJSON() };
  }
  const { engine, found } = opened;
  try {
    const started = performance.now();
    const cursor = await engine.run(sql, { pageSize: limit, rowCap: limit, access });
    const ms = performance.now() - started;
    cursor.close();
    const summary = await engine.fingerprint(sql, { access });
    return {
      columns: cursor.first.columns,
      rows: cursor.first.rows,
      rowCount: summary.rows,
      fingerprint: summary.fingerprint,
      ms: Math.round(ms * 10) / 10,
      database: { file: found.database, dialect: found.dialect, source: found.source },
    };
  } catch (e) {
    return { error: asExecutionError(e).toJSON() };
  } finally {
    engine.close();
  }
}

function asExecutionError(e: unknown): ExecutionError {
  return e instanceof ExecutionError ? e : new ExecutionError('runtime', (e as Error).message ?? String(e));
}

/** A plain text table for people; --json is for scripts. */
export function formatTable(report: RunReport): string {
  const header = report.columns.map((c) => c.name);
  const cells = report.rows.map((r) => r.map((v) => (v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v))));
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, ...cells.map((r) => r[i]!.length))));
  const line = (xs: string[]) => xs.map((x, i) => (x.length > widths[i]! ? `${x.slice(0, widths[i]! - 1)}…` : x.padEnd(widths[i]!))).join('  ');
  const shown = report.rows.length < report.rowCount ? `${report.rows.length} of ${report.rowCount} rows` : `${report.rowCount} row${report.rowCount === 1 ? '' : 's'}`;
  return `${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.map(line).join('\n')}${cells.length ? '\n' : ''}\n${shown} · ${report.ms} ms · ${report.fingerprint}\n`;
}

/** `askdata index`: what the workspace index holds, in the shape the issue promised. */
export async function indexReport(project: string, withDatabase: boolean, useCache = true) {
  const started = performance.now();
  const { files, databaseProblems, cache } = await indexFolder(project, withDatabase ? async (root) => (await openProjectEngine(root)).engine : undefined, useCache ? { cacheFile: indexCacheFile(project) } : {});
  const index = files.indexer.build();
  const ms = Math.round(performance.now() - started);
  const own = index.relations.filter((r) => !r.package);
  const count = (kind: string) => own.filter((r) => r.kind === kind).length;
  const columns = own.flatMap((r) => r.columns);
  const json = {
    projects: index.projects.filter((p) => !p.package).length,
    packages: index.projects.filter((p) => p.package).map((p) => p.name),
    models: count('model'),
    sources: count('source'),
    seeds: count('seed'),
    snapshots: count('snapshot'),
    tables: count('table'),
    queries: index.queries.length,
    columns: columns.length,
    documentedColumns: columns.filter((c) => c.description).length,
    refs: index.refs,
    unrendered: index.unrendered,
    joinEdges: index.joins.length,
    warnings: [...index.warnings, ...databaseProblems.map((p) => ({ file: p.project, line: 0, kind: 'database' as const, message: `database not read: ${p.message}` }))],
    source: index.projects.some((p) => !p.package && p.source === 'manifest') ? ('manifest' as const) : ('files' as const),
    cache,
    ms,
  };
  const text = [
    `${json.projects} project(s)${json.packages.length ? ` + packages ${json.packages.join(', ')}` : ''}, from ${json.source}${cache.used ? ' (cache)' : ''}, in ${ms} ms`,
    `${json.models} models, ${json.sources} sources, ${json.seeds} seeds, ${json.snapshots} snapshots, ${json.tables} other tables, ${json.queries} other SQL files`,
    `${json.columns} columns (${json.documentedColumns} documented), refs ${json.refs.resolved} resolved / ${json.refs.unresolved} unresolved, ${json.joinEdges} join paths${json.unrendered ? `, ${json.unrendered} places left unrendered (see the warnings)` : ''}`,
    ...index.joins.slice(0, 8).map((j) => `  join ${j.left}.${j.leftColumn} = ${j.right}.${j.rightColumn}  (×${j.count})`),
    ...json.warnings.map((w) => `${w.file}${w.line ? `:${w.line}` : ''}: warning: ${w.message}`),
    '',
  ].join('\n');
  return { json, text, index };
}

/** `askdata context` for people: what the model would see, and why each part was chosen. */
export function contextText(g: { tables: Array<{ key: string; score: number; reasons: string[] }>; tablesAvailable: number; hidden: { tables: number; columns: number }; examples: Array<{ file: string; question: string; score: number }>; schema: string; rules: string; tokens: { schema: number; rules: number; examples: number; total: number; budget: number } }): string {
  const lines = [
    `Tables (${g.tables.length} of ${g.tablesAvailable}${g.hidden.tables ? `; ${g.hidden.tables} hidden by policy` : ''}):`,
    ...g.tables.map((t) => `  ${t.key}  ${t.score}  ${t.reasons.join('; ')}`),
    `Examples (${g.examples.length}):`,
    ...g.examples.map((e) => `  ${e.score}  ${e.question}  (${e.file})`),
    `Tokens: schema ${g.tokens.schema}, rules ${g.tokens.rules}, examples ${g.tokens.examples}, total ${g.tokens.total} of ${g.tokens.budget}`,
    '',
    g.schema,
    '',
  ];
  return lines.join('\n');
}
