import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Logger } from 'pino'
import { z } from 'zod'
import {
  type AlertsOptions,
  alertsSchema,
  type JobAlertsOptions,
  jobAlertsSchema,
  NO_ALERTS,
  type ResolvedAlerts,
  type ResolvedJobAlerts,
} from '../alerts/options.js'
import type { Retention } from '../maintenance/retention.js'
import type { Backoff } from '../queue/types.js'
import { type CronSchedule, compileCron } from '../schedule/cron.js'
import type { Overlap, SchedulePolicy } from '../schedule/fire.js'
import type { CatchUp } from '../schedule/plan.js'
import type { Queryable } from '../store/db.js'
import { DEFAULT_SCHEMA } from '../store/schema.js'
import type { Clock } from '../util/clock.js'
import type { Duration } from '../util/duration.js'
import { durationSchema, parse } from '../util/parse.js'
import type { CompletedRun, FailedRun, RunContext } from '../worker/context.js'
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

const retrySchema = z
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

const jobName = z
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

const jobSchema = z
  .object({
    run: fn,
    payload: standardSchema.optional(),
    priority: priority.optional(),
    retry: retrySchema.optional(),
    timeout: positiveDuration.optional(),
    concurrency: positiveInt.max(10_000).optional(),
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
  .refine((o) => !o.window || typeof o.schedule !== 'object' || o.schedule.overlap !== 'allow', {
    message: "a windowed job runs one window at a time: use 'skip', 'queue' or 'cancel-previous'",
    path: ['schedule', 'overlap'],
  })

const enqueueSchema = z
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

const tickworkSchema = z
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

/** Retry policy: attempts (the first included), and the wait between them. */
export interface RetryOptions {
  /** attempts in all, the first included; default 3 */
  attempts?: number
  /** default 'exponential' */
  backoff?: 'fixed' | 'exponential'
  /** the first wait; default '1s' */
  delay?: Duration
  /** the longest wait; default '1h' */
  maxDelay?: Duration
  /** 0..1, the share of each wait randomised away; default 0 */
  jitter?: number
}

/** How long finished runs are kept; giving a rule for a state replaces its default. */
export interface KeepOptions {
  /** default `{ age: '24h', count: 1000 }`; `false` keeps none */
  completed?: false | { age?: Duration; count?: number }
  /** default `{ age: '7d' }` */
  failed?: { age?: Duration; count?: number }
  /** default `{ age: '7d' }` */
  cancelled?: { age?: Duration; count?: number }
}

/** A job's definition: its handler and the options its runs get unless enqueue says otherwise. */
export interface JobOptions<P = unknown, R = unknown> {
  /** the handler; what it returns is kept as the run's result */
  run(ctx: RunContext<P>): Promise<R> | R
  /** validates (and may transform) each payload at enqueue: any Standard Schema */
  payload?: StandardSchemaV1<unknown, P>
  /** higher runs first; default 0 */
  priority?: number
  retry?: RetryOptions
  /** abort and fail an attempt running longer than this */
  timeout?: Duration
  /** handlers of this job running at once in each process; default 1 */
  concurrency?: number
  /** active runs of this job at once across all processes */
  globalConcurrency?: number
  /** at most `max` starts per `per` across all processes */
  rateLimit?: { max: number; per: Duration }
  keep?: KeepOptions
  /** a job to enqueue with the payload and error when a run fails for good */
  deadLetter?: string
  /** run on a cron schedule: an expression (UTC), or the expression with its options */
  schedule?: string | ScheduleOptions
  /** process time windows incrementally: the handler gets `window: { from, to }` */
  window?: WindowOptions
  /** this job's alert webhooks and threshold, added to the global ones; `on: false` silences it */
  alerts?: JobAlertsOptions
  /**
   * Decides whether an error may be retried. Without it, `TypeError`, `SyntaxError`
   * and `ValidationError` fail the run at once; `PermanentError` always does.
   */
  isRetryable?(err: unknown): boolean
  /**
   * Runs in the transaction that records the run's completion: what it writes with
   * `tx` commits with the completion or not at all (a credential marked confirmed
   * exactly when its write's run completed). If it throws, nothing of either commits
   * and the attempt fails with its error, retried as any other.
   */
  onCompleted?(end: CompletedRun<P, R>): Promise<unknown> | unknown
  /**
   * Runs in the transaction that fails the run for good: after its last attempt, on a
   * `PermanentError`, or when the stalled-run sweep gives up a run whose process died
   * (a sweep in a process that does not define the job leaves that to one that does).
   * If it throws, the failure is not written and is tried again (the worker keeps the
   * run meanwhile), so a failed run is never left without its hook's write.
   */
  onFailed?(end: FailedRun<P>): Promise<unknown> | unknown
}

/** When a job runs on its own, and what happens to ticks that cannot run as planned. */
export interface ScheduleOptions {
  /** 5 fields, 6 with seconds first, or a nickname such as '@daily' */
  cron: string
  /** an IANA time zone; default 'UTC' */
  timezone?: string
  /**
   * a tick while the previous run (from the schedule or a trigger) is unfinished:
   * 'skip' it (default; recorded as skipped), 'queue' it (one kept pending until the
   * previous ends), 'allow' it to run alongside, or 'cancel-previous'
   */
  overlap?: Overlap
  /**
   * ticks missed while no scheduler ran: 'latest' runs the most recent (default), 'all'
   * runs every one within `catchUpWindow`, 'none' runs none
   */
  catchUp?: CatchUp
  /** with catchUp 'all': how far back missed ticks still run; default '1d' */
  catchUpWindow?: Duration
  /** a tick that cannot start within this after its time is recorded as missed */
  startingDeadline?: Duration
  /** start each scheduled run up to this much after its tick, at random; default 0 */
  jitter?: Duration
}

/** Incremental processing: each run gets the span since the last successful one. */
export interface WindowOptions {
  /** `to` is the tick time minus this, so late-arriving data is not cut off; default 0 */
  lookback?: Duration
  /** a longer gap is split into consecutive windows of at most this, oldest first */
  maxSpan?: Duration
  /** where the first run starts; default its own `to` (the first run processes nothing) */
  start?: Date | string
}

/** Options of one enqueue; they override the job's. */
export interface EnqueueOptions {
  /** start no earlier than this */
  runAt?: Date | string
  /** start no earlier than this long from now */
  delay?: Duration
  priority?: number
  /** idempotency key: while a run of this job with this key waits or runs, enqueue returns it */
  key?: string
  retry?: RetryOptions
  timeout?: Duration
  deadLetter?: string
  /** enqueue inside this transaction: a `pg` client, or one from `tw.transaction` */
  tx?: Queryable
}

/** Options of `new Tickwork()`. */
export interface TickworkOptions {
  /** a postgres:// URL, or 'pglite:<folder>' / 'memory://' for the embedded store; default: embedded in ./.tickwork */
  database?: string
  /** the schema of tickwork's tables; default 'tickwork' */
  schema?: string
  /** where time is read; default the system clock */
  clock?: Clock
  /** a pino logger, or false for none; default pino at level info */
  logger?: Logger | false
  /** apply migrations when first used; default true */
  migrate?: boolean
  /** how often an idle worker looks for due runs, notifications aside; default '1s' */
  pollInterval?: Duration
  /** how long a worker holds a run without renewing; default '30s' */
  leaseTime?: Duration
  /** how often retention runs (one process does it); default '1m' */
  maintenanceInterval?: Duration
  /** connections in the pool (postgres:// only); default 10 */
  poolSize?: number
  /** this process's name in the runs it holds; default host:pid:random */
  workerId?: string
  /**
   * where `tw.lock` and the trigger endpoint keep their leases: 'postgres' (default,
   * the store's `locks` table) or `{ redis: 'redis://…' }` (keys named as the locks)
   */
  locks?: 'postgres' | { redis: string }
  /**
   * webhooks told when a run fails for good, times out, runs slower than `slowRun`, or
   * a tick is missed; JSON or Slack's form, retried with backoff
   */
  alerts?: AlertsOptions
}

/** A job definition with every option validated, defaults applied and durations in ms. */
export interface ResolvedJob {
  name: string
  run: JobOptions['run']
  payload: StandardSchemaV1 | undefined
  priority: number
  backoff: Backoff
  attempts: number
  timeoutMs: number | null
  concurrency: number
  shared: { concurrency: number | null; rate: { max: number; perMs: number } | null } | null
  keep: Retention
  keepCompleted: boolean
  deadLetter: string | null
  isRetryable: ((err: unknown) => boolean) | undefined
  onCompleted: ((end: CompletedRun) => unknown) | undefined
  onFailed: ((end: FailedRun) => unknown) | undefined
  schedule: ResolvedSchedule | null
  window: ResolvedWindow | null
  alerts: ResolvedJobAlerts | null
}

/** A job's schedule, validated and compiled. */
export interface ResolvedSchedule extends SchedulePolicy {
  cron: CronSchedule
}

/** A job's window options, in ms. */
export interface ResolvedWindow {
  lookbackMs: number
  maxSpanMs: number | null
  start: Date | null
}

export const DEFAULT_KEEP: Retention = {
  completed: { ageMs: 86_400_000, count: 1000 },
  failed: { ageMs: 7 * 86_400_000, count: null },
  cancelled: { ageMs: 7 * 86_400_000, count: null },
}

type RetryParsed = z.output<typeof retrySchema>

function resolveRetry(
  base: { attempts: number; backoff: Backoff },
  over: RetryParsed | undefined,
): { attempts: number; backoff: Backoff } {
  if (!over) return { attempts: base.attempts, backoff: base.backoff }
  return {
    attempts: over.attempts ?? base.attempts,
    backoff: {
      type: over.backoff ?? base.backoff.type,
      delayMs: over.delay ?? base.backoff.delayMs,
      maxDelayMs: over.maxDelay ?? base.backoff.maxDelayMs,
      jitter: over.jitter ?? base.backoff.jitter,
    },
  }
}

const DEFAULT_RETRY = {
  attempts: 3,
  backoff: { type: 'exponential', delayMs: 1000, maxDelayMs: 3_600_000, jitter: 0 } as Backoff,
}

const rule = (r: { age?: number; count?: number } | undefined, fallback: Retention['failed']) =>
  r ? { ageMs: r.age ?? null, count: r.count ?? null } : fallback

/** Validates a job definition. Throws `ValidationError` naming each bad option. */
export function resolveJob(name: string, options: JobOptions<never, unknown>): ResolvedJob {
  parse(jobName, name, 'job name', 'name')
  const o = parse(jobSchema, options, `options of job '${name}'`)
  const retry = resolveRetry(DEFAULT_RETRY, o.retry)
  const completed = o.keep?.completed
  return {
    name,
    run: o.run as JobOptions['run'],
    payload: o.payload,
    priority: o.priority ?? 0,
    ...retry,
    timeoutMs: o.timeout ?? null,
    concurrency: o.concurrency ?? 1,
    shared:
      o.globalConcurrency || o.rateLimit
        ? {
            concurrency: o.globalConcurrency ?? null,
            rate: o.rateLimit ? { max: o.rateLimit.max, perMs: o.rateLimit.per } : null,
          }
        : null,
    keep: {
      completed:
        completed === false ? { ageMs: null, count: 0 } : rule(completed, DEFAULT_KEEP.completed),
      failed: rule(o.keep?.failed, DEFAULT_KEEP.failed),
      cancelled: rule(o.keep?.cancelled, DEFAULT_KEEP.cancelled),
    },
    keepCompleted: completed !== false,
    deadLetter: o.deadLetter ?? null,
    isRetryable: o.isRetryable as ResolvedJob['isRetryable'],
    onCompleted: o.onCompleted as ResolvedJob['onCompleted'],
    onFailed: o.onFailed as ResolvedJob['onFailed'],
    schedule: o.schedule
      ? {
          cron: compileCron(o.schedule.cron, o.schedule.timezone ?? 'UTC'),
          overlap: o.schedule.overlap ?? 'skip',
          catchUp: o.schedule.catchUp ?? 'latest',
          catchUpWindowMs: o.schedule.catchUpWindow ?? 86_400_000,
          startingDeadlineMs: o.schedule.startingDeadline ?? null,
          jitterMs: o.schedule.jitter ?? 0,
        }
      : null,
    window: o.window
      ? {
          lookbackMs: o.window.lookback ?? 0,
          maxSpanMs: o.window.maxSpan ?? null,
          start: o.window.start ?? null,
        }
      : null,
    alerts: o.alerts ?? null,
  }
}

/** Enqueue options validated and merged over the job's, ready to insert. */
export interface ResolvedEnqueue {
  runAt: Date | null
  delayMs: number | null
  priority: number
  key: string | null
  attempts: number
  backoff: Backoff
  timeoutMs: number | null
  deadLetter: string | null
  tx: Queryable | undefined
}

/** Validates enqueue options and merges them over the job's. Throws `ValidationError`. */
export function resolveEnqueue(
  job: ResolvedJob,
  options: EnqueueOptions | undefined,
  path = 'options',
): ResolvedEnqueue {
  const o = parse(enqueueSchema, options ?? {}, 'enqueue options', path)
  const retry = resolveRetry(job, o.retry)
  return {
    runAt: o.runAt ?? null,
    delayMs: o.delay ?? null,
    priority: o.priority ?? job.priority,
    key: o.key ?? null,
    ...retry,
    timeoutMs: o.timeout ?? job.timeoutMs,
    deadLetter: o.deadLetter ?? job.deadLetter,
    tx: o.tx,
  }
}

/** Tickwork's options, validated, with defaults. */
export interface ResolvedTickwork {
  database: string | undefined
  schema: string
  clock: Clock | undefined
  logger: Logger | false | undefined
  migrate: boolean
  pollIntervalMs: number
  leaseMs: number
  maintenanceMs: number
  poolSize: number | undefined
  workerId: string | undefined
  locks: 'postgres' | { redis: string }
  alerts: ResolvedAlerts
}

/** Validates `new Tickwork()` options. Throws `ValidationError` naming each bad option. */
export function resolveTickwork(options: TickworkOptions): ResolvedTickwork {
  const o = parse(tickworkSchema, options, 'tickwork options')
  return {
    database: o.database,
    schema: o.schema ?? DEFAULT_SCHEMA,
    clock: o.clock,
    logger: o.logger,
    migrate: o.migrate ?? true,
    pollIntervalMs: o.pollInterval ?? 1000,
    leaseMs: o.leaseTime ?? 30_000,
    maintenanceMs: o.maintenanceInterval ?? 60_000,
    poolSize: o.poolSize,
    workerId: o.workerId,
    locks: o.locks ?? 'postgres',
    alerts: o.alerts ?? NO_ALERTS,
  }
}
