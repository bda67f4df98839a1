/**
 * Anything that runs a parameterised query: tickwork's own `Db` and transactions, a
 * node-postgres `Client` or `PoolClient`, a PGlite instance. Enqueueing through the
 * caller's own transaction handle is what makes "save the order and queue its email"
 * atomic.
 */
export interface Queryable {
  // biome-ignore lint/suspicious/noExplicitAny: rows are typed by each caller
  query<R = any>(text: string, params?: unknown[]): Promise<{ rows: R[] }>
}

/** A transaction handle: queries, plus multi-statement scripts for migrations. */
export interface Tx extends Queryable {
  exec(script: string): Promise<void>
}

/** Called with each notification's payload. */
export type NotifyHandler = (payload: string) => void

/**
 * The store tickwork runs on. Two drivers implement it: `pg` (a Postgres server) and
 * PGlite (embedded). The same SQL runs on both.
 */
export interface Db extends Queryable {
  readonly driver: 'pg' | 'pglite'
  /**
   * Runs a hot-path query as a named prepared statement where the driver supports
   * it; `name` must be unique per text.
   */
  // biome-ignore lint/suspicious/noExplicitAny: rows are typed by each caller
  prepared<R = any>(name: string, text: string, params: unknown[]): Promise<{ rows: R[] }>
  /**
   * Runs a worker's bookkeeping statement (claim, complete, lease renewal): prepared,
   * and committed without waiting for the WAL flush. Losing such a commit in a database
   * crash makes a run execute again, never disappear, which at-least-once allows.
   * Never for anything that creates a run.
   */
  // biome-ignore lint/suspicious/noExplicitAny: rows are typed by each caller
  relaxed<R = any>(name: string, text: string, params: unknown[]): Promise<{ rows: R[] }>
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>
  /**
   * Subscribes to a channel. `onReconnect` fires after the listening connection was
   * lost and re-established: notifications may have been missed in between.
   * Resolves to a function that unsubscribes.
   */
  listen(
    channel: string,
    onNotify: NotifyHandler,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>
  notify(channel: string, payload: string): Promise<void>
  /** Closes every connection; idempotent. */
  close(): Promise<void>
}
