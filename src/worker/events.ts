import type { AttemptError, RunSource } from '../queue/types.js'

/** The events `tw.on` delivers, with what each carries. */
export interface TickworkEvents {
  /** a worker of this process took a run and calls its handler */
  'run:started': { id: string; job: string; attempt: number; source: RunSource }
  /** a run's handler succeeded and the completion was written */
  'run:completed': {
    id: string
    job: string
    attempt: number
    source: RunSource
    result: unknown
    durationMs: number
  }
  /** a run failed for good: attempts exhausted or a non-retryable error */
  'run:failed': {
    id: string
    job: string
    attempt: number
    source: RunSource
    error: AttemptError
    durationMs: number
  }
  /** an attempt failed and the run waits to be tried again at `retryAt` */
  'run:retrying': {
    id: string
    job: string
    attempt: number
    source: RunSource
    error: AttemptError
    retryAt: Date
    durationMs: number
  }
  /** a run's lease lapsed (its worker died or hung): it was taken back */
  'run:stalled': { id: string; job: string; attempt: number }
  /** a schedule tick (or a tick overlap 'queue' held back) enqueued a run */
  'schedule:run': { job: string; tick: Date; runId: string }
  /** a tick came while the previous run was unfinished, and overlap said skip */
  'schedule:skipped': { job: string; tick: Date; reason: 'overlap' }
  /** ticks no scheduler handled in time (downtime, startingDeadline); `more`: beyond those listed */
  'schedule:missed': { job: string; ticks: Date[]; more: boolean }
  /** `tw.lock.acquire` (or a trigger) found the lock held by someone else */
  'lock:contended': { name: string; holder: { owner: string; expiresAt: Date } }
  /** a background failure: a lost connection, a failed write; the worker goes on */
  error: Error
}

/** How the engine's parts report events to the `Tickwork` that owns them. */
export type Emit = <K extends keyof TickworkEvents>(event: K, data: TickworkEvents[K]) => void
