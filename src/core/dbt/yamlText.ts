import { load as loadFast, YAMLException } from 'js-yaml';
import { isScalar, LineCounter, parseDocument, visit } from 'yaml';

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
  const first = doc.errors[0];
  if (first) return { duplicates: [], error: { line: first.linePos?.[0]?.line ?? 1, message: first.message.split('\n')[0]! } };
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

export function duplicateKeyMessage(d: LenientYaml['duplicates'][number]): string {
  return `key ${d.key}: appears again (first on line ${d.firstLine}); dbt keeps only this last value, so what was under the first one is ignored. Merge the two into one ${d.key}:`;
}
