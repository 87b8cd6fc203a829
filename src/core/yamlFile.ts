import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** A problem in a YAML file, located for the Problems panel and the CLI. */
export interface YamlProblem {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  message: string;
}

export type ParsedYaml<T> = { ok: true; value: T; doc: Document } | { ok: false; problems: YamlProblem[] };

/** Parses YAML text and validates it with `schema`, locating every problem at its line. */
export function parseYamlWith<T>(text: string, schema: z.ZodType<T>, what: string): ParsedYaml<T> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { line: pos.line, column: pos.col, message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  if (!isMap(doc.contents)) return { ok: false, problems: [{ line: 1, column: 1, message: `${what} must be a YAML mapping` }] };
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) return { ok: false, problems: [...parsed.error.issues].sort((a, b) => rank(a) - rank(b)).map((issue) => locateIssue(doc, lineCounter, issue)) };
  return { ok: true, value: parsed.data, doc };
}

/**
 * The problem that explains the others comes first (a caller may show only that one): a newer
 * format version explains keys this version does not know, and a misspelt key explains the
 * required key found missing beside it.
 */
function rank(issue: z.core.$ZodIssue): number {
  if (issue.path.length === 1 && issue.path[0] === 'version') return 0;
  return issue.code === 'unrecognized_keys' ? 1 : 2;
}

function locateIssue(doc: Document, lineCounter: LineCounter, issue: z.core.$ZodIssue): YamlProblem {
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (issue.code === 'unrecognized_keys') {
    // Point at the unknown key itself, which is where the typo is, not at the mapping holding it.
    const key = issue.keys[0]!;
    const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
    const pair = isMap(map) ? map.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === key) : undefined;
    const range = isNode(pair?.key) ? pair.key.range : undefined;
    const pos = range ? lineCounter.linePos(range[0]) : { line: 1, col: 1 };
    const where = [...path, key].join('.');
    return { line: pos.line, column: pos.col, message: `${where}: not a key Ask Data knows here${issue.keys.length > 1 ? ` (nor ${issue.keys.slice(1).join(', ')})` : ''}; a misspelt key is refused rather than ignored` };
  }
  // Point at the deepest node that exists: the bad value itself, or the mapping that lacks the key.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      const where = path.length > 0 ? `${path.join('.')}: ` : '';
      return { line: pos.line, column: pos.col, message: `${where}${issue.message}` };
    }
  }
  return { line: 1, column: 1, message: issue.message };
}
