// The API's answers as they arrive over the wire (times are ISO strings): the types of
// the very schemas that validate the server's side and write its OpenAPI document, so
// the two cannot drift apart. Type imports only: no server code enters the bundle.
import type { z } from 'zod'
import type {
  activitySchema,
  backfillSchema,
  itemSchema,
  jobSchema,
  runSchema,
  scheduleSchema,
  ticksSchema,
} from '../../http/schemas'

export { RUN_STATES, type RunState } from '../../queue/types'

export type Scope = 'admin' | 'read'

export interface Issue {
  path: string
  message: string
}

export type Schedule = z.output<typeof scheduleSchema>

/** How long finished runs of one state are kept; null: no such bound. */
export interface KeepRule {
  ageMs: number | null
  count: number | null
}

/** `definition` in the schema is any JSON object; this is what the server puts in it. */
export interface Definition {
  priority?: number
  attempts?: number
  backoff?: { type: string; delayMs: number; maxDelayMs: number; jitter: number }
  timeoutMs?: number | null
  concurrency?: number
  prefetch?: number
  globalConcurrency?: number | null
  rateLimit?: { max: number; perMs: number } | null
  deadLetter?: string | null
  keep?: { completed: KeepRule | false; failed: KeepRule; cancelled: KeepRule }
  window?: { lookbackMs: number; maxSpanMs: number | null } | null
  schedule?:
    | ({ cron: string; timezone: string; overlap: string; catchUp: string } & Record<
        string,
        unknown
      >)
    | null
  payloadSchema?: unknown
}

export type Job = Omit<z.output<typeof jobSchema>, 'definition'> & {
  definition: Definition | null
}

export type Run = z.output<typeof runSchema>

/** `GET /api/runs`: a page, and the cursor of the next one (absent on the last). */
export interface Page<T> {
  runs: T[]
  next?: string
}

export type Item = z.output<typeof itemSchema>

/** `GET /api/runs/:id/items`: the items asked for, and counts over all the run's items. */
export interface ItemPage {
  items: Item[]
  counts: { ok: number; failed: number }
}

export type Activity = z.output<typeof activitySchema>
export type Bucket = Activity['jobs'][number]['buckets'][number]

export type Ticks = z.output<typeof ticksSchema>
export type Tick = Ticks['ticks'][number]
export type TickOutcome = Tick['outcome']

export type Backfill = z.output<typeof backfillSchema>
