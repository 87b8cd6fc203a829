import { tokenize } from '../sql/tokens';
import type { BucketUse, Unit } from './components';
import type { SqlEdit } from './match';

/* The edits of a safe grain adaptation: one unit literal or keyword of the approved SQL changed. */

/** The grain's buckets rewritten to another unit; an alias named after the old unit follows it. */
export function grainEdits(buckets: readonly BucketUse[], to: Unit, sql: string): SqlEdit[] {
  const out: SqlEdit[] = [];
  const from = buckets[0]!.unit;
  for (const b of buckets) {
    const t = b.token;
    out.push({ start: t.start, end: t.start + t.raw.length, text: b.via === 'date_trunc' ? `'${to}'` : to });
  }
  for (const t of tokenize(sql)) {
    if (t.kind === 'word' && t.text === from) {
      const before = sql.slice(0, t.start).trimEnd();
      if (/\bas$/i.test(before)) out.push({ start: t.start, end: t.start + t.raw.length, text: to });
    }
  }
  return out;
}

/** `date_trunc('year', current_date)` → `date_trunc('month', current_date)`, when the unit appears nowhere else. */
export function calendarEdits(sql: string, from: Unit, to: Unit): SqlEdit[] | undefined {
  const tokens = tokenize(sql);
  const out: SqlEdit[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const mentions = (t.kind === 'string' && t.text.toLowerCase() === from) || (t.kind === 'word' && t.text === from);
    if (!mentions) continue;
    const isTrunc = t.kind === 'string' && tokens[i - 2]?.text === 'date_trunc' && tokens[i + 1]?.text === ',' && ['current_date', 'now'].includes(tokens[i + 2]?.text ?? '');
    if (!isTrunc) return undefined;
    out.push({ start: t.start, end: t.start + t.raw.length, text: `'${to}'` });
  }
  return out.length > 0 ? out : undefined;
}
