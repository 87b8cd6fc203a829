import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { Cell, ResultColumnView } from '../src/protocol/messages';
import type { ChartChoice } from './chartChoice';
import { h } from './dom';
import { plainCell } from './format';

// Only what the two chart kinds need, so the bundle stays small. Chart.js draws on a canvas and
// needs no eval, so the panel's CSP stays strict.
Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple'];

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function toNumber(v: Cell): number | null {
  if (v === null) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Draws `choice` into a new canvas; the caller removes the element (and calls destroy) when done. */
export function renderChart(choice: ChartChoice, columns: readonly ResultColumnView[], rows: readonly Cell[][]): { element: HTMLElement; destroy(): void } {
  let data = rows.slice(0, choice.rows);
  if (choice.kind === 'line') data = [...data].sort((a, b) => (plainCell(a[choice.x]!) < plainCell(b[choice.x]!) ? -1 : 1));
  const foreground = themeColor('--vscode-foreground', '#888');
  const grid = themeColor('--vscode-charts-lines', 'rgba(128,128,128,0.3)');
  const canvas = h('canvas', { role: 'img', 'aria-label': `${choice.kind === 'line' ? 'Line' : 'Bar'} chart of ${choice.reason}` });
  const element = h('div', { class: 'chart-box' }, canvas);
  const horizontal = choice.kind === 'bar' && data.length > 8;
  const chart = new Chart(canvas, {
    type: choice.kind,
    data: {
      labels: data.map((r) => plainCell(r[choice.x]!)),
      datasets: choice.series.map((column, k) => {
        const color = themeColor(PALETTE[k % PALETTE.length]!, '#3794ff');
        return {
          label: columns[column]!.name,
          data: data.map((r) => toNumber(r[column]!)),
          borderColor: color,
          backgroundColor: color,
          borderWidth: choice.kind === 'line' ? 2 : 0,
          pointRadius: data.length > 60 ? 0 : 2,
          tension: 0,
        };
      }),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: horizontal ? 'y' : 'x',
      color: foreground,
      plugins: { legend: { display: choice.series.length > 1, labels: { color: foreground } }, tooltip: { enabled: true } },
      scales: {
        x: { ticks: { color: foreground, maxRotation: 0, autoSkip: true }, grid: { color: grid } },
        y: { ticks: { color: foreground, autoSkip: !horizontal }, grid: { color: grid } },
      },
    },
  });
  element.style.height = `${horizontal ? Math.max(240, data.length * 22) : 300}px`;
  return { element, destroy: () => chart.destroy() };
}
