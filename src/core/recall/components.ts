import type { Vocabulary } from './features';
import { contentTokens, foldText, nameTerms, questionLiterals, stem, STOP, words } from './questionText';

/**
 * What a question asks, component by component, read the same way from a new question, from an
 * approved pair's question and from its SQL: the measures (count, sum, average, share, max, min),
 * the time grain and whether the answer is one total or a breakdown, the period, the ranking
 * (direction and criterion), comparisons and negation, and the things named — tables, columns,
 * glossary terms and known values. Recall answers only when every component of the question is
 * matched by the pair, or differs in a literal that a safe adaptation changes; anything else is a
 * difference, said in the asker's words.
 */

export type Unit = 'day' | 'week' | 'month' | 'quarter' | 'year';
export type Measure = 'count' | 'sum' | 'avg' | 'median' | 'share' | 'max' | 'min';

export interface PeriodReading {
  /** `rolling` for "last 30 days"; `this`/`previous` for calendar periods; `today`, `yesterday`, `vague` ("recent"). */
  anchor: 'rolling' | 'this' | 'previous' | 'today' | 'yesterday' | 'vague' | 'year-to-date';
  unit?: Unit;
  text: string;
}

export interface QuestionReading {
  text: string;
  /** Content words, stemmed. */
  stems: string[];
  /** Named things: stems that are schema or glossary terms, with the words as written. */
  concepts: Map<string, string>;
  /** Known values it names: `column` when one column holds the value, `columns` every one that does. */
  values: Array<{ value: string; column?: string; columns: string[]; text: string; quoted?: boolean }>;
  measures: Set<Measure>;
  grain?: Unit;
  /** Each, per, every, by …, a grain: the answer is broken down. */
  breakdown: boolean;
  /** An aggregate asked for without any breakdown: one total. */
  total: boolean;
  direction?: 'desc' | 'asc';
  /** Top, most, ordered by …: the answer is ranked or sorted. */
  ranked: boolean;
  /** A superlative or top-N: the answer is the first rows of a ranking, not the whole of it. */
  superlative: boolean;
  /** What the answer lists or breaks down by: the last named word after which/each/per/by. */
  dims: string[];
  /** The stems the ranking is by, when the question says ("by units", "the most revenue"). */
  criterion: string[];
  /** The criterion is a sort the question asks for ("sorted by country"), not a superlative's. */
  criterionSaid: boolean;
  /** What each group is of, for a measure or a superlative: "the top customers in each country". */
  perDims: string[];
  /** Two things or periods set side by side: "vs", "compared with", "the month before". */
  compares: boolean;
  periods: PeriodReading[];
  negated: boolean;
  greater: boolean;
  less: boolean;
  /** "distinct", "different", "unique": each value once. */
  distinct: boolean;
  /** "How many different …", "number of distinct …": a count of distinct values. */
  countDistinct: boolean;
  /** The terms of the thing counted ("how many degree names …" → degree, name), when the question counts. */
  counted?: string[];
  /** "Which category …" asks for one, "Which categories …" for a list: the number of the head noun. */
  which?: 'one' | 'many';
  /** Superlatives that name what they rank by ("newest": age, "heaviest": weight), axis → word. */
  axes: Map<string, string>;
  /** "The most loyal": a superlative by something neither the schema nor the glossary names. */
  vagueCriterion?: string;
  /** The glossary's terms of two words or more it uses ("active customers", "top 5 customers"). */
  phrases: string[];
  /** "Alphabetically" (asc), "in reverse alphabetical order" (desc). */
  alphabetical?: 'asc' | 'desc';
  /** "Both … and" (each condition met by the same thing), against "either … or". */
  both: boolean;
  either: boolean;
  /** "First name", "last name": which of a person's names. */
  nameParts: string[];
  /** Which end of a trip or transfer the question is about: "depart from", "leave" against "arrive", "land", "go to". */
  role?: 'from' | 'to';
  /** "The second most", "the 3rd highest": a rank below the first, not the top of the ranking. */
  rankBelowTop?: string;
  /** How a text pattern is asked for: "starting with", "ending with". */
  textMatch?: 'starts' | 'ends';
  /** The columns a question lists to be shown ("the names and grades of …"), each by its head term. */
  shows: string[];
  /** The same read from one thing asked too ("the earnings of poker players"). */
  asks: string[];
}

export interface SqlReading {
  measures: Set<Measure>;
  grain?: Unit;
  grouped: boolean;
  direction?: 'desc' | 'asc';
  limit?: number;
  /** Terms of every name the query uses (tables, columns, aliases), stemmed. */
  terms: Set<string>;
  /** Terms of what the first ORDER BY key is computed from (aliases resolved). */
  orderTerms: Set<string>;
  /** The first ORDER BY key is a count of rows: "the most X" for any X the query reads. */
  orderByCount: boolean;
  /** Words of the query's string literals. */
  literalWords: Set<string>;
  /** Terms of the columns the outer query returns (not of what they are computed from). */
  outputTerms: Set<string>;
  /** Terms of every name in the outer query's SELECT list, inside aggregates too. */
  outputSources: Set<string>;
  /** The aggregates the outer query returns (not those of HAVING, ORDER BY or subqueries). */
  outputMeasures: Set<Measure>;
  /** The terms of each GROUP BY key of the outer query (positions resolved to select items). */
  groupKeys: string[][];
  negated: boolean;
  greater: boolean;
  less: boolean;
  /** SELECT DISTINCT or count(DISTINCT …) anywhere. */
  distinct: boolean;
  /** INTERSECT: rows meeting both of two conditions. */
  intersect: boolean;
  /** The tables (and CTEs) it reads, FROM and JOIN, as written. */
  tables: Set<string>;
}

/** The team's glossary (`**Term** (alias): definition` lines of rules.md): its terms and what each is. */
export interface Glossary {
  /** Stems of the words glossary terms are made of. */
  words: Set<string>;
  /** A term's stems → stems that mean the same (aliases, acronyms, "same as X"). */
  related: Map<string, Set<string>>;
  /** A term's stems → the columns its definition names: a query using them computes the term. */
  defined: Map<string, Set<string>>;
  /** Terms of two words or more, as stems ("active customer", "new customer"). */
  phrases: string[][];
}

export function readGlossary(rules: string | undefined): Glossary {
  const glossary: Glossary = { words: new Set(), related: new Map(), defined: new Map(), phrases: [] };
  const termWords = (t: string) => words(t).filter((w) => w.length > 1 && !GLOSSARY_STOP.has(w)).map(stem);
  const link = (map: Map<string, Set<string>>, a: string, bs: Iterable<string>) => {
    const set = map.get(a) ?? new Set<string>();
    for (const b of bs) if (b !== a) set.add(b);
    map.set(a, set);
  };
  const relate = (a: string, bs: Iterable<string>) => link(glossary.related, a, bs);
  for (const m of (rules ?? '').matchAll(/\*\*([^*]{2,60})\*\*\s*(?:\(([^)]{1,80})\))?\s*:?\s*([^\n]*(?:\n(?![-*#]|\s*\n)[^\n]*)*)/g)) {
    const term = termWords(m[1]!);
    const alias = termWords(m[2] ?? '');
    const definition = m[3] ?? '';
    // What the term is made of: the columns its definition names, or the term it is "the same as".
    const defined = [...definition.matchAll(/`([^`]+)`/g)].flatMap((x) => nameTerms(x[1]!.replace(/[^A-Za-z0-9_ ]/g, ' ')));
    const sameAs = [...definition.matchAll(/same as ([\w ]+?)(?: unless|[,.;]|$)/gi)].flatMap((x) => termWords(x[1]!));
    for (const w of [...term, ...alias]) glossary.words.add(w);
    if (term.length > 1) glossary.phrases.push(term);
    // Words of one term are not synonyms of each other ("active" is not "customer"); an alias
    // or acronym stands for the whole term, and a one-word term for what defines it.
    if (alias.length > 0) {
      for (const a of alias) relate(a, term);
      for (const w of term) relate(w, alias);
    }
    if (term.length === 1) relate(term[0]!, sameAs);
    for (const w of term) link(glossary.defined, w, defined.filter((d) => !term.includes(d)));
  }
  return glossary;
}

const NEGATING_PREFIX = /^(?:non|dis|in|un|im)/;

const GLOSSARY_STOP = new Set(['the', 'a', 'an', 'of', 'on', 'in', 'for', 'to', 'by', 'and', 'or', 'if', 'asked', 'is', 'are']);

const GRAIN_WORDS: Array<[Unit, RegExp]> = [
  ['day', /\b(daily|day by day|(?:each|every|per|by|a) day|days? by)\b/],
  ['week', /\b(weekly|week by week|(?:each|every|per|by|a) week|week over week|wow)\b/],
  ['month', /\b(monthly|month by month|(?:each|every|per|by|a) month|month over month|mom)\b/],
  ['quarter', /\b(quarterly|quarter by quarter|(?:each|every|per|by|a) quarter)\b/],
  ['year', /\b(yearly|annual|annually|year by year|(?:each|every|per|by|a) year|year over year|yoy)\b/],
];

const UNIT = '(day|week|month|quarter|year)';

// "first" and "last" rank too, unless they name a name, a period or a count ("last 7 days", "first name").
// "first, middle and last names", "first and second line" are names of columns, not rankings.
const NOT_ORDINAL = '(?!(?: (?:and|or))? (?:last|first|middle|second)\\b| (?:name|names|\\d)|(?: [a-z]+)? (?:day|week|month|quarter|year|night|time)s?\\b)';
const NAMED_BEFORE = '(?<!\\b(?:first|middle|last|second)(?: and| or)? )';
const FIRST = new RegExp(`${NAMED_BEFORE}\\bfirst\\b${NOT_ORDINAL}`);
const LAST = new RegExp(`${NAMED_BEFORE}\\blast\\b${NOT_ORDINAL}`);

/**
 * Superlatives that say what they rank by. "Newest customers" is not "top customers": each is a
 * ranking, by different things. Age and time are one axis ("oldest" and "newest" differ only in direction).
 */
const AXES: Record<string, string> = {
  newest: 'age', latest: 'age', earliest: 'age', oldest: 'age', youngest: 'age', recent: 'age',
  heaviest: 'weight', lightest: 'weight', tallest: 'height', cheapest: 'price', priciest: 'price', dearest: 'price', longest: 'length',
};

/** "Overall", "altogether": one figure for everything, whatever the measure is called. */
const OVERALL = /\b(overall|altogether|all together|combined|across all)\b/;

const DESC = /\b(most|highest|largest|biggest|greatest|top|best|tallest|oldest|longest|heaviest|latest|newest|richest|descending|decreasing|max(?:imum)?)\b/;
const ASC = /\b(least|lowest|smallest|fewest|bottom|worst|shortest|youngest|earliest|lightest|cheapest|poorest|ascending|increasing|min(?:imum)?)\b/;
const SUPERLATIVE = /\b(most|highest|largest|biggest|greatest|top|best|tallest|oldest|longest|heaviest|latest|newest|richest|least|lowest|smallest|fewest|bottom|worst|shortest|youngest|earliest|lightest|cheapest|poorest)\b/;
// "order" ranks only as a verb or "in … order": "average order value" and "customers who ordered" do not.
const ORDER_WORDS = /\b(order by|ordered by|sort|sorted|sorting|rank|ranked|ranking|descending|ascending|alphabetical|alphabetically|in (?:[a-z]+ )?order)\b/;

/** Words that carry a component read on its own (measure, grain, period, ranking) or nothing at all. */
const STRUCTURE_WORDS = new Set([
  'many', 'number', 'count', 'total', 'sum', 'average', 'mean', 'avg', 'share', 'percentage', 'percent', 'proportion', 'fraction', 'ratio', 'rate',
  'day', 'daily', 'week', 'weekly', 'month', 'monthly', 'quarter', 'quarterly', 'year', 'yearly', 'annual', 'annually', 'today', 'yesterday',
  'last', 'past', 'previous', 'prior', 'trailing', 'each', 'per', 'every', 'top', 'most', 'least', 'highest', 'lowest', 'best', 'worst',
  'largest', 'smallest', 'biggest', 'fewest', 'maximum', 'minimum', 'max', 'min', 'sort', 'rank', 'descend', 'ascend', 'descending', 'ascending',
  'recent', 'recently', 'lately', 'current', 'date', 'overall', 'altogether', 'much', 'time', 'new',
].map(stem));

export function readQuestion(question: string, vocabulary: Vocabulary, glossary: Glossary): QuestionReading {
  // "at least 2" and "at most 2" are comparisons, not superlatives.
  // "last month's spend" is about last month: a possessive 's is dropped before reading.
  const text = ` ${foldText(question.replace(/(\p{L})['’]s\b/gu, '$1')).replace(/[^a-z0-9%]+/g, ' ')} `.replace(/\bat least\b/g, 'gte').replace(/\bat most\b/g, 'lte');
  const literals = questionLiterals(question);
  // "Ordered by name" and "in descending order" say how to sort; "orders" is a thing ("revenue per order").
  const stems = contentTokens(question.replace(/\b(?:in\s+(?:[a-z]+\s+){0,2}order(?:\s+of)?|order(?:ed)?\s+by|order\s+of)\b/gi, ' '));
  const values = vocabulary.valueMentions(question).filter((v) => v.text !== undefined && !(STOP_VALUE.test(v.text) && v.text === v.text.toLowerCase()));
  const valueWords = new Set(values.flatMap((v) => contentTokens(v.text)));
  for (const l of literals) if (l.kind === 'quoted' && !values.some((v) => v.value.toLowerCase() === l.value.toLowerCase())) values.push({ feature: '', value: l.value, columns: [], text: l.value });
  const quotedWords = new Set(literals.filter((l) => l.kind === 'quoted').flatMap((l) => contentTokens(l.value)));

  const concepts = new Map<string, string>();
  const surface = new Map<string, string>();
  for (const w of words(question.replace(/^\s*return\b/i, ''))) surface.set(stem(w), w);
  for (const s of stems) {
    if (STRUCTURE_WORDS.has(s) || valueWords.has(s) || quotedWords.has(s) || /^\d/.test(s)) continue;
    if (vocabulary.isSchemaTerm(s) || glossary.words.has(s)) concepts.set(s, surface.get(s) ?? s);
  }

  const negatedTerms = stems.filter((w) => {
    const rest = w.replace(NEGATING_PREFIX, '');
    return rest !== w && rest.length >= 4 && glossary.words.has(rest);
  });
  for (const w of negatedTerms) concepts.set(w, surface.get(w) ?? w);

  // "the most number of flights" ranks by a count; it does not ask for one.
  const measureText = text
    .replace(/\b(most|highest|largest|greatest|biggest|fewest|least|lowest|smallest)( total)? (number|count|amount) of\b/g, '$1')
    .replace(/\b((?:order|ordered|sort|sorted|rank|ranked)(?: \w+)? by|order of) (the )?(number|count|amount) of\b/g, '$1');
  const measures = new Set<Measure>();
  if (/\b(how many|number of|count|counts|tally)\b/.test(measureText)) measures.add('count');
  if (/\b(sum|total(?! number)(?! of \d))\b/.test(measureText) && !/\bin total\b/.test(measureText)) measures.add('sum');
  if (/\b(average|mean|avg)\b/.test(measureText)) measures.add('avg');
  if (/\b(median|percentile|quantile)\b/.test(measureText)) measures.add('median');
  if (/\b(share|percentage|percent|proportion|fraction|ratio|rate)\b|%/.test(measureText)) measures.add('share');
  if (/\b(maximum|max)\b/.test(measureText)) measures.add('max');
  if (/\b(minimum|min)\b/.test(measureText)) measures.add('min');

  let grain: Unit | undefined;
  for (const [unit, re] of GRAIN_WORDS) if (re.test(text)) grain ??= unit;
  const ordinal = { asc: FIRST.test(text), desc: LAST.test(text) };
  const superlative = SUPERLATIVE.test(text) || ordinal.asc || ordinal.desc;
  // Words like "each" only break an aggregate down: "the first name of every student" is a list.
  const breakdown = !!grain || (measures.size > 0 && (/\b(each|per|every|breakdown|broken down|split by|respectively)\b/.test(text) || (/\bby (?!the (?:most|least|highest|lowest))/.test(text.replace(PASSIVE_BY, ' ')) && !/\b(order|ordered|sort|sorted|rank|ranked) by\b/.test(text))));
  const total = (measures.size > 0 || OVERALL.test(text)) && !breakdown && !superlative;

  const desc = DESC.test(text) || ordinal.desc;
  const asc = ASC.test(text) || ordinal.asc;
  const direction = desc && !asc ? 'desc' : asc && !desc ? 'asc' : undefined;
  const ranked = superlative || ORDER_WORDS.test(text) || literals.some((l) => l.kind === 'top');
  const criterion: string[] = [];
  let criterionSaid = false;
  let vagueCriterion: string | undefined;
  const clauses = foldText(question).split(/[?.,;:!]|\band\b|\bgive me\b/);
  for (const clause of clauses) {
    const c = ` ${clause.replace(/[^a-z0-9%]+/g, ' ')} `;
    const crit = /\b(?:most|highest|largest|biggest|greatest|least|lowest|smallest|fewest|(?:ranked |ordered |sorted )?by|in (?:descending |ascending )?order of|order of)\s+((?:the |their |its |number of |total |amount of )*)([a-z][a-z ]*)/.exec(c);
    if (!crit || !ranked) continue;
    for (const w of contentTokens(crit[2]!).slice(0, 2)) {
      if (STRUCTURE_WORDS.has(w)) continue;
      if (!vocabulary.isSchemaTerm(w) && !glossary.words.has(w)) {
        // "the most loyal customers": ranked by something the question does not define.
        if (criterion.length === 0 && !/^(by|in|order)\b/.test(crit[0].trim()) && !AXES[w] && !w.endsWith('ly')) vagueCriterion = w;
        break;
      }
      criterion.push(w);
      criterionSaid = /^(ranked|ordered|sorted|in|order)\b/.test(crit[0].trim());
    }
    if (criterion.length > 0) break;
  }

  const periods: PeriodReading[] = [];
  for (const l of literals) if (l.kind === 'period' && /^(last|past|previous|prior|trailing)\s+\S+\s+/i.test(l.text)) periods.push({ anchor: 'rolling', unit: l.unit as Unit, text: l.text });
  for (const m of text.matchAll(new RegExp(`\\b(this|current|last|previous|prior|past) ${UNIT}\\b`, 'g'))) {
    periods.push({ anchor: m[1] === 'this' || m[1] === 'current' ? 'this' : 'previous', unit: m[2] as Unit, text: m[0].trim() });
  }
  for (const [re, anchor] of [[/\btoday\b/, 'today'], [/\byesterday\b/, 'yesterday'], [/\b(recent|recently|lately)\b/, 'vague'], [/\b(year to date|ytd|so far this year)\b/, 'year-to-date']] as const) {
    const m = re.exec(text);
    if (m) periods.push({ anchor, text: m[0] });
  }

  return {
    text: question,
    stems,
    concepts,
    values: values.map((v) => ({ value: v.value, column: v.column, columns: v.columns, text: v.text, quoted: literals.some((l) => l.kind === 'quoted' && l.value.toLowerCase() === v.value.toLowerCase()) })),
    measures,
    grain,
    breakdown,
    total,
    direction,
    ranked,
    superlative: superlative || literals.some((l) => l.kind === 'top'),
    dims: readDims(text, vocabulary, glossary, criterion),
    criterion,
    criterionSaid,
    perDims: readDims(text.replace(/\b(?:which|by|every)\b/g, ' '), vocabulary, glossary, criterion),
    compares: /\b(vs|versus|compare|compared|comparing|comparison|against|the (?:day|week|month|quarter|year) before)\b/.test(text),
    periods,
    // Also a term of the team negated by its prefix: "inactive customers" are not "active customers".
    negated: /\b(not|no|without|never|none|neither|nor|except|dont|doesnt|didnt|havent|hasnt|isnt|arent|excluding|exclude|excludes|excluded|other than|outside|apart from|aside from|non|omit|omits|omitting|omitted|ignoring|leaving out|leave out|left out|minus|but not)\b/.test(text) || negatedTerms.length > 0,
    greater: /\b(more than|gte|greater|larger than|bigger than|higher than|heavier|older|taller|longer than|above|over \d|at least|exceed|exceeds|after|or more|and more|and above|or above|or over)\b/.test(text),
    less: /\b(less than|lte|fewer than|smaller than|lower than|younger|shorter than|below|under|at most|before|lighter|or less|or fewer|and below|or below)\b/.test(text),
    distinct: /\b(distinct|different|unique)\b/.test(text),
    countDistinct: /\b(?:how many|number of|count of|count the|count)\s+(?:the\s+)?(?:distinct|different|unique)\b/.test(text),
    counted: readCounted(text, vocabulary, glossary),
    which: literals.some((l) => l.kind === 'top') ? undefined : readWhich(text, vocabulary, glossary),
    vagueCriterion,
    phrases: glossary.phrases.filter((p) => hasPhrase(stems, p)).map((p) => p.join(' ')),
    role: readRole(text),
    rankBelowTop: /\b(?:second|third|fourth|fifth|2nd|3rd|4th|5th|[0-9]+th|next to|runner up) (?:most|least|highest|lowest|largest|smallest|biggest|best|worst|top|greatest|fewest|biggest|last|place)\b/.exec(text)?.[0],
    textMatch: /\b(?:start|starts|starting|begin|begins|beginning|prefix(?:ed)?) (?:with|by)\b/.test(text) ? 'starts' : /\b(?:end|ends|ending|suffix(?:ed)?) (?:with|in|by)\b/.test(text) ? 'ends' : undefined,
    shows: readShows(text, vocabulary),
    asks: readShows(text, vocabulary, 1),
    both: /\bboth\b/.test(text),
    either: /\b(either|or)\b/.test(text),
    nameParts: [...new Set([...text.matchAll(/\b(first|last|middle|full|given|family|sur|nick|maiden) ?names?\b/g)].map((m) => m[1]!))],
    alphabetical: /\b(alphabetical|alphabetically|lexicographic|lexicographical|lexicographically)\b/.test(text) ? (/\b(reverse|reversed|descending)\b/.test(text) ? 'desc' : 'asc') : undefined,
    axes: new Map([...text.matchAll(/\b[a-z]+est\b|\brecent\b/g)].filter((m) => AXES[m[0]]).map((m) => [AXES[m[0]]!, m[0]])),
  };
}

/** The end of a movement the question names, when it names one and only one. */
function readRole(text: string): 'from' | 'to' | undefined {
  const from = /\b(depart|departs|departing|departed|departure|departures|leave|leaves|leaving|left from|from|origin|originating|outbound|source)\b/.test(text);
  const to = /\b(arrive|arrives|arriving|arrived|arrival|arrivals|land|lands|landing|landed|to|into|destination|destinations|inbound|bound for|headed)\b/.test(text);
  return from === to ? undefined : from ? 'from' : 'to';
}

/** The head of each noun phrase after which/each/per/by: "Which product categories …" → category. */
function readDims(text: string, vocabulary: Vocabulary, glossary: Glossary, criterion: readonly string[]): string[] {
  const out: string[] = [];
  // The phrase is looked ahead at, not consumed: "by units per order" is read at "by" and at "per".
  for (const m of text.matchAll(/\b(?:which|each|every|per|by|for each|in each)\s+(?=((?:[a-z]+ ){1,4}))/g)) {
    let head: string | undefined;
    let previous = '';
    for (const w of m[1]!.trim().split(' ').map(stem)) {
      // "pet type" names the column PetType.
      if (previous && vocabulary.isSchemaTerm(`${previous}${w}`, true)) head = `${previous}${w}`;
      else if (vocabulary.isSchemaTerm(w) || glossary.words.has(w)) head = w;
      else if (head || !STOP_DIM.has(w)) break;
      previous = w;
    }
    if (head && !criterion.includes(head) && !STRUCTURE_WORDS.has(head)) out.push(head);
  }
  return out;
}

/**
 * "Show the names and grades of …", "what are the first, middle and last names, along with the ids,
 * of …": the heads of a list of two things or more to be shown. A single thing is left alone:
 * "what is Kyle's id" names what identifies the answer more often than a column.
 */
function readShows(text: string, vocabulary: Vocabulary, least = 2): string[] {
  const m = /^\s*(?:show|list|find|give|return|display|get|what (?:is|are|were|was)|which (?:is|are))\s+(?:me\s+)?(?:the\s+|all\s+(?:the\s+)?|every\s+)?(.+?)\s+(?:of|for|from|in|that|who|which|whose|with|by|where|to)\b/.exec(text);
  if (!m) return [];
  const parts = m[1]!.split(/\s*,\s*|\s+and\s+|\s+along with\s+|\s+as well as\s+/).filter((p) => p.trim());
  // One thing is read only when short ("the earnings"): in a long phrase the last term is not its head.
  if (parts.length < least || (parts.length === 1 && contentTokens(parts[0]!).length > 3)) return [];
  // "ids" is the plural of a short term the stemmer leaves alone.
  const term = (w: string) => (vocabulary.isSchemaTerm(w) ? w : w.endsWith('s') && vocabulary.isSchemaTerm(w.slice(0, -1)) ? w.slice(0, -1) : undefined);
  const heads = parts.map((p) => contentTokens(p).filter((w) => !STRUCTURE_WORDS.has(w)).map(term).filter((w): w is string => !!w).at(-1)).filter((h): h is string => !!h);
  return heads.length >= least ? heads : [];
}

/** The words of a phrase in order, at most one word between two of them ("top 5 customers"). */
function hasPhrase(stems: readonly string[], phrase: readonly string[]): boolean {
  for (let i = 0; i < stems.length; i++) {
    if (stems[i] !== phrase[0]) continue;
    let at = i;
    let ok = true;
    for (const w of phrase.slice(1)) {
      const next = stems.slice(at + 1, at + 3).indexOf(w);
      if (next < 0) {
        ok = false;
        break;
      }
      at += next + 1;
    }
    if (ok) return true;
  }
  return false;
}

/** The head of the noun phrase a question counts: "how many new customers …" → customer. */
function readCounted(text: string, vocabulary: Vocabulary, glossary: Glossary): string[] | undefined {
  const m = /\b(?:how many|number of|count of|count the|count)\s+((?:[a-z0-9]+ ){1,6})/.exec(text);
  return m ? nounHead(m[1]!.trim().split(' '), vocabulary, glossary, 2)?.terms : undefined;
}

/** "Which category …" (one) or "which categories …" (many): the number of the head as written. */
function readWhich(text: string, vocabulary: Vocabulary, glossary: Glossary): 'one' | 'many' | undefined {
  const m = /\b(?:which|what)\s+((?:[a-z]+ ){1,5})/.exec(text);
  const h = m ? nounHead(m[1]!.trim().split(' '), vocabulary, glossary, 0) : undefined;
  if (!h) return undefined;
  return h.written !== h.head && h.written.endsWith('s') && stem(h.written) !== h.written ? 'many' : 'one';
}

/**
 * The last of the schema or glossary terms that open a phrase ("product categories" → category),
 * with the word as written; `skip` words that are neither may come first ("dog pets", "different types").
 */
function nounHead(ws: readonly string[], vocabulary: Vocabulary, glossary: Glossary, skip: number): { head: string; written: string; terms: string[] } | undefined {
  let head: { head: string; written: string; terms: string[] } | undefined;
  let previous = '';
  let skipped = 0;
  for (const written of ws) {
    const w = stem(written);
    // "is", "are", "of" end the phrase: a schema may have a column named is_full_time.
    if (STOP.has(written) || STOP_DIM.has(w)) {
      if (head) break;
      continue;
    }
    if (previous && vocabulary.isSchemaTerm(`${previous}${w}`, true)) head = { head: `${previous}${w}`, written, terms: [...(head?.terms ?? []), w, `${previous}${w}`] };
    else if ((vocabulary.isSchemaTerm(w) || glossary.words.has(w)) && !/^\d/.test(w)) head = { head: w, written, terms: [...(head?.terms ?? []), w] };
    else if (head) break;
    else if (STRUCTURE_WORDS.has(w)) continue;
    else if (skipped++ >= skip) break;
    previous = w;
  }
  if (!head) return undefined;
  const terms = head.terms.filter((t) => !STRUCTURE_WORDS.has(t));
  return terms.length > 0 && !STRUCTURE_WORDS.has(head.head) ? { ...head, terms } : undefined;
}

// "Pets owned by students", "dogs raised by female students": the agent of a passive, not a breakdown.
const PASSIVE_BY = /\b(?:[a-z]+ed|made|written|done|taken|given|sold|bought|held|run|led|built|won|lost|drawn|driven|shown|seen|known|paid|sent|spent|brought|taught|caught|kept|hit|played|sung) by\b/g;

const STOP_DIM = new Set(['the', 'of', 'our', 'my', 'their', 'its', 'a', 'an']);

// Short words that are also values somewhere ("us" for US): only a value when written in capitals.
const STOP_VALUE = /^(us|in|on|at|or|it|no|me|an|as|is|to|by|of|be|do|we|my|so|up|all|any|new|one|direct|home|other|none)$/i;

export { readSql, type BucketUse } from './sqlReading';
