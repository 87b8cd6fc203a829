import { ExecutionError } from './errors';

/**
 * The read-only guard for SQLite, on SQLite's own compiler rather than a parser of ours: sql.js
 * compiles the text (so the count of statements and their syntax are SQLite's), and the compiled
 * bytecode (EXPLAIN) says exactly what the statement would do. A program with no write opcode and
 * no write transaction cannot change the database. The leading keyword is checked too, so that
 * statements which write nothing but are not queries (ATTACH, PRAGMA, ANALYZE …) are refused.
 */

/** Opcodes that write to the database file, its schema, or the connection's state. */
const WRITE_OPCODES = new Set([
  'OpenWrite', 'Clear', 'Destroy', 'CreateBtree', 'DropTable', 'DropIndex', 'DropTrigger', 'ParseSchema', 'SetCookie',
  'Vacuum', 'IncrVacuum', 'VUpdate', 'VCreate', 'VDestroy', 'JournalMode', 'LoadAnalysis', 'SqlExec', 'Program',
]);
/**
 * Opcodes that write through a cursor: harmless on the temporary b-trees SQLite builds for DISTINCT,
 * ORDER BY, IN lists and subqueries, a write on any other cursor.
 */
const CURSOR_WRITES = new Set(['Insert', 'Delete', 'NewRowid', 'IdxInsert', 'IdxDelete', 'SorterInsert']);
const TEMPORARY_CURSORS = new Set(['OpenEphemeral', 'OpenAutoindex', 'SorterOpen', 'OpenPseudo', 'OpenDup']);

export interface SqliteOpcode {
  opcode: string;
  p1: number;
  p2: number;
  p3: number;
  p4: string | null;
}

/** The first keyword of a statement, skipping what SQLite skips: space, comments and parentheses. */
export function firstKeyword(sql: string): string {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s|\(/.test(c)) i++;
    else if (sql.startsWith('--', i)) i = sql.indexOf('\n', i) < 0 ? sql.length : sql.indexOf('\n', i) + 1;
    else if (sql.startsWith('/*', i)) i = sql.indexOf('*/', i + 2) < 0 ? sql.length : sql.indexOf('*/', i + 2) + 2;
    else break;
  }
  return /^[A-Za-z_]+/.exec(sql.slice(i))?.[0]?.toUpperCase() ?? '';
}

export function checkSqliteProgram(statementCount: number, statementSql: string, program: readonly SqliteOpcode[]): void {
  if (statementCount === 0) throw new ExecutionError('syntax', 'There is no query to run.', 'syntax error: empty query');
  if (statementCount > 1) {
    throw new ExecutionError('not-read-only', `Only one statement can run at a time; this has ${statementCount}.`, `not allowed: ${statementCount} statements, send exactly one`);
  }
  const keyword = firstKeyword(statementSql);
  if (!['SELECT', 'WITH', 'VALUES'].includes(keyword)) {
    throw new ExecutionError('not-read-only', `Only a single read-only query (SELECT, WITH … SELECT or VALUES) can run here; this is ${keyword || 'not a query'}.`, `not read-only: ${keyword || 'not a query'} statement`);
  }
  const temporary = new Set(program.filter((op) => TEMPORARY_CURSORS.has(op.opcode)).map((op) => op.p1));
  for (const op of program) {
    const write = WRITE_OPCODES.has(op.opcode) || (op.opcode === 'Transaction' && op.p2 !== 0) || (CURSOR_WRITES.has(op.opcode) && !temporary.has(op.p1));
    if (write) {
      throw new ExecutionError('not-read-only', 'This query would change the database (SQLite compiled it to a write); it was not run.', `not read-only: compiles to ${op.opcode}`);
    }
  }
}
