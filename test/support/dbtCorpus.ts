import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { WorkspaceFiles } from '../../src/adapters/workspaceFiles';
import { optionalDataDir } from './dataDir';
import type { Fragment, WorkspaceIndex } from '../../src/core/index/workspaceIndex';

/**
 * The real dbt projects corpus (dbt-real.tgz, kept outside the repo): unpacked once per process
 * into a temporary folder, and each project indexed and measured the same way for the benchmark
 * and for `npm run test:data`.
 */
/** For benchmarks: the corpus unpacked, or undefined (and a line on stderr) when dbt-real.tgz is not there. */
export async function optionalDbtCorpus(bench: string): Promise<{ root: string; projects: string[] } | undefined> {
  const tgz = optionalDataDir('dbt-real.tgz');
  if (tgz) return unpackDbtCorpus(tgz);
  process.stderr.write(`${bench}: no dbt-real.tgz (set ASKDATA_DATA to the data folder); skipped\n`);
  return undefined;
}

export async function unpackDbtCorpus(tgz: string): Promise<{ root: string; projects: string[] }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'askdata-dbt-real-'));
  await promisify(execFile)('tar', ['xzf', tgz, '-C', root], { maxBuffer: 1 << 24 });
  const projects: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === 'dbt_project.yml')) {
      projects.push(dir);
      return;
    }
    if (depth > 0) for (const e of entries) if (e.isDirectory()) await walk(path.join(dir, e.name), depth - 1);
  };
  await walk(root, 3);
  return { root, projects: projects.sort() };
}

export interface ProjectFigures {
  project: string;
  ms: number;
  models: number;
  refs: WorkspaceIndex['refs'];
  unrendered: number;
  warnings: Record<string, number>;
  /** Jinja left in the rendered SQL of files dbt builds (`{{`, `{%`, `}}`, `%}`). */
  leftoverFragments: number;
  /** Leftovers in a file without a warning of its own nor a packages.yml warning that explains it. */
  unexplainedLeftovers: Array<{ file: string; fragments: number }>;
  /** Descriptions (of relations and columns) that still hold `{{ doc(`. */
  rawDocCalls: number;
  /** Refs written literally in the files (a regex over the text, outside Jinja comments) against the rendered refs. */
  literalRefs: { written: number; rendered: number; writtenButNotRendered: number; renderedNotWritten: number };
  /**
   * The ref-accounting invariant, read from the model files' text: every `ref('…')`/`source('…', '…')`
   * written in a Jinja tag of an enabled model (outside `{# #}`) is among the model's rendered
   * calls, or sits in an `{% if %}` branch (dbt may not render it), or the file has a warning.
   * `lost` lists the calls that are none of these: lineage gone without a word.
   */
  refAccounting: { written: number; rendered: number; inUntakenBranch: number; warned: number; lost: string[] };
}

/** Literal ref/source calls in Jinja tags, outside Jinja comments, with whether an `{% if %}` encloses them. */
export function literalCalls(text: string): Array<{ key: string; line: number; conditional: boolean }> {
  const t = text.replace(/\{#[\s\S]*?#\}/g, (m) => m.replace(/[^\n]/g, ' '));
  const out: Array<{ key: string; line: number; conditional: boolean }> = [];
  let depth = 0;
  for (const tag of t.matchAll(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g)) {
    const kw = /^\{%[-+]?\s*(\w+)/.exec(tag[0])?.[1];
    if (kw === 'if') depth++;
    else if (kw === 'endif') depth = Math.max(0, depth - 1);
    for (const c of tag[0].matchAll(/(?<![\w.])(?:builtins\.)?(ref|source)\s*\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"])?/g)) {
      // A source whose table is a variable (`source('raw', t)` in a loop) cannot be read from the text.
      if (c[1] === 'source' && c[3] === undefined) continue;
      const key = c[1] === 'ref' ? `ref ${(c[3] ?? c[2])!.toLowerCase()}` : `source ${c[2]!.toLowerCase()}.${(c[3] ?? '').toLowerCase()}`;
      out.push({ key, line: t.slice(0, tag.index + c.index).split('\n').length, conditional: depth > 0 || kw === 'if' || kw === 'elif' });
    }
  }
  return out;
}

const JINJA = /\{\{|\{%|\}\}|%\}/g;

export async function measureProject(dir: string, label = path.basename(dir)): Promise<{ figures: ProjectFigures; index: WorkspaceIndex; files: Map<string, Fragment> }> {
  const started = performance.now();
  const scan = new WorkspaceFiles(dir);
  await scan.scan();
  const index = scan.indexer.build();
  const ms = performance.now() - started;
  const files = scan.indexer.allFiles();
  const warnings: Record<string, number> = {};
  for (const w of index.warnings) warnings[w.kind] = (warnings[w.kind] ?? 0) + 1;
  const warnedFiles = new Set(index.warnings.map((w) => w.file));
  const notInstalled = index.warnings.some((w) => w.kind === 'package-not-installed');
  let leftoverFragments = 0;
  const unexplainedLeftovers: ProjectFigures['unexplainedLeftovers'] = [];
  const literal = { written: 0, rendered: 0, writtenButNotRendered: 0, renderedNotWritten: 0 };
  const accounting: ProjectFigures['refAccounting'] = { written: 0, rendered: 0, inUntakenBranch: 0, warned: 0, lost: [] };
  const enabled = new Set(index.relations.filter((r) => r.from === 'files' && r.file).map((r) => r.file!));
  for (const [file, f] of files) {
    if (f.kind !== 'sql' || f.disabled || ((f.role === 'model' || f.role === 'snapshot') && !enabled.has(file))) continue;
    const left = f.sql.match(JINJA)?.length ?? 0;
    leftoverFragments += left;
    if (left && !warnedFiles.has(file) && !(notInstalled && f.packageCalls)) unexplainedLeftovers.push({ file, fragments: left });
    if (f.role !== 'model') continue;
    const raw = await fs.readFile(path.join(dir, file), 'utf8');
    const calls = new Set([...f.refs.map((r) => `ref ${r.name.toLowerCase()}`), ...f.sources.map((x) => `source ${x.source.toLowerCase()}.${x.table.toLowerCase()}`)]);
    accounting.rendered += f.refs.length + f.sources.length;
    for (const c of literalCalls(raw)) {
      accounting.written++;
      if (calls.has(c.key)) continue;
      if (c.conditional) accounting.inUntakenBranch++;
      else if (warnedFiles.has(file)) accounting.warned++;
      else accounting.lost.push(`${file}:${c.line} ${c.key}`);
    }
    const text = raw.replace(/\{#[\s\S]*?#\}/g, '');
    const written = new Set([...text.matchAll(/\bref\(\s*['"]([\w.-]+)['"]\s*(?:,\s*['"]([\w.-]+)['"])?/g)].map((m) => (m[2] ?? m[1])!.toLowerCase()));
    const rendered = new Set(f.refs.map((r) => r.name.toLowerCase()));
    literal.written += written.size;
    literal.rendered += rendered.size;
    for (const w of written) if (!rendered.has(w)) literal.writtenButNotRendered++;
    for (const r of rendered) if (!written.has(r)) literal.renderedNotWritten++;
  }
  let rawDocCalls = 0;
  for (const r of index.relations) for (const d of [r.description, ...r.columns.map((c) => c.description)]) if (d && /\{\{-?\s*doc\(/.test(d)) rawDocCalls++;
  return {
    figures: { project: label, ms, models: index.relations.filter((r) => r.kind === 'model').length, refs: index.refs, unrendered: index.unrendered, warnings, leftoverFragments, unexplainedLeftovers, rawDocCalls, literalRefs: literal, refAccounting: accounting },
    index,
    files,
  };
}
