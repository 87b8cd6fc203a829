import type { Pool, PoolClient, PoolConfig } from 'pg';
import { closestNames, ExecutionError } from '../core/execution/errors';
import { fingerprintCursor, type ResultFingerprint } from '../core/execution/fingerprint';
import { checkPostgresParse, PG_ALLOWED_FUNCTIONS, type PgGuardResult } from '../core/execution/postgresGuard';
import {
  DEFAULT_PAGE_SIZE, DEFAULT_ROW_CAP, DEFAULT_TIMEOUT_MS, type ResultColumn, type ResultCursor, type ResultPage, type ResultRow, type RunOptions,
} from '../core/execution/result';
import { visibleCatalog, type AccessDecision } from '../core/policies/access';
import { quoteIdent } from '../core/policies/duckdbPolicy';
import {
  applyByteEdits, asciiLower, boundReference, filterText, functionEdits, pgNameEnd, pgStarEnd, planPostgresAccess, qualifiedColumnEdits, refuseRoutines, regclassText, restrictedSubquery, type ByteEdit, type PgResolvedRelation, type PgRoutine,
} from '../core/policies/postgresPolicy';
import type { CatalogColumn, Engine } from './engine';
import { loadPgParser, parsePgSync, pgParserLoaded } from './pgParser';
import { PgRowStream, type PgField } from './pgRowStream';
import { typeParser, type ArrayParse } from './pgTypes';
import { resolutionSql, resolvedRelations, routinesSql } from './postgresCatalog';

/**
 * Server encodings in which PostgreSQL folds only A–Z in unquoted names, as the parser does (in
 * the others, single-byte ones, it folds the encoding's own upper-case letters too).
 */
const MULTIBYTE_ENCODINGS = /^(UTF8|EUC_.*|MULE_INTERNAL)$/;

/** Bytes of unread rows at which a result's socket is paused (beside the row limit, for wide rows). */
const STREAM_BUFFER_BYTES = 4 * 2 ** 20;

/** How to reach a PostgreSQL database, from a dbt-postgres target. The password lives only here, in memory. */
export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** The target schema: first on the search path, what unqualified names (and policies.yml) mean. */
  schema: string;
  /** libpq's sslmode: disable, allow, prefer (libpq's default), require, verify-ca, verify-full. */
  sslmode?: string;
}

/** The connection as it may be shown: never the password. */
export function describeConnection(c: Pick<PostgresConnection, 'host' | 'port' | 'user' | 'database' | 'schema'>): string {
  return `postgres://${encodeURIComponent(c.user)}@${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}/${encodeURIComponent(c.database)} (schema ${c.schema})`;
}

// Loaded on first use, like DuckDB: the parser is a WebAssembly build of PostgreSQL's own.
let pgModule: Promise<typeof import('pg')> | undefined;
/** Set once pg is loaded (every engine is opened after it is): postgres-array's parser, through pg-types. */
let arrayParse: ArrayParse | undefined;
const loadPg = () => (pgModule ??= import('pg').then((m) => {
  const pg = (m as unknown as { default?: typeof import('pg') }).default ?? m;
  // pg-types' arrayParser is { create(source, transform) } at run time, whatever its typings say.
  const parser = pg.types.arrayParser as unknown as { create(source: string, transform: (v: string) => unknown): { parse(): unknown[] } };
  arrayParse = (source, transform) => parser.create(source, transform).parse();
  return pg;
}));
/** PostgreSQL's own parser, to its tree (libpg_query, see pgParser); a syntax error is an ExecutionError of class syntax. */
export async function parsePostgres(sql: string): Promise<unknown> {
  await loadPgParser();
  return parsePgSync(sql);
}

/**
 * A PostgreSQL database, read-only by construction: every session has
 * default_transaction_read_only on, every query runs inside BEGIN READ ONLY with a
 * statement_timeout, the search path is the target schema (pg_catalog first, as always), and
 * what runs has passed the guard on PostgreSQL's own parse tree. The query runs to completion on
 * the server (so PostgreSQL may use parallel workers) while rows are read with backpressure, a
 * page at a time, never more than the row cap (see PgRowStream); a timeout, a cancel or a result
 * left unread stops the query on the server with pg_cancel_backend.
 */
export class PostgresEngine implements Engine {
  readonly dialect = 'postgres' as const;
  private closed = false;
  private readonly typeNames = new Map<string, string>();

  private constructor(
    private readonly pool: Pool,
    private readonly config: PoolConfig,
    readonly connection: Readonly<Omit<PostgresConnection, 'password'>>,
    /** The database's encoding (server_encoding): how the server folds unquoted names, see PgGuardResult.nonAsciiName. */
    readonly encoding: string,
  ) {}

  static async open(connection: PostgresConnection): Promise<PostgresEngine> {
    const pg = await loadPg();
    const sslmode = connection.sslmode ?? 'prefer';
    const config = (ssl: PoolConfig['ssl']): PoolConfig => ({
      host: connection.host,
      port: connection.port,
      user: connection.user,
      password: connection.password,
      database: connection.database,
      ssl,
      max: 4,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      application_name: 'askdata',
      // Settings of every session: read-only, a search path that means the target schema, and
      // values rendered the same on every machine.
      options: [
        '-c default_transaction_read_only=on',
        `-c search_path=pg_catalog,${searchPathItem(connection.schema)},pg_temp`,
        '-c TimeZone=UTC',
        '-c DateStyle=ISO',
        '-c IntervalStyle=postgres',
        '-c standard_conforming_strings=on',
        '-c idle_in_transaction_session_timeout=600000',
      ].join(' '),
    });
    const modes: Array<PoolConfig['ssl']> = sslmode === 'disable' ? [false]
      : sslmode === 'allow' ? [false, { rejectUnauthorized: false }]
        : sslmode === 'prefer' ? [{ rejectUnauthorized: false }, false]
          : sslmode === 'require' ? [{ rejectUnauthorized: false }]
            : [{ rejectUnauthorized: true }];
    let last: unknown;
    for (const ssl of modes) {
      const settings = config(ssl);
      const pool = new pg.Pool(settings);
      pool.on('error', () => undefined); // an idle connection dropped by the server; the next query opens another
      try {
        const client = await pool.connect();
        let encoding: string;
        try {
          encoding = String((await client.query<{ e: string }>("SELECT pg_catalog.current_setting('server_encoding') AS e")).rows[0]?.e ?? '');
        } finally {
          client.release();
        }
        const { password: _password, ...shown } = connection;
        return new PostgresEngine(pool, settings, shown, encoding);
      } catch (e) {
        last = e;
        await pool.end().catch(() => undefined);
        // prefer/allow: libpq falls back when the server does not do SSL (or only does it); so does this.
        if (!/does not support SSL|SSL.*(required|off)|no pg_hba.conf entry.*(SSL|encryption)/i.test((e as Error).message ?? '')) break;
      }
    }
    throw connectError(connection, last as Error);
  }

  get database(): string {
    return describeConnection(this.connection);
  }

  /**
   * The parser folds unquoted names as a UTF-8 server does (A–Z only); a database in a single-byte
   * encoding folds its own upper-case letters too, so a name beyond ASCII could mean one relation,
   * CTE or function to the guard and another to the server. Such names are refused there.
   */
  private refuseFoldedNames(guard: PgGuardResult, what: string): void {
    if (guard.nonAsciiName === undefined || MULTIBYTE_ENCODINGS.test(this.encoding)) return;
    throw new ExecutionError('not-read-only', `${what} uses the name ${guard.nonAsciiName}, with a letter beyond ASCII; this database's encoding (${this.encoding}) makes PostgreSQL read such names differently from the parser Ask Data checks queries with, so it was not run. Only ASCII names can be used on this database.`, `not allowed: non-ASCII name in a ${this.encoding} database`);
  }

  /** Parses with PostgreSQL's parser and checks the tree; nothing runs. */
  async guard(sql: string): Promise<PgGuardResult> {
    return checkPostgresParse(await parsePostgres(sql));
  }

  async run(sql: string, options: RunOptions = {}): Promise<ResultCursor> {
    return this.execute(sql, options);
  }

  /** Everything a run does up to running: the server binds what would run (EXPLAIN), under the asker's policies. */
  async check(sql: string, access?: AccessDecision): Promise<void> {
    await this.execute(sql, { access }, true);
  }

  async fingerprint(sql: string, options: Omit<RunOptions, 'pageSize' | 'rowCap'> = {}): Promise<ResultFingerprint> {
    return fingerprintCursor(await this.execute(sql, { ...options, pageSize: 10_000, rowCap: Number.MAX_SAFE_INTEGER }));
  }

  /**
   * Guards `sql`, opens a read-only transaction, binds every relation it names to the catalog,
   * applies the asker's policies, and runs what results, read a page at a time.
   */
  private async execute(sql: string, options: RunOptions, checkOnly = false): Promise<ResultCursor> {
    if (this.closed) throw new ExecutionError('runtime', 'The database connection is closed.');
    const guard = await this.guard(sql);
    this.refuseFoldedNames(guard, 'This query');
    const access = options.access;
    const restricted = !!access && !access.unrestricted;
    // Row filters are read and bound like the query: parsed, their relations resolved in the same session.
    const filters = restricted ? await Promise.all(guard.relations.map(async (ref) => {
      const text = filterText(access.table(ref.name));
      if (!text) return undefined;
      const prefix = 'SELECT 1 WHERE ';
      const filterGuard = checkPostgresParse(await parsePostgres(`${prefix}${text}`));
      this.refuseFoldedNames(filterGuard, `A row policy on ${ref.name}`);
      return { text, prefix, guard: filterGuard };
    })) : [];
    const names = [...guard.relations, ...filters.flatMap((f) => f?.guard.relations ?? [])].map(regclassText);

    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const client = await this.pool.connect().catch((e: Error) => {
      throw connectError(this.connection, e);
    });
    // A connection lost mid-query fails that query (pg hands it the error); the client's own error
    // event would otherwise be unhandled, and take the whole process down with it.
    const lost = () => undefined;
    client.on('error', lost);
    const release = (destroy?: boolean) => {
      client.off('error', lost);
      client.release(destroy);
    };
    const stopper = new Stopper(() => this.cancelBackend(client), timeoutMs, options.signal);
    let finishing: Promise<void> | undefined;
    // Set once the query itself runs; until then there is nothing to stop but the setup.
    const running: { stream?: PgRowStream } = {};
    // The transaction ends with ROLLBACK however the query ended; a connection that cannot even do
    // that is dropped. Every caller waits for the same ending.
    const finish = () => (finishing ??= (async () => {
      stopper.dispose();
      const stream = running.stream;
      if (stream && !stream.done) {
        // Left unread: the server stops at the cancel, and what it had sent already is read and
        // dropped. Without a cancel it would send the whole result, so the connection is dropped.
        stream.discard();
        if (!(await this.cancelBackend(client).then(() => true, () => false))) {
          release(true);
          return;
        }
      }
      try {
        await client.query('ROLLBACK');
        release();
      } catch {
        release(true);
      }
    })());
    let runSql: string;
    try {
      const routines = guard.dottedNames.length || guard.operators.length ? routinesSql(guard.dottedNames, guard.operators) : undefined;
      const setup = [
        'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY',
        `SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`,
        ...(names.length ? [resolutionSql(names)] : []),
        ...(routines ? [routines] : []),
      ].join('; ');
      const results = await stopper.during(() => client.query(setup) as unknown as Promise<Array<{ rows: Array<Record<string, unknown>> }>>);
      const resolved = names.length ? resolvedRelations(results[2]!.rows, names.length) : [];
      const own = resolved.slice(0, guard.relations.length);
      if (routines) refuseRoutines(results[results.length - 1]!.rows as unknown as PgRoutine[], PG_ALLOWED_FUNCTIONS);
      // Under policies a name the server resolves to nothing is not left for the server to resolve
      // again, perhaps otherwise: what runs names only relations decided here.
      const unresolved = restricted ? guard.relations.find((_, i) => !own[i]) : undefined;
      if (unresolved) throw await this.unknownTable(unresolved.name, access);
      const rewrites = planPostgresAccess(guard, own, access);
      const edits: ByteEdit[] = [...functionEdits(guard)];
      if (restricted) {
        let next = guard.relations.length;
        const boundFilters = filters.map((f) => {
          if (!f) return undefined;
          const mine = resolved.slice(next, (next += f.guard.relations.length));
          const inner: ByteEdit[] = [...functionEdits(f.guard, Buffer.byteLength(f.prefix))];
          f.guard.relations.forEach((ref, i) => {
            const r = mine[i];
            if (!r) throw new ExecutionError('permission-denied', `A row policy reads ${ref.name}, which does not exist; no query runs until policies.yml is fixed.`, `permission denied: row policy names missing ${ref.name}`);
            inner.push(nameEdit(ref, r, Buffer.byteLength(f.prefix), boundReference(ref, r), f.text));
          });
          return `(${applyByteEdits(f.text, inner)})`;
        });
        const replaced = new Set(rewrites.map((w) => w.index));
        for (const w of rewrites) {
          const ref = guard.relations[w.index]!;
          // A subquery cannot follow ONLY: the edit takes the keyword, and the subquery reads ONLY the table.
          edits.push(nameEdit(ref, own[w.index]!, 0, restrictedSubquery(ref, own[w.index]!, w.access, boundFilters[w.index], w.fence), sql, !ref.inherit));
        }
        edits.push(...qualifiedColumnEdits(sql, guard.qualifiedColumns, rewrites.map((w) => ({ ref: guard.relations[w.index]!, r: own[w.index]! }))));
        guard.relations.forEach((ref, i) => {
          if (!replaced.has(i) && own[i]) edits.push(nameEdit(ref, own[i], 0, boundReference(ref, own[i]), sql));
        });
        // A filter that names a column its table lacks would bind to a column of the asker's query
        // outside it; run alone, each restricted table must stand on its own.
        const checks = rewrites.map((w) => `SELECT 1 FROM ${restrictedSubquery({ ...guard.relations[w.index]!, aliased: false, name: '__askdata_check' }, own[w.index]!, w.access, boundFilters[w.index], w.fence)} LIMIT 0`);
        if (checks.length) {
          await stopper.during(() => client.query(checks.join('; '))).catch((e: Error) => {
            if (stopper.reason) throw e;
            throw new ExecutionError('permission-denied', `The access policies could not be applied to this query (${pgMessage(e)}); it was not run. Ask whoever maintains askdata/policies.yml to check the row filters.`, 'permission denied: row filter does not apply');
          });
        }
      }
      runSql = edits.length ? applyByteEdits(sql, edits) : sql;
      // What runs is still one read-only query of allowed parts.
      if (runSql !== sql) checkPostgresParse(await parsePostgres(runSql));
      if (checkOnly) await stopper.during(() => client.query(`EXPLAIN ${runSql}`));
    } catch (e) {
      await finish();
      throw await this.classify(e as Error, stopper, access);
    }

    if (checkOnly) {
      await finish();
      const nothing: ResultPage = { columns: [], rows: [], hasMore: false, capped: false, rowsSoFar: 0 };
      return { first: nothing, next: async () => nothing, close: () => undefined };
    }
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const rowCap = options.rowCap ?? DEFAULT_ROW_CAP;
    // A page and its lookahead wait unread, or a few MiB of wide rows: bounded whatever the result.
    const rows = new PgRowStream(runSql, (oid) => typeParser(oid, arrayParse), { rows: Math.max(pageSize + 1, 1000), bytes: STREAM_BUFFER_BYTES });
    running.stream = rows;
    client.query(rows as never);
    // From here a timeout or a cancel ends the query and frees its connection, read or not.
    stopper.onStop = () => void finish();
    let columns: ResultColumn[] | undefined;
    let delivered = 0;
    let exhausted = false;
    let lookahead: ResultRow[] = [];
    const stopped = async () => this.classify(new Error(stopper.reason ?? 'stopped'), stopper, access);
    const page = async (): Promise<ResultPage> => {
      if (stopper.reason) throw await stopped();
      const want = Math.min(pageSize, rowCap - delivered);
      let got: ResultRow[] = lookahead;
      lookahead = [];
      try {
        if (!exhausted && got.length < want) {
          // At the cap, one row more says whether the result is capped.
          const ask = want - got.length + (delivered + want >= rowCap ? 1 : 0);
          const more = await stopper.during(() => rows.read(ask));
          if (!columns) columns = await this.columnsOf(rows.fields ?? []);
          if (more.length < ask) exhausted = true;
          got = got.concat(more);
        }
      } catch (e) {
        await finish();
        throw await this.classify(e as Error, stopper, access);
      }
      // The whole result has arrived: the connection goes back now, the rest is served from memory.
      if (rows.done) void finish();
      if (got.length > want) lookahead = got.slice(want);
      got = got.slice(0, want);
      delivered += got.length;
      const more = !exhausted || lookahead.length > 0;
      const capped = delivered >= rowCap && more;
      const hasMore = !capped && more;
      if (!hasMore) void finish();
      return { columns: columns!, rows: got, hasMore, capped, rowsSoFar: delivered };
    };
    const first = await page();
    let last = first;
    return {
      first,
      next: async () => {
        if (!last.hasMore) return { columns: first.columns, rows: [], hasMore: false, capped: last.capped, rowsSoFar: delivered };
        last = await page();
        return last;
      },
      close: () => void finish(),
    };
  }

  /** A connection beside the pool, for cancels and type names: a full pool must never hold them up. */
  private side: Promise<import('pg').Client> | undefined;

  private sideClient(): Promise<import('pg').Client> {
    this.side ??= (async () => {
      if (this.closed) throw new Error('the engine is closed');
      const pg = await loadPg();
      const client = new pg.Client(this.config);
      client.on('error', () => (this.side = undefined));
      await client.connect();
      return client;
    })().catch((e: Error) => {
      this.side = undefined;
      throw e;
    });
    return this.side;
  }

  private sideTurn: Promise<unknown> = Promise.resolve();

  /** One query on the side connection, after those before it (pg wants no queue of its own). */
  private sideQuery<R extends Record<string, unknown>>(text: string, values: unknown[]): Promise<R[]> {
    const turn = this.sideTurn.then(async () => (await (await this.sideClient()).query<R>(text, values)).rows);
    this.sideTurn = turn.catch(() => undefined);
    return turn;
  }

  /** Stops what a pooled connection is running, on the server. */
  private async cancelBackend(client: PoolClient): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    if (!pid) throw new Error('no backend to cancel');
    await this.sideQuery('SELECT pg_catalog.pg_cancel_backend($1)', [pid]);
  }

  private catalogCache: CatalogColumn[] | undefined;

  /** Every column of the relations on the search path (the target schema), with PostgreSQL's type names. */
  async catalog(): Promise<CatalogColumn[]> {
    if (this.catalogCache) return this.catalogCache;
    try {
      const { rows } = await this.pool.query<{ schema: string; table: string; column: string; type: string }>(
        `SELECT n.nspname AS "schema", c.relname AS "table", a.attname AS "column", pg_catalog.format_type(a.atttypid, a.atttypmod) AS "type"
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND n.nspname = ANY (pg_catalog.current_schemas(false))
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           -- An extension's relations are refused to every query (see planPostgresAccess), so never offered.
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
         ORDER BY n.nspname, c.relname, a.attnum`,
      );
      this.catalogCache = rows.map((r) => ({ schema: r.schema, table: r.table, column: r.column, type: r.type }));
      return this.catalogCache;
    } catch (e) {
      throw connectError(this.connection, e as Error);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.pool.end().catch(() => undefined);
    void this.side?.then((c) => c.end()).catch(() => undefined);
    this.side = undefined;
  }

  /** PostgreSQL's names for the result's types (numeric(12,2), timestamp with time zone …), remembered. */
  private async columnsOf(fields: readonly PgField[]): Promise<ResultColumn[]> {
    const key = (f: { dataTypeID: number; dataTypeModifier: number }) => `${f.dataTypeID}:${f.dataTypeModifier}`;
    const missing = fields.filter((f) => !this.typeNames.has(key(f)));
    if (missing.length) {
      const rows = await this.sideQuery<{ o: number; m: number; t: string }>('SELECT o::int AS o, m::int AS m, pg_catalog.format_type(o, m) AS t FROM unnest($1::oid[], $2::int[]) AS x(o, m)', [missing.map((f) => f.dataTypeID), missing.map((f) => f.dataTypeModifier)]);
      for (const r of rows) this.typeNames.set(`${r.o}:${r.m}`, r.t);
    }
    return fields.map((f) => ({ name: f.name, type: this.typeNames.get(key(f)) ?? String(f.dataTypeID) }));
  }

  /** What the asker may see, for suggestions: never the whole catalog under policies. */
  private async visibleTo(access: AccessDecision | undefined): Promise<CatalogColumn[]> {
    const all = await this.catalog().catch(() => []);
    // (Under policies, a relation whose name folds ambiguously is unreadable, so it is never suggested either.)
    return access && !access.unrestricted ? visibleCatalog(all, access).filter((c) => c.table.toLowerCase() === asciiLower(c.table)) : all;
  }

  private async unknownTable(name: string, access: AccessDecision | undefined): Promise<ExecutionError> {
    const suggestions = closestNames(name.split('.').pop()!, (await this.visibleTo(access)).map((c) => c.table));
    const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
    // Under policies the name is not repeated: it may spell one the asker must not learn exists.
    if (access && !access.unrestricted) return new ExecutionError('unknown-table', `There is no table or view of that name that you may read.${hint}`, `unknown table${hint}`, suggestions);
    return new ExecutionError('unknown-table', `There is no table or view named ${name}.${hint}`, `unknown table ${name}${hint}`, suggestions);
  }

  private async classify(e: Error, stopper: Stopper, access: AccessDecision | undefined): Promise<ExecutionError> {
    if (e instanceof ExecutionError) return e;
    const code = (e as { code?: string }).code ?? '';
    const message = pgMessage(e);
    if (code === '57014' || stopper.reason) {
      if (stopper.reason === 'cancelled') return new ExecutionError('cancelled', 'The query was cancelled.', 'cancelled');
      return new ExecutionError('timeout', `The query ran longer than ${Math.round(stopper.timeoutMs / 1000)} s and was stopped. Add filters or a LIMIT, or raise the timeout.`, `timeout after ${stopper.timeoutMs} ms`);
    }
    const restricted = !!access && !access.unrestricted;
    // Suggestions come from what this asker may see, never from the whole catalog.
    const visible = () => this.visibleTo(access);
    if (code === '42P01') {
      // x.y where x names nothing in FROM: the name is the asker's own alias, not the catalog's.
      const entry = /missing FROM-clause entry for table "([^"]+)"/.exec(message)?.[1];
      if (entry !== undefined) return new ExecutionError('unknown-table', `${entry} is not a table or alias in this query's FROM clause (in ${entry}.…, the part before the dot must be one).`, `unknown table alias ${entry}`);
      return this.unknownTable(/relation "([^"]+)" does not exist/.exec(message)?.[1] ?? '', access);
    }
    if (code === '42703') {
      const name = /column "?([^"\s]+)"? does not exist/.exec(message)?.[1] ?? '';
      const suggestions = closestNames(name.split('.').pop()!, (await visible()).map((c) => c.column));
      const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
      if (restricted) return new ExecutionError('unknown-column', `There is no column of that name here that you may see.${hint}`, `unknown column${hint}`, suggestions);
      return new ExecutionError('unknown-column', `There is no column named ${name} here.${hint}`, `unknown column ${name}${hint}`, suggestions);
    }
    if (code === '42601') return new ExecutionError('syntax', `Syntax error: ${message}`, `syntax error: ${message}`);
    if (code === '25006') return new ExecutionError('not-read-only', `PostgreSQL refused to change anything in this read-only session: ${message}`, `not read-only: ${message}`);
    if (code === '42501') return new ExecutionError('permission-denied', `The database login ${this.connection.user} may not read this: ${message}`, `permission denied: ${message}`);
    if (code.startsWith('08') || code === '57P01' || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|Connection terminated/i.test(message)) return connectError(this.connection, e);
    if (code === '53200' || code === '53100') return new ExecutionError('runtime', `The server ran out of resources for this query (${message}). Aggregate more, or add filters.`, `out of resources: ${message}`);
    return new ExecutionError('runtime', message, message);
  }
}

/** One line of a server error, without its DETAIL or HINT (they can name what an asker may not see). */
function pgMessage(e: Error): string {
  return (e.message ?? String(e)).split('\n')[0]!;
}

/** A connection failure, saying where without the password. */
function connectError(c: Pick<PostgresConnection, 'host' | 'port' | 'user' | 'database' | 'schema'>, e: Error): ExecutionError {
  const code = (e as { code?: string }).code ?? '';
  const message = pgMessage(e);
  if (code === '28P01' || code === '28000') {
    return new ExecutionError('permission-denied', `PostgreSQL refused the login ${c.user} at ${c.host}:${c.port} (${message}). Check the user and password the dbt profile gives.`, 'login refused');
  }
  return new ExecutionError('database-missing', `Could not reach the PostgreSQL database ${describeConnection(c)}: ${message}.`, 'database unreachable');
}

function searchPathItem(schema: string): string {
  // The options string is split on spaces by the server: a schema with one is escaped.
  return quoteIdent(schema).replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
}

/**
 * The edit replacing a relation's name in `text` (whose parse put it at ref.location, less
 * `offset`). The span is checked by parsing it alone: it must name exactly that relation, or the
 * query is not run.
 */
function nameEdit(ref: { location: number; schema?: string; name: string; catalog?: string }, _r: PgResolvedRelation, offset: number, replacement: string, text: string, withOnly = false): ByteEdit {
  const bytes = Buffer.from(text, 'utf8');
  let start = ref.location - offset;
  let end = start >= 0 && start < bytes.length ? pgNameEnd(bytes, start) : -1;
  const cannot = () => new ExecutionError('permission-denied', `Ask Data could not locate ${ref.name} in the query to apply the access policies, so it was not run.`, `permission denied: cannot apply policies to ${ref.name}`);
  if (end < 0 || !sameName(bytes.subarray(start, end).toString('utf8'), ref)) throw cannot();
  if (withOnly) {
    // `ONLY name` or `ONLY (name)`, the keyword just before (the parser places the reference at the name).
    const only = onlySpan(bytes, start, end);
    if (!only) throw cannot();
    [start, end] = only;
  } else {
    // `name *` (descendants included, PostgreSQL's default) takes the star with it.
    const star = pgStarEnd(bytes, end);
    if (star > 0) end = star;
  }
  // `TABLE name` takes neither an alias nor a subquery: it becomes the SELECT it stands for.
  let before = start;
  while (before > 0 && /\s/.test(String.fromCharCode(bytes[before - 1]!))) before--;
  if (before >= 5 && bytes.subarray(before - 5, before).toString('latin1').toLowerCase() === 'table' && (before === 5 || !/[\w$\x80-\xff]/.test(String.fromCharCode(bytes[before - 6]!)))) {
    return { start: before - 5, end, text: `SELECT * FROM ${replacement}` };
  }
  return { start, end, text: replacement };
}

/** The span of `ONLY name` / `ONLY ( name )` around a name at [start, end), blanks between them; undefined if it is not written so. */
function onlySpan(bytes: Buffer, start: number, end: number): [number, number] | undefined {
  const blank = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c;
  let i = start;
  while (i > 0 && blank(bytes[i - 1])) i--;
  let close = end;
  if (bytes[i - 1] === 0x28) {
    i--;
    while (i > 0 && blank(bytes[i - 1])) i--;
    while (close < bytes.length && blank(bytes[close])) close++;
    if (bytes[close] !== 0x29) return undefined;
    close++;
  }
  if (i < 4 || bytes.subarray(i - 4, i).toString('latin1').toLowerCase() !== 'only' || (i > 4 && /[\w$\x80-\xff]/.test(String.fromCharCode(bytes[i - 5]!)))) return undefined;
  return [i - 4, close];
}

function sameName(span: string, ref: { schema?: string; name: string; catalog?: string }): boolean {
  // Every query is parsed (and so the parser loaded) before anything of it is rewritten.
  if (!pgParserLoaded()) return false;
  try {
    const tree = parsePgSync(`SELECT * FROM ${span}`) as { stmts: Array<{ stmt: { SelectStmt?: { fromClause?: Array<{ RangeVar?: Record<string, unknown> }> } } }> };
    const from = tree.stmts.length === 1 ? tree.stmts[0]!.stmt.SelectStmt?.fromClause : undefined;
    const rv = from?.length === 1 ? from[0]!.RangeVar : undefined;
    return !!rv && !rv.alias && rv.relname === ref.name && (rv.schemaname ?? undefined) === ref.schema && (rv.catalogname ?? undefined) === ref.catalog;
  } catch {
    return false;
  }
}

/** Stops a running query on the server (pg_cancel_backend) when its time is up or the asker cancels. */
class Stopper {
  reason: 'timeout' | 'cancelled' | undefined;
  /** Called once stopped, to free what the query holds. */
  onStop: (() => void) | undefined;
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly onAbort: () => void;

  constructor(private readonly cancel: () => Promise<void>, readonly timeoutMs: number, private readonly signal?: AbortSignal) {
    this.timer = setTimeout(() => this.stop('timeout'), timeoutMs);
    this.onAbort = () => this.stop('cancelled');
    if (signal?.aborted) this.reason = 'cancelled';
    signal?.addEventListener('abort', this.onAbort);
  }

  async during<T>(work: () => Promise<T>): Promise<T> {
    if (this.reason) throw new ExecutionError(this.reason, this.reason === 'cancelled' ? 'The query was cancelled.' : `The query ran longer than ${Math.round(this.timeoutMs / 1000)} s and was stopped.`, this.reason);
    return work();
  }

  private stop(reason: 'timeout' | 'cancelled'): void {
    if (this.reason) return;
    this.reason = reason;
    if (this.onStop) this.onStop();
    else void this.cancel().catch(() => undefined);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
