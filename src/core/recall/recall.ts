import { tokenize } from '../sql/tokens';
import { adaptSql, type Adaptation } from './adapt';
import { Vocabulary, type SchemaRelation } from './features';
import { stem, words } from './questionText';
import { BagIndex, pairBag, questionBag, type Scored } from './similarity';

/**
 * The recall engine (GUIDE §6): answers a question with the nearest approved pair's SQL, its
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

export type RecallResult =
  | { abstained: false; pair: ApprovedPair; similarity: number; sql: string; adaptations: Adaptation[]; assumptions: string[] }
  | { abstained: true; reason: string; nearest?: { pair: ApprovedPair; similarity: number } };

/**
 * Below this cosine the nearest approved question is about something else. Spider paraphrases of
 * the same query score 0.35–1 against their approved question, unrelated questions 0–0.3.
 */
export const MIN_SIMILARITY = 0.4;

// Questions alone rank a little below questions with their SQL: the SQL is the better evidence when both are close.
const QUESTION_ONLY = 0.9;

export class RecallEngine {
  private readonly index: BagIndex<ApprovedPair>;
  private readonly questions: BagIndex<ApprovedPair>;

  readonly vocabulary: Vocabulary;

  constructor(readonly pairs: readonly ApprovedPair[], relations: readonly SchemaRelation[], private readonly dialect: 'duckdb' | 'sqlite') {
    this.vocabulary = new Vocabulary(relations);
    this.vocabulary.addValues(pairs.flatMap((p) => tokenize(p.sql).filter((t) => this.vocabulary.isValue(t)).map((t) => t.text)));
    this.index = new BagIndex(pairs.map((p) => ({ item: p, bag: pairBag(p, this.vocabulary) })));
    this.questions = new BagIndex(pairs.map((p) => ({ item: p, bag: questionBag(p.question, this.vocabulary) })));
  }

  /**
   * The approved pairs most like the question, best first: ranked by question and SQL together,
   * scored by the closer of that and the questions alone — a short question shares few of a
   * long query's features, yet "sales in the last 90 days" is plainly "sales in the last 30 days".
   */
  nearest(question: string, limit = 5): Array<Scored<ApprovedPair>> {
    const bag = questionBag(question, this.vocabulary);
    const scores = new Map<ApprovedPair, number>();
    for (const n of this.index.nearest(bag, limit + 10)) scores.set(n.item, n.score);
    for (const n of this.questions.nearest(bag, limit + 10)) scores.set(n.item, Math.max(scores.get(n.item) ?? 0, n.score * QUESTION_ONLY));
    return [...scores].map(([item, score]) => ({ item, score })).sort((a, b) => b.score - a.score).slice(0, limit);
  }

  answer(question: string): RecallResult {
    if (this.pairs.length === 0) return { abstained: true, reason: 'There are no approved pairs yet: approve an answer and questions like it are answered from it.' };
    const [best] = this.nearest(question, 1);
    if (!best) return { abstained: true, reason: 'No approved question shares a word, table, column or value with this one.' };
    const nearest = { pair: best.item, similarity: round(best.score) };
    if (best.score < MIN_SIMILARITY) {
      return { abstained: true, reason: `No approved question is close enough: the nearest, "${best.item.question}", has similarity ${nearest.similarity} (at least ${MIN_SIMILARITY} is needed).`, nearest };
    }
    const unmatched = unmatchedNames(question, best.item, this.vocabulary);
    if (unmatched) return { abstained: true, reason: `Your question mentions "${unmatched}", which the nearest approved question, "${best.item.question}", does not.`, nearest };
    const adapted = adaptSql(best.item, question, this.dialect, {
      inPair: this.vocabulary.valueMentions(best.item.question),
      inQuestion: this.vocabulary.valueMentions(question),
    });
    if (!adapted.ok) return { abstained: true, reason: `The nearest approved question, "${best.item.question}", cannot be adapted: ${adapted.reason}.`, nearest };
    return {
      abstained: false,
      pair: best.item,
      similarity: nearest.similarity,
      sql: adapted.sql,
      adaptations: adapted.adaptations,
      assumptions: [...assumptionsIn(adapted.sql), ...adapted.kept],
    };
  }
}

/**
 * A name the question gives (a capitalised word inside the sentence: "France", "Kyle") that the
 * approved pair's question and SQL do not contain and the schema does not name. Answering anyway
 * would silently drop a condition the person asked for.
 */
function unmatchedNames(question: string, pair: ApprovedPair, vocabulary: Vocabulary): string | undefined {
  const known = new Set([...words(pair.question), ...words(pair.sql)].map(stem));
  for (const m of question.matchAll(/(?<=[\p{L}\d,;:)] +)(\p{Lu}[\p{L}\d-]*)/gu)) {
    const w = words(m[1]!).map(stem);
    if (w.length === 0 || w.every((x) => known.has(x))) continue;
    if (vocabulary.schemaFeatures(w.map(stem)).size > 0) continue;
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
