import { resolveDocCalls } from '../dbt/docsBlocks';
import type { DocColumn, DocEntry } from '../dbt/properties';
import type { WorkspaceIndexer } from './indexer';
import type { Fragment, IndexedRelation, IndexWarning, ProjectState } from './types';

const hasJinja = (d: string | undefined): boolean => !!d && /\{[{%]/.test(d);
const DOC_CALLS = /\{\{-?\s*doc\([^)]*\)\s*(?:\|\s*\w+\s*)*-?\}\}/g;

/**
 * The `{% docs %}` blocks of every project and package, and descriptions with `{{ doc('x') }}`
 * resolved against them as dbt resolves them; a block that does not exist is a warning.
 */
export class DocBlocks {
  private readonly blocks = new Map<string, Map<string, string>>();

  constructor(private readonly ix: WorkspaceIndexer, private readonly warnings: IndexWarning[]) {}

  collect(files: Map<string, Fragment>): void {
    for (const [path, f] of files) {
      if (f.kind !== 'docblocks') continue;
      const pkg = this.ix.projectOf(path)?.layout?.name ?? '';
      const blocks = this.blocks.get(pkg) ?? this.blocks.set(pkg, new Map()).get(pkg)!;
      for (const b of f.blocks) blocks.set(b.name, b.text);
    }
  }

  /** The entry with `{{ doc('x') }}` in its descriptions replaced by the docs block, as dbt does (the cached entry stays as written). */
  resolve(entry: DocEntry, path: string, project: ProjectState | undefined): DocEntry {
    const versions = Object.values(entry.versionDocs ?? {});
    const texts = [entry, ...entry.columns, ...versions, ...versions.flatMap((v) => v.columns)];
    if (!texts.some((t) => hasJinja(t.description))) return entry;
    const e: DocEntry = { ...entry, columns: entry.columns.map((c) => ({ ...c })) };
    if (entry.versionDocs) e.versionDocs = Object.fromEntries(Object.entries(entry.versionDocs).map(([v, d]) => [v, { ...d, columns: d.columns.map((c) => ({ ...c })) }]));
    const own = project?.layout?.name;
    const top = project && this.ix.topProjectOf(project)?.layout?.name;
    const find = (pkg: string | undefined, name: string): string | undefined => {
      if (pkg) return this.blocks.get(pkg)?.get(name);
      // dbt's order for doc('x'): the root project, the node's own package, then any.
      for (const p of [top, own]) {
        const hit = p !== undefined ? this.blocks.get(p)?.get(name) : undefined;
        if (hit !== undefined) return hit;
      }
      for (const blocks of this.blocks.values()) if (blocks.has(name)) return blocks.get(name);
      return undefined;
    };
    const missing = new Set<string>();
    const resolve = (d: string | undefined): string | undefined => {
      if (!d || !hasJinja(d)) return d;
      // doc() alone is the common case; other Jinja (var(), target, filters) renders as dbt renders descriptions.
      const onlyDocs = !hasJinja(d.replace(DOC_CALLS, ''));
      if (onlyDocs || !project) {
        const r = resolveDocCalls(d, find);
        r.missing.forEach((m) => missing.add(m));
        return r.text || undefined;
      }
      const r = this.ix.renderDescription(project, d, find);
      r.missing.forEach((m) => missing.add(m));
      for (const w of r.warnings) this.warnings.push({ file: path, line: e.line, kind: w.kind, message: `${e.name}: a description ${w.message}` });
      return r.text || undefined;
    };
    for (const t of [e, ...e.columns, ...Object.values(e.versionDocs ?? {}), ...Object.values(e.versionDocs ?? {}).flatMap((v) => v.columns)]) {
      if (!t.description) continue;
      const d = resolve(t.description);
      if (d) t.description = d;
      else delete t.description;
    }
    for (const m of missing) this.warnings.push({ file: path, line: e.line, kind: 'doc-missing', message: `${e.name}: doc('${m}') names no docs block ({% docs ${m.slice(m.lastIndexOf('.') + 1)} %} in a .md file of the project or its packages); the description is left without it` });
    return e;
  }
}

export function applyVersionDocs(relations: Map<string, IndexedRelation>, byIdentifier: Map<string, string>, e: DocEntry, v: number): void {
  const rel = relations.get(`${e.name}_v${v}`.toLowerCase());
  if (!rel) return;
  const own = e.versionDocs?.[v];
  const description = own?.description ?? e.description;
  if (description && !rel.description) rel.description = description;
  if (!own) mergeDocColumns(rel, e.columns, true);
  else {
    // dbt's version columns: the model's columns the version includes (all unless it lists them), less those it excludes, then its own.
    const lower = (names: string[]) => new Set(names.map((n) => n.toLowerCase()));
    const included = own.include === 'all' ? undefined : lower(own.include);
    const excluded = lower(own.exclude);
    const ownNames = lower(own.columns.map((c) => c.name));
    const inherited = e.columns.filter((c) => (!included || included.has(c.name.toLowerCase())) && !excluded.has(c.name.toLowerCase()) && !ownNames.has(c.name.toLowerCase()));
    mergeDocColumns(rel, [...inherited, ...own.columns], true);
  }
  // `ref('m')` without a version means the latest one.
  if (v === e.latestVersion && !relations.has(e.name.toLowerCase())) byIdentifier.set(e.name.toLowerCase(), rel.key);
}

export function mergeDocColumns(rel: IndexedRelation, docs: DocColumn[], describe: boolean): void {
  if (docs.length) rel.documentedColumns = [...new Set([...(rel.documentedColumns ?? []), ...docs.map((d) => d.name)])];
  const byName = new Map(rel.columns.map((c) => [c.name.toLowerCase(), c]));
  for (const d of docs) {
    let col = byName.get(d.name.toLowerCase());
    if (!col) {
      col = { name: d.name };
      rel.columns.push(col);
      byName.set(d.name.toLowerCase(), col);
    }
    if (describe && d.description && !col.description) col.description = d.description;
    if (!describe && d.description) col.description ??= d.description;
    if (d.type && !col.type) col.type = d.type;
    if (d.values) col.values = d.values;
    if (d.tests.length) col.tests = [...new Set([...(col.tests ?? []), ...d.tests])];
    if (d.references) col.references = { relation: d.references.to, column: d.references.column };
  }
}
