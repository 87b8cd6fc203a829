import { tokenize, type Token } from '../sql/tokens';
import { comparatorOf, questionLiterals, words, wordsBefore, type Comparator, type QuestionLiteral } from './questionText';

/**
 * Adapting an approved pair's SQL to a new question by changing its literal values only: a value
 * the approved question states and its SQL uses (30 in "last 30 days" and `interval 30 day`,
 * 'DE', top 5 and `limit 5`) is replaced by the value the new question states in the same place.
 * Nothing else in the SQL changes, so the answer is always the approved SQL with values adapted.
 * Where that cannot be done faithfully the result says why, and the engine abstains.
 */
export interface Adaptation {
  kind: QuestionLiteral['kind'] | 'value' | 'grain';
  from: string;
  to: string;
}

/** A known value written in a question, with the column it belongs to when known. */
export interface ValueMention {
  value: string;
  column?: string;
}

export type AdaptResult =
  | { ok: true; sql: string; adaptations: Adaptation[]; kept: string[] }
  | { ok: false; reason: string };

export interface Edit {
  start: number;
  end: number;
  text: string;
}

const COMPARATOR_NAMES: Record<Comparator, string> = { gt: 'more than', gte: 'at least', lt: 'less than', lte: 'at most', eq: 'equal to' };

const KIND_NAMES: Record<QuestionLiteral['kind'], string> = { number: 'number', quoted: 'name', date: 'date', period: 'period', top: 'top-N count' };

export function adaptSql(
  pair: { question: string; sql: string },
  question: string,
  dialect: 'duckdb' | 'sqlite',
  values: { inPair: readonly ValueMention[]; inQuestion: readonly ValueMention[] } = { inPair: [], inQuestion: [] },
  /**
   * Edits the caller already decided on (a time grain, a calendar unit, a value of the same column):
   * applied with these, and calendar periods ("this month", "last year") are then the caller's.
   */
  extra?: readonly Edit[],
): AdaptResult {
  const tokens = tokenize(pair.sql);
  const from = questionLiterals(pair.question);
  const to = questionLiterals(question);
  const edits: Edit[] = [];
  const adaptations: Adaptation[] = [];
  const kept: string[] = [];
  const consumed = new Set<QuestionLiteral>();

  for (const kind of ['quoted', 'date', 'period', 'top', 'number'] as const) {
    const olds = from.filter((l) => l.kind === kind);
    const news = to.filter((l) => l.kind === kind);
    // Values the new question repeats stay as they are; the rest pair up in order.
    const open = news.filter((n) => !olds.some((o) => sameLiteral(o, n)) && !(extra && n.calendar));
    if (extra) for (const n of news) if (n.calendar) consumed.add(n);
    for (const old of olds) {
      if (extra && old.calendar) continue;
      const same = news.find((n) => sameLiteral(old, n));
      // A number keeps its comparison: "higher than 5" is not "in grade 5", nor "at least 5".
      const compared = (n: QuestionLiteral) => (kind === 'number' ? [comparatorOf(pair.question, old), comparatorOf(question, n)] as const : undefined);
      const cmp = same && compared(same);
      if (cmp && cmp[0] !== cmp[1]) return { ok: false, reason: `the approved question's ${old.text} is ${COMPARATOR_NAMES[cmp[0]]} ${old.text}, yours is ${COMPARATOR_NAMES[cmp[1]]} ${same.text}` };
      if (same) {
        consumed.add(same);
        continue;
      }
      const target = open.shift();
      const bound = bindings(old, tokens);
      if (!target) {
        // Written without quotes ("Jetblue Airways flights"), the value is still the question's own.
        if (bound.length > 0 && !mentions(question, old.value)) kept.push(`${KIND_NAMES[kind]} ${old.text} kept from the approved question`);
        continue;
      }
      consumed.add(target);
      const c = compared(target);
      // "More than one pet" counts pets; "older than 20" is a value of age: not the same number.
      if (kind === 'number' && countsSomething(pair.question, old) !== countsSomething(question, target)) return { ok: false, reason: `the approved question's ${old.text} ${countsSomething(pair.question, old) ? 'counts something' : 'is a value'}, your ${target.text} ${countsSomething(question, target) ? 'counts something' : 'is a value'}` };
      if (c && c[0] !== c[1]) return { ok: false, reason: `the approved question's ${old.text} is ${COMPARATOR_NAMES[c[0]]} ${old.text}, yours is ${COMPARATOR_NAMES[c[1]]} ${target.text}` };
      // A name replaces a name of the same thing: "first name is 'Tracy'" is not a last name.
      if (kind === 'quoted') {
        const was = wordsBefore(pair.question, old);
        const is = wordsBefore(question, target);
        if (was.some((w, k) => is[k] !== undefined && is[k] !== w)) return { ok: false, reason: `the approved question's ${old.text} is a ${[...was].reverse().join(' ')}, yours ${target.text} a ${[...is].reverse().join(' ')}` };
      }
      if (bound.length === 0) {
        return { ok: false, reason: `the approved question says "${old.text}" but its SQL does not show where, so it cannot be changed to "${target.text}"` };
      }
      if (kind === 'period' && old.unit !== target.unit && tokens.some((t) => t.kind === 'string' && t.text.toLowerCase() === old.unit)) {
        return { ok: false, reason: `its SQL also works by ${old.unit} ('${old.unit}'), so changing "${old.text}" to "${target.text}" would change its meaning` };
      }
      for (const t of bound) edits.push(...replace(t, old, target, tokens, dialect));
      adaptations.push({ kind, from: old.text, to: target.text });
    }
  }

  // "top 3" against an approved "top customers" whose SQL has LIMIT 10.
  const top = to.find((l) => l.kind === 'top' && !consumed.has(l));
  if (top && !from.some((l) => l.kind === 'top')) {
    const limit = tokens.findIndex((t, i) => t.kind === 'number' && tokens[i - 1]?.kind === 'word' && tokens[i - 1]!.text === 'limit');
    if (limit >= 0) {
      consumed.add(top);
      edits.push({ start: tokens[limit]!.start, end: tokens[limit]!.start + tokens[limit]!.raw.length, text: top.value });
      adaptations.push({ kind: 'top', from: `limit ${tokens[limit]!.text}`, to: top.text });
    }
  }

  const unplaced = to.find((l) => !consumed.has(l) && !namesAColumn(l, question, tokens));
  if (unplaced) return { ok: false, reason: `your question says "${unplaced.text}", and the approved pair has no ${KIND_NAMES[unplaced.kind]} to change` };

  // Known values written without quotes ("singers from France"): swap one of a column's values for another of the same column.
  for (const old of values.inPair) {
    if (values.inQuestion.some((v) => sameValue(v.value, old.value))) continue;
    const target = values.inQuestion.find((v) => v.column && v.column === old.column && !values.inPair.some((p) => sameValue(p.value, v.value)));
    if (!target) continue;
    const bound = tokens.filter((t) => (t.kind === 'string' || t.kind === 'quoted') && stripWildcards(t.text).toLowerCase() === old.value.toLowerCase());
    if (bound.length === 0) continue;
    for (const t of bound) edits.push({ start: t.start, end: t.start + t.raw.length, text: stringLiteral(t.text.replace(stripWildcards(t.text), target.value), t.kind === 'quoted' ? '"' : "'") });
    adaptations.push({ kind: 'value', from: old.value, to: target.value });
  }

  for (const e of extra ?? []) {
    const overlapping = edits.find((x) => x.start < e.end && e.start < x.end);
    if (!overlapping) edits.push(e);
    else if (overlapping.start !== e.start || overlapping.end !== e.end || overlapping.text !== e.text) return { ok: false, reason: 'two changes to the same part of its SQL disagree' };
  }

  return { ok: true, sql: applyEdits(pair.sql, edits), adaptations, kept };
}

/** A number followed by what it counts ("2 friends", "4 or more high schoolers"), not a value ("grade 10", "older than 20"). */
function countsSomething(question: string, l: QuestionLiteral): boolean {
  const after = words(question.slice(l.end)).filter((w) => !['or', 'and', 'more', 'less', 'fewer', 'above', 'over', 'below', 'under', 'plus', 'different', 'distinct', 'other'].includes(w));
  const next = after[0];
  return !!next && !/^\d/.test(next) && !STOP_AFTER.has(next);
}

// Words after a number that are not what it counts: "older than 20 in major 600", "20 and".
const STOP_AFTER = new Set(['in', 'on', 'at', 'of', 'for', 'to', 'by', 'with', 'the', 'a', 'an', 'is', 'are', 'was', 'were', 'and', 'or', 'than', 'but', 'who', 'that', 'which', 'as', 'from', 'years', 'year', 'old', 'times', 'time']);

/** Whether the question's words contain the value's words, in order. */
function mentions(question: string, value: string): boolean {
  const v = words(value).join(' ');
  return v.length > 0 && ` ${words(question).join(' ')} `.includes(` ${v} `);
}

function sameLiteral(a: QuestionLiteral, b: QuestionLiteral): boolean {
  return a.kind === b.kind && sameValue(a.value, b.value) && a.unit === b.unit;
}

function sameValue(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase() || (isNumeric(a) && isNumeric(b) && Number(a) === Number(b));
}

function isNumeric(s: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(s.trim());
}

function stripWildcards(s: string): string {
  return s.replace(/^%+|%+$/g, '');
}

function stringLiteral(s: string, quote: '"' | "'" = "'"): string {
  return `${quote}${s.split(quote).join(quote + quote)}${quote}`;
}

/** "line 1" in a question about the column line_1 is a name, not a value. */
function namesAColumn(l: QuestionLiteral, question: string, tokens: readonly Token[]): boolean {
  if (l.kind !== 'number') return false;
  const before = /([A-Za-z]+)\s*$/.exec(question.slice(0, l.start))?.[1]?.toLowerCase();
  if (!before) return false;
  const names = new Set([`${before}_${l.value}`, `${before}${l.value}`]);
  return tokens.some((t) => (t.kind === 'word' || t.kind === 'quoted') && names.has(t.text.toLowerCase()));
}

const UNIT_WORDS = /^(day|week|month|quarter|year)s?$/i;

/** The SQL tokens that carry an approved question's literal. */
function bindings(l: QuestionLiteral, tokens: readonly Token[]): Token[] {
  const isLimit = (i: number) => tokens[i - 1]?.kind === 'word' && tokens[i - 1]!.text === 'limit';
  return tokens.filter((t, i) => {
    switch (l.kind) {
      case 'quoted':
      case 'date':
        return (t.kind === 'string' || t.kind === 'quoted') && stripWildcards(t.text).toLowerCase() === l.value.toLowerCase();
      case 'top':
        return t.kind === 'number' && isLimit(i) && Number(t.text) === Number(l.value);
      case 'number':
        return (t.kind === 'number' && !isLimit(i) && Number(t.text) === Number(l.value)) || ((t.kind === 'string' || t.kind === 'quoted') && t.text.trim() === l.value);
      case 'period': {
        if (t.kind === 'string') {
          const m = /^\s*([+-]?)\s*(\d+)\s*([a-z]+)\s*$/i.exec(t.text);
          return !!m && Number(m[2]) === Number(l.value) && UNIT_WORDS.test(m[3]!);
        }
        if (t.kind !== 'number' || Number(t.text) !== Number(l.value)) return false;
        const next = tokens[i + 1];
        return tokens.slice(Math.max(0, i - 3), i).some((p) => p.kind === 'word' && p.text === 'interval') || (next?.kind === 'word' && UNIT_WORDS.test(next.text));
      }
    }
  });
}

function replace(t: Token, old: QuestionLiteral, target: QuestionLiteral, tokens: readonly Token[], dialect: 'duckdb' | 'sqlite'): Edit[] {
  const whole = (text: string): Edit => ({ start: t.start, end: t.start + t.raw.length, text });
  if (old.kind !== 'period') {
    if (t.kind === 'string' || t.kind === 'quoted') return [whole(stringLiteral(t.text.replace(stripWildcards(t.text).trim(), target.value), t.kind === 'quoted' ? '"' : "'"))];
    return [whole(target.value)];
  }
  const { count, unit } = periodFor(Number(target.value), target.unit!, dialect, t.kind === 'string');
  if (t.kind === 'string') {
    const m = /^\s*([+-]?)\s*(\d+)\s*([a-z]+)\s*$/i.exec(t.text)!;
    const plural = m[3]!.toLowerCase().endsWith('s') || count !== 1;
    return [whole(stringLiteral(`${m[1]}${count} ${unit}${plural ? 's' : ''}`))];
  }
  const edits = [whole(String(count))];
  const i = tokens.indexOf(t);
  const next = tokens[i + 1];
  if (next?.kind === 'word' && UNIT_WORDS.test(next.text) && unit !== old.unit) {
    edits.push({ start: next.start, end: next.start + next.raw.length, text: next.raw.toLowerCase().endsWith('s') ? `${unit}s` : unit });
  }
  return edits;
}

// SQLite's date modifiers know days, months and years only.
function periodFor(count: number, unit: string, dialect: 'duckdb' | 'sqlite', modifier: boolean): { count: number; unit: string } {
  if (dialect === 'sqlite' || modifier) {
    if (unit === 'week') return { count: count * 7, unit: 'day' };
    if (unit === 'quarter') return { count: count * 3, unit: 'month' };
  }
  return { count, unit };
}

function applyEdits(sql: string, edits: readonly Edit[]): string {
  let out = sql;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
