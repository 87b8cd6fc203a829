import * as path from 'node:path';
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
