import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Logger } from 'pino'
import type { AlertsOptions, JobAlertsOptions } from '../alerts/options.js'
import type { Overlap } from '../schedule/fire.js'
import type { CatchUp } from '../schedule/plan.js'
import type { Queryable } from '../store/db.js'
import type { Clock } from '../util/clock.js'
import type { Duration } from '../util/duration.js'
import type { CompletedRun, FailedRun, RunContext } from '../worker/context.js'

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
  /**
   * runs of this job each worker fetches beyond its free slots and holds, leased, until
   * a slot frees: fewer fetches when runs are many and short. The cost: a held run waits
   * behind this worker's slots (shown active, its attempt and `startedAt` counted from
   * the fetch) while another worker may be idle, and a higher-priority run enqueued
   * meanwhile starts after it. Default 0; not with `globalConcurrency` or `rateLimit`,
   * whose runs are claimed as each starts
   */
  prefetch?: number
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
