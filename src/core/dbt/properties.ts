import { load as loadYaml, YAMLException } from 'js-yaml';
import type { JinjaWarning } from './jinja';
import type { WarningKind } from './warnings';
import { duplicateKeyMessage, loadYamlLenient, yamlError } from './yamlText';

/**
 * dbt properties files (`schema.yml` and friends): what people wrote about their models, sources
 * and seeds. Tests are knowledge too: accepted_values are a column's values, relationships are join
 * keys, unique/not_null mark keys.
 */
export type DocKind = 'model' | 'seed' | 'snapshot' | 'analysis' | 'source' | 'semantic_model' | 'metric';

export interface DocColumn {
  name: string;
  description?: string;
  type?: string;
  /** From accepted_values tests. */
  values?: string[];
  /** Test names: unique, not_null, relationships, … */
  tests: string[];
  /** From a relationships test: the model (or `source.table`) and column it points at. */
  references?: { to: string; column: string };
}

export interface DocEntry {
  kind: DocKind;
  name: string;
  /** For a source table: the source's name. */
  source?: string;
  description?: string;
  columns: DocColumn[];
  line: number;
  /** For a source table: where it lives. */
  schema?: string;
  identifier?: string;
  /** Versioned models: the versions declared, and the latest. */
  versions?: number[];
  latestVersion?: number;
  /** The file each version is defined in, when `defined_in:` says (else `<name>_v<v>`). */
  definedIn?: Record<number, string>;
  /** What a version says of itself: its description, its own columns, which of the model's columns it keeps. */
  versionDocs?: Record<number, VersionDocs>;
  /** A snapshot defined in YAML (dbt 1.9): what it snapshots, `ref('x')` or `source('s', 't')` as written. */
  relation?: string;
  /**
   * `overrides: <package>`: this source redefines a package's source of the same name. An entry
   * with an empty name carries what applies to all its tables (schema, database).
   */
  overrides?: string;
  /** For semantic models: the model they describe. */
  model?: string;
  config?: Record<string, unknown>;
}

export interface VersionDocs {
  description?: string;
  columns: DocColumn[];
  /** The model's columns the version takes: `all` (dbt's default) or the names listed under `include:`. */
  include: 'all' | string[];
  exclude: string[];
}

export interface PropertiesFile {
  entries: DocEntry[];
  warnings: Array<JinjaWarning & { kind: WarningKind }>;
}

const SECTIONS: Array<[string, DocKind]> = [['models', 'model'], ['seeds', 'seed'], ['snapshots', 'snapshot'], ['analyses', 'analysis'], ['sources', 'source'], ['semantic_models', 'semantic_model'], ['metrics', 'metric']];

/** Does this YAML file look like dbt properties (and not, say, a GitHub workflow)? */
export function isPropertiesText(text: string): boolean {
  return /^(models|sources|seeds|snapshots|analyses|semantic_models|metrics):/m.test(text);
}

export function parseProperties(text: string): PropertiesFile {
  const warnings: PropertiesFile['warnings'] = [];
  let data: unknown;
  try {
    data = loadYaml(text);
  } catch (e) {
    // dbt reads a file with a key given twice (the last one wins): so do we, and say where.
    const lenient = e instanceof YAMLException && /duplicated mapping key/.test(e.reason) ? loadYamlLenient(text) : undefined;
    if (lenient && !lenient.error) {
      data = lenient.data;
      for (const d of lenient.duplicates) warnings.push({ line: d.line, kind: 'duplicate-key', message: duplicateKeyMessage(d) });
    } else {
      // js-yaml notices some errors only at the end of the file; the yaml parser says where they start.
      const precise = yamlError(text);
      const line = precise?.line ?? (e instanceof YAMLException ? e.mark.line + 1 : 1);
      const reason = precise?.message ?? (e instanceof YAMLException ? e.reason : (e as Error).message);
      return { entries: [], warnings: [{ line, kind: 'invalid-yaml', message: `not valid YAML: ${reason}; this file's docs are skipped until it is fixed` }] };
    }
  }
  if (!isObject(data)) return { entries: [], warnings: [] };
  const lines = new LineFinder(text);
  const entries: DocEntry[] = [];
  for (const [section, kind] of SECTIONS) {
    const list = data[section];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      warnings.push({ line: lines.key(section), kind: 'invalid-yaml', message: `${section}: should be a list of entries (- name: …); it is skipped` });
      continue;
    }
    for (const item of list) {
      if (!isObject(item) || typeof item.name !== 'string') {
        warnings.push({ line: lines.key(section), kind: 'invalid-yaml', message: `an entry under ${section}: has no name and is skipped: give it name:` });
        continue;
      }
      if (kind === 'source') entries.push(...sourceTables(item, lines));
      else entries.push(entry(kind, item, lines));
    }
  }
  return { entries, warnings };
}

function entry(kind: DocKind, item: Record<string, unknown>, lines: LineFinder): DocEntry {
  const name = item.name as string;
  const e: DocEntry = { kind, name, columns: columnsOf(item.columns), line: lines.name(name) };
  if (typeof item.description === 'string') e.description = item.description.trim();
  if (kind === 'metric' && !e.description && typeof item.label === 'string') e.description = item.label;
  if (isObject(item.config)) e.config = item.config;
  if (Array.isArray(item.versions)) {
    const versions = item.versions.filter(isObject).map((v) => Number(v.v)).filter((v) => Number.isFinite(v));
    e.versions = versions;
    for (const v of item.versions.filter(isObject)) {
      const n = Number(v.v);
      if (!Number.isFinite(n)) continue;
      if (typeof v.defined_in === 'string') (e.definedIn ??= {})[n] = v.defined_in;
      const own = versionDocs(v);
      if (own) (e.versionDocs ??= {})[n] = own;
    }
    e.latestVersion = item.latest_version !== undefined ? Number(item.latest_version) : Math.max(...versions);
    // Columns declared once for the model apply to every version unless it says otherwise.
  }
  if (kind === 'semantic_model' && typeof item.model === 'string') e.model = refTarget(item.model);
  if (kind === 'snapshot' && typeof item.relation === 'string') e.relation = item.relation;
  if (kind === 'semantic_model') {
    for (const dim of [...asList(item.dimensions), ...asList(item.measures), ...asList(item.entities)]) {
      if (isObject(dim) && typeof dim.name === 'string') {
        e.columns.push({ name: typeof dim.expr === 'string' && /^\w+$/.test(dim.expr) ? dim.expr : dim.name, description: typeof dim.description === 'string' ? dim.description : undefined, tests: [] });
      }
    }
  }
  return e;
}

/**
 * A version's `description:` and `columns:`, where `- include: all|[…]` / `exclude: […]` pick the
 * model's columns it keeps (all when it does not say) and the other items are its own columns.
 */
function versionDocs(v: Record<string, unknown>): VersionDocs | undefined {
  const items = asList(v.columns).filter(isObject);
  const description = typeof v.description === 'string' && v.description.trim() ? v.description.trim() : undefined;
  if (!items.length && !description) return undefined;
  const picks = items.find((c) => c.include !== undefined || c.exclude !== undefined);
  const include = picks && Array.isArray(picks.include) ? picks.include.map(String) : 'all';
  const exclude = picks && Array.isArray(picks.exclude) ? picks.exclude.map(String) : [];
  return { ...(description ? { description } : {}), columns: columnsOf(items), include, exclude };
}

function sourceTables(source: Record<string, unknown>, lines: LineFinder): DocEntry[] {
  const sourceName = source.name as string;
  const overrides = typeof source.overrides === 'string' ? source.overrides : undefined;
  const tables = asList(source.tables).filter(isObject).filter((t) => typeof t.name === 'string').map((t) => {
    const e = entry('source', t, lines);
    e.source = sourceName;
    if (isObject(source.config) && source.config.enabled !== undefined) e.config = { enabled: source.config.enabled, ...e.config };
    const schema = typeof t.schema === 'string' ? t.schema : typeof source.schema === 'string' ? source.schema : undefined;
    if (schema) e.schema = schema;
    if (typeof t.identifier === 'string') e.identifier = t.identifier;
    if (overrides) e.overrides = overrides;
    else if (!e.description && typeof source.description === 'string') e.description = source.description.trim();
    return e;
  });
  if (!overrides) return tables;
  // What the override says for the whole source applies to every table of the package's source, listed here or not.
  const whole: DocEntry = { kind: 'source', name: '', source: sourceName, overrides, columns: [], line: lines.name(sourceName) };
  if (typeof source.schema === 'string') whole.schema = source.schema;
  return [whole, ...tables];
}

function columnsOf(value: unknown): DocColumn[] {
  return asList(value).filter(isObject).filter((c) => typeof c.name === 'string').map((c) => {
    const col: DocColumn = { name: c.name as string, tests: [] };
    if (typeof c.description === 'string' && c.description.trim()) col.description = c.description.trim();
    if (typeof c.data_type === 'string') col.type = c.data_type;
    for (const test of [...asList(c.tests), ...asList(c.data_tests)]) {
      if (typeof test === 'string') {
        col.tests.push(test);
        continue;
      }
      if (!isObject(test)) continue;
      const [testName, raw] = Object.entries(test)[0] ?? [];
      if (!testName) continue;
      col.tests.push(testName.replace(/^dbt_utils\.|^dbt_expectations\./, ''));
      const args = isObject(raw) ? (isObject(raw.arguments) ? raw.arguments : raw) : {};
      if (testName.endsWith('accepted_values') && Array.isArray(args.values)) col.values = args.values.map(String);
      if (testName === 'relationships' && typeof args.to === 'string' && typeof args.field === 'string') col.references = { to: refTarget(args.to), column: args.field };
    }
    for (const constraint of asList(c.constraints)) {
      if (isObject(constraint) && typeof constraint.type === 'string') col.tests.push(constraint.type);
    }
    return col;
  });
}

/** `ref('customers')` → customers; `source('shop', 'raw')` → shop.raw. */
export function refTarget(expr: string): string {
  const ref = /ref\(\s*(?:['"]([\w.-]+)['"]\s*,\s*)?['"]([\w.-]+)['"]/.exec(expr);
  if (ref) return ref[2]!;
  const source = /source\(\s*['"]([\w.-]+)['"]\s*,\s*['"]([\w.-]+)['"]/.exec(expr);
  return source ? `${source[1]}.${source[2]}` : expr.trim();
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Finds the line of a key or a `name:` for warnings and go-to locations, without a second parse. */
class LineFinder {
  private readonly lines: string[];
  private names: Map<string, number> | undefined;
  constructor(text: string) {
    this.lines = text.split('\n');
  }
  key(key: string): number {
    const i = this.lines.findIndex((l) => l.startsWith(`${key}:`));
    return i + 1 || 1;
  }
  /** The first line saying `name: <name>`; one pass over the file for all names. */
  name(name: string): number {
    if (!this.names) {
      this.names = new Map();
      this.lines.forEach((l, i) => {
        const m = /^\s*-?\s*name:\s*['"]?([^'"#]+?)['"]?\s*$/.exec(l);
        if (m && !this.names!.has(m[1]!)) this.names!.set(m[1]!, i + 1);
      });
    }
    return this.names.get(name) ?? 1;
  }
}
