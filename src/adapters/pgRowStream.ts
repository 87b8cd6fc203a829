import type { ResultRow } from '../core/execution/result';

/** A column as PostgreSQL describes it (RowDescription). */
export interface PgField {
  name: string;
  dataTypeID: number;
  dataTypeModifier: number;
}

/** The part of pg's connection a submittable query writes to (what pg-cursor uses too). */
interface PgWire {
  parse(m: { text: string }, more?: boolean): void;
  bind(m: { portal: string; statement: string }, more?: boolean): void;
  describe(m: { type: 'P'; name: string }, more?: boolean): void;
  execute(m: { portal: string; rows: number }, more?: boolean): void;
  sync(): void;
  stream: { pause(): void; resume(): void; cork?(): void; uncork?(): void };
}

/** How much may wait unread before the socket is paused. */
export interface StreamLimits {
  rows: number;
  bytes: number;
}

/**
 * One query run to completion on the server, read with backpressure.
 *
 * Why not a cursor: PostgreSQL never gives parallel workers to a portal that may be suspended, and
 * an Execute with a row count (a cursor's read) is one, so every aggregation over a big table ran
 * on one core. Here the portal is executed once with no row limit, as plain `pg` does, and memory
 * is kept bounded on our side instead: once `limits` rows (or bytes) wait unread, the socket is
 * paused, TCP's flow control fills the server's send buffer and the backend blocks until we read
 * again. A result that is never read to the end must be stopped with a cancel (see `discard`).
 *
 * Implements pg's submittable interface (`client.query(stream)`).
 */
export class PgRowStream {
  /** Set once the server has described the result. */
  fields: PgField[] | undefined;
  private connection: PgWire | undefined;
  private parsers: Array<(v: string) => unknown> = [];
  private rows: ResultRow[] = [];
  private sizes: number[] = [];
  private bytes = 0;
  private error: Error | undefined;
  private ended = false;
  private paused = false;
  private discarding = false;
  private waiter: { n: number; wake: () => void } | undefined;

  constructor(private readonly text: string, private readonly parserFor: (oid: number) => (v: string) => unknown, private readonly limits: StreamLimits) {}

  /** Whether the server has sent all it will (the last row, or an error). */
  get done(): boolean {
    return this.ended || !!this.error;
  }

  submit(connection: PgWire): null {
    this.connection = connection;
    connection.stream.cork?.();
    try {
      connection.parse({ text: this.text }, true);
      connection.bind({ portal: '', statement: '' }, true);
      connection.describe({ type: 'P', name: '' }, true);
      // rows: 0 is "run to completion": the only Execute PostgreSQL plans parallel workers for.
      connection.execute({ portal: '', rows: 0 }, true);
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(msg: { fields: PgField[] }): void {
    this.fields = msg.fields;
    this.parsers = msg.fields.map((f) => this.parserFor(f.dataTypeID));
  }

  handleDataRow(msg: { fields: Array<string | null>; length?: number }): void {
    if (this.discarding) return;
    const row = new Array<unknown>(msg.fields.length);
    for (let i = 0; i < msg.fields.length; i++) {
      const v = msg.fields[i];
      row[i] = v === null || v === undefined ? null : this.parsers[i]!(v);
    }
    const size = msg.length ?? 0;
    this.rows.push(row as ResultRow);
    this.sizes.push(size);
    this.bytes += size;
    const wanted = this.waiter?.n ?? 0;
    if (!this.paused && this.rows.length >= wanted && (this.rows.length >= this.limits.rows || this.bytes >= this.limits.bytes)) {
      this.paused = true;
      this.connection!.stream.pause();
    }
    this.wakeIfReady();
  }

  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  /** pg sends no ReadyForQuery to a query that failed (the client's own handling takes it). */
  handleError(e: Error): void {
    this.error = e;
    this.resume();
    this.wakeIfReady();
  }

  handleReadyForQuery(): void {
    this.ended = true;
    this.wakeIfReady();
  }

  /**
   * Up to `n` rows: fewer only when the result has ended. An error the server sent is thrown as
   * soon as it is known, even with rows still unread: a query that failed has no result.
   */
  async read(n: number): Promise<ResultRow[]> {
    if (this.discarding) throw new Error('the result was discarded');
    if (!this.error && !this.ended && this.rows.length < n) {
      await new Promise<void>((wake) => {
        this.waiter = { n, wake };
        this.resume();
      });
    }
    if (this.error) throw this.error;
    // Discarded while waiting (closed, timed out, cancelled): those rows will never come.
    if (this.discarding) throw new Error('the result was discarded before it was read');
    const out = this.rows.splice(0, n);
    for (const s of this.sizes.splice(0, out.length)) this.bytes -= s;
    if (this.paused && this.rows.length < this.limits.rows / 2 && this.bytes < this.limits.bytes / 2) this.resume();
    return out;
  }

  /**
   * Drops what is buffered and whatever still comes, reading on so the connection reaches its
   * end. The caller cancels the query on the server first, or this reads the whole result.
   */
  discard(): void {
    this.discarding = true;
    this.rows = [];
    this.sizes = [];
    this.bytes = 0;
    this.resume();
    const w = this.waiter;
    this.waiter = undefined;
    w?.wake();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.connection?.stream.resume();
  }

  private wakeIfReady(): void {
    const w = this.waiter;
    if (w && (this.rows.length >= w.n || this.ended || this.error || this.discarding)) {
      this.waiter = undefined;
      w.wake();
    }
  }
}
