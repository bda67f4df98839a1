import type { AttemptError } from '../queue/types.js'

/** The events `tw.on` delivers, with what each carries. */
export interface TickworkEvents {
  /** a run's handler succeeded and the completion was written */
  'run:completed': { id: string; job: string; attempt: number; result: unknown; durationMs: number }
  /** a run failed for good: attempts exhausted or a non-retryable error */
  'run:failed': { id: string; job: string; attempt: number; error: AttemptError }
  /** an attempt failed and the run waits to be tried again at `retryAt` */
  'run:retrying': { id: string; job: string; attempt: number; error: AttemptError; retryAt: Date }
  /** a run's lease lapsed (its worker died or hung): it was taken back */
  'run:stalled': { id: string; job: string; attempt: number }
  /** a background failure: a lost connection, a failed write; the worker goes on */
  error: Error
}

/** How the engine's parts report events to the `Tickwork` that owns them. */
export type Emit = <K extends keyof TickworkEvents>(event: K, data: TickworkEvents[K]) => void
