import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { WorkspaceFiles } from '../../src/adapters/workspaceFiles';
import type { Fragment, IndexedRelation, WorkspaceIndex } from '../../src/core/index/workspaceIndex';
import { tempDir } from './tempDir';

/**
 * Small dbt projects written in the tests: the files are written to a fresh folder and indexed
 * from disk the way the editor and the CLI index a workspace.
 */
export async function writeTree(files: Record<string, string | Buffer>, prefix = 'askdata-dbt-'): Promise<string> {
  const root = await tempDir(prefix);
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), content);
  }
  return root;
}

export interface IndexedFixture {
  root: string;
  index: WorkspaceIndex;
  /** Per-file results: the rendered SQL of every file, whether or not it became a relation. */
  fragments: Map<string, Fragment>;
}

export async function indexTree(root: string): Promise<IndexedFixture> {
  const scan = new WorkspaceFiles(root);
  await scan.scan();
  return { root, index: scan.indexer.build(), fragments: scan.indexer.allFiles() };
}

export async function indexFixture(files: Record<string, string | Buffer>): Promise<IndexedFixture> {
  return indexTree(await writeTree(files));
}

export function relationOf(index: WorkspaceIndex, key: string): IndexedRelation {
  const r = index.relations.find((x) => x.key === key);
  if (!r) throw new Error(`no relation ${key} in ${index.relations.map((x) => x.key).join(', ')}`);
  return r;
}

/** `file:line kind` of every warning, sorted: what a person sees in the Problems panel. */
export function warningList(index: WorkspaceIndex): string[] {
  return index.warnings.map((w) => `${w.file}:${w.line} ${w.kind}`).sort();
}

/** Jinja delimiters left in rendered SQL. */
export function jinjaLeft(sql: string | undefined): number {
  return (sql ?? '').match(/\{\{|\{%|\}\}|%\}/g)?.length ?? 0;
}
