import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import initSqlJs, { type Database } from 'sql.js';

/**
 * The sample shop as a SQLite database, for the SQLite engine's policies: the first 2,000
 * customers with their orders and order lines, all products and marketing days, the raw customer
 * seed, a staging view over it, a view counting customers by country, an audit table a trigger
 * writes on delete, notes with an AUTOINCREMENT key (sqlite_sequence), and SQLite's statistics
 * (ANALYZE). Copied from the DuckDB sample as built.
 */
export async function writeSqliteShop(duckdbFile: string, file: string): Promise<string> {
  const duck = await DuckDBInstance.create(duckdbFile, { access_mode: 'READ_ONLY' });
  const c = await duck.connect();
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  try {
    const copy = async (name: string, select: string) => {
      const reader = await c.runAndReadAll(select);
      const columns = reader.columnNames();
      const types = reader.columnTypes().map((t) => (/INT/.test(String(t)) ? 'INTEGER' : /DECIMAL|DOUBLE|FLOAT/.test(String(t)) ? 'REAL' : 'TEXT'));
      db.run(`CREATE TABLE ${name} (${columns.map((col, i) => `${col} ${types[i]}`).join(', ')})`);
      const insert = db.prepare(`INSERT INTO ${name} VALUES (${columns.map(() => '?').join(', ')})`);
      db.run('BEGIN');
      for (const row of reader.getRowsJson() as unknown[][]) insert.run(row.map((v) => (v === null ? null : typeof v === 'boolean' ? Number(v) : typeof v === 'object' ? JSON.stringify(v) : (v as string | number))));
      db.run('COMMIT');
      insert.free();
    };
    await copy('customers', 'SELECT * FROM customers WHERE customer_id <= 2000 ORDER BY customer_id');
    await copy('orders', 'SELECT * FROM orders WHERE customer_id <= 2000 ORDER BY order_id');
    await copy('order_items', 'SELECT * FROM order_items WHERE customer_id <= 2000 ORDER BY order_item_id');
    await copy('products', 'SELECT * FROM products ORDER BY product_id');
    await copy('marketing_daily', 'SELECT * FROM marketing_daily ORDER BY date, channel');
    await copy('raw_customers', 'SELECT * FROM raw_customers WHERE customer_id <= 2000 ORDER BY customer_id');
    db.run(`
      CREATE VIEW stg_customers AS SELECT customer_id, first_name || ' ' || last_name AS customer_name, lower(email) AS email, country FROM raw_customers;
      CREATE VIEW customer_countries AS SELECT country, count(*) AS customers FROM customers GROUP BY country;
      CREATE TABLE customer_audit (customer_id INTEGER, country TEXT, customer_name TEXT);
      CREATE TABLE customer_notes (note_id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER, note TEXT);
      INSERT INTO customer_notes (customer_id, note) SELECT customer_id, 'called ' || customer_name FROM customers;
      CREATE TRIGGER keep_deleted AFTER DELETE ON customers BEGIN INSERT INTO customer_audit VALUES (old.customer_id, old.country, old.customer_name); END;
      CREATE INDEX customers_country ON customers (country);
      ANALYZE;
    `);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, db.export());
    return file;
  } finally {
    db.close();
    c.closeSync();
    duck.closeSync();
  }
}

/**
 * An asker's permitted view of the SQLite shop, by hand from the policy of the SQLite tests: a
 * copy of the file with what they may not see dropped, their rows kept (each table rebuilt, so
 * rows are numbered from 1) and what they may read left as it is.
 */
export async function permittedSqliteShop(file: string, statements: readonly string[]): Promise<Database> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(await fs.readFile(file));
  for (const s of statements) db.run(s);
  return db;
}
