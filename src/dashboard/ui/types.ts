// The API's answers as they arrive over the wire (times are ISO strings).

export const RUN_STATES = [
  'waiting',
  'delayed',
  'active',
  'completed',
  'failed',
  'cancelled',
] as const
export type RunState = (typeof RUN_STATES)[number]
export type Scope = 'admin' | 'read'

export interface Issue {
  path: string
  message: string
}

export interface Schedule {
  job: string
  cron: string
  timezone: string
  paused: boolean
  nextAt: string
  pending: string | null
  declared: boolean
  updatedAt: string
}

export interface Definition {
  priority?: number
  attempts?: number
  backoff?: { type: string; delayMs: number; maxDelayMs: number; jitter: number }
  timeoutMs?: number | null
  concurrency?: number
  globalConcurrency?: number | null
  rateLimit?: { max: number; perMs: number } | null
  deadLetter?: string | null
  window?: { lookbackMs: number; maxSpanMs: number | null } | null
  schedule?:
    | ({ cron: string; timezone: string; overlap: string; catchUp: string } & Record<
        string,
        unknown
      >)
    | null
  payloadSchema?: unknown
}

export interface Job {
  name: string
  definition: Definition | null
  schedule: (Schedule & { next: string[] }) | null
  watermark: string | null
  backlog: { waiting: number; delayed: number; active: number; oldestWaitingAt: string | null }
  recent: {
    completed: number
    failed: number
    successRate: number | null
    meanDurationMs: number | null
  }
  lastRun: { id: string; state: RunState; finishedAt: string } | null
}

interface AttemptError {
  attempt: number
  name: string
  message: string
  stack?: string
  at: string
}

export interface Run {
  id: string
  job: string
  state: RunState
  payload: unknown
  result: unknown
  progress: unknown
  attempt: number
  maxAttempts: number
  errors: AttemptError[]
  priority: number
  key: string | null
  source: string
  createdAt: string
  runAt: string
  startedAt: string | null
  finishedAt: string | null
  tick: string | null
  window: { from: string; to: string } | null
  backfill: string | null
}

export interface Page<T> {
  runs: T[]
  next?: string
}

export interface Item {
  job: string
  scope: string
  key: string
  runId: string
  attempt: number
  ok: boolean
  error: { name: string; message: string } | null
  at: string
}

/** `GET /api/runs/:id/items`: the items asked for, and counts over all the run's items. */
export interface ItemPage {
  items: Item[]
  counts: { ok: number; failed: number }
}

export interface Bucket {
  at: string
  completed: number
  failed: number
  cancelled: number
  meanMs: number | null
  maxMs: number | null
}

export interface Activity {
  from: string
  to: string
  bucketMs: number
  jobs: { job: string; buckets: Bucket[] }[]
}

export type TickOutcome = 'run' | 'skipped' | 'queued' | 'missed'

export interface Tick {
  at: string
  outcome: TickOutcome
  runId: string | null
  source: string
  recordedAt: string
}

export interface Ticks {
  ticks: Tick[]
  next?: string
  counts: Record<TickOutcome, number>
}

export interface Backfill {
  id: string
  job: string
  from: string
  to: string
  state: 'running' | 'completed' | 'cancelled'
  total: number
  enqueued: number
  existing: number
  live: number
  completed: number
  failed: number
  cancelled: number
  createdAt: string
  finishedAt: string | null
}
