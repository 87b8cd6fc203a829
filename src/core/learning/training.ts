import { createHash } from 'node:crypto';
import { fence, systemPrompt, type ChatMessage } from '../answer/prompt';
import { canonicalJson } from '../execution/fingerprint';
import { estimateTokens, type GroundingContext } from '../grounding/grounding';
import type { Pair } from '../pairs/pairStore';
import { referencedRelations } from '../sql/relations';
import { skeletonKey } from '../sql/skeleton';

/**
 * Rung two of the learning ladder (ARCHITECTURE.md, "Learning"): a specialised Ollama model, built from the base
 * model with the distilled schema and rules as its system prompt and a representative selection
 * of approved pairs as its messages. Everything here is pure; the adapter sends the recipe.
 */

/** An approved pair as learning sees it. */
export interface LearningPair {
  id: string;
  /** Relative to the project. */
  file: string;
  question: string;
  sql: string;
  tags: string[];
  approvedAt?: string;
}

export function learningPairs(pairs: readonly Pair[], projectRoot: string, keep: (p: Pair) => boolean = () => true): LearningPair[] {
  const prefix = projectRoot.endsWith('/') ? projectRoot : `${projectRoot}/`;
  return pairs
    .filter((p) => p.status === 'approved' && keep(p))
    .map((p) => ({
      id: p.id,
      file: p.path.startsWith(prefix) ? p.path.slice(prefix.length) : p.path,
      question: p.question,
      sql: p.sql,
      tags: p.tags,
      ...(p.data.approved?.at ? { approvedAt: p.data.approved.at } : {}),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The tokens one pair takes as a user/assistant message pair. */
export function pairTokens(p: Pick<LearningPair, 'question' | 'sql'>): number {
  return estimateTokens(p.question) + estimateTokens(fence(p.sql)) + 8;
}

/**
 * The pairs that teach the most within `budget` tokens: each round takes the pair that covers the
 * most tables, tags and query shapes not yet covered (newest approval first on a tie), so a
 * hundred monthly-revenue variants do not crowd out the one question about returns. Once all is
 * covered, the rest are added newest first while they fit. Returned in file order, so the recipe
 * (and its hash) does not depend on the order pairs were read in.
 */
export function selectRepresentative(pairs: readonly LearningPair[], budget: number): { chosen: LearningPair[]; left: LearningPair[]; tokens: number } {
  const features = new Map(pairs.map((p) => [p.id, new Set([
    ...referencedRelations(p.sql).map((t) => `table:${t.toLowerCase()}`),
    ...p.tags.map((t) => `tag:${t.toLowerCase()}`),
    `shape:${skeletonKey(p.sql)}`,
  ])]));
  const covered = new Set<string>();
  const remaining = [...pairs].sort((a, b) => (b.approvedAt ?? '').localeCompare(a.approvedAt ?? '') || a.id.localeCompare(b.id));
  const chosen: LearningPair[] = [];
  let tokens = 0;
  while (remaining.length > 0) {
    let best = -1;
    let bestGain = -1;
    for (let i = 0; i < remaining.length; i++) {
      const p = remaining[i]!;
      if (tokens + pairTokens(p) > budget) continue;
      const gain = [...features.get(p.id)!].filter((f) => !covered.has(f)).length;
      if (gain > bestGain) {
        best = i;
        bestGain = gain;
      }
    }
    if (best < 0) break;
    const [p] = remaining.splice(best, 1);
    chosen.push(p!);
    tokens += pairTokens(p!);
    for (const f of features.get(p!.id)!) covered.add(f);
  }
  const byFile = (a: LearningPair, b: LearningPair) => a.file.localeCompare(b.file);
  return { chosen: chosen.sort(byFile), left: remaining.sort(byFile), tokens };
}

/** What `/api/create` is sent; the tag is a hash of everything else, so an unchanged recipe is not rebuilt. */
export interface ModelRecipe {
  model: string;
  from: string;
  system: string;
  messages: ChatMessage[];
  parameters: { temperature: number; num_ctx: number; seed: number };
  /** A LoRA adapter: file name → uploaded blob digest. */
  adapters?: Record<string, string>;
}

export interface RecipeSummary {
  recipe: ModelRecipe;
  /** The pairs taught, by file. */
  pairs: string[];
  /** Approved pairs left out because they did not fit the context. */
  left: string[];
  tokens: { system: number; messages: number; numCtx: number };
  schemaTables: { shown: number; available: number };
}

/** Room left in the context for one question's own prompt (grounding, examples, the answer). */
export const QUESTION_RESERVE_TOKENS = 3600;
const SYSTEM_SCHEMA_BUDGET = 1500;

export function specialisedRecipe(input: {
  project: string;
  base: string;
  context: GroundingContext;
  pairs: readonly LearningPair[];
  numCtx: number;
  seed: number;
  /** Tag prefix; evaluation folds use their own so they never replace the team's model. */
  prefix?: string;
  adapters?: Record<string, string>;
}): RecipeSummary {
  const distilled = input.context.distil(SYSTEM_SCHEMA_BUDGET);
  const system = systemPrompt(distilled);
  const systemTokens = estimateTokens(system);
  const budget = Math.max(0, Math.floor(input.numCtx * 0.9) - QUESTION_RESERVE_TOKENS);
  const { chosen, left, tokens } = selectRepresentative(input.pairs, budget);
  const messages: ChatMessage[] = chosen.flatMap((p) => [
    { role: 'user' as const, content: p.question },
    { role: 'assistant' as const, content: fence(p.sql) },
  ]);
  const parameters = { temperature: 0, num_ctx: input.numCtx, seed: input.seed };
  const adapters = input.adapters && Object.keys(input.adapters).length ? { adapters: input.adapters } : {};
  const hash = createHash('sha256').update(canonicalJson({ from: input.base, system, messages, parameters, ...adapters })).digest('hex').slice(0, 12);
  return {
    recipe: { model: `${modelPrefix(input.project, input.prefix)}:${hash}`, from: input.base, system, messages, parameters, ...adapters },
    pairs: chosen.map((p) => p.file),
    left: left.map((p) => p.file),
    tokens: { system: systemTokens, messages: tokens, numCtx: input.numCtx },
    schemaTables: { shown: distilled.tables, available: distilled.tablesAvailable },
  };
}

/** `askdata-<project>`: Ollama names allow lower-case letters, digits, `-`, `_` and `.`. */
export function modelPrefix(project: string, prefix = 'askdata'): string {
  const slug = project.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '') || 'project';
  return `${prefix}-${slug}`;
}

/** This project's models on the server other than `keep`: superseded builds, to remove. */
export function supersededModels(models: readonly string[], project: string, keep: readonly string[]): string[] {
  const prefix = `${modelPrefix(project)}:`;
  const kept = new Set(keep);
  return models.filter((m) => m.startsWith(prefix) && !kept.has(m));
}
