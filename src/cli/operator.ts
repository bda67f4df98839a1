import type { BackfillStatus } from '../backfill/backfill.js'
import type { JobInfo } from '../client/jobs.js'
import type { Triggered } from '../client/trigger.js'
import type { LockInfo } from '../lock/lock.js'
import type { Run, RunState } from '../queue/types.js'
import type { ScheduleInfo } from '../schedule/control.js'
import type { Wire } from './output.js'

/** Which runs `runs` lists. */
export interface RunFilter {
  job?: string
  state?: RunState
  limit?: number
  cursor?: string
}

/** A backfill's range and options. */
export interface BackfillRange {
  from: string
  to: string
  concurrency?: number
  payload?: unknown
}

/**
 * What the CLI's commands do, whether straight on the database (a `Tickwork`) or
 * through a server's HTTP API. Both answer in JSON terms (dates as ISO strings) and
 * throw the same typed errors, so a command prints and exits alike either way.
 */
export interface Operator {
  /** where it acts, for messages: the database (no password) or the server's URL */
  readonly target: string
  jobs(): Promise<Wire<JobInfo>[]>
  /** Throws `NotFoundError` for a job neither the definitions nor the database know. */
  job(name: string): Promise<Wire<JobInfo>>
  runs(filter: RunFilter): Promise<{ runs: Wire<Run>[]; next?: string }>
  /** Throws `NotFoundError` for an unknown id. */
  run(id: string): Promise<Wire<Run>>
  /** With `wait`, resolves once the run ended, with the run. */
  trigger(job: string, payload: unknown, wait: boolean): Promise<Wire<Triggered>>
  retry(id: string): Promise<Wire<Run>>
  retryFailed(filter: { job?: string; from?: string; to?: string }): Promise<string[]>
  cancel(id: string): Promise<Wire<Run>>
  pause(job: string): Promise<Wire<ScheduleInfo>>
  resume(job: string): Promise<Wire<ScheduleInfo>>
  updateSchedule(
    job: string,
    change: { cron?: string; timezone?: string },
  ): Promise<Wire<ScheduleInfo>>
  next(job: string, n: number): Promise<string[]>
  watermark(job: string): Promise<string | null>
  setWatermark(job: string, value: string): Promise<string | null>
  /** Starts a backfill; its status right after. */
  backfill(job: string, range: BackfillRange): Promise<Wire<BackfillStatus>>
  /** Follows a backfill until it ends, reporting each poll; the final status. */
  waitBackfill(
    id: string,
    onProgress: (s: Wire<BackfillStatus>) => void,
  ): Promise<Wire<BackfillStatus>>
  locks(): Promise<Wire<LockInfo>[]>
  clearLock(name: string): Promise<boolean>
  /**
   * Direct only: runs a worker in this process for the jobs the config defines, until
   * `close`: for a backfill where no worker runs (a serverless deployment).
   */
  work?(): Promise<void>
  /** Frees what it holds (connections; a worker started by `work`, gracefully). */
  close(): Promise<void>
}
