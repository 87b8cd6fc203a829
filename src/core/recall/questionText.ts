/**
 * Reading a question the way the recall engine and grounding compare them: lower-cased words
 * without accents, a light stemmer, number words as digits, and the literal values a question
 * carries (numbers, quoted names, dates, relative periods, top-N) with their positions, so that an
 * approved pair's values can be swapped for the asker's.
 */

export const STOP = new Set([
  'a', 'an', 'the', 'of', 'in', 'on', 'for', 'to', 'by', 'and', 'me', 'my', 'our', 'we', 'us', 'is', 'are', 'was', 'were',
  'do', 'does', 'did', 'what', 'which', 'who', 'whose', 'how', 'show', 'give', 'list', 'tell', 'find', 'from', 'with',
  'that', 'this', 'it', 'its', 'be', 'can', 'you', 'i', 'all', 'there', 'their', 'them', 'they', 'have', 'has', 'had', 'as', 'at',
  'please', 'also', 'some', 'any', 'those', 'these', 'whom', 'where', 'when', 'been', 'being', 'would', 'could', 'should',
  'get', 'see', 'let', 'know', 'want', 'need', 'display', 'report', 'about', 'into', 'than', 'so', 'just', 'only', 'then',
  'will', 'up', 'out', 'via', 'data', 'information', 'info', 'record', 'records', 'entry', 'entries',
]);

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  fifteen: 15, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, ninety: 90, hundred: 100, thousand: 1000,
};

/** Lower case, accents removed, apostrophes dropped ("don't" → "dont"), everything else a space. */
export function foldText(text: string): string {
  return text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/['’]/g, '');
}

/** Enough stemming to match "customers" with "customer" and "ordered" with "order". */
export function stem(t: string): string {
  if (t.length > 4 && t.endsWith('ies')) return `${t.slice(0, -3)}y`;
  if (t.length > 5 && t.endsWith('ing')) return t.slice(0, -3);
  if (t.length > 4 && t.endsWith('ed') && !t.endsWith('eed')) return t.slice(0, -2);
  if (t.length > 4 && t.endsWith('es') && /(?:ch|sh|ss|x)es$/.test(t)) return t.slice(0, -2);
  if (t.length > 3 && t.endsWith('s') && !t.endsWith('ss') && !t.endsWith('us') && !t.endsWith('is')) return t.slice(0, -1);
  return t;
}

/** Every word of the text, folded, number words as digits; nothing dropped. */
export function words(text: string): string[] {
  return foldText(text)
    .split(/[^a-z0-9.]+|(?<=[a-z])\.|\.(?![0-9])/)
    .filter((w) => w.length > 0)
    .map((w) => (NUMBER_WORDS[w] !== undefined ? String(NUMBER_WORDS[w]) : w));
}

/** The content words of a question, stemmed: what similarity compares. */
export function contentTokens(text: string): string[] {
  // "Return the names…" asks; "the return rate" is about returns.
  return words(text.replace(/^\s*return\b/i, '')).filter((w) => !STOP.has(w)).map(stem);
}

/** The words of a schema name: `SourceAirport`, `source_airport` and `source airport` all give [source, airport]. */
export function nameTerms(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => stem(w.toLowerCase()));
}

export type LiteralKind = 'number' | 'quoted' | 'date' | 'period' | 'top';

/** A value written in a question. */
export interface QuestionLiteral {
  kind: LiteralKind;
  /** As written. */
  text: string;
  /** The value: the number, the unquoted name, the ISO date, or for a period its count. */
  value: string;
  /** For a period: day, week, month, quarter or year. */
  unit?: string;
  /** A calendar period ("this month", "last year"), not a rolling one ("last 30 days"). */
  calendar?: boolean;
  start: number;
  end: number;
}

const UNITS: Record<string, string> = {
  day: 'day', days: 'day', week: 'week', weeks: 'week', month: 'month', months: 'month', quarter: 'quarter', quarters: 'quarter', year: 'year', years: 'year',
};

/**
 * The literal values of a question, left to right. Periods ("last 30 days", "past 3 months") and
 * top-N ("top 5") are recognised as such, so that their number is not also a plain number.
 */
export function questionLiterals(question: string): QuestionLiteral[] {
  const out: QuestionLiteral[] = [];
  const taken: Array<[number, number]> = [];
  const free = (s: number, e: number) => taken.every(([a, b]) => e <= a || s >= b);
  const add = (l: QuestionLiteral) => {
    if (!free(l.start, l.end)) return;
    out.push(l);
    taken.push([l.start, l.end]);
  };
  const numberOf = (w: string) => (NUMBER_WORDS[w.toLowerCase()] !== undefined ? String(NUMBER_WORDS[w.toLowerCase()]) : w.replace(/,/g, ''));
  const num = '(\\d[\\d,]*(?:\\.\\d+)?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred)';
  for (const m of question.matchAll(/"([^"]{1,80})"|“([^”]{1,80})”|‘([^’]{1,80})’|'([^']{1,80})'/g)) {
    // An apostrophe inside a word ("customer's") is not a quote.
    if (m[4] !== undefined && /\w/.test(question[m.index - 1] ?? '')) continue;
    add({ kind: 'quoted', text: m[0], value: (m[1] ?? m[2] ?? m[3] ?? m[4])!.trim(), start: m.index, end: m.index + m[0].length });
  }
  for (const m of question.matchAll(/\b\d{4}-\d{2}-\d{2}\b/g)) add({ kind: 'date', text: m[0], value: m[0], start: m.index, end: m.index + m[0].length });
  const period = new RegExp(`\\b(?:last|past|previous|prior|trailing)\\s+${num}\\s+(days?|weeks?|months?|quarters?|years?)\\b`, 'gi');
  for (const m of question.matchAll(period)) add({ kind: 'period', text: m[0], value: numberOf(m[1]!), unit: UNITS[m[2]!.toLowerCase()], start: m.index, end: m.index + m[0].length });
  const single = /\b(?:last|past|previous|this)\s+(day|week|month|quarter|year)\b/gi;
  for (const m of question.matchAll(single)) add({ kind: 'period', text: m[0], value: '1', unit: UNITS[m[1]!.toLowerCase()], calendar: true, start: m.index, end: m.index + m[0].length });
  // "more than once", "at least twice", "more than one song": counts written as words.
  for (const m of question.matchAll(/\b(?:(?:more|less|fewer|greater) than|at (?:least|most)|exactly|over|under)\s+(one|once|twice|thrice|a single)\b/gi)) {
    const w = m[1]!.toLowerCase();
    const s = m.index + m[0].length - w.length;
    add({ kind: 'number', text: m[1]!, value: String({ one: 1, once: 1, twice: 2, thrice: 3, 'a single': 1 }[w]), start: s, end: s + w.length });
  }
  for (const m of question.matchAll(/\b(twice|thrice)\b/gi)) add({ kind: 'number', text: m[1]!, value: m[1]!.toLowerCase() === 'twice' ? '2' : '3', start: m.index, end: m.index + m[0].length });
  for (const m of question.matchAll(new RegExp(`\\b(?:top|first|bottom|best|worst|largest|biggest|smallest)\\s+${num}\\b`, 'gi'))) {
    const n = m[1]!;
    const s = m.index + m[0].length - n.length;
    add({ kind: 'top', text: n, value: numberOf(n), start: s, end: s + n.length });
  }
  // "our 10 best-selling products": the count of a ranking, written before it.
  for (const m of question.matchAll(new RegExp(`(?<![\\w.-])${num}\\s+(?=(?:best|top|most|worst|highest|lowest|largest|biggest|smallest)\\b)`, 'gi'))) {
    add({ kind: 'top', text: m[1]!, value: numberOf(m[1]!), start: m.index, end: m.index + m[1]!.length });
  }
  for (const m of question.matchAll(new RegExp(`(?<![\\w.-])${num}(?![\\w-]|\\.\\d)`, 'gi'))) {
    add({ kind: 'number', text: m[0], value: numberOf(m[1]!), start: m.index, end: m.index + m[0].length });
  }
  return out.sort((a, b) => a.start - b.start);
}

export type Comparator = 'gt' | 'gte' | 'lt' | 'lte' | 'eq';

/**
 * How a number of the question is compared: "older than 20" (gt), "at least 4" and "4 or more"
 * (gte), "grade 9" (eq). Read from the words of its own clause, back to the previous number, "and",
 * "or" or comma, so that "higher than 5 and in grade 9" reads 9 as equal.
 */
export function comparatorOf(question: string, l: Pick<QuestionLiteral, 'start' | 'end'>): Comparator {
  const clause = (s: string) => foldText(s).replace(/[^a-z0-9, ]+/g, ' ');
  const before = clause(question.slice(0, l.start)).split(/,|\b(?:and|or|\d+)\b/).at(-1)!.trim().split(/\s+/).slice(-5).join(' ');
  const after = clause(question.slice(l.end)).trim();
  if (/\b(at least|no less than|not less than|no fewer than|minimum of)$/.test(before) || /^(or more|or above|or over|or higher|or greater|and above|and more|and over|plus)\b/.test(after)) return 'gte';
  if (/\b(at most|no more than|not more than|up to|maximum of)$/.test(before) || /^(or less|or fewer|or below|or under|or lower|and below|and under)\b/.test(after)) return 'lte';
  if (/\b(more|greater|higher|larger|bigger|heavier|older|taller|longer|later|over|above|exceeds?|exceeding|after|since|beyond)\b/.test(before)) return 'gt';
  if (/\b(less|fewer|lower|smaller|lighter|younger|shorter|earlier|under|below|before)\b/.test(before)) return 'lt';
  return 'eq';
}

// Words that only link a name to what it names: "whose last name is 'Smith'", "the ship named 'Lettice'".
const LINKING = new Set(['is', 'are', 'was', 'were', 'be', 'being', 'named', 'called', 'equal', 'equals', 'as', 'the', 'a', 'an', 'of', 'with', 'whose', 'who', 'that', 'which']);

/** The two content words just before a literal, nearest first: what the literal is a value of. */
export function wordsBefore(question: string, l: Pick<QuestionLiteral, 'start'>): string[] {
  return words(question.slice(0, l.start)).filter((w) => !LINKING.has(w)).slice(-2).reverse().map(stem);
}
