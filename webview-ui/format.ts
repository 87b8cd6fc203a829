import type { Cell, ResultColumnView } from '../src/protocol/messages';

/**
 * How result values look and sort. Pure (no DOM), so the unit tests check it directly. Exact
 * values stay exact: DuckDB's BIGINT and DECIMAL arrive as text and are grouped, never rounded.
 */

export type ColumnKind = 'number' | 'temporal' | 'boolean' | 'text' | 'nested';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL|NUMERIC)\b/i;
const TEMPORAL = /^(DATE|TIME|TIMESTAMP|INTERVAL)\b/i;

export function columnKind(column: ResultColumnView): ColumnKind {
  const type = column.type.trim();
  if (NUMERIC.test(type)) return 'number';
  if (TEMPORAL.test(type)) return 'temporal';
  if (/^BOOL/i.test(type)) return 'boolean';
  if (/\[\]$|^(LIST|STRUCT|MAP|ARRAY|UNION)\b/i.test(type)) return 'nested';
  return 'text';
}

/** Identifiers, years and codes are numbers nobody reads with thousands separators. */
const UNGROUPED = /(^|_)(id|key|year|yr|code|zip|postcode|number|no)$/i;

export interface ColumnFormat {
  kind: ColumnKind;
  group: boolean;
}

export function columnFormat(column: ResultColumnView): ColumnFormat {
  const kind = columnKind(column);
  return { kind, group: kind === 'number' && !UNGROUPED.test(column.name) };
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });
const plainNumberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6, useGrouping: false });

/** "1234567.50" → "1,234,567.50": digit grouping on the exact text, the decimals untouched. */
export function groupDigits(text: string): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!m) return text;
  return `${m[1]}${m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}`;
}

export function formatCell(value: Cell, format: ColumnFormat): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return Number.isFinite(value) ? (format.group ? numberFormat : plainNumberFormat).format(value) : String(value);
  if (typeof value === 'string') return format.group ? groupDigits(value) : value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

/** The raw text of a value, for copying: no grouping, no NULL marker. */
export function plainCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function numeric(v: Cell): number {
  return typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : typeof v === 'boolean' ? Number(v) : Number.NaN;
}

/** Compares two values of a column; NULLs sort last either way round, as in most SQL engines' NULLS LAST. */
export function compareCells(a: Cell, b: Cell, kind: ColumnKind): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (kind === 'number' || (typeof a === 'number' && typeof b === 'number')) {
    const x = numeric(a);
    const y = numeric(b);
    if (x !== y) return x < y ? -1 : 1;
    return 0;
  }
  const s = plainCell(a);
  const t = plainCell(b);
  return s < t ? -1 : s > t ? 1 : 0;
}

/** Row order after sorting by `column`; stable, NULLs last in both directions. */
export function sortOrder(rows: readonly Cell[][], column: number, kind: ColumnKind, direction: 'ascending' | 'descending'): Uint32Array {
  const order = new Uint32Array(rows.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const sign = direction === 'ascending' ? 1 : -1;
  const sorted = Array.from(order).sort((i, j) => {
    const a = rows[i]![column]!;
    const b = rows[j]![column]!;
    if (a === null || b === null) return compareCells(a, b, kind) || i - j;
    return sign * compareCells(a, b, kind) || i - j;
  });
  return Uint32Array.from(sorted);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header row; `order` gives the rows in the order shown. */
export function toCsv(columns: readonly ResultColumnView[], rows: readonly Cell[][], order?: ArrayLike<number>): string {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  const n = order?.length ?? rows.length;
  for (let k = 0; k < n; k++) lines.push(rows[order ? order[k]! : k]!.map((v) => csvField(plainCell(v))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function markdownField(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A GitHub-flavoured Markdown table, numbers right-aligned. */
export function toMarkdown(columns: readonly ResultColumnView[], rows: readonly Cell[][], order?: ArrayLike<number>): string {
  const formats = columns.map(columnFormat);
  const header = `| ${columns.map((c) => markdownField(c.name)).join(' | ')} |`;
  const rule = `|${formats.map((f) => (f.kind === 'number' ? ' ---: ' : ' --- ')).join('|')}|`;
  const n = order?.length ?? rows.length;
  const body: string[] = [];
  for (let k = 0; k < n; k++) body.push(`| ${rows[order ? order[k]! : k]!.map((v, i) => markdownField(formatCell(v, formats[i]!))).join(' | ')} |`);
  return `${[header, rule, ...body].join('\n')}\n`;
}
