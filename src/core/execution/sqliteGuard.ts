import { firstKeyword } from '../sql/keywords';
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

/** Checks what the compiler said about the text: one statement, and a query. Before EXPLAIN runs. */
export function checkSqliteStatements(statementCount: number, statementSql: string): void {
  if (statementCount === 0) throw new ExecutionError('syntax', 'There is no query to run.', 'syntax error: empty query');
  if (statementCount > 1) {
    throw new ExecutionError('not-read-only', `Only one statement can run at a time; this has ${statementCount}.`, `not allowed: ${statementCount} statements, send exactly one`);
  }
  const keyword = firstKeyword(statementSql);
  if (!['SELECT', 'WITH', 'VALUES'].includes(keyword)) {
    throw new ExecutionError('not-read-only', `Only a single read-only query (SELECT, WITH … SELECT or VALUES) can run here; this is ${keyword || 'not a query'}.`, `not read-only: ${keyword || 'not a query'} statement`);
  }
}

/** Checks the compiled program of a statement that passed {@link checkSqliteStatements}. */
export function checkSqliteProgram(program: readonly SqliteOpcode[]): void {
  const temporary = new Set(program.filter((op) => TEMPORARY_CURSORS.has(op.opcode)).map((op) => op.p1));
  for (const op of program) {
    const write = WRITE_OPCODES.has(op.opcode) || (op.opcode === 'Transaction' && op.p2 !== 0) || (CURSOR_WRITES.has(op.opcode) && !temporary.has(op.p1));
    if (write) {
      throw new ExecutionError('not-read-only', 'This query would change the database (SQLite compiled it to a write); it was not run.', `not read-only: compiles to ${op.opcode}`);
    }
  }
}
