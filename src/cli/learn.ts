import type { AugmentReport, EvaluationOutcome, ExportReport, ImportReport, TrainReport } from '../usecases/learning';
import type { Score, VersionReport } from '../core/learning/evaluation';

/** Text for `askdata train`, `eval`, `train export`, `train import-adapter` and `augment`; --json prints the reports as they are. */
export function trainText(r: TrainReport): string {
  const lines = [
    `${r.built ? 'Built' : 'Unchanged, not rebuilt:'} ${r.model} from ${r.from}`,
    `  ${r.pairs.length} approved pairs as messages (${r.tokens.messages} tokens of num_ctx ${r.tokens.numCtx}), system prompt ${r.tokens.system} tokens with ${r.schemaTables.shown} of ${r.schemaTables.available} tables`,
  ];
  if (r.left.length) lines.push(`  left out to fit the context: ${r.left.join(', ')}`);
  if (r.removed.length) lines.push(`  removed superseded: ${r.removed.join(', ')}`);
  lines.push(r.promoted === r.model ? '  it is the model that answers' : `  answering stays with ${r.promoted ?? 'the base model'} until \`askdata eval\` promotes this one`);
  return `${lines.join('\n')}\n`;
}

const pct = (s: Score) => (s.cases === 0 ? '   –  ' : `${(s.accuracy * 100).toFixed(1).padStart(5)}%`);

export function evaluationText(o: EvaluationOutcome): string {
  const { record } = o;
  const versions: VersionReport[] = record.versions;
  const tags = [...new Set(versions.flatMap((v) => Object.keys(v.perTag)))].sort();
  const width = Math.max(14, ...tags.map((t) => t.length + 2));
  const header = `${'query type'.padEnd(width)}${versions.map((v) => v.version.slice(0, 30).padStart(Math.max(12, v.version.length + 2))).join('')}`;
  const row = (label: string, pick: (v: VersionReport) => Score) => `${label.padEnd(width)}${versions.map((v) => `${pct(pick(v))} (${pick(v).cases})`.padStart(Math.max(12, v.version.length + 2))).join('')}`;
  const lines = [
    `Execution accuracy on ${record.approvedPairs} approved pairs, ${record.k}-fold: each pair answered by a version that did not see it (Spider's comparison; cases in brackets)`,
    '',
    header,
    row('all', (v) => v.overall),
    ...tags.map((t) => row(t, (v) => v.perTag[t] ?? { cases: 0, spider: 0, bird: 0, accuracy: 0 })),
    '',
    ...versions.map((v) => `${v.version}: Spider ${v.overall.spider}/${v.overall.cases}, BIRD ${v.overall.bird}/${v.overall.cases}; ${outcomes(record.cases.filter((c) => c.version === v.version))}${v.notes.length ? ` — ${v.notes.join('; ')}` : ''}`),
  ];
  if (o.skipped.length) lines.push('', ...o.skipped.map((s) => `not run: ${s}`));
  if (record.decision) lines.push('', `${record.decision.promote ? 'Promoted' : 'Not promoted'}: ${record.decision.reason}`, `Answering model: ${record.decision.model ?? 'the base model'}`);
  lines.push('', `Kept in ${o.file}`);
  return `${lines.join('\n')}\n`;
}

function outcomes(cases: ReadonlyArray<{ status: string }>): string {
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

export function exportText(r: ExportReport): string {
  return [
    `Wrote ${r.train.length} training and ${r.validation.length} validation examples to ${r.out}`,
    `  Ollama base ${r.base}; train on the Hugging Face base ${r.huggingFace ?? '(unknown for this model: see README.md)'}`,
    ...r.files.map((f) => `  ${f}`),
    '  README.md has the training recipe (not run here: no GPU, no weights).',
  ].join('\n') + '\n';
}

export function importText(r: ImportReport): string {
  return `${r.uploaded ? 'Uploaded' : 'Already on the server:'} ${r.digest}${r.architecture ? ` (${r.architecture} adapter)` : ''}\nBuilt ${r.model}\n\n${evaluationText(r.evaluation)}`;
}

export function augmentText(r: AugmentReport): string {
  const lines = r.written.map((w) => `pending  ${w.file}  (${w.kind} of ${w.of}): ${w.question}`);
  lines.push(...r.dropped.map((d) => `dropped  ${d.kind} of ${d.of}: ${d.reason}`));
  lines.push('', `${r.written.length} synthetic pair${r.written.length === 1 ? '' : 's'} written as pending, for review in the queue; none is approved.`);
  return `${lines.join('\n')}\n`;
}
