// The zod schemas behind the option types of options.ts: one place for every bound an
// option has, so a bad value is named by its path before anything is written.
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Logger } from 'pino'
import { z } from 'zod'
import { alertsSchema, jobAlertsSchema } from '../alerts/options.js'
import type { Queryable } from '../store/db.js'
import type { Clock } from '../util/clock.js'
import { durationSchema } from '../util/parse.js'
import { dateSchema } from './inputs.js'

const duration = durationSchema

// Postgres int columns hold these: past 2^31 - 1 the insert itself would fail
const INT_MAX = 2 ** 31 - 1
const positiveInt = z.number().int().min(1).max(INT_MAX)
const priority = z.number().int().min(-INT_MAX).max(INT_MAX)
const positiveDuration = duration.refine(
  (ms) => ms > 0 && ms <= INT_MAX,
  'must be above 0 and at most 24 days',
)

const YEAR_MS = 366 * 86_400_000
const yearSpan = duration.refine(
  (ms) => ms > 0 && ms <= YEAR_MS,
  'must be above 0 and at most 366 days',
)

export const retrySchema = z
  .object({
    attempts: z.number().int().min(1).max(10_000),
    backoff: z.enum(['fixed', 'exponential']),
    delay: duration,
    maxDelay: duration,
    jitter: z.number().min(0).max(1),
  })
  .partial()
  .strict()

const keepRule = z
  .object({ age: duration, count: z.number().int().min(0) })
  .partial()
  .strict()

export const jobName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/,
    'expected 1-128 letters, digits or . _ : / -, starting with a letter or digit',
  )

const fn = z.custom<(...args: never[]) => unknown>(
  (v) => typeof v === 'function',
  'expected a function',
)

const standardSchema = z.custom<StandardSchemaV1>(
  (v) => typeof v === 'object' && v !== null && '~standard' in v,
  'expected a Standard Schema (zod, valibot, arktype…)',
)

const instant = dateSchema

const scheduleObject = z
  .object({
    cron: z.string(),
    timezone: z.string().optional(),
    overlap: z.enum(['skip', 'queue', 'allow', 'cancel-previous']).optional(),
    catchUp: z.enum(['latest', 'all', 'none']).optional(),
    // compared in memory only: a monthly job may look back over a whole month and more
    catchUpWindow: yearSpan.optional(),
    startingDeadline: yearSpan.optional(),
    jitter: duration.refine((ms) => ms <= INT_MAX, 'at most 24 days').optional(),
  })
  .strict()

const scheduleSchema = z.union([
  z.string().transform((cron): z.output<typeof scheduleObject> => ({ cron })),
  scheduleObject,
])

const windowSchema = z
  .object({
    lookback: duration.refine((ms) => ms <= 100 * 365 * 86_400_000, 'at most 100 years'),
    maxSpan: duration.refine((ms) => ms > 0, 'must be above 0'),
    start: instant,
  })
  .partial()
  .strict()

export const jobSchema = z
  .object({
    run: fn,
    payload: standardSchema.optional(),
    priority: priority.optional(),
    retry: retrySchema.optional(),
    timeout: positiveDuration.optional(),
    concurrency: positiveInt.max(10_000).optional(),
    prefetch: z.number().int().min(0).max(10_000).optional(),
    globalConcurrency: positiveInt.optional(),
    rateLimit: z.object({ max: positiveInt, per: positiveDuration }).strict().optional(),
    keep: z
      .object({
        completed: z.union([z.literal(false), keepRule]),
        failed: keepRule,
        cancelled: keepRule,
      })
      .partial()
      .strict()
      .optional(),
    deadLetter: jobName.optional(),
    isRetryable: fn.optional(),
    onCompleted: fn.optional(),
    onFailed: fn.optional(),
    schedule: scheduleSchema.optional(),
    window: windowSchema.optional(),
    alerts: jobAlertsSchema.optional(),
  })
  .strict()
  .refine((o) => !o.prefetch || (!o.globalConcurrency && !o.rateLimit), {
    message:
      'cannot be combined with globalConcurrency or rateLimit: their runs are claimed as each starts',
    path: ['prefetch'],
  })
  .refine((o) => !o.window || typeof o.schedule !== 'object' || o.schedule.overlap !== 'allow', {
    message: "a windowed job runs one window at a time: use 'skip', 'queue' or 'cancel-previous'",
    path: ['schedule', 'overlap'],
  })

export const enqueueSchema = z
  .object({
    runAt: instant.optional(),
    delay: duration.refine((ms) => ms <= 100 * 365 * 86_400_000, 'at most 100 years').optional(),
    priority: priority.optional(),
    key: z.string().min(1).max(512).optional(),
    retry: retrySchema.optional(),
    timeout: positiveDuration.optional(),
    deadLetter: jobName.optional(),
    tx: z
      .custom<Queryable>(
        (v) => typeof (v as Queryable)?.query === 'function',
        'expected a client with query()',
      )
      .optional(),
  })
  .strict()
  .refine((o) => o.runAt === undefined || o.delay === undefined, {
    message: 'give runAt or delay, not both',
    path: ['delay'],
  })

export const tickworkSchema = z
  .object({
    database: z.string().optional(),
    schema: z.string().optional(),
    clock: z
      .custom<Clock>((v) => typeof (v as Clock)?.now === 'function', 'expected { now(): number }')
      .optional(),
    logger: z
      .union([
        z.literal(false),
        z.custom<Logger>(
          (v) => typeof (v as Logger)?.child === 'function',
          'expected a pino logger',
        ),
      ])
      .optional(),
    migrate: z.boolean().optional(),
    pollInterval: duration.refine((ms) => ms >= 10, 'must be at least 10 ms').optional(),
    leaseTime: duration.refine((ms) => ms >= 100, 'must be at least 100 ms').optional(),
    maintenanceInterval: duration.refine((ms) => ms >= 10, 'must be at least 10 ms').optional(),
    poolSize: positiveInt.max(1000).optional(),
    workerId: z.string().min(1).optional(),
    locks: z
      .union([
        z.literal('postgres'),
        z
          .object({
            redis: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL'),
          })
          .strict(),
      ])
      .optional(),
    alerts: alertsSchema.optional(),
  })
  .strict()
