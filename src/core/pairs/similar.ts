/**
 * Approved questions that resemble a new one, by the words they share weighted by how rare each
 * word is among the approved questions (TF-IDF cosine). A plain baseline for the panel; the
 * recall engine replaces it with masking and SQL-skeleton similarity.
 */
export interface SimilarQuestion {
  id: string;
  question: string;
  score: number;
}

const STOP = new Set(['a', 'an', 'the', 'of', 'in', 'on', 'for', 'to', 'by', 'and', 'or', 'me', 'my', 'our', 'we', 'us', 'is', 'are', 'was', 'were', 'do', 'does', 'did', 'what', 'which', 'who', 'how', 'show', 'give', 'list', 'tell', 'from', 'with', 'each', 'per', 'have', 'has', 'many', 'much', 'that', 'this', 'it', 'be', 'can', 'you', 'i']);

export function questionTokens(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0 && !STOP.has(t))
    .map(stem);
}

// Enough stemming to match "customers" with "customer" and "ordered" with "order".
function stem(t: string): string {
  if (t.length > 4 && t.endsWith('ies')) return `${t.slice(0, -3)}y`;
  if (t.length > 4 && t.endsWith('ing')) return t.slice(0, -3);
  if (t.length > 3 && t.endsWith('ed')) return t.slice(0, -2);
  if (t.length > 3 && t.endsWith('s') && !t.endsWith('ss')) return t.slice(0, -1);
  return t;
}

export function similarQuestions(question: string, candidates: readonly { id: string; question: string }[], limit = 5, minScore = 0.2): SimilarQuestion[] {
  const docs = candidates.map((c) => ({ c, tokens: questionTokens(c.question) }));
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d.tokens)) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string) => Math.log((1 + docs.length) / (1 + (df.get(t) ?? 0))) + 1;
  const vector = (tokens: string[]) => {
    const v = new Map<string, number>();
    for (const t of tokens) v.set(t, (v.get(t) ?? 0) + idf(t));
    return v;
  };
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
  const q = vector(questionTokens(question));
  const qn = norm(q);
  if (qn === 0) return [];
  return docs
    .map(({ c, tokens }) => {
      const v = vector(tokens);
      let dot = 0;
      for (const [t, w] of q) dot += w * (v.get(t) ?? 0);
      const n = norm(v);
      return { id: c.id, question: c.question, score: n === 0 ? 0 : dot / (qn * n) };
    })
    .filter((s) => s.score >= minScore)
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, limit);
}
