import { tokenize, type Token } from '../sql/tokens';
import { foldText, nameTerms, stem, words } from './questionText';

/**
 * What a question asks for and what a query does, in one vocabulary, so that "Return the number
 * of airports" and `SELECT count(*) FROM airports` can be compared: intents (`!count`, `!max`,
 * `!not`, …), schema items (`t:airports`, `c:source_airport`) and values (`v:jetblue airways`).
 */

/** Tables and columns as grounding and recall see them; values are known values of a column. */
export interface SchemaRelation {
  key: string;
  description?: string;
  columns: ReadonlyArray<{ name: string; description?: string; values?: readonly string[] }>;
}

interface KnownValue {
  feature: string;
  value: string;
  /** The one column holding the value, when only one does. */
  column?: string;
  /** Every column known to hold it. */
  columns: string[];
}

interface VocabularyItem {
  feature: string;
  terms: string[];
}

/** The schema's names and values, indexed for matching against question words. */
export class Vocabulary {
  /** Items by their rarest term: a question must contain that term for the item to match. */
  private readonly byTerm = new Map<string, VocabularyItem[]>();
  private readonly termCount = new Map<string, number>();
  private pending: VocabularyItem[] = [];
  private readonly termsByPrefix = new Map<string, Set<string>>();
  private readonly values = new Map<string, KnownValue>();
  private maxValueWords = 1;
  /** Lower-case table keys and bare table names → `t:` feature. */
  readonly tables = new Map<string, string>();
  /** Lower-case column names → `c:` feature. */
  readonly columns = new Map<string, string>();
  /** Lower-case table keys and bare names → the table's column names. */
  private readonly columnsByTable = new Map<string, string[]>();

  constructor(relations: readonly SchemaRelation[]) {
    for (const r of relations) {
      const key = r.key.toLowerCase();
      const feature = `t:${key}`;
      this.tables.set(key, feature);
      const bare = key.slice(key.lastIndexOf('.') + 1);
      if (!this.tables.has(bare)) this.tables.set(bare, feature);
      this.addItem(feature, nameTerms(bare));
      const names = r.columns.map((c) => c.name);
      this.columnsByTable.set(key, names);
      if (!this.columnsByTable.has(bare)) this.columnsByTable.set(bare, names);
      for (const c of r.columns) {
        const name = c.name.toLowerCase();
        const cf = `c:${name}`;
        if (!this.columns.has(name)) {
          this.columns.set(name, cf);
          this.addItem(cf, nameTerms(c.name));
        }
        for (const v of c.values ?? []) this.addValue(v, `${key}.${name}`);
        if (c.values && isCountryColumn(c.name, c.description)) this.addCountryNames(c.values, `${key}.${name}`);
      }
    }
  }

  /**
   * A column of ISO 3166 country codes ('DE', 'FR'): a question says "Germany", the SQL filters on
   * 'DE'. The names come from the runtime's own ICU data (Intl.DisplayNames), in English.
   */
  private addCountryNames(values: readonly string[], column: string): void {
    if (!values.every((v) => /^[A-Z]{2}$/.test(v))) return;
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    for (const code of values) {
      const name = names.of(code);
      if (!name) continue;
      for (const alias of [name, ...(COUNTRY_ALIASES[code] ?? [])]) {
        const folded = valueKey(alias);
        if (!folded || this.values.has(folded)) continue;
        this.bySingular = undefined;
    this.values.set(folded, { feature: `v:${valueKey(code)}`, value: code, column, columns: [column] });
        this.maxValueWords = Math.max(this.maxValueWords, Math.min(6, folded.split(' ').length));
      }
    }
  }

  /** Other known values of the column a value belongs to, as a question would write them (country names for codes). */
  otherValues(value: string, column: string): string[] {
    const names = new Map<string, string>();
    for (const [key, v] of this.values) {
      if (v.column !== column || v.value.toLowerCase() === value.toLowerCase()) continue;
      // Prefer the written name of a code ("France" over 'FR').
      const known = names.get(v.value);
      if (!known || (known === valueKey(v.value) && key !== valueKey(v.value))) names.set(v.value, key === valueKey(v.value) ? v.value : key.replace(/\b\w/g, (c) => c.toUpperCase()));
    }
    return [...names.values()].sort();
  }

  /** The columns of a table, by key or bare name (any case); none when the schema does not know it. */
  columnsOf(table: string): string[] {
    const key = table.toLowerCase();
    return this.columnsByTable.get(key) ?? this.columnsByTable.get(key.slice(key.lastIndexOf('.') + 1)) ?? [];
  }

  /** Whether a stemmed word is a term of some table or column name (prefixes of ≥ 4 letters count). */
  isSchemaTerm(w: string, exact = false): boolean {
    if (this.termCount.has(w)) return true;
    if (exact || w.length < 4) return false;
    for (const t of this.termsByPrefix.get(w.slice(0, 4)) ?? []) if (t.length >= 4 && (t.startsWith(w) || w.startsWith(t))) return true;
    return false;
  }

  /** Values with no known column, e.g. the literals of approved pairs' SQL. */
  addValues(values: Iterable<string>): void {
    for (const v of values) this.addValue(v);
  }

  private addItem(feature: string, terms: string[]): void {
    if (terms.length === 0) return;
    this.pending.push({ feature, terms });
    for (const t of new Set(terms)) {
      this.termCount.set(t, (this.termCount.get(t) ?? 0) + 1);
      const p = t.slice(0, 4);
      const set = this.termsByPrefix.get(p);
      if (set) set.add(t);
      else this.termsByPrefix.set(p, new Set([t]));
    }
  }

  private addValue(value: string, column?: string): void {
    const folded = valueKey(value);
    if (!folded || folded.length > 80 || /^\d+(\.\d+)?$/.test(folded)) return;
    // A value two columns share belongs to neither for adaptation's purposes.
    const known = this.values.get(folded);
    // A literal of an approved query (no column) leaves a known column as it is.
    if (known && column === undefined) return;
    this.bySingular = undefined;
    // Every column holding it is kept: a value of two columns is still a condition the question sets.
    const columns = [...new Set([...(known?.columns ?? []), ...(column ? [column] : [])])];
    this.values.set(folded, { feature: `v:${folded}`, value: known?.value ?? value, column: columns.length === 1 ? columns[0] : undefined, columns });
    this.maxValueWords = Math.max(this.maxValueWords, Math.min(6, folded.split(' ').length));
  }

  /**
   * Whether a token is a value: a string, or a double-quoted word that names no table or column
   * (SQLite, and Spider's gold SQL, accept "USA" as a string there).
   */
  isValue(t: Token): boolean {
    if (t.kind === 'string') return true;
    if (t.kind !== 'quoted') return false;
    const name = t.text.toLowerCase();
    return !this.tables.has(name) && !this.columns.has(name);
  }

  // Anchoring each item at its rarest term keeps matching cheap when 1,000 models share "fct".
  private anchor(): void {
    for (const item of this.pending) {
      let best = item.terms[0]!;
      for (const t of item.terms) if (this.termCount.get(t)! < this.termCount.get(best)!) best = t;
      const list = this.byTerm.get(best);
      if (list) list.push(item);
      else this.byTerm.set(best, [item]);
    }
    this.pending = [];
  }

  /** Schema items named in a question, by their terms: every term present (prefixes of ≥ 4 letters count). */
  schemaFeatures(stems: readonly string[]): Map<string, number> {
    if (this.pending.length > 0) this.anchor();
    const matched = new Set<string>();
    for (const w of stems) {
      if (this.termCount.has(w)) matched.add(w);
      if (w.length < 4) continue;
      for (const t of this.termsByPrefix.get(w.slice(0, 4)) ?? []) {
        if (t.length >= 4 && (t.startsWith(w) || w.startsWith(t))) matched.add(t);
      }
    }
    const out = new Map<string, number>();
    for (const t of matched) {
      for (const item of this.byTerm.get(t) ?? []) {
        if (item.terms.every((x) => matched.has(x))) out.set(item.feature, item.terms.length);
      }
    }
    return out;
  }

  private bySingular?: Map<string, KnownValue>;

  private singular(): Map<string, KnownValue> {
    if (!this.bySingular) {
      this.bySingular = new Map();
      for (const [k, v] of this.values) {
        const ws = k.split(' ');
        const key = [...ws.slice(0, -1), stem(ws.at(-1)!)].join(' ');
        if (!this.values.has(key) && !this.bySingular.has(key)) this.bySingular.set(key, v);
      }
    }
    return this.bySingular;
  }

  /** Known values written in the question (whole words, case and accents ignored), longest first. */
  valueMentions(question: string): Array<KnownValue & { text: string }> {
    const ws = words(question);
    const out: Array<KnownValue & { text: string }> = [];
    for (let i = 0; i < ws.length; i++) {
      for (let n = Math.min(this.maxValueWords, ws.length - i); n >= 1; n--) {
        const text = ws.slice(i, i + n).join(' ');
        // "cats" for 'cat', "Bachelors" for 'Bachelor': the last word may be a plural.
        const singular = ws.slice(i, i + n).map((w, k) => (k === n - 1 ? stem(w) : w)).join(' ');
        const found = this.values.get(text) ?? this.values.get(singular) ?? this.singular().get(singular);
        if (found) {
          out.push({ ...found, text: surface(question, text) });
          i += n - 1;
          break;
        }
      }
    }
    return out;
  }

  /**
   * The value features of a question, and for each known value the column holding it: "ships that
   * were 'Wrecked'" is near "ships that were 'Captured'", another value of the same column.
   */
  valueFeatures(question: string): string[] {
    return this.valueMentions(question).flatMap((m) => [m.feature, ...(m.column ? [`vc:${m.column}`] : [])]);
  }

  /** The one column known to hold a value, if one does. */
  columnOfValue(value: string): string | undefined {
    return this.values.get(valueKey(value))?.column;
  }
}

function isCountryColumn(name: string, description: string | undefined): boolean {
  return /countr|nation/i.test(name) || /\bcountry\b|iso 3166/i.test(description ?? '');
}

// Names people write that the ICU English name is not.
const COUNTRY_ALIASES: Record<string, string[]> = { US: ['USA', 'United States of America', 'America'], GB: ['UK', 'Britain', 'Great Britain', 'England'], NL: ['Holland', 'The Netherlands'] };

/** The words of the question as written for a folded match ("Germany" for "germany"). */
function surface(question: string, folded: string): string {
  const re = new RegExp(`\\b${folded.split(' ').map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^\\p{L}\\d]+')}\\b`, 'iu');
  const m = re.exec(question.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''));
  return m ? m[0] : folded;
}

/** A value as compared: folded, punctuation as spaces. */
export function valueKey(value: string): string {
  return words(value).join(' ');
}

const QUESTION_INTENTS: Array<[string, RegExp]> = [
  ['!count', /\b(how many|number of|count|counts|counting|total number|tally)\b/],
  ['!avg', /\b(average|mean|avg)\b/],
  ['!sum', /\b(total|sum|combined|altogether|overall amount)\b(?! number)/],
  ['!max', /\b(most|maximum|max|highest|largest|greatest|biggest|oldest|longest|latest|newest|heaviest|tallest|top|best|last(?! \d| (?:day|week|month|quarter|year)))\b/],
  ['!min', /\b(least|minimum|min|lowest|smallest|fewest|youngest|shortest|earliest|lightest|cheapest|worst)\b/],
  ['!distinct', /\b(different|distinct|unique)\b/],
  ['!not', /\b(not|no|without|never|none|except|dont|doesnt|didnt|havent|hasnt|isnt|arent|neither|nor|excluding|other than)\b/],
  ['!both', /\b(both|as well as)\b/],
  ['!or', /\b(or|either)\b/],
  ['!group', /\b(each|per|every|respectively|breakdown|by type|by category)\b/],
  ['!order', /\b(order|ordered|sort|sorted|descending|ascending|alphabetical|alphabetically|ranked|rank)\b/],
  ['!gt', /\b(more than|greater|larger than|bigger than|higher than|heavier|older|taller|longer|above|over|at least|exceed|exceeds|after)\b/],
  ['!lt', /\b(less than|fewer than|smaller than|lower than|younger|shorter than|below|under|at most|before|lighter)\b/],
  ['!like', /\b(contain|contains|containing|substring|starts? with|ends? with|includes? the word)\b/],
];

/** The intents a question states, from its wording. */
export function questionIntents(question: string): string[] {
  const text = ` ${foldText(question).replace(/[^a-z0-9]+/g, ' ')} `;
  return QUESTION_INTENTS.filter(([, re]) => re.test(text)).map(([f]) => f);
}

/** Intents, schema items and values of a query. */
export function sqlFeatures(sql: string, vocabulary: Vocabulary): string[] {
  const tokens = tokenize(sql);
  const out: string[] = [];
  const word = (i: number, ...ws: string[]) => tokens[i]?.kind === 'word' && ws.includes(tokens[i].text);
  const punct = (i: number, p: string) => tokens[i]?.kind === 'punct' && tokens[i].text === p;
  const add = (f: string) => out.push(f);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'string' || (t.kind === 'quoted' && vocabulary.isValue(t))) {
      const v = valueKey(t.text.replace(/^%|%$/g, ''));
      if (v) add(`v:${v}`);
      const column = v ? vocabulary.columnOfValue(v) : undefined;
      if (column) add(`vc:${column}`);
      continue;
    }
    if (t.kind === 'number') {
      if (!word(i - 1, 'limit')) add(`n:${Number(t.text)}`);
      continue;
    }
    if (t.kind === 'punct') {
      if (t.text === '>' || t.text === '>=') add('!gt');
      else if (t.text === '<' || t.text === '<=') add('!lt');
      else if (t.text === '!=' || t.text === '<>') add('!not');
      continue;
    }
    const name = t.text.toLowerCase();
    if (t.kind === 'word' && punct(i + 1, '(')) {
      const fn = { count: '!count', avg: '!avg', sum: '!sum', max: '!max', min: '!min' }[name];
      if (fn) {
        add(fn);
        continue;
      }
    }
    if (t.kind === 'word') {
      if (name === 'distinct') add('!distinct');
      else if (name === 'not' || name === 'except') add('!not');
      else if (name === 'intersect') add('!both');
      else if (name === 'union' || name === 'or') add('!or');
      else if (name === 'like' || name === 'ilike') add('!like');
      else if (name === 'group' && word(i + 1, 'by')) add('!group');
      else if (name === 'order' && word(i + 1, 'by')) add(superlative(tokens, i + 2));
    }
    const table = vocabulary.tables.get(name);
    if (table && !punct(i - 1, '.')) add(table);
    const column = vocabulary.columns.get(name);
    if (column && !punct(i + 1, '(')) add(column);
  }
  return out;
}

// `ORDER BY x DESC LIMIT 1` is "the most x"; with ASC it is "the least"; without LIMIT it is a sort.
function superlative(tokens: readonly Token[], from: number): string {
  let desc = false;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'word') continue;
    if (t.text === 'desc') desc = true;
    if (t.text === 'limit') return desc ? '!max' : '!min';
    if (['union', 'intersect', 'except', 'select'].includes(t.text)) break;
  }
  return '!order';
}
