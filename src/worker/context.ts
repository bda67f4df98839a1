import type { Logger } from 'pino'
import type { Items } from '../items/each.js'
import type { ActiveRun } from '../queue/fetch.js'
import type { AttemptError, RunSource } from '../queue/types.js'
import type { Tx } from '../store/db.js'

/** What a handler knows of the run it executes. */
export interface RunInfo {
  id: string
  job: string
  attempt: number
  maxAttempts: number
  key: string | null
  priority: number
  source: RunSource
  createdAt: Date
  runAt: Date
  /** the schedule tick this run answers (for a backfill, the tick it stands for) */
  tick: Date | null
  /** the backfill it belongs to */
  backfill: string | null
}

/** What a handler is given. */
export interface RunContext<P = unknown> {
  payload: P
  /** aborts on timeout, on cancel, on shutdown past the grace period, and when the lease is lost */
  signal: AbortSignal
  /** pino, bound to job, runId and attempt */
  log: Logger
  /** stores progress (a number such as a percentage, or any JSON value) on the run */
  progress(value: unknown): Promise<void>
  /** this attempt's number, 1 for the first */
  attempt: number
  run: RunInfo
  /** a windowed job's span to process, `[from, to)`; undefined for other jobs */
  window: { from: Date; to: Date } | undefined
  /** per-item processing with an item log: `ctx.items.each(items, options, fn)` */
  items: Items
}

/**
 * What `onCompleted` gets: the transaction that records the run's completion, so what
 * the hook writes commits with it or not at all.
 */
export interface CompletedRun<P = unknown, R = unknown> {
  tx: Tx
  run: RunInfo
  payload: P
  /** what the handler returned */
  result: R
}

/** What `onFailed` gets: the transaction that records the run's failure for good. */
export interface FailedRun<P = unknown> {
  tx: Tx
  run: RunInfo
  payload: P
  /** the last attempt's error */
  error: AttemptError
}

export function runInfo(run: ActiveRun): RunInfo {
  return {
    id: run.id,
    job: run.job,
    attempt: run.attempt,
    maxAttempts: run.maxAttempts,
    key: run.key,
    priority: run.priority,
    source: run.source,
    createdAt: run.createdAt,
    runAt: run.runAt,
    tick: run.tick,
    backfill: run.backfill,
  }
}
