/**
 * dbt's docs blocks: `{% docs name %}…{% enddocs %}` in .md files, which descriptions use through
 * `{{ doc('name') }}` (or `doc('package', 'name')`). The index resolves them, so that what people
 * wrote — not the Jinja — is what hovers, the context and the model's prompt show.
 */
export interface DocsBlock {
  name: string;
  text: string;
  line: number;
}

export function parseDocsBlocks(text: string): DocsBlock[] {
  const out: DocsBlock[] = [];
  const re = /\{%-?\s*docs\s+([\w.-]+)\s*-?%\}([\s\S]*?)\{%-?\s*enddocs\s*-?%\}/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ name: m[1]!, text: m[2]!.trim(), line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

const DOC_CALL = /\{\{-?\s*doc\(\s*(['"])([\w.-]+)\1\s*(?:,\s*(['"])([\w.-]+)\3\s*)?\)\s*(?:\|\s*\w+\s*)*-?\}\}/g;

/**
 * The description with each `{{ doc(…) }}` replaced by the block's text; `find(package, name)` looks a
 * block up (package undefined: dbt's search order). Calls to blocks that do not exist are removed
 * and returned, for a warning: the text never keeps raw Jinja.
 */
export function resolveDocCalls(description: string, find: (pkg: string | undefined, name: string) => string | undefined): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = description.replace(DOC_CALL, (_m, _q, a: string, _q2, b: string | undefined) => {
    const [pkg, name] = b === undefined ? [undefined, a] : [a, b];
    const found = find(pkg, name);
    if (found === undefined) missing.push(pkg ? `${pkg}.${name}` : name);
    return found ?? '';
  });
  return { text: text.trim(), missing };
}
