import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tempDir } from './tempDir';

/**
 * The sample's askers, and for each a database holding only what samples/shop/askdata/policies.yml
 * lets them see — written here by hand, table by table, from reading the policy, with no code of
 * Ask Data's involved. An answer Ask Data gives an asker is right when the same SQL gives the same
 * answer on their database, and leaks when it gives data their database does not hold.
 */
export const ASKERS = {
  sam: 'sam.okafor@shop.example', // marketing: five marts, customers without email
  lena: 'lena.fischer@country.shop.example', // country manager, DE
  tom: 'tom.baker@country.shop.example', // country manager, GB
  nora: 'nora.new@country.shop.example', // country manager with no country attribute
  outsider: 'visitor@elsewhere.example', // in no group; the sample has no default:, so allow
  analyst: 'analyst@shop.example', // in no group either: unrestricted
} as const;
export type Asker = keyof typeof ASKERS;
export const RESTRICTED: readonly Asker[] = ['sam', 'lena', 'tom', 'nora'];
/**
 * Tables the policy grants an asker's group but that they cannot read for want of an attribute:
 * refusals say so (naming the policy and the attribute), so their names are not secrets.
 */
export const REFUSED_FOR_AN_ATTRIBUTE: Partial<Record<Asker, readonly string[]>> = { nora: ['customers', 'orders', 'order_items'] };

/** The hand-written SQL of each asker's database, run against the full sample attached as `src`. */
function permittedSql(asker: Asker): string[] {
  const country = (c: string) => [
    `CREATE TABLE customers AS SELECT * FROM src.main.customers WHERE country = '${c}'`,
    `CREATE TABLE orders AS SELECT * FROM src.main.orders WHERE shipping_country = '${c}'`,
    `CREATE TABLE order_items AS SELECT * FROM src.main.order_items WHERE order_id IN (SELECT order_id FROM src.main.orders WHERE shipping_country = '${c}')`,
    'CREATE TABLE products AS SELECT * FROM src.main.products',
  ];
  switch (asker) {
    case 'sam':
      return [
        'CREATE TABLE marketing_daily AS SELECT * FROM src.main.marketing_daily',
        'CREATE TABLE orders AS SELECT * FROM src.main.orders',
        'CREATE TABLE order_items AS SELECT * FROM src.main.order_items',
        'CREATE TABLE products AS SELECT * FROM src.main.products',
        'CREATE TABLE customers AS SELECT * EXCLUDE (email) FROM src.main.customers',
      ];
    case 'lena':
      return country('DE');
    case 'tom':
      return country('GB');
    case 'nora':
      // Every filter of her row policy needs her country, which policies.yml does not give.
      return ['CREATE TABLE products AS SELECT * FROM src.main.products'];
    default:
      return [];
  }
}

export interface PermittedViews {
  /** The full sample database (the outsider's and the analyst's permitted view). */
  full: string;
  file(asker: Asker): string;
  /** Runs SQL on the asker's database: rows as JSON values and column names, or the error. */
  run(asker: Asker, sql: string): Promise<Outcome>;
  /**
   * Names of tables and views the asker may not read, columns of which no table they may read has
   * one of that name, and `table.column` for the columns hidden from tables they may read.
   */
  hidden(asker: Asker): { relations: string[]; columns: string[]; qualified: string[] };
  /** The tables of the asker's database and their columns. */
  tables(asker: Asker): ReadonlyMap<string, readonly string[]>;
  /** Text values of the full sample the asker may not see (names, emails of others), for messages. */
  hiddenValues(asker: Asker): ReadonlySet<string>;
  close(): void;
}

export type Outcome = { ok: true; columns: string[]; rows: unknown[][] } | { ok: false; error: string };

export async function buildPermittedViews(fullDatabase: string): Promise<PermittedViews> {
  const root = await tempDir('askdata-permitted-');
  const files = new Map<Asker, string>();
  const connections = new Map<Asker, { instance: DuckDBInstance; connection: DuckDBConnection }>();
  const full = await DuckDBInstance.create(fullDatabase, { access_mode: 'READ_ONLY' });
  const fullConnection = await full.connect();
  const catalog = (await fullConnection.runAndReadAll("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'")).getRows().map(([t, c]) => ({ table: String(t), column: String(c) }));
  const tablesOf = new Map<Asker, Map<string, string[]>>();
  for (const asker of Object.keys(ASKERS) as Asker[]) {
    const sql = permittedSql(asker);
    if (sql.length === 0 && asker !== 'nora') {
      files.set(asker, fullDatabase);
    } else {
      // Named shop.duckdb in a folder of its own, so that its catalog is called shop like the sample's.
      const dir = path.join(root, asker);
      await fs.mkdir(dir);
      const file = path.join(dir, 'shop.duckdb');
      const build = await DuckDBInstance.create(file);
      const c = await build.connect();
      await c.run(`ATTACH '${fullDatabase.replaceAll("'", "''")}' AS src (READ_ONLY)`);
      for (const statement of sql) await c.run(statement);
      await c.run('DETACH src');
      await c.run('CHECKPOINT');
      c.closeSync();
      build.closeSync();
      files.set(asker, file);
    }
    const instance = await DuckDBInstance.create(files.get(asker)!, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    connections.set(asker, { instance, connection });
    const own = (await connection.runAndReadAll("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'")).getRows();
    const tables = new Map<string, string[]>();
    for (const [t, c] of own) (tables.get(String(t)) ?? tables.set(String(t), []).get(String(t))!).push(String(c));
    tablesOf.set(asker, tables);
  }
  // Values of the full sample that an asker's database does not hold: what no message may quote.
  const textValues = async (c: DuckDBConnection) => new Set((await c.runAndReadAll('SELECT customer_name FROM customers UNION SELECT email FROM customers')).getRows().map((r) => String(r[0])));
  const everything = await textValues(fullConnection);
  const hiddenValues = new Map<Asker, Set<string>>();
  for (const asker of Object.keys(ASKERS) as Asker[]) {
    const c = connections.get(asker)!.connection;
    const mine = tablesOf.get(asker)!.has('customers')
      ? new Set((await c.runAndReadAll(`SELECT customer_name FROM customers${tablesOf.get(asker)!.get('customers')!.includes('email') ? ' UNION SELECT email FROM customers' : ''}`)).getRows().map((r) => String(r[0])))
      : new Set<string>();
    hiddenValues.set(asker, new Set([...everything].filter((v) => !mine.has(v))));
  }
  return {
    full: fullDatabase,
    file: (asker) => files.get(asker)!,
    async run(asker, sql) {
      try {
        const reader = await connections.get(asker)!.connection.runAndReadAll(sql);
        return { ok: true, columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
      } catch (e) {
        return { ok: false, error: (e as Error).message };
      }
    },
    hidden(asker) {
      const mine = tablesOf.get(asker)!;
      const relations = [...new Set(catalog.map((c) => c.table))].filter((t) => !mine.has(t));
      const visibleColumns = new Set([...mine.values()].flat());
      const columns = [...new Set(catalog.filter((c) => !visibleColumns.has(c.column)).map((c) => c.column))];
      const qualified = catalog.filter((c) => mine.has(c.table) && !mine.get(c.table)!.includes(c.column)).map((c) => `${c.table}.${c.column}`);
      return { relations, columns, qualified };
    },
    tables: (asker) => tablesOf.get(asker)!,
    hiddenValues: (asker) => hiddenValues.get(asker)!,
    close() {
      for (const { instance, connection } of connections.values()) {
        connection.closeSync();
        instance.closeSync();
      }
      fullConnection.closeSync();
      full.closeSync();
    },
  };
}

/** Rows as a multiset, for comparing answers whose order SQL does not fix. */
export function rowsKey(rows: readonly unknown[][]): string {
  return JSON.stringify(rows.map((r) => JSON.stringify(r)).sort());
}

/** Whether `text` names one of `names` as a word, ignoring case and Unicode compatibility forms. */
export function namesOneOf(text: string, names: readonly string[]): string | undefined {
  const fold = (s: string) => s.normalize('NFKC').toLowerCase();
  const t = fold(text);
  return names.find((n) => new RegExp(`(^|[^\\p{L}\\p{N}_$])${fold(n).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}\\p{N}_$])`, 'u').test(t));
}

/** A value of `hidden` that `text` quotes (values of four characters or more). */
export function quotesOneOf(text: string, hidden: ReadonlySet<string>): string | undefined {
  for (const v of hidden) if (v.length >= 4 && text.includes(v)) return v;
  return undefined;
}
