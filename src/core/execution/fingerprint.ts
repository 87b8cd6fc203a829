import { createHash } from 'node:crypto';
import { pagesOf, type ResultCursor, type ResultRow } from './result';

/**
 * A result's fingerprint for an approved pair: row count, column names, and a hash of the rows that
 * does not depend on their order. Each row's canonical JSON is hashed and the hashes are added
 * modulo 2^256, which keeps duplicates (a multiset, as Spider compares) and needs no sort, so a
 * result of any size is fingerprinted in one streaming pass.
 */
export class FingerprintBuilder {
  private sum = 0n;
  private rows = 0;

  constructor(private readonly columns: readonly string[]) {}

  add(rows: readonly ResultRow[]): void {
    for (const row of rows) {
      this.sum = (this.sum + BigInt(`0x${createHash('sha256').update(canonicalJson(row)).digest('hex')}`)) & MASK;
      this.rows++;
    }
  }

  finish(): ResultFingerprint {
    const digest = createHash('sha256')
      .update(`askdata-result-v1\n${this.rows}\n${JSON.stringify(this.columns)}\n${this.sum.toString(16).padStart(64, '0')}`)
      .digest('hex');
    return { rows: this.rows, columns: [...this.columns], fingerprint: `sha256:${digest}` };
  }
}

export interface ResultFingerprint {
  rows: number;
  columns: string[];
  fingerprint: string;
}

const MASK = (1n << 256n) - 1n;

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** Reads a cursor to its end, fingerprinting as it goes; nothing but the running sum is kept. */
export async function fingerprintCursor(cursor: ResultCursor): Promise<ResultFingerprint> {
  const builder = new FingerprintBuilder(cursor.first.columns.map((c) => c.name));
  for await (const page of pagesOf(cursor)) builder.add(page.rows);
  return builder.finish();
}
