import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { QueryRunner, RunSummary } from '../core/answer/answer';
import { DEFAULT_ROW_CAP } from '../core/execution/result';
import { buildAskContext, pairsToCheck } from '../core/answer/askContext';
import type { GroundingContext } from '../core/grounding/grounding';
import type { WorkspaceIndex } from '../core/index/workspaceIndex';
import { PairStore, type Pair } from '../core/pairs/pairStore';
import type { AccessDecision } from '../core/policies/access';
import { askerView } from '../adapters/askerView';
import { unavailableEngine, type Engine } from '../adapters/engine';
import { NodePairFiles } from '../adapters/nodePairFiles';
import { ExecutionError } from '../core/execution/errors';
import { findProjectDatabase, openEngineFor, projectDialect, type ProjectDatabase } from '../adapters/projectDatabase';
import { projectAccess } from '../adapters/projectPolicies';
import { indexFolder } from '../adapters/workspaceFiles';

/** A project opened for asking, from the command line: its database, pairs, index and rules. */
export interface AskProject {
  root: string;
  database: ProjectDatabase;
  access: AccessDecision;
  index: WorkspaceIndex;
  context: GroundingContext;
  run: QueryRunner;
  /** The project's pairs, as read when it was opened. */
  pairs: readonly Pair[];
  /** The approved pairs the asker may be shown (all of them when no policy restricts the asker). */
  visiblePairs: ReadonlySet<string>;
  rules: string | undefined;
  /** The database's engine; for a project without one it refuses every query as not run. */
  engine: Engine;
  /** Why queries are not run, when there is no database to run them on. */
  unavailable?: string;
  /** The grounding context with some approved pairs held out (evaluation folds, LoRA export). */
  contextWithout(pairIds: ReadonlySet<string>): GroundingContext;
  close(): void;
}

/**
 * The files besides the pairs and the index that what an asker is shown is built from: the
 * team's rules and the access policies. A front end that keeps a project prepared checks their
 * signature (adapters/fileSignature) before each use, and prepares again when it changed.
 */
export function askerInputFiles(root: string): string[] {
  return [path.join(root, 'askdata', 'rules.md'), path.join(root, 'askdata', 'policies.yml')];
}

export async function readRules(root: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path.join(root, 'askdata', 'rules.md'), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Rows an answer keeps for display, the same in the editor and the CLI: the panel shows them all
 * (virtually), `askdata` prints as many as --limit asks. More are counted, not kept.
 */
export const ANSWER_ROWS = DEFAULT_ROW_CAP;

/**
 * The index of one project, as `askdata` and the editor ground on it: the project's folder (and
 * what is below it), with the columns its database has when `engine` can read them. The engine
 * stays the caller's: indexing borrows it and does not close it.
 */
export async function indexProject(root: string, engine: Engine | undefined): Promise<WorkspaceIndex> {
  const borrowed: Engine | undefined = engine && {
    dialect: engine.dialect,
    guard: (sql) => engine.guard(sql),
    run: (sql, o) => engine.run(sql, o),
    fingerprint: (sql, o) => engine.fingerprint(sql, o),
    check: (sql, a) => engine.check(sql, a),
    catalog: () => engine.catalog(),
    close: () => undefined,
  };
  const { files } = await indexFolder(root, borrowed ? () => Promise.resolve(borrowed) : undefined);
  return files.indexer.build();
}

export async function openAskProject(root: string, options: { asker?: string; budget?: number }): Promise<AskProject> {
  const access = await projectAccess(root, options.asker);
  const { engine, found } = await openOrDescribe(root, access);
  const unavailable = 'unavailable' in engine ? String(engine.unavailable) : undefined;
  try {
    const store = new PairStore(root, new NodePairFiles());
    const [index, rules] = await Promise.all([indexProject(root, unavailable ? undefined : engine), readRules(root), store.load()]);
    const grounding = await askerGrounding({ root, pairs: store.pairs, index, rules, access, engine, found, budget: options.budget });
    return {
      root,
      database: found,
      access,
      index,
      context: grounding.context,
      contextWithout: (excluded) => grounding.contextWithout(excluded),
      run: runnerFor(engine, access, ANSWER_ROWS),
      pairs: store.pairs,
      visiblePairs: grounding.visiblePairs,
      rules,
      engine,
      ...(unavailable ? { unavailable } : {}),
      close: () => engine.close(),
    };
  } catch (e) {
    engine.close();
    throw e;
  }
}

export interface GroundingInputs {
  root: string;
  pairs: readonly Pair[];
  index: Pick<WorkspaceIndex, 'relations' | 'joins'>;
  rules: string | undefined;
  access: AccessDecision;
  /** The project's engine: it decides, on the database's own parse, which pairs the asker may be shown. */
  engine: Engine;
  found: ProjectDatabase;
  budget?: number;
}

export interface AskerGrounding {
  context: GroundingContext;
  /** The approved and rejected pairs the asker may be shown (all of them when no policy restricts the asker). */
  visiblePairs: ReadonlySet<string>;
  /** The same grounding with some approved pairs held out (evaluation folds, LoRA export). */
  contextWithout(pairIds: ReadonlySet<string>): GroundingContext;
}

/**
 * What every answer for one asker stands on — the pairs and known values they may be shown,
 * decided with the engine, and the grounding built from them — made the same way for the editor
 * and the CLI. With no database to run on, nothing can be checked: an asker whom policies
 * restrict is shown no pair.
 */
export async function askerGrounding(input: GroundingInputs): Promise<AskerGrounding> {
  const resolve = (r: string, f: string) => path.resolve(r, f);
  const view = await askerView(input.engine, input.access, input.index.relations, pairsToCheck({ projectRoot: input.root, pairs: input.pairs, database: input.found.database, resolve }));
  const contextOf = (pairs: readonly Pair[]) => buildAskContext({
    projectRoot: input.root,
    pairs,
    relations: input.index.relations,
    joins: input.index.joins,
    rules: input.rules,
    access: input.access,
    visiblePairs: view.visiblePairs,
    askerValues: view.askerValues,
    dialect: input.found.dialect,
    budget: input.budget,
    database: input.found.database,
    resolve,
  });
  return {
    context: contextOf(input.pairs),
    visiblePairs: view.visiblePairs,
    contextWithout: (ids) => contextOf(input.pairs.filter((p) => !ids.has(p.id))),
  };
}

/**
 * The project's engine, or — when there is no database to run on (a warehouse profile, a file dbt
 * has not built, a server out of reach) — one that refuses every query as not run, so that
 * grounding, context, asking and exporting still work from the index alone.
 */
export async function openOrDescribe(root: string, access: AccessDecision): Promise<{ engine: Engine; found: ProjectDatabase }> {
  let found: ProjectDatabase;
  try {
    found = await findProjectDatabase(root);
  } catch (e) {
    if (!(e instanceof ExecutionError) || e.errorClass !== 'database-missing') throw e;
    const dialect = await projectDialect(root);
    return { engine: unavailableEngine(dialect, e.message), found: { database: '', dialect, dataDirectories: [], source: 'none', unavailable: e.message } };
  }
  try {
    return { engine: await openEngineFor(root, found, access), found };
  } catch (e) {
    if (!(e instanceof ExecutionError) || e.errorClass !== 'database-missing') throw e;
    return { engine: unavailableEngine(found.dialect, e.message), found: { ...found, unavailable: e.message } };
  }
}

/** Runs guarded with the asker's access; keeps the first `rows` rows and counts the rest. */
export function runnerFor(engine: Engine, access: AccessDecision, rows: number): QueryRunner {
  return async (sql, signal): Promise<RunSummary> => {
    const cursor = await engine.run(sql, { access, pageSize: Math.max(rows, 500), signal });
    try {
      let page = cursor.first;
      const kept = page.rows.slice(0, rows);
      while (page.hasMore) page = await cursor.next();
      return { columns: cursor.first.columns, rows: kept, rowCount: page.rowsSoFar, capped: page.capped };
    } finally {
      cursor.close();
    }
  };
}
