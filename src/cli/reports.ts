import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { emailOf, gitIdentity } from '../adapters/gitIdentity';
import { openOrDescribe } from '../usecases/project';
import { openProjectEngine } from '../adapters/projectDatabase';
import { promises as fs } from 'node:fs';
import { pairsVisibleTo } from '../adapters/askerView';
import { projectAccess, readProjectPolicies } from '../adapters/projectPolicies';
import { namesAny, visibleRelations } from '../core/grounding/grounding';
import { policyWarningsWithLines } from '../core/policies/access';
import { knownRelations, unmatchedPolicyNames } from '../core/policies/policyNames';
import type { PolicyFile } from '../core/policies/policySchema';
import { indexCacheFile } from '../adapters/indexCache';
import { indexFolder } from '../adapters/workspaceFiles';
import { ExecutionError } from '../core/execution/errors';
import type { ResultColumn, ResultRow } from '../core/execution/result';
import type { Pair, PairStore } from '../core/pairs/pairStore';

/**
 * The pairs an asker may be shown, by id, or undefined when policies do not restrict them. Each
 * pair's SQL is checked by the database's own parser and binder under their policies, so this
 * needs the database: without one (a warehouse, a server out of reach) none can be checked, so
 * none is shown, and `unchecked` says why.
 */
export async function pairsVisibleToAsker(project: string, pairs: readonly Pair[], asker: string | undefined): Promise<{ visible: ReadonlySet<string>; unchecked?: string } | undefined> {
  const access = await projectAccess(project, asker);
  if (access.unrestricted) return undefined;
  const { engine, found } = await openOrDescribe(project, access);
  try {
    if (found.unavailable) return { visible: new Set(), unchecked: found.unavailable };
    const catalog = await engine.catalog();
    const relations = [...new Set(catalog.map((c) => c.table))].map((table) => ({ key: table, kind: 'table' as const, name: table, from: 'database' as const, columns: catalog.filter((c) => c.table === table).map((c) => ({ name: c.column, type: c.type })) }));
    return { visible: await pairsVisibleTo(engine, access, pairs.map((p) => ({ id: p.id, sql: p.sql, question: p.question, reason: p.data.rejected?.reason, tags: p.tags, tables: p.tables })), visibleRelations(relations, access).hiddenNames) };
  } finally {
    engine.close();
  }
}

/** Why pairs are not shown to an asker under policies. */
export function notShownReason(unchecked: boolean): string {
  return unchecked ? 'without the database their SQL cannot be checked against your access policies' : 'their SQL reads what your access policies hide';
}

export function pairsListReport(store: PairStore, project: string, status?: string, access?: { visible: ReadonlySet<string>; unchecked?: string }) {
  const visible = access?.visible;
  const shown = visible ? store.pairs.filter((p) => visible.has(p.id)) : store.pairs;
  const pairs = shown.filter((p) => !status || p.status === status);
  const rel = (file: string) => path.relative(project, file);
  const json = {
    project,
    counts: {
      approved: shown.filter((p) => p.status === 'approved').length,
      pending: shown.filter((p) => p.status === 'pending').length,
      rejected: shown.filter((p) => p.status === 'rejected').length,
      invalid: store.invalid.length,
      /** Pairs whose SQL reads what the asker's access policies hide, or that could not be checked: counted, never shown. */
      hidden: store.pairs.length - shown.length,
    },
    ...(access?.unchecked ? { unchecked: `No pair could be checked against your access policies, so none is shown: ${access.unchecked}` } : {}),
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
  lines.push('', `${c.approved} approved, ${c.pending} pending, ${c.rejected} rejected${c.invalid ? `, ${c.invalid} invalid (run \`askdata pairs validate\`)` : ''}${c.hidden ? `; ${c.hidden} not shown: ${notShownReason(!!access?.unchecked)}` : ''}`);
  return { json, text: `${lines.join('\n')}\n` };
}

/** Warnings about askdata/policies.yml for `pairs validate` (an invalid file is an error there). */
export async function policyProblems(project: string): Promise<{ warnings: Array<{ file: string; line: number; message: string }>; errors: Array<{ file: string; line: number; column: number; message: string }> }> {
  const file = path.join('askdata', 'policies.yml');
  try {
    const policy = await readProjectPolicies(project);
    const text = await fs.readFile(path.join(project, file), 'utf8').catch(() => '');
    return { warnings: [...policyWarningsWithLines(text, policy), ...(await misspeltPolicyNames(project, text, policy))].map((w) => ({ file, ...w })), errors: [] };
  } catch (e) {
    const m = /^askdata\/policies\.yml:(\d+):(\d+): (.*)$/s.exec((e as Error).message);
    return { warnings: [], errors: [{ file, line: Number(m?.[1] ?? 1), column: Number(m?.[2] ?? 1), message: m?.[3] ?? (e as Error).message }] };
  }
}

/**
 * Policy entries that name no table or column of the project, checked against the index and the
 * database. Without the database (a warehouse, a file not built) a table only it has would be
 * reported wrongly, so nothing is checked then.
 */
async function misspeltPolicyNames(project: string, text: string, policy: PolicyFile | undefined) {
  if (!policy) return [];
  // The index cache `askdata index` and the editor share: a repeated validate reads, not re-renders.
  const { files, databaseProblems } = await indexFolder(project, async (root) => (await openProjectEngine(root)).engine, { cacheFile: indexCacheFile(project) });
  if (databaseProblems.length > 0) return [];
  return unmatchedPolicyNames(text, policy, knownRelations(files.indexer.build().relations));
}

export function validationReport(store: PairStore, project: string, policies: Awaited<ReturnType<typeof policyProblems>> = { warnings: [], errors: [] }) {
  const problems = [...store.invalid.flatMap((f) => f.problems.map((p) => ({ file: path.relative(project, f.path), ...p }))), ...policies.errors];
  const ok = problems.length === 0;
  const total = store.pairs.length + store.invalid.length;
  const text = ok
    ? `${total} pair file${total === 1 ? '' : 's'} valid\n`
    : `${problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n')}\n${store.invalid.length} of ${total} pair files invalid${policies.errors.length ? '; askdata/policies.yml invalid' : ''}\n`;
  const warnings = policies.warnings.map((w) => `${w.file}:${w.line}: warning: ${w.message}`).join('\n');
  return { ok, json: { ok, files: total, invalid: store.invalid.length, problems, warnings: policies.warnings }, text: ok || !warnings ? text : `${text}${warnings}\n`, warnings: warnings ? `${warnings}\n` : '' };
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

/**
 * `askdata index`: what the workspace index holds, in the shape the issue promised. It prints
 * counts, not rows or values; for an asker whom policies restrict, the join paths and warnings it
 * names are only those about relations they may read (the others are counted).
 */
export async function indexReport(project: string, withDatabase: boolean, asker?: string, useCache = true) {
  const started = performance.now();
  const access = await projectAccess(project, asker);
  const { files, databaseProblems, cache } = await indexFolder(project, withDatabase ? async (root) => (await openProjectEngine(root)).engine : undefined, useCache ? { cacheFile: indexCacheFile(project) } : {});
  const index = files.indexer.build();
  const hidden = visibleRelations(index.relations, access).hiddenNames;
  const shownJoins = index.joins.filter((j) => !namesAny(`${j.left}.${j.leftColumn} ${j.right}.${j.rightColumn}`, hidden));
  const warnings = [...index.warnings, ...databaseProblems.map((p) => ({ file: p.project, line: 0, kind: 'database' as const, message: `database not read: ${p.message}` }))];
  const shownWarnings = warnings.filter((w) => !namesAny(`${w.file} ${w.message}`, hidden));
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
    warnings: shownWarnings,
    /** Join paths and warnings about relations the asker's access policies hide: counted, not shown. */
    hidden: { joinEdges: index.joins.length - shownJoins.length, warnings: warnings.length - shownWarnings.length },
    source: index.projects.some((p) => !p.package && p.source === 'manifest') ? ('manifest' as const) : ('files' as const),
    cache,
    ms,
  };
  const text = [
    `${json.projects} project(s)${json.packages.length ? ` + packages ${json.packages.join(', ')}` : ''}, from ${json.source}${cache.used ? ' (cache)' : ''}, in ${ms} ms`,
    `${json.models} models, ${json.sources} sources, ${json.seeds} seeds, ${json.snapshots} snapshots, ${json.tables} other tables, ${json.queries} other SQL files`,
    `${json.columns} columns (${json.documentedColumns} documented), refs ${json.refs.resolved} resolved / ${json.refs.unresolved} unresolved, ${json.joinEdges} join paths${json.unrendered ? `, ${json.unrendered} places left unrendered (see the warnings)` : ''}`,
    ...shownJoins.slice(0, 8).map((j) => `  join ${j.left}.${j.leftColumn} = ${j.right}.${j.rightColumn}  (×${j.count})`),
    ...json.warnings.map((w) => `${w.file}${w.line ? `:${w.line}` : ''}: warning: ${w.message}`),
    ...(json.hidden.joinEdges || json.hidden.warnings ? [`(${json.hidden.joinEdges} join paths and ${json.hidden.warnings} warnings about relations your access policies hide are not shown)`] : []),
    '',
  ].join('\n');
  return { json, text, index };
}

/** `askdata context` for people: what the model would see, and why each part was chosen. */
export function contextText(g: { tables: Array<{ key: string; score: number; reasons: string[] }>; tablesAvailable: number; hidden: { tables: number; columns: number }; examples: Array<{ file: string; question: string; score: number }>; schema: string; rules: string; tokens: { schema: number; rules: number; examples: number; total: number; budget: number }; pairsNotShown?: { count: number; reason: string } }): string {
  const lines = [
    `Tables (${g.tables.length} of ${g.tablesAvailable}${g.hidden.tables ? `; ${g.hidden.tables} hidden by policy` : ''}):`,
    ...g.tables.map((t) => `  ${t.key}  ${t.score}  ${t.reasons.join('; ')}`),
    `Examples (${g.examples.length}${g.pairsNotShown ? `; ${g.pairsNotShown.count} approved pair${g.pairsNotShown.count === 1 ? '' : 's'} not shown: ${g.pairsNotShown.reason}` : ''}):`,
    ...g.examples.map((e) => `  ${e.score}  ${e.question}  (${e.file})`),
    `Tokens: schema ${g.tokens.schema}, rules ${g.tokens.rules}, examples ${g.tokens.examples}, total ${g.tokens.total} of ${g.tokens.budget}`,
    '',
    g.schema,
    '',
  ];
  return lines.join('\n');
}
