import type { Logger } from 'pino'
import type { ActiveRun } from '../queue/fetch.js'
import type { RunSource } from '../queue/types.js'

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
  }
}
