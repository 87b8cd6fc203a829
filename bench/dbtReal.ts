import { promises as fs } from 'node:fs';
import { INDEX_LIMITATIONS, type WarningKind } from '../src/core/dbt/warnings';
import { measureProject, optionalDbtCorpus, type ProjectFigures } from '../test/support/dbtCorpus';
import type { Result } from './result';

/**
 * The index on real dbt projects written by others (dbt-real.tgz: Spider 2.0-DBT projects with
 * their installed packages, and jaffle_shop_duckdb): per project refs resolved and unresolved,
 * warnings by kind, Jinja left in the rendered SQL (and whether a warning says why), raw
 * `{{ doc(` left in descriptions, and time. Skipped when the corpus is not there.
 */
export async function benchDbtReal(): Promise<Result[]> {
  const corpus = await optionalDbtCorpus('dbt-real');
  if (!corpus) return [];
  const { root, projects } = corpus;
  try {
    const per: ProjectFigures[] = [];
    for (const dir of projects) per.push((await measureProject(dir, dir.slice(root.length + 1))).figures);
    const sum = (f: (p: ProjectFigures) => number) => per.reduce((s, p) => s + f(p), 0);
    const byKind: Record<string, number> = {};
    for (const p of per) for (const [k, n] of Object.entries(p.warnings)) byKind[k] = (byKind[k] ?? 0) + n;
    const ownMaking = Object.entries(byKind).filter(([k]) => INDEX_LIMITATIONS.has(k as WarningKind)).reduce((s, [, n]) => s + n, 0);
    const times = per.map((p) => p.ms).sort((a, b) => a - b);
    const table = per.map((p) => `${p.project.padEnd(40)} refs ${String(p.refs.resolved).padStart(4)}/${String(p.refs.unresolved).padEnd(3)} warnings ${String(Object.values(p.warnings).reduce((s, n) => s + n, 0)).padStart(3)} leftover ${String(p.leftoverFragments).padStart(3)} raw doc ${p.rawDocCalls} calls written ${String(p.refAccounting.written).padStart(3)} in untaken branch ${p.refAccounting.inUntakenBranch} lost ${p.refAccounting.lost.length} ${p.ms.toFixed(0).padStart(5)} ms`);
    process.stderr.write(`${table.join('\n')}\nwarnings by kind: ${JSON.stringify(byKind)}\n`);
    const label = `${per.length} real dbt projects`;
    return [
      { name: `dbt-real: refs resolved (${label})`, value: sum((p) => p.refs.resolved), unit: 'n', detail: { projects: per } },
      { name: 'dbt-real: refs unresolved (each warned: no such model in the project)', value: sum((p) => p.refs.unresolved), unit: 'n' },
      { name: 'dbt-real: warnings, all kinds', value: sum((p) => Object.values(p.warnings).reduce((s, n) => s + n, 0)), unit: 'n', detail: { byKind } },
      { name: 'dbt-real: warnings of the index\'s own making (unsupported)', value: ownMaking, unit: 'n', target: '0' },
      { name: 'dbt-real: places left unrendered (needs dbt, missing macro or package)', value: sum((p) => p.unrendered), unit: 'n' },
      { name: 'dbt-real: Jinja fragments left in rendered SQL', value: sum((p) => p.leftoverFragments), unit: 'n' },
      { name: 'dbt-real: of those, in files no warning explains', value: sum((p) => p.unexplainedLeftovers.reduce((s, u) => s + u.fragments, 0)), unit: 'n', target: '0', detail: { files: per.flatMap((p) => p.unexplainedLeftovers.map((u) => `${p.project}/${u.file}`)) } },
      { name: 'dbt-real: raw {{ doc( left in descriptions', value: sum((p) => p.rawDocCalls), unit: 'n', target: '0' },
      { name: 'dbt-real: literal ref() calls in model files that rendered', value: sum((p) => p.literalRefs.written - p.literalRefs.writtenButNotRendered), unit: 'n', detail: { written: sum((p) => p.literalRefs.written), notRendered: sum((p) => p.literalRefs.writtenButNotRendered), renderedViaVarsOrMacros: sum((p) => p.literalRefs.renderedNotWritten) } },
      { name: 'dbt-real: ref/source calls written in enabled models and lost without a warning', value: sum((p) => p.refAccounting.lost.length), unit: 'n', target: '0', detail: { written: sum((p) => p.refAccounting.written), renderedCalls: sum((p) => p.refAccounting.rendered), inUntakenBranch: sum((p) => p.refAccounting.inUntakenBranch), inWarnedFiles: sum((p) => p.refAccounting.warned), lost: per.flatMap((p) => p.refAccounting.lost.map((l) => `${p.project}/${l}`)) } },
      { name: 'dbt-real: index time per project, median', value: times[Math.floor(times.length / 2)] ?? 0, unit: 'ms', detail: { max: times[times.length - 1], total: sum((p) => p.ms) } },
    ];
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}
