import type { Cell, ResultColumnView } from '../src/protocol/messages';
import { columnKind } from './format';

/**
 * Which chart a result's shape calls for, if any: a line for a series over time, bars for a
 * ranking or categories. Pure, so the unit tests check the choice without drawing.
 */
export interface ChartChoice {
  kind: 'line' | 'bar';
  /** The column along the x axis (time or category). */
  x: number;
  /** The numeric columns drawn, at most four. */
  series: number[];
  /** Rows drawn (a bar chart keeps the first rows, in the result's order). */
  rows: number;
  /** Why this chart, for its caption. */
  reason: string;
}

export const MAX_BARS = 30;
const MAX_SERIES = 4;
const MAX_POINTS = 5000;
const TIME_NAME = /(^|_)(date|day|week|month|quarter|year|time|at|ts|period)$|^(date|day|week|month|quarter|year|period)/i;
const TIME_VALUE = /^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?/;

function isNumericColumn(column: ResultColumnView, rows: readonly Cell[][], i: number): boolean {
  if (columnKind(column) === 'number') return true;
  // SQLite results without a declared type: look at the values.
  if (column.type !== 'NULL' && column.type !== 'ANY') return false;
  return rows.slice(0, 50).every((r) => r[i] === null || typeof r[i] === 'number');
}

function isTimeColumn(column: ResultColumnView, rows: readonly Cell[][], i: number): boolean {
  if (columnKind(column) === 'temporal') return true;
  const sample = rows.slice(0, 50).map((r) => r[i]).filter((v) => v !== null);
  if (sample.length === 0) return false;
  if (sample.every((v) => typeof v === 'string' && TIME_VALUE.test(v))) return true;
  // A year column written as numbers (2023, 2024, …) is time when its name says so.
  return TIME_NAME.test(column.name) && sample.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1900 && v <= 2200);
}

export function chooseChart(columns: readonly ResultColumnView[], rows: readonly Cell[][]): ChartChoice | null {
  if (rows.length < 2 || columns.length < 2) return null;
  const time = columns.findIndex((c, i) => isTimeColumn(c, rows, i));
  const numeric = columns.map((c, i) => (i !== time && isNumericColumn(c, rows, i) && !/(^|_)id$/i.test(c.name) ? i : -1)).filter((i) => i >= 0);
  if (numeric.length === 0) return null;
  const series = numeric.slice(0, MAX_SERIES);
  const names = series.map((i) => columns[i]!.name).join(', ');
  if (time >= 0) {
    // Several rows per time point means another dimension (channel, category): not one clean series.
    const points = new Set(rows.map((r) => JSON.stringify(r[time])));
    if (points.size === rows.length && rows.length <= MAX_POINTS) {
      return { kind: 'line', x: time, series, rows: rows.length, reason: `${names} over ${columns[time]!.name}` };
    }
  }
  const category = columns.findIndex((c, i) => !series.includes(i) && !isNumericColumn(c, rows, i) && columnKind(c) !== 'nested');
  if (category < 0) return null;
  const labels = new Set(rows.map((r) => JSON.stringify(r[category])));
  if (labels.size < rows.length) return null;
  const shown = Math.min(rows.length, MAX_BARS);
  return { kind: 'bar', x: category, series, rows: shown, reason: `${names} by ${columns[category]!.name}${rows.length > shown ? ` (first ${shown} of ${rows.length})` : ''}` };
}
