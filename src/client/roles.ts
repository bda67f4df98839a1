import type { Logger } from 'pino'
import { type Alerts, createAlerts } from '../alerts/alerts.js'
import { Maintenance } from '../maintenance/loop.js'
import type { Retention } from '../maintenance/retention.js'
import type { NewRun } from '../queue/enqueue.js'
import { saveHookFlags, saveLimits } from '../queue/limits.js'
import type { QueueStore } from '../queue/store.js'
import { Scheduler } from '../schedule/scheduler.js'
import type { Emit } from '../worker/events.js'
import { Worker, type WorkerDeps } from '../worker/worker.js'
import { DEFAULT_KEEP, type ResolvedJob, type ResolvedTickwork } from './resolve.js'
import type { Tickwork } from './tickwork.js'

/** What `start()` runs in this process; each part defaults to on. */
export interface StartOptions {
  /** run the handlers of the jobs defined here */
  worker?: boolean
  /** take part in the stalled-run sweep and retention */
  maintenance?: boolean
  /** handle the schedule ticks (and backfills) of the jobs defined here */
  scheduler?: boolean
}

/** What the roles need from the `Tickwork` that owns them. */
export interface RoleDeps {
  tw: Tickwork
  options: ResolvedTickwork
  jobs: () => Map<string, ResolvedJob>
  workerId: string
  logger: Logger
  emit: Emit
  deadLetterRun(job: string): Omit<NewRun, 'payload'>
  /** a scheduler pass's extra chore: topping up backfills */
  topUpBackfills(store: QueueStore): Promise<void>
}

/**
 * The parts a started Tickwork runs — worker, scheduler, maintenance, alerts — and
 * the worker that runs `wait` triggers where none is started. Stops them in order:
 * nothing is scheduled once the worker stops, nothing swept once it has.
 */
export class Roles {
  #worker: Worker | undefined
  #inline: Promise<Worker> | undefined
  #scheduler: Scheduler | undefined
  #maintenance: Maintenance | undefined
  #alerts: Alerts | undefined

  constructor(private readonly d: RoleDeps) {}

  /** The started worker, if this process runs one. */
  get worker(): Worker | undefined {
    return this.#worker
  }

  /** Starts what `options` asks for, on an open and migrated store. */
  async start(store: QueueStore, options: StartOptions): Promise<void> {
    const { d } = this
    const jobs = d.jobs()
    if (options.worker !== false && jobs.size > 0) {
      this.#worker = new Worker(this.#workerDeps(store))
      await this.#worker.start()
    }
    if (options.scheduler !== false && jobs.size > 0) {
      this.#scheduler = new Scheduler({
        store,
        jobs,
        pollIntervalMs: d.options.pollIntervalMs,
        emit: d.emit,
        enqueued: () => this.#worker?.wake(),
        extra: () => d.topUpBackfills(store),
      })
      await this.#scheduler.start()
    }
    const perJob = new Map(
      [...jobs].flatMap(([name, def]) => (def.alerts ? [[name, def.alerts] as const] : [])),
    )
    if (d.options.alerts.webhooks.length > 0 || [...perJob.values()].some((a) => a.webhooks.length))
      this.#alerts = createAlerts(d.tw, d.options.alerts, perJob)
    if (options.maintenance !== false) {
      this.#maintenance = new Maintenance({
        store,
        emit: d.emit,
        leaseMs: d.options.leaseMs,
        retentionMs: d.options.maintenanceMs,
        retention: () =>
          new Map<string, Retention>([...d.jobs()].map(([name, def]) => [name, def.keep])),
        fallback: DEFAULT_KEEP,
        deadLetterRun: (job) => d.deadLetterRun(job),
        defined: (job) => d.jobs().get(job),
        names: () => [...d.jobs().keys()],
      })
      this.#maintenance.start()
    }
  }

  /** The worker for a `wait` trigger: the started one, else one made for it that fetches nothing. */
  inline(store: QueueStore): Promise<Worker> {
    if (this.#worker) return Promise.resolve(this.#worker)
    this.#inline ??= (async () => {
      // where no process ever started, the shared limits are not yet in the database
      const defs = [...this.d.jobs().values()]
      for (const def of defs) if (def.shared) await saveLimits(store, def.name, def.shared)
      await saveHookFlags(
        store,
        defs.filter((d) => d.onFailed).map((d) => d.name),
        defs.filter((d) => !d.onFailed).map((d) => d.name),
      )
      const worker = new Worker(this.#workerDeps(store))
      await worker.listenForCancels()
      return worker
    })()
    this.#inline.catch(() => {
      this.#inline = undefined
    })
    return this.#inline
  }

  /** Stops every part, running handlers given `graceMs`; alerts of the last runs go out. */
  async stop(graceMs: number): Promise<void> {
    await this.#scheduler?.stop()
    await this.#worker?.stop(graceMs)
    await (await this.#inline?.catch(() => undefined))?.stop(graceMs)
    await this.#maintenance?.stop()
    await this.#alerts?.close()
  }

  #workerDeps(store: QueueStore): WorkerDeps {
    const { d } = this
    return {
      store,
      jobs: d.jobs(),
      workerId: d.workerId,
      leaseMs: d.options.leaseMs,
      pollIntervalMs: d.options.pollIntervalMs,
      logger: d.logger,
      emit: d.emit,
      deadLetterRun: (job) => d.deadLetterRun(job),
      backfillRunEnded: () => this.#scheduler?.wake(),
    }
  }
}
