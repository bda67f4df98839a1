import { z } from 'zod'
import { RUN_STATES } from '../queue/types.js'
import { TICK_OUTCOMES } from '../schedule/ticks.js'

// What the API sends, as it looks on the wire (times are ISO strings): these write
// the OpenAPI document's responses.

const time = z.string().describe('ISO 8601 time')
const nullableTime = time.nullable()
const state = z.enum(RUN_STATES)

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('stable: VALIDATION, UNAUTHORIZED, NOT_FOUND, CONFLICT, LOCKED…'),
      message: z.string(),
      details: z.unknown(),
    }),
  })
  .meta({ id: 'Error' })

export const runSchema = z
  .object({
    id: z.string(),
    job: z.string(),
    state,
    payload: z.unknown(),
    result: z.unknown(),
    progress: z.unknown(),
    attempt: z.number().int(),
    maxAttempts: z.number().int(),
    errors: z.array(
      z.object({
        attempt: z.number().int(),
        name: z.string(),
        message: z.string(),
        stack: z.string().optional(),
        at: time,
      }),
    ),
    priority: z.number().int(),
    key: z.string().nullable(),
    source: z.enum(['api', 'schedule', 'manual', 'trigger', 'backfill', 'dead-letter']),
    createdAt: time,
    runAt: time,
    startedAt: nullableTime,
    finishedAt: nullableTime,
    tick: nullableTime,
    window: z.object({ from: time, to: time }).nullable(),
    backfill: z.string().nullable(),
  })
  .meta({ id: 'Run' })

export const countsSchema = z
  .object(Object.fromEntries(state.options.map((s) => [s, z.number().int()])))
  .meta({ id: 'RunCounts' })

export const scheduleSchema = z
  .object({
    job: z.string(),
    cron: z.string(),
    timezone: z.string(),
    paused: z.boolean(),
    nextAt: time,
    pending: nullableTime,
    declared: z.boolean(),
    updatedAt: time,
  })
  .meta({ id: 'Schedule' })

export const jobSchema = z
  .object({
    name: z.string(),
    definition: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('the options this server defines the job with; null when it does not define it'),
    schedule: scheduleSchema.extend({ next: z.array(time) }).nullable(),
    watermark: nullableTime,
    backlog: z.object({
      waiting: z.number().int(),
      delayed: z.number().int(),
      active: z.number().int(),
      oldestWaitingAt: nullableTime,
    }),
    recent: z
      .object({
        completed: z.number().int(),
        failed: z.number().int(),
        successRate: z.number().nullable(),
        meanDurationMs: z.number().nullable(),
      })
      .describe('the last 24 hours'),
    lastRun: z.object({ id: z.string(), state, finishedAt: time }).nullable(),
  })
  .meta({ id: 'Job' })

export const backfillSchema = z
  .object({
    id: z.string(),
    job: z.string(),
    from: time,
    to: time,
    state: z.enum(['running', 'completed', 'cancelled']),
    total: z.number().int(),
    enqueued: z.number().int(),
    existing: z.number().int(),
    live: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    createdAt: time,
    finishedAt: nullableTime,
  })
  .meta({ id: 'Backfill' })

export const enqueuedSchema = z.object({ id: z.string(), created: z.boolean() })

export const itemSchema = z.object({
  job: z.string(),
  scope: z.string(),
  key: z.string(),
  runId: z.string(),
  attempt: z.number().int(),
  ok: z.boolean(),
  error: z.object({ name: z.string(), message: z.string() }).nullable(),
  at: time,
})

export const lockSchema = z.object({ name: z.string(), owner: z.string(), expiresAt: time })

export const auditSchema = z.object({
  at: time,
  job: z.string(),
  action: z.string(),
  detail: z.record(z.string(), z.unknown()),
})

export const ticksSchema = z.object({
  ticks: z.array(
    z.object({
      at: time,
      outcome: z.enum(TICK_OUTCOMES),
      runId: z.string().nullable(),
      source: z.string(),
      recordedAt: time,
    }),
  ),
  next: time.optional().describe('pass back as before for the next page'),
  counts: z
    .object(Object.fromEntries(TICK_OUTCOMES.map((o) => [o, z.number().int()])))
    .describe('the last 24 hours'),
})

export const activitySchema = z.object({
  from: time,
  to: time,
  bucketMs: z.number().int(),
  jobs: z.array(
    z.object({
      job: z.string(),
      buckets: z.array(
        z.object({
          at: time.describe("the bucket's start"),
          completed: z.number().int(),
          failed: z.number().int(),
          cancelled: z.number().int(),
          meanMs: z.number().nullable(),
          maxMs: z.number().nullable(),
        }),
      ),
    }),
  ),
})

export const validationSchema = z.object({
  valid: z.boolean(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
})

// Request parts shared by several routes.

export const jobParam = z.object({ job: z.string().min(1).max(128) })
export const idParam = z.object({ id: z.string() })
/** a query number: sent as text */
export const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
/** a query boolean: sent as text */
export const queryBool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
