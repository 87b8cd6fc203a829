import { tokenize } from '../sql/tokens';
import { adaptSql, type Adaptation } from './adapt';
import { readGlossary, readQuestion, readSql, type Glossary, type QuestionReading } from './components';
import { Vocabulary, type SchemaRelation } from './features';
import { comparePair, covered, pairSays, type Difference, type MatchedComponent, type PairMatch, type PairReading } from './match';
import { nameTerms, stem, words } from './questionText';
import { BagIndex, pairBag, questionBag, type Scored } from './similarity';

/**
 * The recall engine: answers a question with the nearest approved pair's SQL, its
 * literal values adapted to the question, or abstains and says why. It never writes SQL of its
 * own; it is the offline default, the instant-learning path, and the baseline a model must beat.
 */
export interface ApprovedPair {
  id: string;
  /** Path relative to the project, for "from approved pair <file>". */
  file: string;
  question: string;
  sql: string;
}

/** A pair the team rejected, with why: never answered from, shown to the model as "do not answer like this". */
export interface RejectedPair extends ApprovedPair {
  reason?: string;
}

/** The rejected pair a question is close to, carried by the answer so the person sees it. */
export interface RejectedNote {
  id: string;
  file: string;
  question: string;
  sql: string;
  reason: string | null;
  similarity: number;
}

export type RecallResult =
  | {
    abstained: false;
    pair: ApprovedPair;
    similarity: number;
    sql: string;
    adaptations: Adaptation[];
    assumptions: string[];
    /** The components of the question the pair matched, adapted ones marked. */
    matched: MatchedComponent[];
    /** Every component matched as it is: no literal changed. Only then may auto mode skip the model. */
    exact: boolean;
    rejected?: RejectedNote;
  }
  | { abstained: true; reason: string; nearest?: { pair: ApprovedPair; similarity: number }; differences?: Difference[]; rejected?: RejectedNote };

/**
 * Below this cosine the nearest approved question is about something else. Spider paraphrases of
 * the same query score 0.35–1 against their approved question, unrelated questions 0–0.3.
 * Similarity only ranks candidates above it; what licenses an answer is matching every component.
 */
export const MIN_SIMILARITY = 0.4;

/** A rejected question this close (cosine of the question bags) is "the same question". */
export const REJECTED_SIMILARITY = 0.7;

/**
 * Candidates tried, best first: a lower-ranked pair may match every component when the nearest
 * does not ("top 3 in France" is nearer "top customers" than "top 5 in Germany" by words).
 */
const CANDIDATES = 8;
const MIN_CANDIDATE_SIMILARITY = 0.25;

// Questions alone rank a little below questions with their SQL: the SQL is the better evidence when both are close.
const QUESTION_ONLY = 0.9;

export interface RecallOptions {
  /** The team's rules.md: its glossary tells which words are terms ("active customer"). */
  rules?: string;
  rejected?: readonly RejectedPair[];
}

export class RecallEngine {
  private readonly index: BagIndex<ApprovedPair>;
  private readonly questions: BagIndex<ApprovedPair>;
  private readonly rejectedIndex: BagIndex<RejectedPair>;
  private readonly readings = new Map<string, PairReading>();
  readonly glossary: Glossary;
  readonly rejected: readonly RejectedPair[];

  readonly vocabulary: Vocabulary;

  constructor(readonly pairs: readonly ApprovedPair[], relations: readonly SchemaRelation[], private readonly dialect: 'duckdb' | 'sqlite', options: RecallOptions = {}) {
    this.vocabulary = new Vocabulary(relations);
    this.vocabulary.addValues(pairs.flatMap((p) => tokenize(p.sql).filter((t) => this.vocabulary.isValue(t)).map((t) => t.text)));
    this.index = new BagIndex(pairs.map((p) => ({ item: p, bag: pairBag(p, this.vocabulary) })));
    this.questions = new BagIndex(pairs.map((p) => ({ item: p, bag: questionBag(p.question, this.vocabulary) })));
    this.rejected = options.rejected ?? [];
    this.rejectedIndex = new BagIndex(this.rejected.map((p) => ({ item: p, bag: questionBag(p.question, this.vocabulary) })));
    this.glossary = readGlossary(options.rules);
  }

  /**
   * The approved pairs most like the question, best first: ranked by question and SQL together,
   * scored by the closer of that and the questions alone — a short question shares few of a
   * long query's features, yet "sales in the last 90 days" is plainly "sales in the last 30 days".
   */
  nearest(question: string, limit = 5): Array<Scored<ApprovedPair>> {
    // One question is ranked by grounding, by recall and by the panel's list of similar
    // questions in turn: the last ranking is kept for the next call about the same question.
    const last = this.lastNearest;
    if (last?.question === question && last.limit >= limit) return last.ranked.slice(0, limit);
    const bag = questionBag(question, this.vocabulary);
    const scores = new Map<ApprovedPair, number>();
    for (const n of this.index.nearest(bag, limit + 10)) scores.set(n.item, n.score);
    for (const n of this.questions.nearest(bag, limit + 10)) scores.set(n.item, Math.max(scores.get(n.item) ?? 0, n.score * QUESTION_ONLY));
    const ranked = [...scores].map(([item, score]) => ({ item, score })).sort((a, b) => b.score - a.score).slice(0, limit);
    this.lastNearest = { question, limit, ranked };
    return ranked;
  }

  private lastNearest: { question: string; limit: number; ranked: Array<Scored<ApprovedPair>> } | undefined;

  /** Rejected pairs asking (nearly) the same, closest first. */
  nearestRejected(question: string, limit = 2, min = REJECTED_SIMILARITY): Array<Scored<RejectedPair>> {
    return this.rejectedIndex.nearest(questionBag(question, this.vocabulary), limit).filter((n) => n.score >= min);
  }

  /** How the question compares with one approved pair, component by component. */
  compare(question: string, pair: ApprovedPair): PairMatch {
    return comparePair(readQuestion(question, this.vocabulary, this.glossary), this.reading(pair), this.glossary);
  }

  private reading(pair: ApprovedPair, kind: 'approved' | 'rejected' = 'approved'): PairReading {
    const key = `${kind}:${pair.id}`;
    let r = this.readings.get(key);
    if (!r) {
      const sql = readSql(pair.sql);
      const isKey = (c: string) => /(^|_)id$/i.test(c) || /[a-z](ID|Id)$/.test(c);
      const tables = [...sql.tables].map((t) => {
        const columns = this.vocabulary.columnsOf(t);
        return { terms: nameTerms(t), columns: columns.filter((c) => !isKey(c)).map(nameTerms), keys: columns.filter(isKey).map((c) => nameTerms(c).filter((w) => w !== 'id')).filter((k) => k.length > 0) };
      });
      const literals = literalColumns(pair.sql, this.vocabulary);
      const alternatives = new Map<string, string[]>();
      for (const l of literals) {
        const column = l.column ? this.vocabulary.columnOfValue(l.value) : undefined;
        if (column) alternatives.set(l.value, this.vocabulary.otherValues(l.value, column));
      }
      r = { question: readQuestion(pair.question, this.vocabulary, this.glossary), sql, tables, literals, alternatives, sqlText: pair.sql };
      this.readings.set(key, r);
    }
    return r;
  }

  answer(question: string): RecallResult {
    const rejected = this.rejectedNote(question);
    const withRejection = (reason: string) => (rejected ? `${reason} ${rejectionText(rejected)}` : reason);
    if (this.pairs.length === 0) return { abstained: true, reason: withRejection('There are no approved pairs yet: approve an answer and questions like it are answered from it.'), rejected };
    const ranked = this.nearest(question, CANDIDATES);
    const [best] = ranked;
    if (!best) return { abstained: true, reason: withRejection('No approved question shares a word, table, column or value with this one.'), rejected };
    const nearest = { pair: best.item, similarity: round(best.score) };
    if (best.score < MIN_SIMILARITY) {
      return { abstained: true, reason: withRejection(`No approved question is close enough: the nearest, "${best.item.question}", has similarity ${nearest.similarity} (at least ${MIN_SIMILARITY} is needed).`), nearest, rejected };
    }
    const q = readQuestion(question, this.vocabulary, this.glossary);
    let first: { reason: string; differences?: Difference[]; pair: ApprovedPair; similarity: number } | undefined;
    const unexplained = new Set<string>();
    for (const candidate of ranked) {
      if (candidate.score < MIN_CANDIDATE_SIMILARITY) break;
      const pair = candidate.item;
      const failed = (reason: string, differences?: Difference[]) => {
        first ??= { reason, differences, pair, similarity: round(candidate.score) };
      };
      const reading = this.reading(pair);
      const m = comparePair(q, reading, this.glossary);
      for (const w of m.added) unexplained.add(w);
      if (m.differences.length > 0) {
        failed(differenceText(pair, m.differences), m.differences);
        continue;
      }
      // A word that made a nearer pair differ ("…, cumulatively") is not answered by a farther pair that never says it.
      const unsaid = [...unexplained].filter((w) => !pairSays(reading, w, this.glossary));
      if (unsaid.length > 0) {
        const d: Difference[] = [{ component: 'subject', pair: `has nothing for ${unsaid.map((w) => `"${w}"`).join(', ')}`, asked: unsaid.map((w) => `"${w}"`).join(', ') }];
        failed(differenceText(pair, d), d);
        continue;
      }
      const unmatched = unmatchedNames(question, pair, this.vocabulary, q, m.swaps.map((s) => s.to), this.glossary);
      if (unmatched) {
        failed(`Your question mentions "${unmatched}", which the nearest approved question, "${pair.question}", does not.`, [{ component: 'value', pair: `does not mention "${unmatched}"`, asked: unmatched }]);
        continue;
      }
      const adapted = adaptSql(pair, question, this.dialect, { inPair: [], inQuestion: [] }, m.edits);
      if (!adapted.ok) {
        failed(`The nearest approved question, "${pair.question}", cannot be adapted: ${adapted.reason}.`);
        continue;
      }
      // A value the approved question states and this one leaves out ("top 5", "more than 2") is a
      // condition nobody asked for: the pair answers its own question, not this one.
      if (adapted.kept.length > 0) {
        const said = adapted.kept.map((k) => k.replace(/ kept from the approved question$/, ''));
        failed(differenceText(pair, said.map((k) => ({ component: 'value', pair: `is for ${k}`, asked: 'no such value' }))), said.map((k) => ({ component: 'value' as const, pair: `is for ${k}`, asked: 'no such value' })));
        continue;
      }
      if (this.rejected.some((r) => sameSql(r.sql, adapted.sql))) {
        failed(`The approved pair "${pair.question}" would give the SQL of a rejected pair.`);
        continue;
      }
      const adaptations = [...adapted.adaptations, ...m.swaps.map((s) => ({ kind: 'value' as const, from: s.from, to: s.to })), ...m.matched.filter((c) => c.adapted && c.component !== 'value').map((c) => ({ kind: c.component as Adaptation['kind'], from: c.value.replace(/^.*\(approved (.*)\)$/, '$1'), to: c.value.replace(/ \(approved .*\)$/, '') }))];
      return {
        abstained: false,
        pair,
        similarity: round(candidate.score),
        sql: adapted.sql,
        adaptations,
        assumptions: assumptionsIn(adapted.sql),
        matched: withLiterals(m.matched, adapted.adaptations),
        exact: adaptations.length === 0,
        rejected,
      };
    }
    const f = first!;
    return { abstained: true, reason: withRejection(f.reason), nearest: { pair: f.pair, similarity: f.similarity }, differences: f.differences, rejected };
  }

  /**
   * The rejected pair the question asks (nearly) the same as: by words (cosine ≥ 0.7), or by meaning —
   * a rejected pair that, approved, would match every component of the question ("How many customers
   * have we got in total?" and the rejected "How many customers do we have?").
   */
  private rejectedNote(question: string): RejectedNote | undefined {
    const [close] = this.nearestRejected(question, 1);
    const q = close ? undefined : readQuestion(question, this.vocabulary, this.glossary);
    const r = close ?? this.nearestRejected(question, 3, MIN_SIMILARITY).find((n) => comparePair(q!, this.reading(n.item, 'rejected'), this.glossary).differences.length === 0);
    return r ? { id: r.item.id, file: r.item.file, question: r.item.question, sql: r.item.sql, reason: r.item.reason ?? null, similarity: round(r.score) } : undefined;
  }
}

/** The matched components with adaptSql's literal changes in place of the same components read unchanged. */
function withLiterals(matched: readonly MatchedComponent[], adaptations: readonly Adaptation[]): MatchedComponent[] {
  const literal = adaptations.map((a): MatchedComponent => ({ component: a.kind === 'top' ? 'ranking' : a.kind === 'period' ? 'period' : 'value', value: `${a.to} (approved ${a.from})`, adapted: true }));
  const replaced = new Set<MatchedComponent['component']>(literal.map((l) => l.component).filter((c) => c === 'period'));
  return [...matched.filter((c) => c.adapted || !replaced.has(c.component)), ...literal];
}

/** "The approved pair, "…", counts orders per day; you asked per week." — every difference, in the asker's words. */
export function differenceText(pair: ApprovedPair, differences: readonly Difference[]): string {
  const parts = differences.map((d) => `it ${d.pair}, you asked ${d.asked}`);
  return `The nearest approved question, "${pair.question}", asks something else: ${parts.join('; ')}.`;
}

function rejectionText(r: RejectedNote): string {
  return `A question like yours, "${r.question}", was answered before and rejected${r.reason ? `: ${r.reason}` : ''} (${r.file}).`;
}

function sameSql(a: string, b: string): boolean {
  const norm = (s: string) => tokenize(s).map((t) => t.text).join(' ');
  return norm(a) === norm(b);
}

/** The SQL's string literals, each with the column it is compared to (`country = 'DE'`, `city IN ('a', 'b')`). */
function literalColumns(sql: string, vocabulary: Vocabulary): PairReading['literals'] {
  const tokens = tokenize(sql);
  const out: PairReading['literals'] = [];
  tokens.forEach((t, i) => {
    if (!(t.kind === 'string' || (t.kind === 'quoted' && vocabulary.isValue(t)))) return;
    let k = i - 1;
    while (k >= 0 && (tokens[k]!.text === ',' || tokens[k]!.kind === 'string' || tokens[k]!.text === '(')) k--;
    const op = tokens[k];
    let column: string | undefined;
    if (op && (['=', '!=', '<>', 'like', 'ilike', 'in'].includes(op.text))) {
      const c = tokens[k - 1];
      if (c && (c.kind === 'word' || c.kind === 'quoted')) column = c.text.toLowerCase();
    }
    out.push({ value: t.text.trim(), column, start: t.start, end: t.start + t.raw.length, raw: t.raw });
  });
  return out;
}

/**
 * A name the question gives (a capitalised word inside the sentence: "France", "Kyle") that the
 * approved pair's question and SQL do not contain and the schema does not name. Answering anyway
 * would silently drop a condition the person asked for.
 */
function unmatchedNames(question: string, pair: ApprovedPair, vocabulary: Vocabulary, reading: QuestionReading, swapped: readonly string[], glossary: Glossary): string | undefined {
  const known = new Set([...words(pair.question), ...words(pair.sql), ...reading.values.flatMap((v) => words(v.text)), ...swapped.flatMap(words)].map(stem));
  for (const m of question.matchAll(/(?<=[\p{L}\d,;:)] +)(\p{Lu}[\p{L}\d-]*)/gu)) {
    const w = words(m[1]!).map(stem);
    if (w.length === 0 || w.every((x) => known.has(x))) continue;
    if (vocabulary.schemaFeatures(w.map(stem)).size > 0) continue;
    // A glossary term for what the pair reads ("CLV" for lifetime value) is the pair's own name for it.
    if (w.every((x) => glossary.words.has(x) && covered(x, known, glossary))) continue;
    return m[1];
  }
  return undefined;
}

/** The `-- assumption:` comments of a query, without the marker. */
export function assumptionsIn(sql: string): string[] {
  return [...sql.matchAll(/--\s*assumption:\s*(.+)$/gim)].map((m) => m[1]!.trim());
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
