import { load as loadFast, YAMLException } from 'js-yaml';
import { isScalar, LineCounter, parseDocument, Parser, visit } from 'yaml';

/**
 * YAML as dbt reads it: a key given twice in one mapping is not an error — the last value wins —
 * but it almost always is a mistake (a second `models:` drops the first list), so each one is said.
 */
export interface LenientYaml {
  data?: unknown;
  duplicates: Array<{ key: string; line: number; firstLine: number }>;
  /** The first syntax error, if the text is not YAML at all. */
  error?: { line: number; message: string };
}

export function loadYamlLenient(text: string): LenientYaml {
  // js-yaml is several times faster and says no to a duplicate key: the slower, precise parse only then.
  try {
    return { data: loadFast(text), duplicates: [] };
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter: lines });
  if (doc.errors.length) return { duplicates: [], error: yamlError(text)! };
  const duplicates: LenientYaml['duplicates'] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Map<string, number>();
      for (const item of map.items) {
        if (!isScalar(item.key)) continue;
        const key = String(item.key.value);
        const line = lines.linePos(item.key.range?.[0] ?? 0).line;
        const before = seen.get(key);
        if (before !== undefined) duplicates.push({ key, line, firstLine: before });
        seen.set(key, line);
      }
    },
  });
  return { data: doc.toJS({ maxAliasCount: -1 }), duplicates };
}

/**
 * Where a text stops being YAML, as a person would look for it: a quote or bracket that is never
 * closed is reported on the line it opens (the parser itself only notices at the end of the file).
 */
export function yamlError(text: string): { line: number; message: string } | undefined {
  const lines = new LineCounter();
  const first = parseDocument(text, { lineCounter: lines }).errors[0];
  if (!first) return undefined;
  const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const open = unclosedAt(text);
  if (open !== undefined && (first.code === 'MISSING_CHAR' || first.code === 'BAD_INDENT' || first.code === 'UNEXPECTED_TOKEN')) {
    const line = lines.linePos(open).line;
    return { line, message: `${text[open] === '"' || text[open] === "'" ? 'a quoted text' : `a ${text[open]}`} opened on line ${line} is never closed` };
  }
  return { line: first.linePos?.[0]?.line ?? 1, message };
}

/** The offset of the first quoted scalar or flow collection ([ {) the file never closes. */
function unclosedAt(text: string): number | undefined {
  let found: number | undefined;
  const visitToken = (t: unknown): void => {
    if (found !== undefined || !t || typeof t !== 'object') return;
    const token = t as { type?: string; offset?: number; source?: string; end?: unknown[]; items?: unknown[]; start?: unknown; key?: unknown; value?: unknown; sep?: unknown[] };
    if ((token.type === 'double-quoted-scalar' || token.type === 'single-quoted-scalar') && typeof token.source === 'string') {
      const q = token.source[0]!;
      if (token.source.length < 2 || !token.source.endsWith(q) || (q === '"' && /(^|[^\\])(\\\\)*\\"$/.test(token.source))) found = token.offset;
      return;
    }
    if (token.type === 'flow-collection' && Array.isArray(token.end) && !token.end.some((e) => (e as { type?: string }).type === 'flow-map-end' || (e as { type?: string }).type === 'flow-seq-end')) {
      found = token.offset;
      return;
    }
    for (const item of token.items ?? []) {
      const i = item as { start?: unknown[]; key?: unknown; sep?: unknown[]; value?: unknown };
      visitToken(i.key);
      visitToken(i.value);
    }
    visitToken(token.value);
  };
  for (const t of new Parser().parse(text)) visitToken(t);
  return found;
}

export function duplicateKeyMessage(d: LenientYaml['duplicates'][number]): string {
  return `key ${d.key}: appears again (first on line ${d.firstLine}); dbt keeps only this last value, so what was under the first one is ignored. Merge the two into one ${d.key}:`;
}
