import type { ResolvedJob } from '../client/resolve.js'
import type { QueueStore } from '../queue/store.js'
import type { Emit } from '../worker/events.js'
import { schedulesChannel } from './control.js'
import { type Fired, fireSchedule, releasePending, type SchedulePolicy } from './fire.js'

/** What a scheduler needs from the `Tickwork` that owns it. */
export interface SchedulerDeps {
  store: QueueStore
  /** the jobs defined in this process: their schedule rows are the ones it ticks */
  jobs: Map<string, ResolvedJob>
  pollIntervalMs: number
  emit: Emit
  /** runs were enqueued: the local worker may take them at once */
  enqueued(): void
  /** one pass of other periodic work that rides on the scheduler's loop (backfills) */
  extra?: () => Promise<void>
}

interface Row {
  job: string
  next_at: Date
  pending: Date | null
}

// A job with a schedule made at runtime has none in its definition: it gets the
// defaults, as a schedule declared with only a cron would.
export const DEFAULT_POLICY: SchedulePolicy = {
  overlap: 'skip',
  catchUp: 'latest',
  catchUpWindowMs: 86_400_000,
  startingDeadlineMs: null,
  jitterMs: 0,
}

const NOTHING: Fired = {
  ran: [],
  skipped: [],
  queued: null,
  missed: [],
  more: false,
  cancelled: [],
  next: null,
}

/**
 * Handles the schedule ticks of the jobs defined here. Every process that runs a
 * scheduler does the same; the database decides which handles each tick (a row lock
 * taken with SKIP LOCKED, and a primary key on the tick). The loop sleeps until the
 * earliest next tick, and never longer than the poll interval, so a schedule changed
 * elsewhere is followed within it; a notification of a change wakes it at once.
 */
export class Scheduler {
  readonly #d: SchedulerDeps
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  #stopping = false
  #unlisten: (() => Promise<void>) | undefined

  constructor(deps: SchedulerDeps) {
    this.#d = deps
  }

  async start(): Promise<void> {
    const { store } = this.#d
    const wake = () => this.wake()
    this.#unlisten = await store.db.listen(schedulesChannel(store.schema), wake, wake)
    this.wake()
  }

  /** Looks at the schedules now (coalesced with a pass under way). */
  wake(): void {
    if (this.#stopping) return
    if (this.#running) {
      this.#again = true
      return
    }
    clearTimeout(this.#timer)
    this.#running = this.#pass()
      .catch((err) => {
        this.#d.emit('error', err as Error)
        return this.#d.pollIntervalMs
      })
      .then((sleep) => {
        this.#running = undefined
        if (this.#stopping) return
        if (this.#again) {
          this.#again = false
          this.wake()
          return
        }
        this.#timer = setTimeout(() => this.wake(), sleep)
      })
  }

  /** One pass; resolves to how long to sleep before the next. */
  async #pass(): Promise<number> {
    const { store, jobs, pollIntervalMs } = this.#d
    const { rows } = await store.db.query<Row>(
      `SELECT job, next_at, pending FROM ${store.s}.schedules
       WHERE job = ANY($1::text[]) AND NOT paused`,
      [[...jobs.keys()]],
    )
    const began = store.clock.now()
    let sleep = pollIntervalMs
    for (const row of rows) {
      if (this.#stopping) break
      // one schedule failing (a zone this runtime no longer knows) holds up no other
      const next = await this.#handle(row, began).catch((err) => {
        this.#d.emit('error', err as Error)
        return store.clock.now() + pollIntervalMs
      })
      sleep = Math.min(sleep, next - store.clock.now())
    }
    if (!this.#stopping) await this.#d.extra?.()
    return Math.max(0, sleep)
  }

  /** Handles one schedule's due ticks; resolves to when it is next due. */
  async #handle(row: Row, began: number): Promise<number> {
    const { store, jobs } = this.#d
    const job = jobs.get(row.job) as ResolvedJob
    const policy = job.schedule ?? DEFAULT_POLICY
    let next = row.next_at.getTime()
    if (row.pending && next > store.clock.now()) {
      const made = await releasePending(store, job)
      if (made) this.#report(job.name, { ...NOTHING, ran: [made] })
    }
    // a long downtime takes a few passes of bounded size; a pass that did nothing
    // means another scheduler holds the row
    for (let i = 0; i < 100 && next <= store.clock.now() && !this.#stopping; i++) {
      const fired = await fireSchedule(store, job, policy, began)
      if (!fired) return store.clock.now() + 50
      this.#report(job.name, fired)
      next = fired.next?.getTime() ?? Number.POSITIVE_INFINITY
    }
    return next
  }

  #report(job: string, fired: Fired): void {
    const { emit } = this.#d
    for (const r of fired.ran) emit('schedule:run', { job, tick: r.tick, runId: r.id })
    for (const tick of fired.skipped) emit('schedule:skipped', { job, tick, reason: 'overlap' })
    if (fired.missed.length > 0 || fired.more)
      emit('schedule:missed', { job, ticks: fired.missed, more: fired.more })
    if (fired.ran.length > 0) this.#d.enqueued()
  }

  /** Stops the loop after the pass under way. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping = true
    clearTimeout(this.#timer)
    await this.#running
    await this.#unlisten?.().catch(() => {})
    this.#unlisten = undefined
  }
}
