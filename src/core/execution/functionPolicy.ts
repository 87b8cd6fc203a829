/**
 * Which functions a query may call, by allow-list (DuckDB 1.5, the pinned @duckdb/node-api).
 *
 * Nobody may call a function that reads SQL given as text or a plan, statistics, the catalog, the
 * session, settings, the environment or files outside the data folders, or that changes state:
 * such functions answer from something other than the rows a query reads, so no access policy
 * can filter what they return (`stats(x)` reports the whole table's minimum and maximum under a
 * row filter; `json_serialize_plan('…')` binds SQL the guard never saw; `pg_get_viewdef()` prints
 * the SQL of views over denied tables).
 *
 * Askers whom access policies restrict may call only the functions listed here: scalar,
 * aggregate and window functions that compute from their arguments alone, and table functions
 * that generate rows. Anything else — a function of a newer DuckDB, an extension's, a macro the
 * database defines — is refused until it has been reviewed and added. A unit test lists every
 * function of the pinned DuckDB that is on neither list, so an upgrade cannot add one unseen.
 */

/** Scalar, aggregate and window functions (and macros) restricted askers may call. */
export const RESTRICTED_FUNCTIONS: ReadonlySet<string> = new Set(`
  !__postfix !~~ !~~* % & && * ** + - ->> / // <-> << <=> <@ >> @ @> ^ ^@ abs acos acosh add age aggregate ago
  alias any_value apply approx_count_distinct approx_quantile approx_top_k arbitrary arg_max arg_max_null
  arg_max_nulls_last arg_min arg_min_null arg_min_nulls_last argmax argmin array_agg array_aggr array_aggregate
  array_append array_apply array_cat array_concat array_contains array_cosine_distance array_cosine_similarity
  array_cross_product array_distance array_distinct array_dot_product array_extract array_filter array_grade_up
  array_has array_has_all array_has_any array_indexof array_inner_product array_intersect array_length
  array_negative_dot_product array_negative_inner_product array_pop_back array_pop_front array_position
  array_prepend array_push_back array_push_front array_reduce array_resize array_reverse array_reverse_sort
  array_select array_slice array_sort array_to_json array_to_string array_to_string_comma_default
  array_transform array_unique array_value array_where array_zip ascii asin asinh atan atan2 atanh avg bar
  base64 bin bit_and bit_count bit_length bit_or bit_position bit_xor bitstring bitstring_agg bool_and bool_or
  can_cast_implicitly cardinality cast_to_type cbrt ceil ceiling century char_length character_length chr concat
  concat_ws constant_or_null contains corr cos cosh cot count count_if count_star countif covar_pop covar_samp
  create_sort_key cume_dist current_date current_localtime current_localtimestamp damerau_levenshtein date_add
  date_diff date_part date_sub date_trunc datediff datepart datesub datetrunc day dayname dayofmonth dayofweek
  dayofyear days_in_month decade decode degrees dense_rank divide editdist3 element_at encode ends_with entropy
  enum_code enum_first enum_last enum_range enum_range_boundary epoch epoch_ms epoch_ns epoch_us equi_width_bins
  era even exp factorial favg fdiv fill filter first first_value flatten floor fmod format
  formatReadableDecimalSize formatReadableSize format_bytes from_base64 from_binary from_hex from_json
  from_json_strict fsum gamma gcd gen_random_uuid generate_series generate_subscripts geomean geometric_mean
  get_bit get_current_time get_current_timestamp get_type grade_up greatest greatest_common_divisor group_concat
  hamming hash hex histogram histogram_exact hour icu_sort_key ilike_escape instr is_histogram_other_bin
  isfinite isinf isnan isodow isoyear jaccard jaro_similarity jaro_winkler_similarity json json_array
  json_array_length json_contains json_exists json_extract json_extract_path json_extract_path_text
  json_extract_string json_group_array json_group_object json_group_structure json_keys json_merge_patch
  json_object json_pretty json_quote json_structure json_transform json_transform_strict json_type json_valid
  json_value julian kahan_sum kurtosis kurtosis_pop lag last last_day last_value lcase lcm lead least
  least_common_multiple left left_grapheme len length length_grapheme levenshtein lgamma like_escape list
  list_aggr list_aggregate list_any_value list_append list_apply list_approx_count_distinct list_avg
  list_bit_and list_bit_or list_bit_xor list_bool_and list_bool_or list_cat list_concat list_contains
  list_cosine_distance list_cosine_similarity list_count list_distance list_distinct list_dot_product
  list_element list_entropy list_extract list_filter list_first list_grade_up list_has list_has_all list_has_any
  list_histogram list_indexof list_inner_product list_intersect list_kurtosis list_kurtosis_pop list_last
  list_mad list_max list_median list_min list_mode list_negative_dot_product list_negative_inner_product
  list_pack list_position list_prepend list_product list_reduce list_resize list_reverse list_reverse_sort
  list_select list_sem list_skewness list_slice list_sort list_stddev_pop list_stddev_samp list_string_agg
  list_sum list_transform list_unique list_value list_var_pop list_var_samp list_where list_zip listagg ln log
  log10 log2 lower lpad ltrim mad make_date make_time make_timestamp make_timestamp_ms make_timestamp_ns
  make_timestamptz make_type map map_concat map_contains map_contains_entry map_contains_value map_entries
  map_extract map_extract_value map_from_entries map_keys map_values max max_by md5 md5_number md5_number_lower
  md5_number_upper mean median microsecond millennium millisecond min min_by minute mismatches mod mode month
  monthname multiply nanosecond nextafter nfc_normalize normalized_interval not_ilike_escape not_like_escape now
  nth_value ntile nullif octet_length ord parse_dirname parse_dirpath parse_filename parse_formatted_bytes
  parse_path percent_rank pi position pow power prefix printf product quantile quantile_cont quantile_disc
  quarter radians random range rank rank_dense reduce regexp_escape regexp_extract regexp_extract_all
  regexp_full_match regexp_matches regexp_replace regexp_split_to_array regexp_split_to_table regr_avgx
  regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy remap_struct repeat replace
  replace_type reservoir_quantile reverse right right_grapheme round round_even roundbankers row row_number
  row_to_json rpad rtrim second sem set_bit sha1 sha256 sign signbit sin sinh skewness split split_part sqrt
  st_asbinary st_astext st_aswkb st_aswkt st_crs st_geomfromwkb st_intersects_extent st_setcrs starts_with
  stddev stddev_pop stddev_samp str_split str_split_regex strftime string_agg string_split string_split_regex
  string_to_array strip_accents strlen strpos strptime struct_concat struct_contains struct_extract
  struct_extract_at struct_has struct_indexof struct_insert struct_keys struct_pack struct_position
  struct_update struct_values substr substring substring_grapheme subtract suffix sum sum_no_overflow sumkahan
  switch tan tanh time_bucket timetz_byte_comparable timezone timezone_hour timezone_minute to_base to_base64
  to_binary to_centuries to_days to_decades to_hex to_hours to_json to_microseconds to_millennia to_milliseconds
  to_minutes to_months to_quarters to_seconds to_timestamp to_weeks to_years today transaction_timestamp
  translate trim trunc try_strptime typeof ucase unbin unhex unicode union_extract union_tag union_value
  unnest unpivot_list upper url_decode url_encode uuid uuid_extract_timestamp uuid_extract_version uuidv4 uuidv7
  var_pop var_samp variance variant_bytes_to_variant variant_extract variant_normalize
  variant_to_parquet_variant variant_typeof wavg week weekday weekofyear weighted_avg xor year yearweek | || ~
  ~~ ~~* ~~~
`.trim().split(/\s+/).map(asciiLower));

/**
 * Functions only askers whom no policy restricts may call: error() raises a message the query
 * composes (from any value it can reach), and finalize/combine expose aggregate states.
 */
export const UNRESTRICTED_ONLY_FUNCTIONS: readonly string[] = ['error', 'finalize', 'combine'];

/** Table macros refused to everyone: they query a table named by their argument, past the guard. */
export const REFUSED_TABLE_FUNCTIONS: readonly string[] = ['histogram', 'histogram_values'];

/** Collations are functions too (ORDER BY name COLLATE de binds icu_collate_de): pure, all allowed. */
const ALLOWED_PREFIXES = ['icu_collate_'];

/** Table functions that generate rows from their arguments and read nothing. */
export const PURE_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'range', 'generate_series', 'unnest', 'json_each', 'json_tree', 'repeat', 'repeat_row', 'generate_subscripts', 'regexp_split_to_table',
  'pg_timezone_names', 'icu_calendar_names',
]);

/**
 * Table functions that read files: only literal paths inside the project's data folders, and only
 * for askers whom no policy restricts (restricted askers read files through their views, which
 * policies name).
 */
export const FILE_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'read_csv', 'read_csv_auto', 'sniff_csv', 'read_parquet', 'parquet_scan', 'parquet_metadata', 'parquet_schema', 'parquet_file_metadata', 'parquet_kv_metadata',
  'read_json', 'read_json_auto', 'read_json_objects', 'read_json_objects_auto', 'read_ndjson', 'read_ndjson_auto', 'read_ndjson_objects',
]);

/** Functions nobody may call, by what they read or do. */
export const NEVER_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  'SQL as text or plans': ['json_serialize_sql', 'json_deserialize_sql', 'json_serialize_plan', 'json_execute_serialized_sql', 'query', 'query_table', 'sql_auto_complete', 'current_query', 'current_query_id', 'check_peg_parser', 'enable_peg_parser', 'disable_peg_parser', 'parse_duckdb_log_message'],
  statistics: ['stats', 'get_block_size', 'vector_type', 'summary'],
  'the catalog': ['current_database', 'current_schema', 'current_schemas', 'current_catalog', 'in_search_path', 'map_to_pg_oid'],
  'the session, settings and environment': [
    'current_setting', 'getvariable', 'getenv', 'current_connection_id', 'current_transaction_id', 'txid_current', 'version', 'current_user', 'current_role',
    'session_user', 'user', 'which_secret', 'load_aws_credentials',
  ],
  'state changes and waiting': ['nextval', 'currval', 'setval', 'write_log', 'setseed', 'sleep_ms', 'checkpoint', 'force_checkpoint', 'enable_logging', 'disable_logging', 'enable_profiling', 'disable_profiling', 'truncate_duckdb_logs'],
  'files and memory outside the data folders': ['read_text', 'read_blob', 'glob', 'read_duckdb', 'arrow_scan', 'arrow_scan_dumb', 'parquet_bloom_probe', 'parquet_full_metadata', 'seq_scan', 'test_all_types', 'test_vector_types'],
};

/** Name prefixes nobody may call: DuckDB's catalog and settings functions, pragmas, PostgreSQL's catalog functions, internals. */
export const NEVER_PREFIXES: readonly string[] = ['duckdb_', 'pragma_', 'pg_', '__internal'];

const NEVER: ReadonlySet<string> = new Set(Object.values(NEVER_FUNCTIONS).flat());
/** The pg_catalog functions that do not start with pg_ (they answer from the catalog or the session). */
const PG_CATALOG = new Set([
  'col_description', 'obj_description', 'shobj_description', 'format_type', 'format_pg_type', 'has_any_column_privilege', 'has_column_privilege', 'has_database_privilege',
  'has_foreign_data_wrapper_privilege', 'has_function_privilege', 'has_language_privilege', 'has_schema_privilege', 'has_sequence_privilege', 'has_server_privilege',
  'has_table_privilege', 'has_tablespace_privilege', 'inet_client_addr', 'inet_client_port', 'inet_server_addr', 'inet_server_port',
]);

/**
 * DuckDB matches function names ignoring ASCII case only. A name refused here is compared after a
 * wider folding (Unicode case, compatibility forms), so a spelling DuckDB reads as a denied
 * function can never pass; a name allowed must match exactly after ASCII folding.
 */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function looseFold(s: string): string {
  return s.normalize('NFKC').toLowerCase().normalize('NFKC');
}

/** Why nobody may call `name`, or undefined. */
export function neverReason(name: string): string | undefined {
  for (const n of new Set([asciiLower(name), looseFold(name)])) {
    if (NEVER_PREFIXES.some((p) => n.startsWith(p)) || PG_CATALOG.has(n)) return 'the catalog, settings or the engine';
    if (NEVER.has(n)) return Object.entries(NEVER_FUNCTIONS).find(([, names]) => names.includes(n))![0];
  }
  return undefined;
}

/** Whether a restricted asker may call the scalar, aggregate or window function `name`. */
export function restrictedMayCall(name: string): boolean {
  const n = asciiLower(name);
  return !neverReason(name) && (RESTRICTED_FUNCTIONS.has(n) || ALLOWED_PREFIXES.some((p) => n.startsWith(p)));
}

/**
 * SQLite: the functions restricted askers may call — core, date, math, JSON and window functions,
 * all computing from their arguments. SQLite's compiled program names each call (`lower(1)` in
 * the p4 of a Function or aggregate opcode), so this is checked on what SQLite will run.
 */
export const SQLITE_RESTRICTED_FUNCTIONS: ReadonlySet<string> = new Set(`
  abs avg char coalesce concat concat_ws count date datetime format glob group_concat hex ifnull iif instr julianday length like likelihood
  likely lower ltrim max min nullif octet_length printf quote random randomblob replace round rtrim sign soundex strftime string_agg substr
  substring sum time timediff total trim typeof unhex unicode unistr unistr_quote unixepoch unlikely upper zeroblob
  acos acosh asin asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln log log10 log2 mod pi pow power radians sin sinh sqrt
  tan tanh trunc
  json json_array json_array_length json_error_position json_extract json_group_array json_group_object json_insert json_object json_patch
  json_pretty json_quote json_remove json_replace json_set json_type json_valid jsonb jsonb_array jsonb_extract jsonb_group_array
  jsonb_group_object jsonb_insert jsonb_object jsonb_patch jsonb_remove jsonb_replace jsonb_set
  row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
  -> ->>
`.trim().split(/\s+/));

/**
 * What SQLite's compiled program calls, from a p4 like `lower(1)` or `->>(2)` (the JSON
 * operators are functions too): any name, so that one of an unexpected shape is checked against
 * the allow-list rather than let through.
 */
export function sqliteCalledFunction(p4: string | null): string | undefined {
  return p4 ? /^(.+)\(-?\d+\)$/s.exec(p4)?.[1] : undefined;
}
