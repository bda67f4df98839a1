/** Where a run came from. */
export type RunSource = 'api' | 'schedule' | 'manual' | 'trigger' | 'backfill' | 'dead-letter'

/** Every state a run can be in, in the order of its life. */
export const RUN_STATES = [
  'waiting',
  'delayed',
  'active',
  'completed',
  'failed',
  'cancelled',
] as const

/** A run's state. `delayed` is waiting with a start time in the future (retry backoff included). */
export type RunState = (typeof RUN_STATES)[number]

/** One failed attempt, as kept on the run. */
export interface AttemptError {
  attempt: number
  name: string
  message: string
  stack?: string
  /** ISO time the attempt failed */
  at: string
}

/** How a failed attempt waits before the next, as stored on each run. */
export interface Backoff {
  type: 'fixed' | 'exponential'
  delayMs: number
  maxDelayMs: number
  /** 0..1: the share of each delay that is randomised away */
  jitter: number
}

/** A run as `tw.runs.get` and `tw.runs.list` return it. */
export interface Run<P = unknown, R = unknown> {
  id: string
  job: string
  state: RunState
  payload: P
  result: R | null
  progress: unknown
  /** attempts started so far (1 during the first) */
  attempt: number
  maxAttempts: number
  errors: AttemptError[]
  priority: number
  key: string | null
  source: RunSource
  createdAt: Date
  /** when it may start (or started, once active) */
  runAt: Date
  startedAt: Date | null
  finishedAt: Date | null
  /** the schedule tick it answers (or, in a backfill, stands for) */
  tick: Date | null
  /** the window `[from, to)` a windowed run processes */
  window: { from: Date; to: Date } | null
  /** the backfill it belongs to */
  backfill: string | null
}

/** Counts of runs by state. */
export type RunCounts = Record<RunState, number>
