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
  const enabled = new Set(index.relations.filter((r) => r.from === 'files' && r.file).map((r) => r.file!));
  for (const [file, f] of files) {
    if (f.kind !== 'sql' || f.disabled || ((f.role === 'model' || f.role === 'snapshot') && !enabled.has(file))) continue;
    const left = f.sql.match(JINJA)?.length ?? 0;
    leftoverFragments += left;
    if (left && !warnedFiles.has(file) && !(notInstalled && f.packageCalls)) unexplainedLeftovers.push({ file, fragments: left });
    if (f.role !== 'model') continue;
    const text = (await fs.readFile(path.join(dir, file), 'utf8')).replace(/\{#[\s\S]*?#\}/g, '');
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
    figures: { project: label, ms, models: index.relations.filter((r) => r.kind === 'model').length, refs: index.refs, unrendered: index.unrendered, warnings, leftoverFragments, unexplainedLeftovers, rawDocCalls, literalRefs: literal },
    index,
    files,
  };
}
