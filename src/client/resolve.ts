import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Logger } from 'pino'
import type { z } from 'zod'
import { NO_ALERTS, type ResolvedAlerts, type ResolvedJobAlerts } from '../alerts/options.js'
import type { Retention } from '../maintenance/retention.js'
import type { Backoff } from '../queue/types.js'
import { type CronSchedule, compileCron } from '../schedule/cron.js'
import type { SchedulePolicy } from '../schedule/fire.js'
import type { Queryable } from '../store/db.js'
import { DEFAULT_SCHEMA } from '../store/schema.js'
import type { Clock } from '../util/clock.js'
import { parse } from '../util/parse.js'
import type { CompletedRun, FailedRun } from '../worker/context.js'
import {
  enqueueSchema,
  jobName,
  jobSchema,
  type retrySchema,
  tickworkSchema,
} from './option-schemas.js'
import type { EnqueueOptions, JobOptions, TickworkOptions } from './options.js'

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
  prefetch: number
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
    prefetch: o.prefetch ?? 0,
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
