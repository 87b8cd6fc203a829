import { questionIntents, sqlFeatures, type Vocabulary } from './features';
import { contentTokens, questionLiterals } from './questionText';

/**
 * Nearest approved questions. Each approved pair is a bag of its question's words, the intents,
 * schema items and values its question names, and the same features read from its SQL; a new
 * question is a bag of its words and features. They are compared by TF-IDF cosine, so a rare
 * column or value counts for more than "name". Reading the SQL is what lets "Return the number of
 * airports" find "How many airports do we have?": both come to `!count t:airports`.
 */
export interface ExampleDoc {
  id: string;
  question: string;
  sql: string;
}

export interface Scored<T> {
  item: T;
  score: number;
}

/**
 * Features (intents, schema items, values) weigh more than words: they are what makes two
 * questions ask for the same query. 1.75 is the best of 0.5–3 on Spider's paraphrases (bench).
 */
const FEATURE_WEIGHT = 1.75;
type Vector = Map<string, number>;

// Phrases whose words only say "count": left in, "number" would match "flight numbers".
const COUNT_PHRASES = /\b(how many|(?:the |total )?number of|count of|count the)\b/gi;

export function questionBag(question: string, vocabulary: Vocabulary): string[] {
  // A period or top-N is compared by its kind, not its number: "last 90 days" reads as "last day",
  // like "last 30 days", and adaptation changes the number.
  const literals = questionLiterals(question);
  let masked = question;
  for (const l of [...literals].reverse().filter((x) => x.kind === 'period' || x.kind === 'top')) masked = `${masked.slice(0, l.start)} ${l.kind === 'period' ? `${l.text.split(/\s+/)[0]} ${l.unit}` : ''} ${masked.slice(l.end)}`;
  const tokens = contentTokens(masked.replace(COUNT_PHRASES, ' '));
  // "high schooler" names the table Highschooler: adjacent words also try as one.
  const joined = tokens.slice(1).map((t, i) => `${tokens[i]}${t}`);
  return [
    ...tokens,
    ...questionIntents(question),
    ...vocabulary.schemaFeatures([...tokens, ...joined]).keys(),
    ...vocabulary.valueFeatures(question),
    ...literals.filter((l) => l.kind === 'number').map((l) => `n:${Number(l.value)}`),
  ];
}

export function pairBag(doc: ExampleDoc, vocabulary: Vocabulary): string[] {
  const q = questionBag(doc.question, vocabulary);
  // Words count as often as they occur; a feature once, whether the question or the SQL shows it.
  return [...q.filter((t) => !isFeature(t)), ...new Set([...q.filter(isFeature), ...sqlFeatures(doc.sql, vocabulary)])];
}

// Words never hold ':' or '!': question words are split on anything but letters and digits.
function isFeature(t: string): boolean {
  return t.startsWith('!') || t.includes(':');
}

/** A TF-IDF index over bags of tokens. */
export class BagIndex<T> {
  private readonly df = new Map<string, number>();
  private readonly vectors: Array<{ item: T; vector: Vector; norm: number; }> = [];
  private readonly postings = new Map<string, number[]>();
  private n = 0;

  constructor(entries: ReadonlyArray<{ item: T; bag: readonly string[] }>) {
    for (const e of entries) for (const t of new Set(e.bag)) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    this.n = entries.length;
    entries.forEach((e, i) => {
      const vector = this.weigh(e.bag);
      this.vectors.push({ item: e.item, vector, norm: norm(vector) });
      for (const t of vector.keys()) {
        const p = this.postings.get(t);
        if (p) p.push(i);
        else this.postings.set(t, [i]);
      }
    });
  }

  get size(): number {
    return this.n;
  }

  idf(t: string): number {
    return Math.log((1 + this.n) / (1 + (this.df.get(t) ?? 0))) + 1;
  }

  private weigh(bag: readonly string[]): Vector {
    const v: Vector = new Map();
    for (const t of bag) v.set(t, (v.get(t) ?? 0) + this.idf(t) * (isFeature(t) ? FEATURE_WEIGHT : 1));
    return v;
  }

  /** The entries most like `bag`, best first; only entries sharing a token are scored. */
  nearest(bag: readonly string[], limit: number, filter?: (item: T) => boolean): Array<Scored<T>> {
    const q = this.weigh(bag);
    const qn = norm(q);
    if (qn === 0) return [];
    // Dense accumulators: with 10,000 pairs a common word touches thousands of them.
    const dots = new Float64Array(this.vectors.length);
    const touched: number[] = [];
    for (const [t, w] of q) {
      for (const i of this.postings.get(t) ?? []) {
        if (dots[i] === 0) touched.push(i);
        dots[i] = dots[i]! + w * this.vectors[i]!.vector.get(t)!;
      }
    }
    // Keep the best `limit` in a small sorted array rather than sorting every touched entry.
    const best: Array<Scored<T>> = [];
    for (const i of touched) {
      const v = this.vectors[i]!;
      const score = v.norm === 0 ? 0 : dots[i]! / (qn * v.norm);
      if (best.length === limit && score <= best[best.length - 1]!.score) continue;
      if (filter && !filter(v.item)) continue;
      let k = best.length;
      while (k > 0 && best[k - 1]!.score < score) k--;
      best.splice(k, 0, { item: v.item, score });
      if (best.length > limit) best.pop();
    }
    return best;
  }
}

function norm(v: Vector): number {
  let s = 0;
  for (const x of v.values()) s += x * x;
  return Math.sqrt(s);
}
