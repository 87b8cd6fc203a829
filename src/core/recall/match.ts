import { tokenize } from '../sql/tokens';
import type { Glossary, PeriodReading, QuestionReading, SqlReading, BucketUse } from './components';
import { calendarEdits, grainEdits } from './grainEdits';
import { contentTokens, STOP, words } from './questionText';

/**
 * Comparing a question with an approved pair, component by component (see components.ts). The
 * result lists what matched, what differs (in the asker's words) and the safe edits that make the
 * pair's SQL answer the question: a time grain, a calendar period's unit, a known value swapped for
 * another of the same column. Literal numbers, top-N and rolling periods are adaptSql's.
 */
export type Component = 'measure' | 'grain' | 'breakdown' | 'subject' | 'value' | 'period' | 'ranking' | 'comparison';

export interface Difference {
  component: Component;
  /** What the approved pair does, e.g. "counts orders per day". */
  pair: string;
  /** What the question asks, e.g. "per week". */
  asked: string;
}

export interface MatchedComponent {
  component: Component;
  value: string;
  /** True when the pair's SQL was edited to match. */
  adapted?: boolean;
}

export interface SqlEdit {
  start: number;
  end: number;
  text: string;
}

export interface PairMatch {
  differences: Difference[];
  matched: MatchedComponent[];
  /** Edits beyond adaptSql's literals: grain, calendar unit, value swaps. */
  edits: SqlEdit[];
  swaps: Array<{ from: string; to: string; component: Component }>;
  /** Words the question puts into this pair's question kept whole: a farther pair must account for them too. */
  added: string[];
}

export interface PairReading {
  question: QuestionReading;
  /** The tables the SQL reads: the terms of each name, of its columns other than keys, and of the things its keys name. */
  tables: Array<{ terms: string[]; columns: string[][]; keys: string[][] }>;
  sql: SqlReading & { buckets: BucketUse[] };
  /** The SQL's string literals with the column each is compared to, when it says. */
  literals: Array<{ value: string; column?: string; start: number; end: number; raw: string }>;
  /** For a literal of a column whose values are known, the column's other values ('return_pending' beside 'returned'). */
  alternatives: Map<string, string[]>;
  sqlText: string;
}

export function comparePair(q: QuestionReading, p: PairReading, glossary: Glossary): PairMatch {
  const differences: Difference[] = [];
  const matched: MatchedComponent[] = [];
  const edits: SqlEdit[] = [];
  const swaps: PairMatch['swaps'] = [];
  const s = p.sql;
  const pq = p.question;
  const differ = (component: Component, pair: string, asked: string) => differences.push({ component, pair, asked });

  // Measures: each one asked must be in the pair, and each the pair's question states must be asked.
  const superlativeOf = (m: string, d: 'desc' | 'asc' | undefined) => (m === 'max' && d === 'desc') || (m === 'min' && d === 'asc');
  for (const m of q.measures) {
    // The SQL must return it: a count in HAVING does not answer "the number of pets of each student".
    const returns = m === 'share' ? s.measures.has(m) : s.outputMeasures.has(m);
    if (pq.measures.has(m) || returns || (m === 'sum' && pq.measures.has('share') && s.measures.has('sum'))) matched.push({ component: 'measure', value: MEASURE_NAMES[m] });
    else differ('measure', describeMeasures(pq.measures, s.measures), `for ${MEASURE_NAMES[m]}`);
  }
  // A measure the pair's question states counts only when its SQL computes it ("number of products" may be a column).
  for (const m of pq.measures) {
    if (!s.measures.has(m)) continue;
    if (!q.measures.has(m) && !(m === 'sum' && q.measures.has('share')) && !superlativeOf(m, q.direction)) differ('measure', `gives ${MEASURE_NAMES[m]}`, q.measures.size ? `for ${[...q.measures].map((x) => MEASURE_NAMES[x]).join(' and ')}` : `no ${MEASURE_NAMES[m]}`);
  }

  // Time grain, then one total against a breakdown.
  const pairGrain = pq.grain ?? s.grain;
  if (q.grain) {
    if (pairGrain === q.grain) matched.push({ component: 'grain', value: `per ${q.grain}` });
    else {
      const bucket = s.buckets.filter((b) => b.unit === pairGrain);
      if (pairGrain && bucket.length > 0 && s.buckets.every((b) => b.unit === pairGrain)) {
        edits.push(...grainEdits(bucket, q.grain, p.sqlText));
        matched.push({ component: 'grain', value: `per ${q.grain} (approved per ${pairGrain})`, adapted: true });
      } else differ('grain', pairGrain ? `works per ${pairGrain}` : s.grouped ? 'has no time grain' : 'gives one total', `per ${q.grain}`);
    }
  } else if (pq.grain) differ('grain', `works per ${pq.grain}`, `nothing per ${pq.grain}`);
  const breaksDown = s.grouped && !(s.limit !== undefined && s.direction);
  if (q.total && breaksDown && !pq.total) differ('breakdown', `breaks the result down${pairGrain ? ` per ${pairGrain}` : ''}`, 'for one total');
  else if (q.breakdown && !q.grain && !s.grouped && !pq.breakdown) differ('breakdown', 'gives one total', 'for a breakdown');
  else if (q.total || q.breakdown) matched.push({ component: 'breakdown', value: q.total ? 'one total' : 'a breakdown' });

  // Ranking: direction, then what it ranks by.
  const pairDirection = pq.direction ?? (s.direction && (pq.ranked || s.limit !== undefined) ? s.direction : s.measures.has('max') ? 'desc' : s.measures.has('min') ? 'asc' : undefined);
  if (q.direction) {
    if (pq.direction && pq.direction !== q.direction) differ('ranking', `ranks ${DIRECTION[pq.direction]}`, DIRECTION[q.direction]);
    else if (!pq.direction && pairDirection !== q.direction && !(q.measures.has('max') || q.measures.has('min'))) differ('ranking', pairDirection ? `ranks ${DIRECTION[pairDirection]}` : 'is not ranked', DIRECTION[q.direction]);
    else matched.push({ component: 'ranking', value: DIRECTION[q.direction] });
  } else if (pq.direction && !q.ranked) differ('ranking', `ranks ${DIRECTION[pq.direction]}`, 'no ranking');
  if (s.limit !== undefined && pq.superlative && !q.superlative && q.ranked) differ('ranking', `gives only the first ${s.limit === 1 ? 'row' : `${s.limit} rows`}`, 'the whole list in order');
  // One row against a ranked list: "which category brings the most" is one, "which categories" all of them.
  if (q.which === 'one' && q.superlative && s.limit === undefined && (s.grouped || s.direction) && pq.which !== 'one') differ('ranking', 'lists every row in order', 'for the one at the top');
  else if (q.which === 'many' && s.limit === 1 && pq.which === 'one') differ('ranking', 'gives only the first row', 'for the whole list');
  // A superlative that names its criterion ("newest", "heaviest") ranks by that, not by what "top" means.
  for (const [axis, word] of q.axes) {
    if (pq.axes.has(axis)) continue;
    const other = [...pq.axes.values()][0];
    // Ranked by it, or its maximum or minimum taken ("the heaviest weight of each type": max(weight)).
    const on = (terms: ReadonlySet<string>) => AXIS_TERMS[axis]!.some((t) => [...terms].some((o) => o.startsWith(t)));
    const reads = on(s.orderTerms) || ((s.measures.has('max') || s.measures.has('min')) && on(s.terms));
    if (other || !reads) differ('ranking', other ? `ranks by the ${other}` : `ranks by ${[...s.orderTerms].join(' ') || 'nothing'}`, `the ${word}`);
  }
  // The best of each group: "the top customers in each country" is not the top customers.
  if ((q.superlative || q.measures.size > 0) && q.perDims.length > 0 && !s.grouped && !/\bpartition\s+by\b/i.test(p.sqlText)) differ('breakdown', 'has no groups', `for each ${q.perDims.map((d) => q.concepts.get(d) ?? d).join(' and ')}`);
  if (q.compares && !pq.compares) differ('period', 'gives one figure for each row', 'to compare two of them');
  // Ranked by what the question leaves vague ("most loyal"): only the pair that says the same answers.
  // "Most frequent", "most common", "most popular" rank by a count of rows.
  if (q.vagueCriterion && !pq.stems.includes(q.vagueCriterion) && !(COUNTED.has(q.vagueCriterion) && s.orderByCount)) differ('ranking', s.orderTerms.size > 0 ? `ranks by ${[...s.orderTerms].join(' ')}` : 'is not ranked', `the most ${q.vagueCriterion}`);
  if (q.alphabetical && !pq.alphabetical && (s.direction !== q.alphabetical || s.orderByCount)) differ('ranking', s.direction ? `orders by ${[...s.orderTerms].join(' ')}` : 'is not ordered', q.alphabetical === 'desc' ? 'reverse alphabetical order' : 'alphabetical order');
  // "Both a cat and a dog" is not "a cat or a dog"; "the last name" is not "the first name".
  if ((pq.both || s.intersect) && !q.both && q.either && !pq.either) differ('comparison', 'asks for both conditions at once', 'either of them');
  const parts = (r: QuestionReading) => r.nameParts.join(', ');
  if (q.nameParts.length > 0 && parts(q) !== parts(pq) && q.nameParts.some((n) => !pq.nameParts.includes(n))) differ('subject', pq.nameParts.length ? `gives the ${parts(pq)} name` : 'gives no name', `the ${parts(q)} name`);
  // The team's terms of two words: "new customers" and "active customers" are not "customers".
  for (const phrase of q.phrases) if (!pq.phrases.includes(phrase)) differ('subject', `is not about ${phrase}s`, `${phrase}s`);
  // And the other way: "How many customers churned each week?" is not about the new customers the
  // pair counts, unless it names the term's words or what defines it ("customers who signed up").
  // A ranking term ("top customers") is the ranking checks'.
  const qStems = new Set(q.stems);
  for (const phrase of pq.phrases) {
    const ws = phrase.split(' ');
    if (q.phrases.includes(phrase) || ws.every((w) => qStems.has(w)) || ws.some((w) => DESC_WORDS.has(w) || ASC_WORDS.has(w))) continue;
    const definedBy = ws.flatMap((w) => [...(glossary.defined.get(w) ?? [])]).filter((d) => d !== 'date' && !ws.includes(d));
    if (definedBy.some((d) => covered(d, qStems, glossary))) continue;
    differ('subject', `is about ${phrase}s`, `nothing about ${phrase}s`);
  }
  // What is counted: "how many degrees" is not "how many departments", though both read both tables.
  const counted = new Set(pq.counted ?? []);
  if (q.counted && pq.counted && !q.counted.some((w) => covered(w, counted, glossary))) differ('subject', `counts ${pq.counted.join(' ')}`, `a count of ${q.counted.join(' ')}`);
  // Each value once, or every row: "distinct customers" are not orders, "pets" not "distinct types of pets".
  // Grouped rows are distinct already: "the different codes, and how many each" is a breakdown.
  // Rows of the one table a pair counts are distinct things already: "unique customers" counted in `customers`.
  const rowsAreThem = p.tables.length === 1 && !!q.counted && q.counted.join('') === p.tables[0]!.terms.join('') && s.outputMeasures.has('count');
  if (q.countDistinct && !s.distinct && !rowsAreThem) differ('measure', 'counts every row', 'for a count of distinct values');
  else if (q.distinct && !q.countDistinct && !pq.distinct && !s.distinct && !s.grouped) differ('measure', 'lists every row', 'for distinct values');
  else if (pq.countDistinct && !q.distinct && s.distinct) differ('measure', 'counts distinct values', 'for a count of every row');
  // What the answer is broken down by: each key of the pair's GROUP BY must be what the question lists.
  // And each thing the question breaks down by must be a key of the pair's: "revenue per order" is not revenue per category.
  if (s.groupKeys.length > 0) {
    const keys = new Set(s.groupKeys.flat());
    const missing = q.dims.filter((d) => !covered(d, keys, glossary) && !s.groupKeys.some((k) => k.join('').includes(d)));
    if (missing.length > 0) differ('breakdown', `breaks down by ${s.groupKeys.map((k) => k.join(' ')).join(' and ')}`, `per ${missing.map((d) => q.concepts.get(d) ?? d).join(' and ')}`);
  }
  if (q.dims.length > 0 && s.groupKeys.length > 0 && (q.breakdown || q.ranked)) {
    const dims = new Set(q.dims);
    const names = (w: string) => covered(w, dims, glossary) || q.dims.some((d) => d.length >= 4 && w.includes(d));
    const extra = s.groupKeys.filter((key) => !key.some(names) && !key.some((w) => q.values.some((v) => covered(w, new Set(contentTokens(v.column ?? '')), glossary))));
    if (extra.length > 0) differ('breakdown', `lists each ${extra.map((k) => k.join(' ')).join(' and ')}`, `each ${q.dims.map((d) => q.concepts.get(d) ?? d).join(' and ')}`);
  }
  // Ranked by a count of rows, "the most awards" and "the most times" are the same criterion.
  // A sort asked for in words ("sorted by country") must be the pair's, whatever it counts.
  if (q.criterion.length > 0 && (q.ranked || q.direction) && (!s.orderByCount || q.criterionSaid)) {
    const by = s.orderTerms.size > 0 ? s.orderTerms : s.terms;
    // "The fewest templates" ranks by a count of a table's rows: a query that counts nothing, ordered
    // by nothing ("the smallest version number") does not, though it reads that table.
    const countsRows = q.criterion.every((w) => p.tables.some((t) => t.terms.join('') === w || covered(w, new Set([t.terms.join('')]), glossary)));
    const missing = s.orderTerms.size === 0 && countsRows && !s.measures.has('count') ? q.criterion : q.criterion.filter((w) => !covered(w, by, glossary));
    if (missing.length > 0) differ('ranking', s.orderTerms.size > 0 ? `ranks by ${[...s.orderTerms].join(' ')}` : 'is not ranked', `by ${surfaceOf(q, missing)}`);
    else matched.push({ component: 'ranking', value: `by ${surfaceOf(q, q.criterion)}` });
  }

  // A query reading one end of a movement (SourceAirport, DestAirport) answers a question about that end only.
  const end = sqlRole(p.sqlText);
  if (q.role && end && q.role !== end && pq.role !== q.role) differ('subject', `reads where things ${end === 'from' ? 'leave from' : 'arrive at'}`, `where they ${q.role === 'from' ? 'leave from' : 'arrive at'}`);
  // "The second most" is one row below the top; the pair's ranking gives the top.
  if (q.rankBelowTop && q.rankBelowTop !== pq.rankBelowTop) differ('ranking', pq.rankBelowTop ? `gives the ${pq.rankBelowTop}` : 'gives the top of the ranking', `the ${q.rankBelowTop}`);
  // A text pattern: "starting with 'w'" is not "with the letter 'w' in it" (LIKE 'w%' against '%w%').
  if (q.textMatch && q.textMatch !== pq.textMatch) {
    for (const l of p.literals.filter((x) => x.raw.includes('%'))) {
      const inner = l.raw.slice(1, -1);
      const shape = inner.startsWith('%') && inner.endsWith('%') ? 'contains' : inner.endsWith('%') ? 'starts' : inner.startsWith('%') ? 'ends' : 'equals';
      if (shape !== q.textMatch) differ('comparison', `matches text that ${TEXT_SHAPES[shape]} ${inner.replace(/%/g, '')}`, `text that ${TEXT_SHAPES[q.textMatch]} it`);
    }
  }

  // Comparisons and negation.
  for (const [flag, name] of [['negated', 'a negation (not, without)'], ['greater', 'a "more than" condition'], ['less', 'a "less than" condition']] as const) {
    if (q[flag] && !pq[flag] && !s[flag]) differ('comparison', `has no ${name.replace(/^an? /, '')}`, name);
    else if (!q[flag] && pq[flag]) differ('comparison', `has ${name}`, `no ${name.replace(/^an? /, '')}`);
  }

  // Periods: calendar periods must be the same, or differ only in the unit of `date_trunc(unit, current_date)`.
  const calendar = (xs: PeriodReading[]) => xs.filter((x) => x.anchor !== 'rolling');
  const qp = calendar(q.periods);
  const pp = calendar(pq.periods);
  const rollingQ = q.periods.some((x) => x.anchor === 'rolling');
  const rollingP = pq.periods.some((x) => x.anchor === 'rolling');
  const vague = q.periods.some((x) => x.anchor === 'vague');
  const key = (x: PeriodReading) => `${x.anchor} ${x.unit ?? ''}`;
  const unmatchedQ = qp.filter((x) => x.anchor !== 'vague' && !pp.some((y) => key(y) === key(x)));
  const unmatchedP = pp.filter((y) => !qp.some((x) => key(y) === key(x)));
  if (unmatchedQ.length === 1 && unmatchedP.length === 1 && unmatchedQ[0]!.anchor === 'this' && unmatchedP[0]!.anchor === 'this' && !rollingQ && !rollingP) {
    const unitEdits = calendarEdits(p.sqlText, unmatchedP[0]!.unit!, unmatchedQ[0]!.unit!);
    if (unitEdits) {
      edits.push(...unitEdits);
      matched.push({ component: 'period', value: `${unmatchedQ[0]!.text} (approved ${unmatchedP[0]!.text})`, adapted: true });
    } else differ('period', `covers ${unmatchedP[0]!.text}`, unmatchedQ[0]!.text);
  } else {
    for (const x of unmatchedQ) differ('period', unmatchedP.length ? `covers ${unmatchedP.map((y) => y.text).join(', ')}` : rollingP ? `covers ${pq.periods.find((y) => y.anchor === 'rolling')!.text}` : 'has no period', x.text);
    if (unmatchedQ.length === 0) for (const y of unmatchedP) if (!vague) differ('period', `covers ${y.text}`, rollingQ ? q.periods.find((x) => x.anchor === 'rolling')!.text : 'no period');
  }
  if (rollingQ && !rollingP && pp.length > 0 && unmatchedQ.length === 0 && unmatchedP.length === 0) differ('period', `covers ${pp.map((y) => y.text).join(', ')}`, q.periods.find((x) => x.anchor === 'rolling')!.text);
  if (rollingP && !rollingQ && !vague && qp.length === 0 && !q.periods.length) differ('period', `covers ${pq.periods.find((y) => y.anchor === 'rolling')!.text}`, 'no period');
  if (q.periods.length > 0 && differences.every((d) => d.component !== 'period')) matched.push({ component: 'period', value: q.periods.map((x) => x.text).join(', ') });

  // Values: each one asked is in the pair, or replaces a value of the same column the pair has.
  const inPair = (v: { value: string; text: string }) => pq.values.some((x) => same(x.value, v.value)) || p.literals.some((l) => same(l.value, v.value));
  const used = new Set<string>();
  const slot = sameQuestionOtherName(q, p);
  if (slot) {
    used.add(slot.from);
    swaps.push({ from: slot.from, to: slot.to, component: 'value' });
    for (const l of p.literals.filter((x) => same(x.value, slot.from))) edits.push({ start: l.start, end: l.end, text: quote(l.raw, slot.from, slot.to) });
    matched.push({ component: 'value', value: `${slot.to} (approved ${slot.from})`, adapted: true });
  }
  for (const v of q.values) {
    if (inPair(v)) {
      matched.push({ component: 'value', value: v.text });
      continue;
    }
    // A value two columns hold ('Apparel' in products and order_items) may replace a literal of either.
    const columns = new Set((v.column ? [v.column] : v.columns).map(bare));
    const old = p.literals.find((l) => l.column && columns.has(bare(l.column)) && !q.values.some((x) => same(x.value, l.value)) && !used.has(l.value));
    if (old && !v.column?.includes(' ')) {
      used.add(old.value);
      swaps.push({ from: old.value, to: v.value, component: 'value' });
      for (const l of p.literals.filter((x) => same(x.value, old.value))) edits.push({ start: l.start, end: l.end, text: quote(l.raw, old.value, v.value) });
      matched.push({ component: 'value', value: `${v.text} (approved ${display(pq, old.value)})`, adapted: true });
    } else if (v.column) differ('value', `has no ${bare(v.column)} ${v.text}`, v.text);
    else if (v.columns.length > 0) differ('value', `has no condition on ${v.text}`, v.text);
    // A name known from another pair's SQL ("Kyle"), written without quotes, that this pair cannot take.
    else if (!v.quoted && !DATE_PART.test(v.value) && !(slot && same(slot.to, v.text))) differ('value', `has no condition on ${v.text}`, v.text);
    // A quoted value with no known column is adaptSql's (it pairs quoted names in order).
  }
  // A value the pair's SQL filters on that the question neither names nor replaces answers another question.
  let replaceable = q.values.filter((v) => !v.column && v.columns.length === 0 && !inPair(v)).length;
  for (const v of pq.values) {
    if (q.values.some((x) => same(x.value, v.value)) || used.has(v.value) || swaps.some((x) => same(x.from, v.value))) continue;
    if (v.column === undefined) {
      // Only what the SQL compares a column to: a date_trunc unit is the grain's, not a value.
      if (!p.literals.some((l) => l.column && same(l.value, v.value))) continue;
      if (replaceable-- > 0) continue;
    }
    // A quoted value of the approved question, where the question quotes another: adaptSql pairs quoted names in order.
    else if (v.quoted && q.values.some((x) => x.quoted && !inPair(x)) && replaceable-- > 0) continue;
    differ('value', `is about ${v.text}`, `nothing about ${v.text}`);
  }

  // Another value of a column the pair filters on, named in other words or order than the known
  // value is written ("pending return" for 'return_pending', beside the pair's 'returned').
  const qStemSet = new Set(contentTokens(q.text));
  const pqStemSet = new Set(contentTokens(pq.text));
  for (const l of p.literals) {
    const others = p.alternatives.get(l.value) ?? [];
    // A value the question names as it is written is the value checks' above.
    if (swaps.some((x) => same(x.from, l.value)) || q.values.some((v) => others.some((o) => same(o, v.value)))) continue;
    const own = new Set(contentTokens(l.value.replace(/_/g, ' ')));
    const named = others.find((o) => {
      const ws = contentTokens(o.replace(/_/g, ' ')).filter((w) => !own.has(w));
      return ws.length > 0 && ws.every((w) => qStemSet.has(w) && !pqStemSet.has(w));
    });
    if (named) differ('value', `is about ${display(pq, l.value)}`, named.replace(/_/g, ' '));
  }

  // The columns the question lists to be shown must be among what the pair returns.
  const returned = (h: string) => [...s.outputSources].some((o) => o === h || (h.length >= 2 && (o.endsWith(h) || o.startsWith(h))) || covered(h, new Set([o]), glossary));
  // One thing asked is enough when the pair returns nothing like it ("the earnings" against names);
  // and a pair listing more than was asked returns other columns ("the grade" against names and grades).
  const unshown = (q.shows.length > 0 ? q.shows : q.asks.filter(() => s.outputSources.size > 0)).filter((h) => !returned(h) && !pq.asks.includes(h));
  const unasked = pq.shows.length > 0 && q.asks.length > 0 ? pq.shows.filter((h) => !q.asks.some((a) => a === h || covered(a, new Set([h]), glossary)) && !covered(h, new Set(q.stems), glossary)) : [];
  if (unshown.length > 0) differ('subject', `returns ${[...s.outputTerms].join(', ') || 'other columns'}`, `to see ${unshown.map((h) => q.concepts.get(h) ?? h).join(', ')}`);
  else if (unasked.length > 0) differ('subject', `also returns ${unasked.join(', ')}`, `only ${q.asks.map((h) => q.concepts.get(h) ?? h).join(', ')}`);
  // The approved question kept whole, with words put in: "…, cumulatively", "… who are active",
  // "… in cents", "… and how has it changed". Words another check reads and accepts, or that say nothing, are not new.
  const added = insertedWords(q, pq, { slot: slot?.to, direction: pairDirection, sql: s, glossary });
  if (added.length > 0) differ('subject', `is the same question without ${quoted(added)}`, `with ${quoted(added)}`);
  // The approved question with a word or two changed: "average order size" for "average order value".
  // When the pair filters a column of known values (a status), a participle is a state, not a verb
  // of a paraphrase: "awaiting a return" is not "returned".
  // Lower-case values only: a status ('returned'), not a name ('United Airlines' flights "arriving").
  const statusFilter = p.literals.some((l) => (p.alternatives.get(l.value)?.length ?? 0) > 0 && /^\p{Ll}/u.test(l.value));
  const changed = added.length > 0 ? [] : changedWords(q, pq, slot?.to, s.terms, glossary);
  if (statusFilter && added.length === 0) {
    const own = new Set([...pq.stems, ...q.values.flatMap((v) => contentTokens(v.text)), ...pq.values.flatMap((v) => contentTokens(v.text))]);
    const states = words(q.text).filter((w) => w.length > 4 && /(ing|ed)$/.test(w) && !STOP.has(w) && !STRUCTURE.has(stemOf(w)) && !own.has(stemOf(w)) && !covered(stemOf(w), s.terms, glossary));
    if (states.length > 0) differ('value', `is about ${p.literals.filter((l) => p.alternatives.has(l.value) && /^\p{Ll}/u.test(l.value)).map((l) => display(pq, l.value)).join(', ')}`, quoted(states));
  }
  if (changed.length > 0) differ('subject', changed.some((c) => c.was) ? `says ${changed.filter((c) => c.was).map((c) => `"${c.was}"`).join(', ')}` : 'has no such words', changed.map((c) => `"${c.is}"`).join(', '));
  // A word nothing accounts for: not the pair's question nor its SQL, not a term of the schema or the
  // glossary, not one another check reads, not a verb of a paraphrase's — "…, cumulatively", "… growth".
  if (added.length === 0 && changed.length === 0) {
    const said = new Set([...pq.stems, ...s.terms, ...s.literalWords]);
    const valueish = new Set([...q.values, ...q.periods].flatMap((v) => contentTokens(v.text)));
    const unknown = contentTokens(q.text).filter((w) => !STRUCTURE.has(w) && !SAYS_NOTHING.has(w) && !/^\d/.test(w) && !valueish.has(w) && !q.concepts.has(w) && !covered(w, said, glossary) && !pq.stems.some((x) => oneSlip(x, w) || vowelDropped(x, w)) && UNACCOUNTED.has(w));
    if (unknown.length > 0) differ('subject', `has nothing for ${quoted(unknown)}`, quoted(unknown));
  }
  // Named things: what the question names must be in the pair; what the pair's question names must be asked.
  const pairWords = new Set([...pq.stems, ...s.terms, ...s.literalWords]);
  const valueWords = new Set(q.values.flatMap((v) => contentTokens(v.text)));
  const missingInPair = [...q.concepts].filter(([w]) => !valueWords.has(w) && !covered(w, pairWords, glossary, true));
  if (missingInPair.length > 0) differ('subject', `does not use ${missingInPair.map(([, t]) => `"${t}"`).join(', ')}`, `about ${missingInPair.map(([, t]) => t).join(', ')}`);
  // The other way, only the team's terms: "active customers" is not "customers", while a pair that
  // also shows "age" still answers a question about names.
  const questionWords = new Set([...q.stems]);
  const pairValueWords = new Set(pq.values.flatMap((v) => contentTokens(v.text)));
  // Also a column the pair's question asks to be shown: an answer showing abbreviations is not one about countries.
  // Names and ids are how any list of things is shown; "which airports" is answered with their names.
  const shown = (w: string) => s.outputTerms.has(w) && !q.concepts.has(w) && !IDENTIFYING.has(w);
  // And a table the pair's question names and its SQL reads: "departments that offer a degree" is
  // not "departments". A name in the question ("Kyle's id") already says which thing it is about.
  // A table is asked about when the question names it (every word: "course" does not ask about
  // student_enrolment_courses), one of its columns, or two of the things its
  // keys link ("employees" and "shop" ask about hiring); one key is not enough: every table holding
  // department_id is not about departments.
  const qWords = new Set([...q.stems, ...q.concepts.keys()]);
  const all = (ws: readonly string[]) => ws.every((w) => covered(w, qWords, glossary));
  const askedTable = (t: PairReading['tables'][number]) => all(t.terms) || t.columns.some(all) || t.keys.filter(all).length >= 2;
  const read = (w: string) => q.values.length === 0 && p.tables.some((t) => t.terms.includes(w) && !askedTable(t));
  // A term written with one slip ("chanel") still names it.
  const asked = (w: string) => covered(w, questionWords, glossary) || [...questionWords].some((x) => oneSlip(x, w) || vowelDropped(x, w));
  const missingInQuestion = [...pq.concepts].filter(([w]) => (glossary.words.has(w) || shown(w) || read(w)) && !pairValueWords.has(w) && !asked(w));
  if (missingInQuestion.length > 0) differ('subject', `is about ${missingInQuestion.map(([, t]) => `"${t}"`).join(', ')}`, `nothing about ${missingInQuestion.map(([, t]) => t).join(', ')}`);
  if (missingInPair.length === 0 && q.concepts.size > 0) matched.push({ component: 'subject', value: [...q.concepts.values()].join(', ') });

  return { differences, matched, edits, swaps, added };
}

/** Whether a pair's question or SQL says a word (stemmed, glossary synonyms included). */
export function pairSays(p: PairReading, word: string, glossary: Glossary): boolean {
  return covered(stemOf(word.toLowerCase()), new Set([...p.question.stems, ...p.sql.terms, ...p.sql.literalWords]), glossary);
}

/** Words of the columns a ranking on an axis reads ("newest": a date, a year, an age). */
const AXIS_TERMS: Record<string, string[]> = {
  age: ['age', 'birth', 'born', 'date', 'time', 'year', 'creat', 'regist', 'signup', 'join', 'found', 'built', 'start', 'establish', 'dob', 'open'],
  weight: ['weight', 'kg', 'mass'],
  height: ['height', 'tall'],
  price: ['price', 'cost', 'fee', 'amount'],
  length: ['length', 'duration', 'long', 'distance'],
};

/**
 * The approved question word for word, but for the name it filters on: "What grade is Jordan in?"
 * against "What grade is Kyle in?" (SQL `name = "Kyle"`). The name need not be a known value; the
 * rest of the question being the same is what says it stands where the approved one stood.
 */
function sameQuestionOtherName(q: QuestionReading, p: PairReading): { from: string; to: string } | undefined {
  // Other values of the question are the value checks'; one known only from another pair's SQL may be the name.
  if (q.values.some((v) => !p.question.values.some((x) => same(x.value, v.value)) && (v.column || v.columns.length > 0 || v.quoted))) return undefined;
  const qw = words(q.text);
  const pw = words(p.question.text);
  for (const v of p.question.values) {
    // Only a name the SQL compares a column to, written in the question as the SQL has it.
    if (!p.literals.some((l) => l.column && same(l.value, v.value) && same(l.value, v.text))) continue;
    // A lower-case value of a column whose values are known is one of them ('returned', 'shipped'):
    // an unknown word in its place ("refunded") is not a value of it, and would match no row.
    const known = p.alternatives.get(v.value);
    const vw = words(v.text);
    const at = pw.findIndex((_, i) => vw.every((w, k) => pw[i + k] === w));
    if (at < 0) continue;
    const before = pw.slice(0, at);
    const after = pw.slice(at + vw.length);
    const middle = qw.slice(before.length, qw.length - after.length);
    if (middle.length < 1 || middle.length > 3 || before.some((w, k) => qw[k] !== w) || after.some((w, k) => qw[qw.length - after.length + k] !== w)) continue;
    if (middle.join(' ') === vw.join(' ') || middle.some((w) => STOP.has(w) || /^\d/.test(w))) continue;
    // One name, as written: its words apart only by spaces or hyphens, not a name followed by a
    // clause ("CV growth", "'PPT', cumulatively" are the approved name with words put after it).
    const written = new RegExp(middle.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s-]+'), 'iu').exec(q.text.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''));
    const capitalised = /^\p{Lu}/u.test(v.value);
    // A capitalised name has every word capitalised ("Summer Show"); a lower-case one as many words as the approved.
    const oneName = (w: string) => (capitalised ? w.split(/[\s-]+/).every((x) => /^[\p{Lu}\d]/u.test(x)) : middle.length === vw.length && !(known && known.length > 0 && !known.some((o) => same(o, w))));
    // Written as a name where the approved one is ('Kyle', not 'kyle'): the database compares case.
    if (written && oneName(written[0]) && capitalised === /^\p{Lu}/u.test(written[0]) && q.values.every((x) => same(x.text, written[0]) || p.question.values.some((y) => same(y.value, x.value)))) return { from: v.value, to: written[0] };
  }
  return undefined;
}

/**
 * Words of the question that replace words of the approved question, position for position, when
 * the two are otherwise the same sentence. Words that only carry structure (each/per, numbers,
 * values) are the other checks'; a typing slip is the same word.
 */
function changedWords(q: QuestionReading, pq: QuestionReading, swapped: string | undefined, sqlTerms: ReadonlySet<string>, glossary: Glossary): Array<{ was: string; is: string }> {
  const values = new Set([...q.values, ...pq.values].flatMap((v) => words(v.text).map(stemOf)).concat(swapped ? words(swapped).map(stemOf) : []));
  const structural = (w: string) => STRUCTURE.has(w) || [...STRUCTURE].some((x) => x.length >= 6 && w.length >= 6 && w.slice(0, 6) === x.slice(0, 6));
  const content = (w: string) => !STOP.has(w) && !SAYS_NOTHING.has(w) && !/^\d/.test(w) && !values.has(w) && !structural(w);
  // The same word: a slip, or one a form of the other ("named"/"name", "using"/"use").
  const sameWord = (a: string, b: string) => a === b || oneSlip(a, b) || swapped2(a, b) || vowelDropped(a, b) || (Math.min(a.length, b.length) >= 3 && Math.abs(a.length - b.length) <= 3 && (a.startsWith(b) || b.startsWith(a)));
  // Each content word with the words around it as written, to tell a modifier from a verb.
  const read = (text: string) => {
    const ws = words(text.replace(/^\s*return\b/i, ''));
    return ws.map((w, i) => ({ w: stemOf(w), written: w, before: ws[i - 1], after: ws[i + 1] })).filter((x) => !STOP.has(x.written) && content(x.w));
  };
  const qr = read(q.text);
  const qw = qr.map((x) => x.w);
  const pw = read(pq.text).map((x) => x.w);
  if (pw.length < 2) return [];
  // The longest common subsequence: what of the approved question the new one keeps, in order.
  const lcs = qw.map(() => new Array<number>(pw.length + 1).fill(0));
  const cell = (i: number, j: number) => (i < 0 ? 0 : lcs[i]![j]!);
  qw.forEach((w, i) => pw.forEach((x, j) => (lcs[i]![j + 1] = sameWord(w, x) ? cell(i - 1, j) + 1 : Math.max(cell(i - 1, j + 1), lcs[i]![j]!))));
  const kept = cell(qw.length - 1, pw.length);
  // A word put before a thing ("large orders", "online sales", "net revenue") or after it ("revenue
  // growth", "in euros") changes what is asked; a verb ("the shop that sells the most") says it again.
  const verbLike = (x: (typeof qr)[number]) => /(ing|ed)$/.test(x.written) || VERB_BEFORE.has(x.before ?? '') || OBJECT_AFTER.has(x.after ?? '');
  // "high schoolers": with the word before, a name the pair's SQL uses (Highschooler).
  const partOfName = (x: (typeof qr)[number]) => {
    const joined = stemOf(`${x.before ?? ''}${x.written}`);
    return !!x.before && [...sqlTerms].some((t) => t === joined || (joined.length >= 6 && t.startsWith(joined)));
  };
  // Against every word of the approved question: "valeu" is its "value", a word the checks above read.
  const pairWords = contentTokens(pq.text);
  const added = qr.filter((x) => !pairWords.some((y) => sameWord(x.w, y)) && !verbLike(x) && !partOfName(x));
  // Only an edit of the approved question, not a paraphrase of it: most of it kept, one or two words new.
  if (kept < Math.ceil(pw.length * 0.7) || added.length === 0 || added.length > 2) return [];
  const dropped = pw.filter((y) => !qw.some((w) => sameWord(w, y)));
  // A word the pair's SQL or the glossary accounts for ("revenue" for a query summing revenue) is not new.
  const unexplained = added.filter((x) => !covered(x.w, sqlTerms, glossary) && !covered(x.w, new Set(pw), glossary));
  return unexplained.map((x, k) => ({ was: dropped[k] ?? '', is: x.written }));
}

const quoted = (ws: readonly string[]) => ws.map((w) => `"${w}"`).join(', ');

/**
 * Words of the question beyond the approved question, when the approved question is kept whole
 * (every word, in order, a typing slip allowed): a question that says more asks more. Exempt are
 * the words other checks read and compare (values, periods, the grain, measures the pair computes,
 * a ranking direction the pair has), numbers, what the pair returns, and words that say nothing.
 */
function insertedWords(q: QuestionReading, pq: QuestionReading, o: { slot?: string; direction?: 'asc' | 'desc'; sql: SqlReading; glossary: Glossary }): string[] {
  const qw = words(q.text);
  const pw = words(pq.text);
  if (pw.length < 3 || qw.length <= pw.length) return [];
  const written = writtenWords(q.text);
  if (written.length !== qw.length) written.length = 0;
  const alike = (a: string, b: string) => a === b || stemOf(a) === stemOf(b) || oneSlip(a, b) || swapped2(a, b) || vowelDropped(a, b);
  // Greedy in order is enough: the approved words must all appear, in order, in the question.
  const keptAt = new Set<number>();
  let i = 0;
  for (const w of pw) {
    while (i < qw.length && !alike(qw[i]!, w)) i++;
    if (i === qw.length) return [];
    keptAt.add(i++);
  }
  const said = new Set([...q.values.map((v) => v.text), ...q.periods.map((x) => x.text), o.slot ?? ''].flatMap((t) => words(t)));
  const grainWords = q.grain ? new Set([q.grain, `${q.grain}s`, ...(GRAIN_ADJECTIVES[q.grain] ?? [])]) : new Set<string>();
  const measured = new Set<string>([...o.sql.measures, ...pq.measures]);
  const out: string[] = [];
  qw.forEach((w, k) => {
    if (keptAt.has(k) || STOP.has(w) || SAYS_NOTHING.has(w) || /^\d/.test(w) || said.has(w) || grainWords.has(w) || pw.includes(w)) return;
    // "distinct", "unique": the distinct check's.
    if (DISTINCT_WORDS.has(w)) return;
    const measure = MEASURE_WORDS[w];
    if (measure && measure.some((m) => measured.has(m))) return;
    const dir = DESC_WORDS.has(w) ? 'desc' : ASC_WORDS.has(w) ? 'asc' : undefined;
    if (dir && dir === o.direction) return;
    // "highest first": the ordinal only repeats the direction before it.
    if ((w === 'first' || w === 'last') && (DESC_WORDS.has(qw[k - 1] ?? '') || ASC_WORDS.has(qw[k - 1] ?? ''))) return;
    // What the pair returns, by the same word or the glossary's ("weekends" is not the week it returns).
    const st = stemOf(w);
    if (o.sql.outputTerms.has(st) || [...o.sql.outputTerms].some((t) => o.glossary.related.get(t)?.has(st))) return;
    out.push(written[k] ?? w);
  });
  return out;
}

/** The words of a text as `words` splits them, as written (case kept), for saying them back. */
function writtenWords(text: string): string[] {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/['’]/g, '').split(/[^A-Za-z0-9.]+|(?<=[A-Za-z])\.|\.(?![0-9])/).filter((w) => w.length > 0);
}

/** One vowel left out of a word of four letters or more ("ordrs" for "orders", "custmers"). */
function vowelDropped(a: string, b: string): boolean {
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (long.length !== short.length + 1 || short.length < 4) return false;
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  return 'aeiou'.includes(long[i]!) && short.slice(i) === long.slice(i + 1);
}

// Words of politeness and emphasis: "please", "thanks", "quick one", "exactly".
const SAYS_NOTHING = new Set(['hey', 'hi', 'hello', 'thanks', 'thank', 'thx', 'cheers', 'quick', 'question', 'kindly', 'exactly', 'roughly', 'approximately', 'again', 'ever', 'currently', 'actually', 'really', 'now', 'ok', 'okay', 'right', 'one', 'here', 'wondering', 'curious', 'quickly']);
const GRAIN_ADJECTIVES: Record<string, string[]> = { day: ['daily'], week: ['weekly'], month: ['monthly'], quarter: ['quarterly'], year: ['yearly', 'annual', 'annually'] };
const MEASURE_WORDS: Record<string, string[]> = {
  count: ['count'], number: ['count'], many: ['count'], total: ['sum', 'count'], sum: ['sum'], average: ['avg'], mean: ['avg'], avg: ['avg'], median: ['median'],
  share: ['share'], percentage: ['share'], percent: ['share'], proportion: ['share'], fraction: ['share'], ratio: ['share'], rate: ['share'],
  maximum: ['max'], max: ['max'], minimum: ['min'], min: ['min'],
};
/** The end of a movement a query's names read (source, origin, departure against destination, arrival), if only one. */
function sqlRole(sql: string): 'from' | 'to' | undefined {
  // Names only: FROM and TO are keywords.
  const names = tokenize(sql).filter((t) => t.kind === 'word' || t.kind === 'quoted').map((t) => t.text.toLowerCase()).filter((n) => n !== 'from' && n !== 'to');
  const from = names.some((n) => /^(?:source|src|origin|depart)|(?:source|origin|depart(?:ure)?)(?:_|airport|city|station|port|country|id|$)/.test(n));
  const to = names.some((n) => /^(?:dest|arriv)|(?:dest(?:ination)?|arriv(?:al)?)(?:_|airport|city|station|port|country|id|$)/.test(n));
  return from === to ? undefined : from ? 'from' : 'to';
}

// Words of change, accumulation, units and money that turn a question into another one, when nothing in the pair says them.
const UNACCOUNTED = new Set(['cumulative', 'cumulatively', 'accumulated', 'runn', 'growth', 'grow', 'grew', 'change', 'chang', 'trend', 'delta', 'increase', 'increas', 'decrease', 'decreas', 'decline', 'declin', 'cent', 'euro', 'eur', 'dollar', 'usd', 'thousand', 'million', 'gross', 'net', 'capita', 'weekend', 'weekday', 'holiday', 'churn', 'refund', 'discount', 'coupon', 'tax', 'profit']);
const DISTINCT_WORDS = new Set(['distinct', 'different', 'unique']);
const TEXT_SHAPES = { contains: 'contains', starts: 'starts with', ends: 'ends with', equals: 'equals' } as const;
const DESC_WORDS = new Set(['most', 'highest', 'largest', 'biggest', 'greatest', 'top', 'best', 'descending', 'decreasing']);
const ASC_WORDS = new Set(['least', 'lowest', 'smallest', 'fewest', 'bottom', 'worst', 'ascending', 'increasing']);

/** Two letters typed the wrong way round ("valeu"): a slip in a shorter word too. */
function swapped2(a: string, b: string): boolean {
  if (a.length !== b.length || a.length < 4 || a === b) return false;
  const at = [...a].findIndex((c, i) => c !== b[i]);
  return a[at] === b[at + 1] && a[at + 1] === b[at] && a.slice(at + 2) === b.slice(at + 2);
}

const VERB_BEFORE = new Set(['that', 'who', 'which', 'whose', 'to', 'can', 'do', 'does', 'did', 'will', 'would', 'they', 'it', 'he', 'she', 'we', 'you', 'i']);
const OBJECT_AFTER = new Set(['the', 'a', 'an', 'most', 'least', 'more', 'fewer', 'less', 'all', 'any', 'every', 'each', 'their', 'its', 'his', 'her', 'them', 'it', 'up']);

// Words another check reads (measures, grain, periods, ranking, comparisons) or that say nothing.
const STRUCTURE = new Set(['each', 'per', 'median', 'old', 'single', 'time', 'times', 'value', 'values', 'common', 'commonly', 'frequent', 'frequently', 'often', 'popular', 'amount', 'own', 'owned', 'hold', 'possess', 'correspond', 'corresponding', 'given', 'include', 'including', 'contain', 'containing', 'named', 'called', 'titled', 'title', 'greater', 'greatest', 'larger', 'largest', 'higher', 'above', 'below', 'under', 'over', 'older', 'oldest', 'younger', 'youngest', 'taller', 'tallest', 'shorter', 'heavier', 'lighter', 'later', 'earlier', 'different', 'distinct', 'unique', 'or', 'either', 'both', 'neither', 'nor', 'across', 'between', 'sort', 'sorted', 'alphabetical', 'alphabetically', 'reverse', 'reversed', 'vs', 'versus', 'compare', 'compared', 'exactly', 'all', 'any', 'some', 'such', 'other', 'receive', 'see', 'make', 'take', 'bring', 'come', 'place', 'want', 'like', 'need', 'know', 'please', 'overall', 'altogether', 'combined', 'ever', 'currently', 'also', 'along', 'well', 'respectively', 'corresponding', 'belong', 'there', 'i', 'you', 'every', 'many', 'number', 'count', 'total', 'sum', 'average', 'mean', 'avg', 'share', 'percentage', 'rate', 'day', 'daily', 'week', 'weekly', 'month', 'monthly', 'quarter', 'quarterly', 'year', 'yearly', 'past', 'previous', 'this', 'current', 'top', 'most', 'least', 'highest', 'lowest', 'best', 'worst', 'more', 'less', 'fewer', 'not', 'no', 'without', 'today', 'yesterday', 'get', 'got', 'have', 'had', 'much', 'did', 'does', 'do', 'show', 'list', 'find', 'give', 'tell', 'return', 'what', 'which', 'who', 'how', 'once', 'twice', 'thrice'].map((w) => stemOf(w)));

function stemOf(w: string): string {
  return contentTokens(w)[0] ?? w;
}

// date_trunc's units are literals of SQL, not values a question filters on.
const DATE_PART = /^\s*(\d+\s*)?(day|week|month|quarter|year|hour|minute)s?\s*$/i;

const COUNTED = new Set(['frequent', 'common', 'popular', 'often', 'used', 'visit']);

const IDENTIFYING = new Set(['name', 'id', 'title', 'code', 'key']);

const MEASURE_NAMES = { count: 'a count', sum: 'a total', avg: 'an average', median: 'a median', share: 'a share or rate', max: 'a maximum', min: 'a minimum' } as const;
const DIRECTION = { desc: 'highest first', asc: 'lowest first' } as const;

function describeMeasures(a: ReadonlySet<string>, b: ReadonlySet<string>): string {
  const all = [...new Set([...a, ...b])] as Array<keyof typeof MEASURE_NAMES>;
  return all.length ? `gives ${all.map((m) => MEASURE_NAMES[m]).join(' and ')}` : 'gives no aggregate';
}

/** A stem is covered by a set of stems: the same, one a prefix of the other (≥ 4 letters), or related in the glossary. */
export function covered(w: string, set: ReadonlySet<string>, glossary: Glossary, byDefinition = false): boolean {
  const near = (a: string, b: string) => a === b || a === `${b}s` || b === `${a}s` || (a.length >= 4 && b.length >= 4 && (a.startsWith(b) || b.startsWith(a)));
  for (const x of set) {
    if (near(x, w)) return true;
    if (glossary.related.get(x)?.has(w) || glossary.related.get(w)?.has(x)) return true;
  }
  // The pair's SQL computes a term its definition names the columns of ("revenue": `amount`, `is_revenue`).
  if (byDefinition) for (const d of glossary.defined.get(w) ?? []) for (const x of set) if (near(x, d)) return true;
  return false;
}

/** Two words of six letters or more one typing slip apart: a letter added, dropped, changed or two swapped. */
export function oneSlip(a: string, b: string): boolean {
  if (a === b || Math.min(a.length, b.length) < 6 || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const rest = (x: string, y: string) => x.slice(i + 1) === y.slice(i + 1) || x.slice(i + 1) === y.slice(i) || x.slice(i) === y.slice(i + 1);
  return rest(a, b) || (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2));
}

function surfaceOf(q: QuestionReading, stems: readonly string[]): string {
  return stems.map((s) => q.concepts.get(s) ?? s).join(' ');
}

function same(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function bare(column: string | undefined): string | undefined {
  return column?.slice(column.lastIndexOf('.') + 1).toLowerCase();
}

function display(pq: QuestionReading, value: string): string {
  return pq.values.find((v) => same(v.value, value))?.text ?? value;
}

function quote(raw: string, old: string, value: string): string {
  const q = raw[0] === '"' ? '"' : "'";
  const inner = raw.slice(1, -1).replace(old, value);
  return `${q}${inner.split(q).join(q + q)}${q}`;
}
