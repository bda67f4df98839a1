import { hostname } from 'node:os'
import { type Logger, pino } from 'pino'
import type { BackfillStatus } from '../backfill/backfill.js'
import { ConflictError, NotFoundError, StateError } from '../errors.js'
import { type LockBackend, triggerLockName, triggerOwner } from '../lock/lock.js'
import { type Enqueued, insertRuns, type NewRun } from '../queue/enqueue.js'
import { saveHookFlags, saveLimits } from '../queue/limits.js'
import type { QueueStore } from '../queue/store.js'
import {
  declareSchedules,
  pauseSchedule,
  resumeSchedule,
  type ScheduleInfo,
} from '../schedule/control.js'
import { type AuditEntry, readAudit } from '../store/audit.js'
import type { Tx } from '../store/db.js'
import { latestVersion, migrate, schemaVersion } from '../store/migrate.js'
import { ident } from '../store/schema.js'
import { systemClock } from '../util/clock.js'
import type { Duration } from '../util/duration.js'
import { toMs } from '../util/duration.js'
import { TypedEmitter } from '../util/emitter.js'
import { parse } from '../util/parse.js'
import type { Emit, TickworkEvents } from '../worker/events.js'
import type { Backfill } from './backfill.js'
import { Backfills } from './backfills.js'
import { auditSchema } from './inputs.js'
import { ItemLog } from './items.js'
import { Job } from './job.js'
import { Jobs } from './jobs.js'
import { Locks } from './locks.js'
import type { EnqueueOptions, JobOptions, TickworkOptions } from './options.js'
import { type ResolvedJob, type ResolvedTickwork, resolveJob, resolveTickwork } from './resolve.js'
import { Roles, type StartOptions } from './roles.js'
import { Runs } from './runs.js'
import { Schedules } from './schedules.js'
import { openLocks, openStore } from './store.js'
import { type Triggered, type TriggerOptions, trigger } from './trigger.js'
import { Watermarks } from './watermarks.js'

/**
 * Cron schedules and durable background jobs on Postgres. Define jobs with `job()`,
 * enqueue runs, `start()` to work them, `stop()` to finish. The database opens (and
 * migrates) on first use.
 *
 * @example
 * const tw = new Tickwork({ database: process.env.DATABASE_URL })
 * const email = tw.job('email', { run: async ({ payload }) => send(payload) })
 * await email.enqueue({ to: 'a@b.c' })
 * await tw.start()
 */
export class Tickwork extends TypedEmitter<TickworkEvents> {
  /** inspect, retry and cancel runs */
  readonly runs: Runs
  /** read and change schedules at runtime */
  readonly schedules: Schedules
  /** the item log: per-item outcomes of runs */
  readonly items: ItemLog
  /** jobs as operators see them: definition, schedule, backlog, recent outcomes */
  readonly jobs: Jobs
  /** named leases with a time-to-live, shared by every process (Postgres or Redis) */
  readonly lock: Locks
  /** where each windowed job's processing has reached */
  readonly watermark: Watermarks
  /** the logger handlers' `log` is a child of */
  readonly logger: Logger
  readonly #o: ResolvedTickwork
  readonly #jobs = new Map<string, { def: ResolvedJob; job: Job<never> }>()
  readonly #definitions = new Map<string, ResolvedJob>()
  readonly #workerId: string
  #store: Promise<QueueStore> | undefined
  readonly #roles: Roles
  #locks: Promise<LockBackend> | undefined
  readonly #backfills: Backfills
  #phase: 'new' | 'started' | 'stopping' | 'closed' = 'new'
  /** jobs enqueued or dead-lettered here by name but defined elsewhere: defaults, resolved once */
  readonly #elsewhere = new Map<string, Job<unknown>>()
  readonly #host = {
    now: () => this.#now(),
    insert: (job: string, runs: NewRun[], tx: EnqueueOptions['tx']) => this.#insert(job, runs, tx),
  }
  #stopped: Promise<void> | undefined

  /** Throws `ValidationError` naming each bad option. Opens nothing yet. */
  constructor(options: TickworkOptions = {}) {
    super()
    this.#o = resolveTickwork(options)
    ident(this.#o.schema)
    this.logger =
      this.#o.logger ||
      pino({ enabled: this.#o.logger !== false, level: process.env.LOG_LEVEL ?? 'info' })
    this.#workerId =
      this.#o.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`
    this.runs = new Runs(() => this.#open())
    this.schedules = new Schedules(
      () => this.#open(),
      (job) => this.#jobs.get(job)?.def,
    )
    this.items = new ItemLog(() => this.#open())
    this.jobs = new Jobs(
      () => this.#open(),
      () => this.#defs(),
    )
    this.lock = new Locks(() => this.#lockBackend(), this.#emit)
    this.watermark = new Watermarks(
      () => this.#open(),
      (job) => this.#defined(job),
    )
    this.#roles = new Roles({
      tw: this,
      options: this.#o,
      jobs: () => this.#defs(),
      workerId: this.#workerId,
      logger: this.logger,
      emit: this.#emit,
      deadLetterRun: (job) => this.#deadLetterRun(job),
      topUpBackfills: (store) => this.#backfills.topUpAll(store, (err) => this.#emit('error', err)),
    })
    this.#backfills = new Backfills({
      open: () => this.#open(),
      defined: (job) => this.#defined(job),
      jobs: () => [...this.#jobs.keys()],
      now: () => this.#now(),
      wake: () => this.#roles.worker?.wake(),
    })
  }

  /**
   * Defines a job. Throws `ValidationError` for a bad name or option, `ConflictError`
   * when the name is taken, `StateError` once started.
   */
  job<P = unknown, R = unknown>(name: string, options: JobOptions<P, R>): Job<P> {
    if (this.#phase !== 'new') throw new StateError('define jobs before start()')
    if (this.#jobs.has(name))
      throw new ConflictError(`job '${name}' is already defined`, { job: name })
    const def = resolveJob(name, options as JobOptions<never, unknown>)
    const job = new Job<P>(def, this.#host)
    this.#jobs.set(name, { def, job: job as Job<never> })
    this.#definitions.set(name, def)
    return job
  }

  /**
   * Enqueues a run of a job by name. A job not defined in this process (defined by
   * the workers elsewhere) gets default options and no payload check. Throws as
   * `job.enqueue` does.
   */
  async enqueue(name: string, payload?: unknown, options?: EnqueueOptions): Promise<Enqueued> {
    return this.#job(name).enqueue(payload, options)
  }

  /** The job by name: defined here, or else one with default options (no payload check). */
  #job(name: string): Job<unknown> {
    const known = this.#jobs.get(name)?.job
    if (known) return known as Job<unknown>
    let job = this.#elsewhere.get(name)
    if (!job) {
      job = new Job<unknown>(resolveJob(name, { run: () => {} }), this.#host)
      this.#elsewhere.set(name, job)
    }
    return job
  }

  /**
   * Runs a job now, whatever its schedule; a windowed job's run gets the window from
   * its watermark to now minus lookback. With `lock`, under the job's trigger lock;
   * with `wait`, in this process, resolving once the run ended. Throws `NotFoundError`
   * for a job not defined here, `ValidationError` for a payload its schema refuses or
   * a bad option, `ConflictError` when a windowed job already has a window run
   * unfinished, `LockedError` while the trigger lock is held.
   */
  async trigger(name: string, payload?: unknown, options?: TriggerOptions): Promise<Triggered> {
    return trigger(
      {
        open: () => this.#open(),
        defined: (job) => this.#defined(job),
        locks: () => this.#lockBackend(),
        emit: this.#emit,
        inline: async () => this.#roles.inline(await this.#open()),
        wake: () => this.#roles.worker?.wake(),
        stopping: () => this.#phase === 'stopping' || this.#phase === 'closed',
      },
      name,
      payload,
      options,
    )
  }

  /**
   * Whether this instance can serve: the database answers and its schema is at this
   * code's version. Never throws; `error` says what is wrong ('database unreachable',
   * 'migrations not current'), and the failure itself goes to the `error` event.
   */
  async ready(): Promise<{
    ready: boolean
    schemaVersion?: number
    expected: number
    error?: string
  }> {
    const expected = latestVersion()
    try {
      const store = await this.#open()
      const version = await schemaVersion(store.db, this.#o.schema)
      if (version !== expected)
        return { ready: false, schemaVersion: version, expected, error: 'migrations not current' }
      return { ready: true, schemaVersion: version, expected }
    } catch (err) {
      // the driver's message may name hosts and roles: it goes to the error event only
      this.#emit('error', err as Error)
      return { ready: false, expected, error: 'database unreachable' }
    }
  }

  /** The time now by this instance's clock (the `clock` option), in ms since the epoch. */
  now(): number {
    return this.#now()
  }

  /**
   * Pauses a job's schedule: no tick is handled until `resume`, and none is caught up
   * then; runs already enqueued go on. Audited. Throws `NotFoundError` when the job has
   * no schedule.
   */
  async pause(job: string): Promise<ScheduleInfo> {
    return pauseSchedule(await this.#open(), job)
  }

  /** Resumes a paused schedule from its next tick after now. Audited. Throws `NotFoundError`. */
  async resume(job: string): Promise<ScheduleInfo> {
    return resumeSchedule(await this.#open(), job)
  }

  /**
   * Runs a job for every tick of its schedule in `[from, to)` (for a windowed job, each
   * with the window that tick would have had), oldest first, with at most
   * `concurrency` (default 5) unfinished at once. Ticks that already ran (by the
   * schedule or an earlier backfill) are left alone, so repeating a backfill adds
   * nothing. Each run gets `payload`, checked against the job's schema; without one,
   * none (null), as the schedule's own runs. The backfill lives in the database: any
   * process running a scheduler, or the handle's `wait()`, carries it on. Throws `NotFoundError` for a job not defined
   * here or without a schedule, `ValidationError` for a bad range or payload.
   */
  backfill(
    name: string,
    range: { from: Date | string; to: Date | string; concurrency?: number; payload?: unknown },
  ): Promise<Backfill> {
    return this.#backfills.start(name, range)
  }

  /** A backfill by id, to follow or cancel. Throws `NotFoundError` for an unknown id. */
  getBackfill(id: string): Promise<Backfill> {
    return this.#backfills.get(id)
  }

  /**
   * The newest backfills (default 50, at most 1000), of one job or all, with their
   * progress. Throws `ValidationError` for a bad filter.
   */
  listBackfills(filter: { job?: string; limit?: number } = {}): Promise<BackfillStatus[]> {
    return this.#backfills.list(filter)
  }

  /** Operators' changes (watermark set, schedule paused, resumed, changed), newest first. */
  async audit(options: { job?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    parse(auditSchema, options, 'audit options')
    const store = await this.#open()
    return readAudit(store.db, store.s, options.job, options.limit ?? 100)
  }

  /**
   * Runs `fn` in a tickwork transaction; pass the handle as `tx` to enqueue inside it.
   * Rejects with what `fn` threw (after rolling back), or with the driver's error. On the
   * embedded store, a tickwork call made from inside `fn` without the handle rejects with
   * a `StateError` (the transaction holds the one connection), and so does a nested call.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return (await this.#open()).db.transaction(fn)
  }

  /**
   * Runs one statement on tickwork's database, outside any transaction: for an app's
   * own tables beside tickwork's, on the embedded store too, where there is no other
   * connection. Rejects with the driver's error.
   */
  // biome-ignore lint/suspicious/noExplicitAny: rows are typed by each caller
  async query<R = any>(text: string, params?: unknown[]): Promise<{ rows: R[] }> {
    return (await this.#open()).db.query<R>(text, params)
  }

  /** Applies pending migrations now (otherwise done on first use). Returns the versions applied. */
  async migrate(): Promise<number[]> {
    const store = await this.#open(false)
    return migrate(store.db, this.#o.schema)
  }

  /**
   * Starts the worker (for the jobs defined here) and maintenance. Throws
   * `StateError` when already started or stopped, `SchemaVersionError` when the
   * database is newer than this code.
   */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.#phase !== 'new')
      throw new StateError(
        `cannot start: already ${this.#phase === 'started' ? 'started' : 'stopped'}`,
      )
    this.#phase = 'started'
    let store: QueueStore
    try {
      store = await this.#open()
      const defs = [...this.#jobs.values()].map((j) => j.def)
      for (const def of defs) {
        if (def.shared) await saveLimits(store, def.name, def.shared)
      }
      await saveHookFlags(
        store,
        defs.filter((d) => d.onFailed).map((d) => d.name),
        defs.filter((d) => !d.onFailed).map((d) => d.name),
      )
      await declareSchedules(
        store,
        defs.flatMap((d) => (d.schedule ? [{ job: d.name, cron: d.schedule.cron }] : [])),
        defs.filter((d) => !d.schedule).map((d) => d.name),
      )
    } catch (err) {
      // nothing runs yet: a start that failed (database down) may be tried again
      if (this.#phase === 'started') this.#phase = 'new'
      throw err
    }
    await this.#roles.start(store, options)
  }

  /**
   * Stops gracefully: no new runs are fetched; running handlers get `grace` (default
   * '20s') to finish, then their signals abort and their runs go back to the queue,
   * uncounted. Then, once `until` has settled too (a server's close, so the requests in
   * flight are answered), closes the database. Idempotent; no run is lost.
   */
  stop(options: { grace?: Duration; until?: Promise<unknown> } = {}): Promise<void> {
    let graceMs: number
    try {
      graceMs = toMs(options.grace ?? '20s', 'grace')
    } catch (err) {
      return Promise.reject(err)
    }
    this.#stopped ??= (async () => {
      this.#phase = 'stopping'
      await this.#roles.stop(graceMs)
      await options.until?.catch(() => {})
      this.#phase = 'closed'
      const locks = await this.#locks?.catch(() => undefined)
      await locks?.close()
      const store = await this.#store?.catch(() => undefined)
      await store?.db.close()
    })()
    return this.#stopped
  }

  // a listener that throws must not break the worker's bookkeeping around the emit
  readonly #emit: Emit = (event, data) => {
    if (event === 'run:completed' || event === 'run:failed') {
      const run = data as TickworkEvents['run:completed']
      // runs a trigger locked have this source; freeing a lock it did not hold is a no-op
      if (run.source === 'trigger') this.#releaseTrigger(run.job, run.id)
    }
    try {
      this.emit(event, data)
    } catch (err) {
      process.emitWarning(err as Error, 'TickworkListenerWarning')
    }
  }

  /** A triggered run ended: its lock is free for the next trigger. */
  #releaseTrigger(job: string, id: string): void {
    this.#lockBackend()
      .then((locks) => locks.release(triggerLockName(job), triggerOwner(this.#o.schema, id)))
      .catch((err) => this.#emit('error', err as Error))
  }

  #lockBackend(): Promise<LockBackend> {
    this.#locks ??= openLocks(this.#o.locks, () => this.#open())
    this.#locks.catch(() => {
      this.#locks = undefined
    })
    return this.#locks
  }

  /** the definitions, one live map: a worker made before a later job() still knows it */
  #defs(): Map<string, ResolvedJob> {
    return this.#definitions
  }

  #defined(name: string): ResolvedJob {
    const def = this.#jobs.get(name)?.def
    if (!def) throw new NotFoundError(`job '${name}' is not defined in this process`, { job: name })
    return def
  }

  #now(): number {
    return (this.#o.clock ?? systemClock).now()
  }

  #open(migrating = this.#o.migrate): Promise<QueueStore> {
    if (this.#phase === 'closed') return Promise.reject(new StateError('tickwork is stopped'))
    this.#store ??= openStore(this.#o, migrating, (err) => this.emit('error', err))
    this.#store.catch(() => {
      this.#store = undefined
    })
    return this.#store
  }

  async #insert(job: string, runs: NewRun[], tx: EnqueueOptions['tx']): Promise<Enqueued[]> {
    const store = await this.#open()
    const done = await insertRuns(store, tx ?? store.db, job, runs)
    if (!tx && this.#jobs.has(job)) this.#roles.worker?.wake()
    return done
  }

  #deadLetterRun(job: string): Omit<NewRun, 'payload'> {
    const def = this.#job(job).def
    return {
      runAt: new Date(this.#now()),
      priority: def.priority,
      key: null,
      source: 'dead-letter',
      maxAttempts: def.attempts,
      backoff: def.backoff,
      timeoutMs: def.timeoutMs,
      deadLetter: null,
    }
  }
}
