import type { Score } from '../core/learning/evaluation';
import type { CurvePoint, EvaluationRecord } from '../core/learning/records';

/**
 * The evaluation report: a static page (no script at all, so its CSP is `default-src 'none'` with
 * one nonce'd style) with the decision, accuracy per query type and version as grouped bars, the
 * learning curve over past evaluations, and the same numbers as tables for screen readers and
 * copying. Everything from pairs and models is escaped. Kept free of `vscode` so it is tested in Node.
 */
const COLORS = ['var(--vscode-charts-blue)', 'var(--vscode-charts-green)', 'var(--vscode-charts-orange)', 'var(--vscode-charts-purple)'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function evaluationReportHtml(input: { project: string; record: EvaluationRecord; file: string; curve: CurvePoint[]; nonce: string; cspSource: string }): string {
  const { record } = input;
  const versions = record.versions;
  const tags = [...new Set(versions.flatMap((v) => Object.keys(v.perTag)))].sort();
  const rows: Array<{ label: string; scores: Array<Score | undefined> }> = [
    { label: 'all questions', scores: versions.map((v) => v.overall) },
    ...tags.map((t) => ({ label: t, scores: versions.map((v) => v.perTag[t]) })),
  ];
  const decision = record.decision
    ? `<p class="decision ${record.decision.promote ? 'promoted' : 'kept'}" role="status"><strong>${record.decision.promote ? 'Promoted' : 'Not promoted'}.</strong> ${escapeHtml(record.decision.reason)} Answering model: <code>${escapeHtml(record.decision.model ?? 'the base model')}</code>.</p>`
    : '<p class="decision">No promotion decision: only some versions could be evaluated.</p>';
  const legend = versions.map((v, i) => `<span class="key"><span class="swatch c${i % COLORS.length}"></span>${escapeHtml(v.version)}</span>`).join('');
  const table = `<table><caption>Execution accuracy (Spider's comparison; BIRD's set comparison in brackets) — correct / judged</caption><thead><tr><th scope="col">Query type</th>${versions.map((v) => `<th scope="col">${escapeHtml(v.version)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr><th scope="row">${escapeHtml(r.label)}</th>${r.scores.map((s) => `<td>${s && s.cases > 0 ? `${pct(s.accuracy)} <span class="muted">${s.spider}/${s.cases} (${s.bird})</span>` : '<span class="muted">–</span>'}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const notes = versions.flatMap((v) => v.notes.map((n) => `<li>${escapeHtml(v.version)}: ${escapeHtml(n)}</li>`)).join('');
  const cases = `<details><summary>Every held-out pair (${record.cases.length} answers)</summary><table><thead><tr><th scope="col">Pair</th><th scope="col">Version</th><th scope="col">Fold</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead><tbody>${record.cases
    .map((c) => `<tr><td>${escapeHtml(c.pair.replace(/^askdata\/pairs\//, ''))}</td><td>${escapeHtml(c.version)}</td><td>${c.fold + 1}</td><td class="status-${c.status}">${escapeHtml(c.status)}</td><td>${escapeHtml(c.detail ?? '')}</td></tr>`)
    .join('')}</tbody></table></details>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${input.nonce}'; img-src ${input.cspSource};">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evaluation</title>
<style nonce="${input.nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 20px 24px; max-width: 1100px; }
h1 { font-size: 1.4em; font-weight: 600; margin: 16px 0 4px; } h2 { font-size: 1.1em; font-weight: 600; margin: 24px 0 8px; }
.muted { color: var(--vscode-descriptionForeground); }
.decision { padding: 8px 12px; border-left: 3px solid var(--vscode-textLink-foreground); background: var(--vscode-textBlockQuote-background); }
.decision.promoted { border-left-color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
.decision.kept { border-left-color: var(--vscode-editorWarning-foreground); }
table { border-collapse: collapse; margin: 8px 0; } caption { text-align: left; color: var(--vscode-descriptionForeground); padding-bottom: 4px; }
th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid var(--vscode-widget-border, var(--vscode-panel-border)); vertical-align: top; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; margin: 4px 0; } .key { display: inline-flex; align-items: center; gap: 6px; }
.swatch { width: 12px; height: 12px; display: inline-block; forced-color-adjust: none; }
${COLORS.map((c, i) => `.c${i} { background: ${c}; }`).join(' ')}
svg text { fill: var(--vscode-foreground); font-size: 11px; font-family: var(--vscode-font-family); }
svg .axis { stroke: var(--vscode-descriptionForeground); stroke-width: 1; } svg .grid { stroke: var(--vscode-widget-border, var(--vscode-panel-border)); stroke-width: 1; stroke-dasharray: 2 3; }
.status-correct { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); } .status-failed, .status-wrong-result { color: var(--vscode-errorForeground); }
code { font-family: var(--vscode-editor-font-family); }
summary { cursor: pointer; margin: 16px 0 4px; }
</style></head>
<body>
<h1>Evaluation of ${escapeHtml(input.project)}</h1>
<p class="muted">${escapeHtml(new Date(record.at).toUTCString())}${record.by ? ` · ${escapeHtml(record.by)}` : ''} · ${record.approvedPairs} approved pairs, ${record.k}-fold: every pair answered by a version that did not see it · kept in <code>${escapeHtml(input.file)}</code></p>
${decision}
<h2>Accuracy by query type</h2>
<div class="legend">${legend}</div>
${barChart(rows, versions.map((v) => v.version))}
${table}
${notes ? `<ul class="muted">${notes}</ul>` : ''}
<h2>Learning curve</h2>
${curveChart(input.curve)}
${cases}
</body></html>`;
}

function barChart(rows: ReadonlyArray<{ label: string; scores: Array<Score | undefined> }>, versions: readonly string[]): string {
  const left = 150;
  const width = 640;
  const bar = 12;
  const group = versions.length * bar + 10;
  const height = rows.length * group + 24;
  const x = (a: number) => left + a * (width - left - 50);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((g) => `<line class="grid" x1="${x(g)}" x2="${x(g)}" y1="0" y2="${height - 20}"/><text x="${x(g)}" y="${height - 6}" text-anchor="middle">${g * 100}%</text>`).join('');
  const bars = rows.map((r, i) => {
    const y0 = i * group + 4;
    const label = `<text x="${left - 8}" y="${y0 + (versions.length * bar) / 2 + 4}" text-anchor="end">${escapeHtml(r.label)}</text>`;
    return label + r.scores.map((s, j) => {
      if (!s || s.cases === 0) return '';
      const w = Math.max(1, x(s.accuracy) - left);
      return `<rect x="${left}" y="${y0 + j * bar}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${COLORS[j % COLORS.length]}"><title>${escapeHtml(versions[j]!)}, ${escapeHtml(r.label)}: ${pct(s.accuracy)} (${s.spider}/${s.cases})</title></rect><text x="${(left + w + 4).toFixed(1)}" y="${y0 + j * bar + bar - 3}">${pct(s.accuracy)}</text>`;
    }).join('');
  }).join('');
  return `<svg role="img" aria-label="Accuracy by query type and version; the numbers are in the table below" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${grid}<line class="axis" x1="${left}" x2="${left}" y1="0" y2="${height - 20}"/>${bars}</svg>`;
}

function curveChart(points: readonly CurvePoint[]): string {
  if (points.length === 0) return '<p class="muted">No evaluations yet.</p>';
  const kinds = (['recall', 'base', 'specialised', 'adapter'] as const).filter((k) => points.some((p) => p.accuracy[k] !== undefined));
  const width = 640;
  const height = 220;
  const pad = { left: 44, right: 20, top: 10, bottom: 36 };
  const maxPairs = Math.max(...points.map((p) => p.approvedPairs), 1);
  const minPairs = Math.min(...points.map((p) => p.approvedPairs));
  const span = maxPairs - minPairs || 1;
  const x = (n: number) => pad.left + (points.length === 1 ? 0.5 : (n - minPairs) / span) * (width - pad.left - pad.right);
  const y = (a: number) => pad.top + (1 - a) * (height - pad.top - pad.bottom);
  const grid = [0, 0.5, 1].map((g) => `<line class="grid" x1="${pad.left}" x2="${width - pad.right}" y1="${y(g)}" y2="${y(g)}"/><text x="${pad.left - 6}" y="${y(g) + 4}" text-anchor="end">${g * 100}%</text>`).join('');
  const ticks = [...new Set(points.map((p) => p.approvedPairs))].map((n) => `<text x="${x(n)}" y="${height - pad.bottom + 16}" text-anchor="middle">${n}</text>`).join('');
  const series = kinds.map((k, i) => {
    const pts = points.filter((p) => p.accuracy[k] !== undefined).map((p) => [x(p.approvedPairs), y(p.accuracy[k]!), p] as const);
    const color = COLORS[i % COLORS.length];
    const line = pts.length > 1 ? `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>` : '';
    return line + pts.map(([a, b, p]) => `<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="4" fill="${color}"><title>${k}: ${pct(p.accuracy[k]!)} with ${p.approvedPairs} approved pairs (${escapeHtml(p.at.slice(0, 10))})</title></circle>`).join('');
  }).join('');
  const legend = kinds.map((k, i) => `<span class="key"><span class="swatch c${i % COLORS.length}"></span>${k}</span>`).join('');
  const rows = points.map((p) => `<tr><td>${escapeHtml(p.at.slice(0, 16).replace('T', ' '))}</td><td>${p.approvedPairs}</td>${kinds.map((k) => `<td>${p.accuracy[k] === undefined ? '–' : pct(p.accuracy[k])}</td>`).join('')}</tr>`).join('');
  return `<div class="legend">${legend}</div><svg role="img" aria-label="Accuracy against the number of approved pairs, one point per evaluation; the numbers are in the table below" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${grid}${ticks}<text x="${(width + pad.left) / 2}" y="${height - 4}" text-anchor="middle">approved pairs</text>${series}</svg>
<table><caption>Each evaluation</caption><thead><tr><th scope="col">When (UTC)</th><th scope="col">Approved pairs</th>${kinds.map((k) => `<th scope="col">${k}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}
