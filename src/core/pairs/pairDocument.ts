import { CORE_SCHEMA, load as fastLoad } from 'js-yaml';
import { Document, isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { parseYamlWith, type YamlProblem } from '../yamlFile';
import { pairFileSchema, type HistoryEvent, type PairFile, type RecordedResult } from './pairSchema';

/** A problem in a pair file, located for the Problems panel and for `askdata pairs validate`. */
export type PairProblem = YamlProblem;

export type ParsedPair =
  | { ok: true; pair: PairFile; doc: Document }
  | { ok: false; problems: PairProblem[] };

// Long questions and SQL lines must stay exactly as written, so never fold them.
const toStringOptions = { lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false } as const;

export type ReadPair = { ok: true; pair: PairFile } | { ok: false; problems: PairProblem[] };

/**
 * Reads a pair for display and search. js-yaml is ten times faster than building a `yaml`
 * Document, which matters with thousands of pairs; anything it rejects, or that fails validation,
 * goes through {@link parsePairText}, which has the final word and locates the problems.
 */
export function readPairText(text: string): ReadPair {
  try {
    const data = fastLoad(text, { schema: CORE_SCHEMA });
    const parsed = pairFileSchema.safeParse(data);
    if (parsed.success) return { ok: true, pair: parsed.data };
  } catch {
    // fall through to the authoritative parser, which says where the problem is
  }
  const slow = parsePairText(text);
  return slow.ok ? { ok: true, pair: slow.pair } : slow;
}

/** Parses a pair into a `yaml` Document: the form every edit works on. */
export function parsePairText(text: string): ParsedPair {
  const parsed = parseYamlWith(text, pairFileSchema, 'a pair file (question, sql, status)');
  return parsed.ok ? { ok: true, pair: parsed.value, doc: parsed.doc } : parsed;
}

/** SQL is kept as a literal block so that it reads like SQL in a diff. */
function sqlScalar(sql: string): Scalar {
  const s = new Scalar(sql.endsWith('\n') ? sql : `${sql}\n`);
  s.type = Scalar.BLOCK_LITERAL;
  return s;
}

/**
 * Edits on a parsed pair document. They change only the keys they name, so comments, key order,
 * quoting and unknown fields elsewhere in the file survive.
 */
export function setStatus(doc: Document, status: PairFile['status']): void {
  doc.set('status', status);
}

export function setSignOff(doc: Document, key: 'approved' | 'rejected', value: Record<string, unknown>): void {
  setBeforeHistory(doc, key, doc.createNode(value, { flow: true }));
}

/**
 * Sets a key in place if it exists; a new key goes before `history`, so that the log stays the last
 * thing in the file, as ARCHITECTURE.md ("Files in the user's repo") describes it.
 */
function setBeforeHistory(doc: Document, key: string, value: unknown): void {
  const map = doc.contents;
  if (!isMap(map) || map.has(key)) {
    doc.set(key, value);
    return;
  }
  const at = map.items.findIndex((item) => isScalar(item.key) && item.key.value === 'history');
  if (at < 0) {
    doc.set(key, value);
    return;
  }
  map.items.splice(at, 0, doc.createPair(key, value));
}

export function removeKey(doc: Document, key: string): void {
  doc.delete(key);
}

export function setQuestion(doc: Document, question: string): void {
  doc.set('question', question);
}

export function setSql(doc: Document, sql: string): void {
  doc.set('sql', sqlScalar(sql));
}

/** The result an approval signed off on: row count, columns and fingerprint (ARCHITECTURE.md, "Files in the user's repo"). */
export function setResult(doc: Document, result: RecordedResult): void {
  setBeforeHistory(doc, 'result', result === 'unverified' ? result : doc.createNode(dropUndefined(result), { flow: true }));
}

export function setList(doc: Document, key: 'tables' | 'tags', values: readonly string[]): void {
  setBeforeHistory(doc, key, doc.createNode([...values], { flow: true }));
}

/** History is append-only: earlier entries are never touched. */
export function appendHistory(doc: Document, event: HistoryEvent): void {
  const entry = doc.createNode(dropUndefined(event), { flow: true });
  const existing = doc.get('history', true);
  if (isSeq(existing)) {
    existing.items.push(entry);
  } else {
    const seq = new YAMLSeq();
    seq.items.push(entry);
    doc.set('history', seq);
  }
}

export function renderPairDocument(doc: Document): string {
  return doc.toString(toStringOptions);
}

/** A new pair file, in the key order ARCHITECTURE.md shows ("Files in the user's repo"). */
export function newPairDocument(pair: PairFile): Document {
  const doc = new Document(new YAMLMap());
  const ordered: Array<keyof PairFile> = ['version', 'question', 'sql', 'status', 'tags', 'tables', 'database', 'synthetic', 'approved', 'rejected', 'result'];
  for (const key of ordered) {
    const value = pair[key];
    if (value === undefined) continue;
    if (key === 'sql') setSql(doc, pair.sql);
    else if (key === 'tags' || key === 'tables') setList(doc, key, value as string[]);
    else if (key === 'result' && value === 'unverified') doc.set(key, value);
    else if (key === 'approved' || key === 'rejected' || key === 'result') doc.set(key, doc.createNode(value, { flow: true }));
    else doc.set(key, value);
  }
  for (const event of pair.history ?? []) appendHistory(doc, event);
  return doc;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
