import type { Cell, ResultColumnView } from '../src/protocol/messages';
import { h } from './dom';
import { columnFormat, formatCell, sortOrder, type ColumnFormat } from './format';

/**
 * The result table. Only the rows in view (plus a margin) exist in the DOM, so 100,000 rows
 * scroll as smoothly as 10. It is an ARIA grid: screen readers hear row and column positions and
 * sort state; the keyboard moves an active cell (arrows, Page Up/Down, Home/End, Ctrl+Home/End)
 * and Enter on a column header sorts by it. Values only ever go into text nodes.
 */
const ROW_HEIGHT = 24;
const OVERSCAN = 8;
const MAX_VISIBLE_ROWS = 16;

export class ResultGrid {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly header: HTMLElement;
  private readonly formats: ColumnFormat[];
  private order: Uint32Array | undefined;
  private sort: { column: number; direction: 'ascending' | 'descending' } | undefined;
  private rendered = { first: -1, last: -1 };
  private active = { row: 0, column: 0 };
  private frame = 0;
  private readonly pool: HTMLElement[] = [];

  constructor(private readonly columns: readonly ResultColumnView[], private readonly rows: readonly Cell[][], label: string) {
    this.formats = columns.map(columnFormat);
    const template = this.columnWidths().map((w) => `${w}px`).join(' ');
    this.header = h('div', { class: 'grid-row grid-header', role: 'row', 'aria-rowindex': 1 });
    this.header.style.gridTemplateColumns = template;
    columns.forEach((c, i) => {
      const cell = h('div', {
        class: `grid-cell grid-columnheader${this.formats[i]!.kind === 'number' ? ' num' : ''}`,
        role: 'columnheader',
        'aria-colindex': i + 1,
        id: this.cellId(-1, i),
        title: `${c.name} · ${c.type} — click or press Enter to sort`,
      }, h('span', { class: 'name' }, c.name), h('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
      cell.addEventListener('click', () => {
        this.active = { row: -1, column: i };
        this.toggleSort(i);
      });
      this.header.append(cell);
    });
    this.spacer = h('div', { class: 'grid-spacer', role: 'presentation' });
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.spacer.style.width = `${this.columnWidths().reduce((a, b) => a + b, 0)}px`;
    this.viewport = h('div', {
      class: 'grid',
      role: 'grid',
      tabindex: 0,
      'aria-label': label,
      'aria-rowcount': rows.length + 1,
      'aria-colcount': columns.length,
      'aria-readonly': 'true',
    }, this.header, this.spacer);
    this.viewport.style.setProperty('--grid-template', template);
    this.viewport.style.height = `${Math.min(Math.max(rows.length, 1), MAX_VISIBLE_ROWS) * ROW_HEIGHT + ROW_HEIGHT + 2}px`;
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.viewport.addEventListener('keydown', (e) => this.onKey(e));
    this.viewport.addEventListener('focus', () => this.markActive());
    this.viewport.addEventListener('click', (e) => {
      const cell = (e.target as HTMLElement).closest<HTMLElement>('[role="gridcell"]');
      if (!cell) return;
      this.active = { row: Number(cell.dataset.row), column: Number(cell.dataset.col) };
      this.markActive();
    });
    this.element = this.viewport;
  }

  /** Draws the rows in view now; later scrolls redraw on the next frame. */
  renderNow(): void {
    this.renderRange(true);
  }

  /** The row order shown (after sorting), for copying what the person sees. */
  get shownOrder(): Uint32Array | undefined {
    return this.order;
  }

  private cellId(row: number, column: number): string {
    return row < 0 ? `gh-${column}` : `gc-${row}-${column}`;
  }

  private widths: number[] | undefined;

  /** Each column as wide as its header or its widest value among the first rows, within limits. */
  private columnWidths(): number[] {
    if (this.widths) return this.widths;
    const sample = this.rows.slice(0, 200);
    const measure = textMeasurer();
    this.widths = this.columns.map((c, i) => {
      let widest = measure(c.name, true) + 18;
      for (const r of sample) widest = Math.max(widest, measure(formatCell(r[i]!, this.formats[i]!), false));
      return Math.round(Math.min(420, Math.max(64, widest + 20)));
    });
    return this.widths;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderRange(false);
    });
  }

  private rowAt(index: number): number {
    return this.order ? this.order[index]! : index;
  }

  private renderRange(force: boolean): void {
    const height = this.viewport.clientHeight || MAX_VISIBLE_ROWS * ROW_HEIGHT;
    const top = Math.max(0, this.viewport.scrollTop);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    if (!force && first === this.rendered.first && last === this.rendered.last) return;
    this.rendered = { first, last };
    const needed = last - first;
    while (this.pool.length < needed) {
      const row = h('div', { class: 'grid-row', role: 'row' });
      row.style.gridTemplateColumns = 'var(--grid-template)';
      for (let c = 0; c < this.columns.length; c++) {
        row.append(h('div', { class: `grid-cell${this.formats[c]!.kind === 'number' ? ' num' : ''}`, role: 'gridcell', 'aria-colindex': c + 1 }));
      }
      this.pool.push(row);
      this.spacer.append(row);
    }
    for (let k = 0; k < this.pool.length; k++) {
      const row = this.pool[k]!;
      if (k >= needed) {
        row.hidden = true;
        continue;
      }
      const index = first + k;
      const data = this.rows[this.rowAt(index)]!;
      row.hidden = false;
      row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      row.setAttribute('aria-rowindex', String(index + 2));
      row.classList.toggle('odd', index % 2 === 1);
      for (let c = 0; c < this.columns.length; c++) {
        const cell = row.children[c] as HTMLElement;
        const value = data[c]!;
        cell.textContent = formatCell(value, this.formats[c]!);
        cell.classList.toggle('null', value === null);
        cell.dataset.row = String(index);
        cell.dataset.col = String(c);
        cell.id = this.cellId(index, c);
        cell.classList.toggle('active', index === this.active.row && c === this.active.column);
      }
    }
  }

  private toggleSort(column: number): void {
    const direction = this.sort?.column === column && this.sort.direction === 'ascending' ? 'descending' : 'ascending';
    this.sort = { column, direction };
    this.order = sortOrder(this.rows, column, this.formats[column]!.kind, direction);
    this.header.querySelectorAll<HTMLElement>('[role="columnheader"]').forEach((cell, i) => {
      if (i === column) cell.setAttribute('aria-sort', direction);
      else cell.removeAttribute('aria-sort');
      cell.querySelector('.sort-mark')!.textContent = i === column ? (direction === 'ascending' ? ' ▲' : ' ▼') : '';
    });
    this.renderRange(true);
    this.markActive();
  }

  private onKey(e: KeyboardEvent): void {
    const pageRows = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 2);
    let { row, column } = this.active;
    switch (e.key) {
      case 'ArrowDown': row = Math.min(this.rows.length - 1, row + 1); break;
      case 'ArrowUp': row = Math.max(-1, row - 1); break;
      case 'ArrowRight': column = Math.min(this.columns.length - 1, column + 1); break;
      case 'ArrowLeft': column = Math.max(0, column - 1); break;
      case 'PageDown': row = Math.min(this.rows.length - 1, row + pageRows); break;
      case 'PageUp': row = Math.max(0, row - pageRows); break;
      case 'Home': if (e.ctrlKey) row = 0; column = 0; break;
      case 'End': if (e.ctrlKey) row = this.rows.length - 1; column = this.columns.length - 1; break;
      case 'Enter':
      case ' ':
        if (row === -1) {
          e.preventDefault();
          this.toggleSort(column);
        }
        return;
      default: return;
    }
    e.preventDefault();
    this.active = { row, column };
    this.scrollIntoView();
    this.renderRange(true);
    this.markActive();
  }

  private scrollIntoView(): void {
    const { row } = this.active;
    if (row < 0) return;
    const top = row * ROW_HEIGHT;
    const visible = this.viewport.clientHeight - ROW_HEIGHT;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + ROW_HEIGHT > this.viewport.scrollTop + visible) this.viewport.scrollTop = top + ROW_HEIGHT - visible;
  }

  private markActive(): void {
    this.viewport.querySelectorAll('.active').forEach((c) => c.classList.remove('active'));
    const id = this.cellId(this.active.row, this.active.column);
    const cell = this.viewport.querySelector<HTMLElement>(`#${id}`);
    cell?.classList.add('active');
    if (cell) this.viewport.setAttribute('aria-activedescendant', id);
    else this.viewport.removeAttribute('aria-activedescendant');
  }
}

/** Text widths in the grid's fonts (the editor font for values, the UI font for headers). */
function textMeasurer(): (text: string, header: boolean) => number {
  const context = document.createElement('canvas').getContext('2d');
  const style = getComputedStyle(document.documentElement);
  const size = style.getPropertyValue('--vscode-editor-font-size').trim() || '13px';
  const valueFont = `${size} ${style.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace'}`;
  const headerFont = `600 ${style.getPropertyValue('--vscode-font-size').trim() || '13px'} ${style.getPropertyValue('--vscode-font-family').trim() || 'sans-serif'}`;
  return (text, header) => {
    if (!context) return text.length * 8;
    context.font = header ? headerFont : valueFont;
    return context.measureText(text).width;
  };
}
