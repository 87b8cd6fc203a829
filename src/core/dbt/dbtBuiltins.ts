import { callable, isUnknown, toText, type JCallable, type JValue } from './jinjaValues';

/**
 * dbt's own cross-database macros (`dbt.dateadd`, `dbt.type_string`, …), which dbt ships with the
 * adapter rather than as a package a project installs. Each renders the SQL of the project's
 * dialect (the profile's adapter type), so that the model's SQL reads like what runs there.
 */
export type Dialect = string;

const TYPES: Record<string, Record<string, string>> = {
  default: { string: 'varchar', timestamp: 'timestamp', float: 'float', numeric: 'numeric(28, 6)', bigint: 'bigint', int: 'integer', boolean: 'boolean' },
  duckdb: { string: 'varchar', timestamp: 'timestamp', float: 'double', numeric: 'numeric(28, 6)', bigint: 'bigint', int: 'integer', boolean: 'boolean' },
  snowflake: { string: 'varchar', timestamp: 'timestamp_ntz', float: 'float', numeric: 'numeric(28, 6)', bigint: 'bigint', int: 'integer', boolean: 'boolean' },
  bigquery: { string: 'string', timestamp: 'timestamp', float: 'float64', numeric: 'numeric', bigint: 'int64', int: 'int64', boolean: 'boolean' },
  spark: { string: 'string', timestamp: 'timestamp', float: 'float', numeric: 'decimal(28, 6)', bigint: 'bigint', int: 'int', boolean: 'boolean' },
};

/** dbt's adapter inheritance: a dispatch for redshift also finds postgres__ macros. */
export const ADAPTER_PARENTS: Record<string, string[]> = { redshift: ['postgres'], databricks: ['spark'], materialize: ['postgres'], 'duckdb': [] };

/** The prefixes adapter.dispatch tries, in order: the adapter's, its parents', then `default`. */
export function dispatchPrefixes(type: string): string[] {
  return [type, ...(ADAPTER_PARENTS[type] ?? []), 'default'];
}

export function familyOf(dialect: Dialect): string {
  const d = dialect.toLowerCase();
  if (d === 'databricks') return 'spark';
  if (d === 'redshift' || d === 'materialize') return 'postgres';
  return d;
}

const sql = (v: JValue | undefined): string => (v === undefined || isUnknown(v) ? '?' : Array.isArray(v) ? v.map(sql).join(', ') : toText(v));

/** A builtin taking dbt's parameter names, positionally or by keyword. */
function macro(params: string[], body: (a: Record<string, string>, raw: Record<string, JValue | undefined>) => string): JCallable {
  return callable((args, kwargs) => {
    const raw: Record<string, JValue | undefined> = {};
    const a: Record<string, string> = {};
    params.forEach((p, i) => {
      raw[p] = i < args.length ? args[i] : kwargs[p];
      a[p] = sql(raw[p]);
    });
    return body(a, raw);
  });
}

const byDialect = new Map<string, Record<string, JValue>>();

/** The builtins of a dialect; they hold no state, so every render of that dialect shares them. */
export function dbtBuiltins(dialect: Dialect): Record<string, JValue> {
  const known = byDialect.get(dialect);
  if (known) return known;
  const made = makeBuiltins(dialect);
  byDialect.set(dialect, made);
  return made;
}

function makeBuiltins(dialect: Dialect): Record<string, JValue> {
  const fam = familyOf(dialect);
  const types = TYPES[fam] ?? TYPES.default!;
  const out: Record<string, JValue> = {};
  for (const [k, v] of Object.entries(types)) out[`type_${k}`] = callable(() => v);
  out.type_numeric = callable(() => types.numeric!);
  const dateTrunc = fam === 'bigquery' ? (p: string, d: string) => `timestamp_trunc(cast(${d} as timestamp), ${p})` : (p: string, d: string) => `date_trunc('${p}', ${d})`;
  Object.assign(out, {
    current_timestamp: callable(() => (fam === 'snowflake' ? 'convert_timezone(\'UTC\', current_timestamp())' : 'current_timestamp')),
    current_timestamp_backcompat: callable(() => 'current_timestamp'),
    current_timestamp_in_utc_backcompat: callable(() => 'current_timestamp'),
    date_trunc: macro(['datepart', 'date'], (a) => dateTrunc(a.datepart!, a.date!)),
    dateadd: macro(['datepart', 'interval', 'from_date_or_timestamp'], (a) => {
      const { datepart: p, interval: n, from_date_or_timestamp: d } = a;
      if (fam === 'snowflake' || fam === 'spark') return `dateadd(${p}, ${n}, ${d})`;
      if (fam === 'bigquery') return `datetime_add(cast(${d} as datetime), interval ${n} ${p})`;
      if (fam === 'postgres') return `(${d} + ((interval '1 ${p}') * (${n})))`;
      return `(${d} + interval (${n}) ${p})`;
    }),
    datediff: macro(['first_date', 'second_date', 'datepart'], (a) => {
      const { first_date: x, second_date: y, datepart: p } = a;
      if (fam === 'snowflake' || fam === 'spark') return `datediff(${p}, ${x}, ${y})`;
      if (fam === 'bigquery') return `datetime_diff(cast(${y} as datetime), cast(${x} as datetime), ${p})`;
      return `date_diff('${p}', ${x}, ${y})`;
    }),
    last_day: macro(['date', 'datepart'], (a) => (fam === 'duckdb' || fam === 'snowflake' ? `last_day(${a.date})` : `cast(${dateTrunc(a.datepart === '?' ? 'month' : a.datepart!, a.date!)} + interval '1 ${a.datepart === '?' ? 'month' : a.datepart}' - interval '1 day' as date)`)),
    safe_cast: macro(['field', 'type'], (a) => (fam === 'bigquery' ? `safe_cast(${a.field} as ${a.type})` : fam === 'snowflake' || fam === 'duckdb' ? `try_cast(${a.field} as ${a.type})` : `cast(${a.field} as ${a.type})`)),
    cast: macro(['field', 'type'], (a) => `cast(${a.field} as ${a.type})`),
    concat: macro(['fields'], (a) => `concat(${a.fields})`),
    hash: macro(['field'], (a) => `md5(cast(${a.field} as ${types.string}))`),
    split_part: macro(['string_text', 'delimiter_text', 'part_number'], (a) => (fam === 'bigquery' ? `split(${a.string_text}, ${a.delimiter_text})[safe_offset(${a.part_number} - 1)]` : `split_part(${a.string_text}, ${a.delimiter_text}, ${a.part_number})`)),
    length: macro(['expression'], (a) => `length(${a.expression})`),
    position: macro(['substring_text', 'string_text'], (a) => `position(${a.substring_text} in ${a.string_text})`),
    replace: macro(['field', 'old_chars', 'new_chars'], (a) => `replace(${a.field}, ${a.old_chars}, ${a.new_chars})`),
    right: macro(['string_text', 'length_expression'], (a) => `right(${a.string_text}, ${a.length_expression})`),
    cast_bool_to_text: macro(['field'], (a) => `cast(${a.field} as ${types.string})`),
    any_value: macro(['expression'], (a) => `any_value(${a.expression})`),
    bool_or: macro(['expression'], (a) => (fam === 'snowflake' ? `boolor_agg(${a.expression})` : fam === 'bigquery' ? `logical_or(${a.expression})` : `bool_or(${a.expression})`)),
    listagg: macro(['measure', 'delimiter_text', 'order_by_clause', 'limit_num'], (a, raw) => {
      const order = raw.order_by_clause ? ` ${a.order_by_clause}` : '';
      return fam === 'snowflake' || fam === 'postgres' ? `listagg(${a.measure}, ${a.delimiter_text})${order ? ` within group (${order.trim()})` : ''}` : `string_agg(${a.measure}, ${a.delimiter_text}${order})`;
    }),
    escape_single_quotes: macro(['expression'], (a) => a.expression!.replace(/'/g, "''")),
    string_literal: macro(['value'], (a) => `'${a.value}'`),
    except: callable(() => (fam === 'bigquery' ? 'except distinct' : 'except')),
    intersect: callable(() => (fam === 'bigquery' ? 'intersect distinct' : 'intersect')),
    array_construct: macro(['inputs', 'data_type'], (a) => (fam === 'snowflake' ? `array_construct(${a.inputs})` : `array[${a.inputs === '?' ? '' : a.inputs}]`)),
    array_append: macro(['array', 'new_element'], (a) => `array_append(${a.array}, ${a.new_element})`),
    array_concat: macro(['array_1', 'array_2'], (a) => `array_cat(${a.array_1}, ${a.array_2})`),
    date: macro(['year', 'month', 'day'], (a) => `make_date(${a.year}, ${a.month}, ${a.day})`),
    // dbt counts the periods with a query first; a series between the two dates is the same rows.
    date_spine: macro(['datepart', 'start_date', 'end_date'], (a) => {
      const { datepart: p, start_date: from, end_date: to } = a;
      if (fam === 'snowflake') return `select dateadd(${p}, seq4(), ${from}) as date_${p} from table(generator(rowcount => datediff(${p}, ${from}, ${to})))`;
      if (fam === 'bigquery') return `select date_${p} from unnest(generate_date_array(cast(${from} as date), date_sub(cast(${to} as date), interval 1 day), interval 1 ${p})) as date_${p}`;
      return `select cast(gs as date) as date_${p} from generate_series(cast(${from} as timestamp), cast(${to} as timestamp) - interval 1 ${p}, interval 1 ${p}) as t(gs)`;
    }),
  });
  return out;
}
