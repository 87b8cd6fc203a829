import type { IndexedRelation, JoinEdge } from '../index/workspaceIndex';
import { isHidden, type AccessDecision } from '../policies/access';
import { questionIntents } from '../recall/features';
import { contentTokens } from '../recall/questionText';
import { MIN_SIMILARITY, type ApprovedPair, type RecallEngine } from '../recall/recall';
import { BagIndex } from '../recall/similarity';
import { queryShape } from '../sql/queryShape';
import { referencedRelations } from '../sql/relations';
import { dialectNotes, type Dialect } from '../sql/dialect';
import { skeletonKey, skeletonSimilarity, sqlSkeleton } from '../sql/skeleton';

/**
 * Grounding: what the model sees for one question. The tables and columns most likely needed
 * (named in the question, holding a value it mentions, used by similar approved pairs, or on the
 * join path between those), rendered compactly within a token budget; the team's rules; notes
 * on the dialect; and 3–5 approved pairs as examples. Access policies filter all of it first:
 * the model never sees a table or column the asker may not read.
 */
export interface GroundingOptions {
  dialect: Dialect;
  rules?: string;
  access?: AccessDecision;
  /**
   * Known values of columns of relations whose rows a policy filters, sampled as the asker
   * (by `table.column`, lower case). Without them such columns show no values: the index's
   * values come from every row.
   */
  askerValues?: Readonly<Record<string, string[]>>;
  /** Tokens for schema + rules + examples (default 3000; the prompt's own text comes on top). */
  budget?: number;
  /** Examples to show, at most (default 5; at least 3 when that many are close enough). */
  examples?: number;
}

export interface ChosenTable {
  key: string;
  score: number;
  reasons: string[];
  columns: Array<{ name: string; score: number }>;
  /** Columns left out to stay within the budget. */
  omittedColumns: number;
}

export interface ChosenExample {
  id: string;
  file: string;
  question: string;
  sql: string;
  score: number;
  questionScore: number;
  structureScore: number;
  skeletonScore: number;
}

export interface Grounding {
  question: string;
  dialect: Dialect;
  tables: ChosenTable[];
  /** Tables in the schema the asker may read, for "share of the schema kept". */
  tablesAvailable: number;
  /** Tables and columns policies hide from this asker: counted, never named. */
  hidden: { tables: number; columns: number };
  joins: Array<{ left: string; right: string; on: string }>;
  examples: ChosenExample[];
  /** Rejected pairs close to the question: shown to the model as "do not answer like this". */
  rejected?: Array<{ id: string; file: string; question: string; sql: string; reason: string | null }>;
  rules: string;
  dialectNotes: string[];
  /** The schema as the prompt shows it. */
  schema: string;
  tokens: { schema: number; rules: number; examples: number; total: number; budget: number };
}

const DEFAULT_BUDGET = 3000;
const MAX_TABLES = 8;
const MAX_COLUMNS_SHOWN = 40;

/** A rough token count (≈ 4 characters a token for English and SQL), used for budgets only. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Everything grounding reads, prepared once per project and reused for every question. */
export class GroundingContext {
  private readonly relations: IndexedRelation[];
  private readonly hiddenCount: { tables: number; columns: number };
  private readonly byKey = new Map<string, IndexedRelation>();
  private readonly edges: JoinEdge[];
  private readonly adjacency = new Map<string, Map<string, JoinEdge>>();
  private readonly masked: BagIndex<ApprovedPair>;
  private readonly pairTables = new Map<string, string[]>();
  private readonly skeletons = new Map<string, string[]>();
  /** Lower-case column name → the relations that have it. */
  private readonly columnOwners = new Map<string, Array<{ relation: IndexedRelation; column: string }>>();
  /** Words of descriptions → the relation (and column) they describe; each at most once. */
  private readonly descriptionWords = new Map<string, Array<{ relation: IndexedRelation; column?: string }>>();
  /** Names of what policies hide from the asker: lines of rules.md that use them are not shown. */
  private readonly hiddenWords: readonly string[];

  constructor(
    relations: readonly IndexedRelation[],
    joins: readonly JoinEdge[],
    readonly recall: RecallEngine,
    private readonly options: GroundingOptions,
  ) {
    const visible = visibleRelations(relations, options.access, options.askerValues);
    this.relations = visible.relations;
    this.hiddenCount = visible.hidden;
    this.hiddenWords = visible.hiddenNames;
    for (const r of this.relations) {
      this.byKey.set(r.key.toLowerCase(), r);
      const bare = relationName(r).toLowerCase();
      if (!this.byKey.has(bare)) this.byKey.set(bare, r);
      for (const c of r.columns) {
        const owners = this.columnOwners.get(c.name.toLowerCase()) ?? [];
        owners.push({ relation: r, column: c.name });
        this.columnOwners.set(c.name.toLowerCase(), owners);
        if (c.description) this.indexDescription(c.description, r, c.name);
      }
      if (r.description) this.indexDescription(r.description, r);
    }

    // Join paths: the index's (dbt tests, models, analyses) plus the approved pairs' own joins.
    const mined: JoinEdge[] = [];
    for (const p of recall.pairs) {
      for (const j of queryShape(p.sql).joins) {
        mined.push({ left: j.left.relation, leftColumn: j.left.column, right: j.right.relation, rightColumn: j.right.column, count: 1, seen: [p.file] });
      }
      this.pairTables.set(p.id, referencedRelations(p.sql).map((t) => this.byKey.get(t)?.key).filter((t): t is string => !!t));
      this.skeletons.set(p.id, sqlSkeleton(p.sql));
    }
    // A join on a column the asker may not see would name it.
    const seen = (relation: string, column: string) => this.byKey.get(relation.toLowerCase())?.columns.some((c) => c.name.toLowerCase() === column.toLowerCase()) ?? false;
    this.edges = [...joins, ...mined].filter((e) => seen(e.left, e.leftColumn) && seen(e.right, e.rightColumn));
    for (const e of this.edges) {
      const l = this.byKey.get(e.left.toLowerCase())!.key;
      const r = this.byKey.get(e.right.toLowerCase())!.key;
      if (l === r) continue;
      for (const [a, b] of [[l, r], [r, l]] as const) {
        const m = this.adjacency.get(a) ?? new Map<string, JoinEdge>();
        const known = m.get(b);
        if (!known || known.count < e.count) m.set(b, e);
        this.adjacency.set(a, m);
      }
    }
    this.masked = new BagIndex(recall.pairs.map((p) => ({ item: p, bag: this.maskedBag(p.question) })));
  }

  private indexDescription(text: string, relation: IndexedRelation, column?: string): void {
    for (const w of new Set(contentTokens(text))) {
      if (w.length <= 3) continue;
      const list = this.descriptionWords.get(w) ?? [];
      list.push({ relation, column });
      this.descriptionWords.set(w, list);
    }
  }

  /** A question with its schema words and values taken out: what kind of question it is. */
  private maskedBag(question: string): string[] {
    const tokens = contentTokens(question);
    const schema = new Set<string>();
    for (const f of this.recall.vocabulary.schemaFeatures(tokens).keys()) schema.add(f);
    const vocabularyWords = new Set(tokens.filter((t) => this.recall.vocabulary.schemaFeatures([t]).size > 0));
    const values = new Set(this.recall.vocabulary.valueMentions(question).flatMap((m) => contentTokens(m.value)));
    return [...tokens.filter((t) => !vocabularyWords.has(t) && !values.has(t) && !/^\d/.test(t)), ...questionIntents(question), ...questionIntents(question)];
  }

  ground(question: string): Grounding {
    const budget = this.options.budget ?? DEFAULT_BUDGET;
    const nearest = this.recall.nearest(question, 30);
    const tables = this.chooseTables(question, nearest);
    const examples = this.chooseExamples(question, nearest);
    const rules = this.rules();
    const exampleTokens = examples.reduce((s, e) => s + estimateTokens(e.question) + estimateTokens(e.sql) + 8, 0);
    const rulesTokens = estimateTokens(rules);
    const schemaBudget = Math.max(400, budget - exampleTokens - rulesTokens);
    const { text, chosen } = this.renderSchema(tables, schemaBudget);
    const schemaTokens = estimateTokens(text);
    const joins = this.joinsAmong(new Set(chosen.map((t) => t.key)));
    return {
      question,
      dialect: this.options.dialect,
      tables: chosen,
      tablesAvailable: this.relations.length,
      hidden: this.hiddenCount,
      joins,
      examples,
      rejected: rejectedNear(this.recall, question),
      rules,
      dialectNotes: dialectNotes(this.options.dialect),
      schema: text,
      tokens: { schema: schemaTokens, rules: rulesTokens, examples: exampleTokens, total: schemaTokens + rulesTokens + exampleTokens, budget },
    };
  }

  /**
   * The whole schema the way a specialised model is given it once, in its system prompt: every
   * table the asker (for training, everyone) may read, those the approved pairs use first, within
   * `budget` tokens. The per-question grounding still comes with each question on top of it.
   */
  distil(budget: number): Pick<Grounding, 'dialect' | 'schema' | 'rules' | 'dialectNotes' | 'joins'> & { tables: number; tablesAvailable: number } {
    const usage = new Map<string, number>();
    for (const tables of this.pairTables.values()) for (const t of tables) usage.set(t, (usage.get(t) ?? 0) + 1);
    const ranked = [...this.relations]
      .sort((a, b) => (usage.get(b.key) ?? 0) - (usage.get(a.key) ?? 0) || Number(!!b.description) - Number(!!a.description) || a.key.localeCompare(b.key))
      .map((relation) => ({ relation, score: usage.get(relation.key) ?? 0, reasons: [], columnScores: new Map<string, number>() }));
    const { text, chosen } = this.renderSchema(ranked, budget);
    const keys = new Set(chosen.map((t) => t.key));
    return {
      dialect: this.options.dialect,
      schema: text,
      rules: this.rules(),
      dialectNotes: dialectNotes(this.options.dialect),
      joins: this.joinsAmong(keys),
      tables: chosen.length,
      tablesAvailable: this.relations.length,
    };
  }

  /**
   * rules.md as the asker may see it: a rule — a list item with the lines that continue it, or a
   * paragraph — that names a table or column policies hide from them is left out whole (its other
   * lines would state half a rule), and a last line says how many lines were.
   */
  private rules(): string {
    const text = (this.options.rules ?? '').trim();
    if (this.hiddenWords.length === 0 || !text) return text;
    const blocks = markdownBlocks(text.split('\n'));
    const kept = blocks.filter((b) => !namesAny(b.join('\n'), this.hiddenWords));
    const left = blocks.reduce((n, b) => n + b.length, 0) - kept.reduce((n, b) => n + b.length, 0);
    return left ? `${kept.flat().join('\n')}\n\n(${left} line${left === 1 ? '' : 's'} of rules.md not shown: ${left === 1 ? 'it names' : 'they name'} tables or columns your access policies hide.)` : text;
  }

  private joinsAmong(keys: ReadonlySet<string>): Grounding['joins'] {
    return this.edges
      .filter((e) => keys.has(this.byKey.get(e.left.toLowerCase())!.key) && keys.has(this.byKey.get(e.right.toLowerCase())!.key) && e.left.toLowerCase() !== e.right.toLowerCase())
      .map((e) => ({ left: e.left, right: e.right, on: `${e.left}.${e.leftColumn} = ${e.right}.${e.rightColumn}` }))
      .filter((j, i, all) => all.findIndex((k) => k.on === j.on) === i);
  }

  private chooseTables(question: string, nearest: ReturnType<RecallEngine['nearest']>): Array<{ relation: IndexedRelation; score: number; reasons: string[]; columnScores: Map<string, number> }> {
    const vocabulary = this.recall.vocabulary;
    const tokens = contentTokens(question);
    const joined = tokens.slice(1).map((t, i) => `${tokens[i]}${t}`);
    const named = vocabulary.schemaFeatures([...tokens, ...joined]);
    const values = vocabulary.valueMentions(question);
    const scored = new Map<string, { relation: IndexedRelation; score: number; reasons: string[]; columnScores: Map<string, number> }>();
    const entry = (r: IndexedRelation) => {
      let e = scored.get(r.key);
      if (!e) scored.set(r.key, (e = { relation: r, score: 0, reasons: [], columnScores: new Map() }));
      return e;
    };
    for (const f of named.keys()) {
      if (!f.startsWith('t:')) continue;
      const r = this.byKey.get(f.slice(2));
      if (!r) continue;
      const e = entry(r);
      e.score += 3;
      e.reasons.push(`named in the question (${relationName(r)})`);
    }
    const addColumn = (r: IndexedRelation, column: string, s: number, reason?: string) => {
      const e = entry(r);
      e.columnScores.set(column, (e.columnScores.get(column) ?? 0) + s);
      e.score += s;
      if (reason) e.reasons.push(reason);
    };
    for (const f of named.keys()) {
      if (!f.startsWith('c:')) continue;
      const owners = this.columnOwners.get(f.slice(2)) ?? [];
      // A column every table has ("id", "name") says little about which table is meant.
      for (const o of owners) addColumn(o.relation, o.column, 1 / Math.sqrt(owners.length));
    }
    for (const w of new Set(tokens)) {
      if (w.length <= 3) continue;
      const described = this.descriptionWords.get(w) ?? [];
      // A word most descriptions use ("model", "the account") does not point anywhere.
      if (described.length > Math.max(20, this.relations.length / 5)) continue;
      for (const d of described) {
        if (d.column) addColumn(d.relation, d.column, 0.25);
        else entry(d.relation).score += 0.5;
      }
    }
    for (const v of values) {
      if (!v.column) continue;
      const dot = v.column.lastIndexOf('.');
      const r = this.byKey.get(v.column.slice(0, dot));
      const c = r?.columns.find((x) => x.name.toLowerCase() === v.column!.slice(dot + 1));
      if (r && c) addColumn(r, c.name, 2, `holds the value ${v.value} (${c.name})`);
    }
    for (const n of nearest.slice(0, 8)) {
      if (n.score < 0.2) continue;
      for (const key of this.pairTables.get(n.item.id) ?? []) {
        const e = entry(this.byKey.get(key.toLowerCase())!);
        e.score += 3 * n.score;
        if (!e.reasons.some((r) => r.startsWith('used by'))) e.reasons.push(`used by approved pair ${n.item.file} (similarity ${n.score.toFixed(2)})`);
      }
    }
    const ranked = [...scored.values()].filter((e) => e.score > 0).sort((a, b) => b.score - a.score || a.relation.key.localeCompare(b.relation.key));
    const top = ranked[0]?.score ?? 0;
    const chosen = ranked.filter((e) => e.score >= top * 0.25).slice(0, MAX_TABLES);
    // The nearest approved pair answered a question like this one with all of its tables
    // together: none of them is left out for scoring below the cut.
    const near = nearest[0];
    if (near && near.score >= MIN_SIMILARITY) {
      for (const key of this.pairTables.get(near.item.id) ?? []) {
        const e = scored.get(key);
        if (e && !chosen.includes(e) && chosen.length < MAX_TABLES + 2) chosen.push(e);
      }
    }
    // Bridge tables on the shortest join path between chosen ones, so a many-to-many join can be written.
    const keys = new Set(chosen.map((c) => c.relation.key));
    for (const a of [...keys]) {
      for (const b of [...keys]) {
        if (a >= b) continue;
        for (const k of this.path(a, b)) {
          if (keys.has(k) || keys.size >= MAX_TABLES + 2) continue;
          keys.add(k);
          const e = entry(this.byKey.get(k.toLowerCase())!);
          e.reasons.push(`joins ${a} to ${b}`);
          chosen.push(e);
        }
      }
    }
    return chosen;
  }

  /** Tables strictly between a and b on a shortest join path of at most 3 hops. */
  private path(a: string, b: string): string[] {
    if (this.adjacency.get(a)?.has(b)) return [];
    const previous = new Map<string, string>([[a, a]]);
    let frontier = [a];
    for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const x of frontier) {
        for (const y of this.adjacency.get(x)?.keys() ?? []) {
          if (previous.has(y)) continue;
          previous.set(y, x);
          if (y === b) {
            const out: string[] = [];
            for (let k = previous.get(b)!; k !== a; k = previous.get(k)!) out.push(k);
            return out;
          }
          next.push(y);
        }
      }
      frontier = next;
    }
    return [];
  }

  private chooseExamples(question: string, nearest: ReturnType<RecallEngine['nearest']>): ChosenExample[] {
    const limit = this.options.examples ?? 5;
    if (this.recall.pairs.length === 0) return [];
    // The likely answer's shape: the nearest approved pair's skeleton.
    const likely = nearest[0] ? this.skeletons.get(nearest[0].item.id)! : undefined;
    const byQuestion = new Map(nearest.map((n) => [n.item.id, n.score]));
    const structural = this.masked.nearest(this.maskedBag(question), 30);
    const byStructure = new Map(structural.map((n) => [n.item.id, n.score]));
    const candidates = new Map<string, ApprovedPair>();
    for (const n of nearest) candidates.set(n.item.id, n.item);
    for (const p of structural) candidates.set(p.item.id, p.item);
    const scored = [...candidates.values()].map((p) => {
      const questionScore = byQuestion.get(p.id) ?? 0;
      const structureScore = byStructure.get(p.id) ?? 0;
      const skeletonScore = likely ? skeletonSimilarity(likely, this.skeletons.get(p.id)!) : 0;
      return { p, questionScore, structureScore, skeletonScore, score: 0.55 * questionScore + 0.2 * structureScore + 0.25 * skeletonScore };
    }).sort((a, b) => b.score - a.score || a.p.id.localeCompare(b.p.id));
    const out: ChosenExample[] = [];
    const seenSql = new Set<string>();
    for (const s of scored) {
      if (out.length >= limit) break;
      if (out.length >= 3 && s.score < 0.3) break;
      const key = skeletonKey(s.p.sql) + s.p.sql.length;
      if (seenSql.has(key)) continue;
      seenSql.add(key);
      out.push({ id: s.p.id, file: s.p.file, question: s.p.question, sql: s.p.sql, score: r3(s.score), questionScore: r3(s.questionScore), structureScore: r3(s.structureScore), skeletonScore: r3(s.skeletonScore) });
    }
    return out;
  }

  private renderSchema(tables: ReturnType<GroundingContext['chooseTables']>, budget: number): { text: string; chosen: ChosenTable[] } {
    const blocks: string[] = [];
    const chosen: ChosenTable[] = [];
    let used = 0;
    for (const t of tables) {
      const r = t.relation;
      const joinColumns = new Set<string>();
      for (const other of this.adjacency.get(r.key)?.values() ?? []) {
        if (this.byKey.get(other.left.toLowerCase())?.key === r.key) joinColumns.add(other.leftColumn.toLowerCase());
        if (this.byKey.get(other.right.toLowerCase())?.key === r.key) joinColumns.add(other.rightColumn.toLowerCase());
      }
      const important = (c: IndexedRelation['columns'][number]) => (t.columnScores.get(c.name) ?? 0) + (joinColumns.has(c.name.toLowerCase()) || c.tests?.some((x) => x === 'unique' || x === 'primary_key') ? 0.5 : 0) + (c.description ? 0.1 : 0);
      const columns = r.columns.length <= MAX_COLUMNS_SHOWN ? r.columns : [...r.columns].sort((a, b) => important(b) - important(a)).slice(0, MAX_COLUMNS_SHOWN);
      const lines = columns.map((c) => {
        const notes: string[] = [];
        if (c.description) notes.push(oneLine(c.description, 120).replace(/\.$/, ''));
        if (c.references) notes.push(`joins ${c.references.relation}.${c.references.column}`);
        if (c.values?.length) notes.push(`values: ${c.values.slice(0, 8).map((v) => `'${oneLine(v, 40)}'`).join(', ')}`);
        const key = c.tests?.includes('unique') || c.tests?.includes('primary_key') ? ' PRIMARY KEY' : '';
        return { definition: `  ${c.name}${c.type ? ` ${c.type}` : ''}${key}`, note: notes.length ? ` -- ${notes.join('; ')}` : '' };
      });
      const header = `CREATE TABLE ${relationName(r)} (${r.description ? ` -- ${oneLine(r.description, 200)}` : ''}`;
      // Valid SQL, no comma after the last column: small models copy what they are shown.
      const blockOf = (shownLines: typeof lines) => [header, ...shownLines.map((l, i) => `${l.definition}${i < shownLines.length - 1 ? ',' : ''}${l.note}`), ');'].join('\n');
      let block = blockOf(lines);
      let shown = columns.length;
      // Over budget: keep the table, with its most important columns only.
      while (used + estimateTokens(block) > budget && shown > 4) {
        shown = Math.max(4, Math.floor(shown * 0.6));
        const keep = new Set([...columns].sort((a, b) => important(b) - important(a)).slice(0, shown));
        block = blockOf(lines.filter((_, i) => keep.has(columns[i]!)));
      }
      if (used + estimateTokens(block) > budget && chosen.length > 0) break;
      used += estimateTokens(block);
      blocks.push(block);
      const shownColumns = shown === columns.length ? columns : [...columns].sort((a, b) => important(b) - important(a)).slice(0, shown);
      chosen.push({
        key: r.key,
        score: r3(t.score),
        reasons: t.reasons,
        columns: shownColumns.map((c) => ({ name: c.name, score: r3(t.columnScores.get(c.name) ?? 0) })),
        omittedColumns: r.columns.length - shownColumns.length,
      });
    }
    return { text: blocks.join('\n\n'), chosen };
  }
}

// Looser than recall's "same question": the model is warned of rejections a little further away.
const REJECTED_FOR_PROMPT = 0.5;

function rejectedNear(recall: RecallEngine, question: string): NonNullable<Grounding['rejected']> {
  return recall.nearestRejected(question, 2, REJECTED_FOR_PROMPT).map(({ item }) => ({ id: item.id, file: item.file, question: item.question, sql: item.sql, reason: item.reason ?? null }));
}

/**
 * The relations and columns an asker may read; what is hidden is only counted. A relation whose
 * rows a policy filters keeps no known values the index found (they come from every row) unless
 * `askerValues` holds the asker's own; a reference to what is hidden is dropped, and so is a
 * description that names it.
 */
export function visibleRelations(relations: readonly IndexedRelation[], access: AccessDecision | undefined, askerValues?: Readonly<Record<string, string[]>>): { relations: IndexedRelation[]; hidden: { tables: number; columns: number }; hiddenNames: string[] } {
  if (!access || access.unrestricted) return { relations: [...relations], hidden: { tables: 0, columns: 0 }, hiddenNames: [] };
  const out: IndexedRelation[] = [];
  const hidden = { tables: 0, columns: 0 };
  const hiddenNames = new Set<string>();
  const readable = new Map<string, ReturnType<AccessDecision['table']>>();
  for (const r of relations) {
    const decision = access.table(policyName(r));
    if (decision.denied || decision.missingAttribute) {
      hidden.tables++;
      for (const n of new Set([policyName(r), relationName(r), r.key])) hiddenNames.add(n);
      continue;
    }
    for (const n of [policyName(r), relationName(r), r.key]) readable.set(n.toLowerCase(), decision);
  }
  const visibleColumns = new Set<string>();
  for (const r of relations) {
    const decision = readable.get(r.key.toLowerCase());
    if (!decision) continue;
    for (const c of r.columns) {
      if (isHidden(decision, c.name)) hiddenNames.add(`${relationName(r)}.${c.name}`);
      else visibleColumns.add(c.name.toLowerCase());
    }
  }
  // A bare column name is hidden when no relation the asker may read shows a column of that
  // name — and counted as naming one only when it reads as an identifier (first_name): "cost" or
  // "email" in a sentence of rules.md is a word, not a column.
  for (const r of relations) {
    const decision = readable.get(r.key.toLowerCase());
    for (const c of r.columns) if ((!decision || isHidden(decision, c.name)) && !visibleColumns.has(c.name.toLowerCase()) && /_/.test(c.name)) hiddenNames.add(c.name);
  }
  const names = [...hiddenNames];
  for (const r of relations) {
    const decision = readable.get(r.key.toLowerCase());
    if (!decision) continue;
    const filtered = decision.rowFilters.length > 0;
    const columns = r.columns.filter((c) => !isHidden(decision, c.name)).map((c) => {
      const referenced = c.references && readable.get(c.references.relation.toLowerCase());
      const keepReference = !c.references || (referenced && !isHidden(referenced, c.references.column));
      const own = filtered ? askerValues?.[`${policyName(r)}.${c.name}`.toLowerCase()] : undefined;
      const values = filtered ? own : c.values;
      const description = c.description && namesAny(c.description, names) ? undefined : c.description;
      if (keepReference && values === c.values && description === c.description) return c;
      const { references: _r, values: _v, description: _d, ...rest } = c;
      return { ...rest, ...(keepReference && c.references ? { references: c.references } : {}), ...(values?.length ? { values } : {}), ...(description ? { description } : {}) };
    });
    hidden.columns += r.columns.length - columns.length;
    const description = r.description && namesAny(r.description, names) ? undefined : r.description;
    const same = columns.length === r.columns.length && columns.every((c, i) => c === r.columns[i]) && description === r.description;
    if (same) out.push(r);
    else {
      const { description: _d, ...rest } = r;
      out.push({ ...rest, columns, ...(description ? { description } : {}) });
    }
  }
  return { relations: out, hidden, hiddenNames: names };
}

/**
 * Markdown lines grouped into what a reader takes as one statement: a heading, a list item and
 * the indented lines that continue it, a paragraph, a fenced block; blank lines stand alone.
 */
function markdownBlocks(lines: readonly string[]): string[][] {
  const blocks: string[][] = [];
  let current: { lines: string[]; kind: string } | undefined;
  let fenced = false;
  for (const line of lines) {
    if (fenced) {
      current!.lines.push(line);
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = false;
        current = undefined;
      }
      continue;
    }
    const kind = !line.trim() ? 'blank'
      : /^\s*(```|~~~)/.test(line) ? 'fence'
        : /^\s{0,3}#{1,6}\s/.test(line) ? 'heading'
          : /^\s{0,3}([-*+]|\d+[.)])\s/.test(line) ? 'item'
            : /^\s{0,3}>/.test(line) ? 'quote'
              : /^\s{0,3}\|/.test(line) ? 'table'
                : /^\s{0,3}(-{3,}|\*{3,}|_{3,})\s*$/.test(line) ? 'rule' : 'text';
    // A line of text continues the block before it (a paragraph, or a list item's next line); a
    // quote or a table row continues one of its own kind; anything else starts a block.
    const continues = current && ((kind === 'text' && ['text', 'item', 'quote'].includes(current.kind)) || ((kind === 'quote' || kind === 'table') && current.kind === kind));
    if (continues) current!.lines.push(line);
    else blocks.push((current = { lines: [line], kind }).lines);
    if (kind === 'fence') fenced = true;
    if (kind === 'blank' || kind === 'heading' || kind === 'rule') current = undefined;
  }
  return blocks;
}

/** Whether `text` uses one of `names` as a word (a name, or `table.column`), ignoring case. */
export function namesAny(text: string, names: readonly string[]): boolean {
  if (names.length === 0) return false;
  const lower = text.normalize('NFKC').toLowerCase();
  return names.some((n) => {
    const name = n.normalize('NFKC').toLowerCase();
    let at = lower.indexOf(name);
    while (at >= 0) {
      const before = lower[at - 1];
      const after = lower[at + name.length];
      if (!isWordChar(before) && !isWordChar(after)) return true;
      at = lower.indexOf(name, at + 1);
    }
    return false;
  });
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}_$]/u.test(c);
}

/**
 * The name access policies know a relation by: its identifier in the database — dbt's alias or a
 * custom identifier, a source's identifier — else its name. The engines enforce policies on the
 * relations of the database, so grounding decides by the same name, whatever dbt calls the node.
 */
export function policyName(r: IndexedRelation): string {
  const identifier = r.relation?.split('.').pop()?.trim().replace(/^"(.*)"$/, '$1');
  return identifier || relationName(r);
}

/** The name a query uses for a relation: its identifier in the database, else its key. */
function relationName(r: IndexedRelation): string {
  if (r.kind === 'table' || r.kind === 'model' || r.kind === 'seed' || r.kind === 'snapshot') return r.name;
  return r.relation?.split('.').pop() ?? r.name;
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
