import type { Logger } from 'pino'
import type { ResolvedJob } from '../client/resolve.js'
import { TimeoutError } from '../errors.js'
import type { Completion } from '../queue/complete.js'
import type { NewRun } from '../queue/enqueue.js'
import { type ActiveRun, claimRun, fetchRuns, jobOf } from '../queue/fetch.js'
import { releaseRuns } from '../queue/lease.js'
import { fetchLimited, withLimits } from '../queue/limits.js'
import { cancelChannel, type QueueStore, runsChannel } from '../queue/store.js'
import type { RunSource } from '../queue/types.js'
import type { Queryable } from '../store/db.js'
import { Completer } from './completer.js'
import type { CompletedRun, RunContext } from './context.js'
import type { Emit } from './events.js'
import { writeFailure } from './failure.js'
import { completeHooked } from './hooked.js'
import { LeaseKeeper } from './lease.js'
import { makeContext } from './make-context.js'
import { RunLostError, ShutdownError, toJson } from './outcome.js'

/** What a worker needs from the `Tickwork` that owns it. */
export interface WorkerDeps {
  store: QueueStore
  jobs: Map<string, ResolvedJob>
  workerId: string
  leaseMs: number
  pollIntervalMs: number
  logger: Logger
  emit: Emit
  /** the options of a run enqueued into `job` as a dead letter */
  deadLetterRun(job: string): Omit<NewRun, 'payload'>
  /** a backfill's run ended: the backfill may start its next */
  backfillRunEnded?: () => void
}

interface Slot {
  run: ActiveRun
  job: ResolvedJob
  controller: AbortController
  started: number
  /** when the outcome was decided (performance.now()) */
  ended: number
  /** set once the outcome is decided: later settling of the handler is ignored */
  done: boolean
  timer?: NodeJS.Timeout
}

/** A completion, with what its event reports. */
interface Done extends Completion {
  value: unknown
  job: string
  source: RunSource
  durationMs: number
  backfill: string | null
}

/**
 * Runs the handlers of the jobs it is given: fetches due runs in batches into free
 * slots, executes them, and records each outcome. Woken by notifications and by local
 * enqueues; polling every `pollIntervalMs` is what it relies on.
 */
export class Worker {
  readonly #d: WorkerDeps
  readonly #slots = new Map<string, Slot>()
  /**
   * runs this worker holds, with the attempt it holds: running, or finished with their
   * outcome not yet written. The attempt tells a lease check answered for an earlier
   * attempt of the same run (which this worker may hold again by then) from the current.
   */
  readonly #held = new Map<string, number>()
  readonly #busy = new Map<string, number>()
  /** runs fetched ahead of free slots (a job's `prefetch`), leased, in fetch order */
  readonly #ahead = new Map<string, ActiveRun[]>()
  readonly #completer: Completer<Done>
  readonly #lease: LeaseKeeper
  readonly #cooldown = new Map<string, number>()
  #fetching: Promise<void> | undefined
  #again = false
  #stopping = false
  /** a worker never started runs only what runOne hands it: it fetches nothing */
  #started = false
  #poll: NodeJS.Timeout | undefined
  #unlisten: Array<() => Promise<void>> = []
  #idle: Array<() => void> = []
  /** runs a fetch brought back after stop began: handed back with the rest */
  #late: string[] = []
  /** failure writes under way, which stop() waits for */
  readonly #failing = new Set<Promise<void>>()
  /** runOne callers, told once their attempt's outcome is written, or the run went back */
  readonly #waiting = new Map<string, (how: 'ran' | 'released') => void>()

  constructor(deps: WorkerDeps) {
    this.#d = deps
    this.#completer = new Completer<Done>(
      deps.store,
      deps.workerId,
      (batch, written) => this.#completed(batch, written),
      (err) => deps.emit('error', err),
      (lost) => {
        for (const c of lost) {
          this.#drop(c.id, c.attempt)
          this.#ended(c.id, 'released')
        }
      },
    )
    this.#lease = new LeaseKeeper(
      deps.store,
      deps.workerId,
      deps.leaseMs,
      () => [...this.#held],
      (lost) => {
        const mine = lost.filter(([id, attempt]) => this.#held.get(id) === attempt)
        // all out of the held runs first: aborting a running one frees a slot, which
        // would start the next held one, though its lease is lost too
        for (const [id] of mine) this.#unhold(id)
        for (const [id] of mine)
          this.#abort(
            id,
            new RunLostError(`lease on run ${id} lost: cancelled or taken by another worker`),
          )
      },
      (err) => deps.emit('error', err),
    )
  }

  async start(): Promise<void> {
    const { store } = this.#d
    this.#started = true
    const wake = () => this.wake()
    this.#unlisten.push(await store.db.listen(runsChannel(store.schema), wake, wake))
    await this.listenForCancels()
    this.#lease.start()
    this.#poll = setInterval(wake, this.#d.pollIntervalMs)
    this.wake()
  }

  /**
   * Aborts a handler here as soon as its run is cancelled anywhere. `start()` does it;
   * a worker that only runs what `runOne` hands it calls it alone.
   */
  async listenForCancels(): Promise<void> {
    const { store } = this.#d
    this.#unlisten.push(
      await store.db.listen(cancelChannel(store.schema), (id) =>
        this.#abort(id, new RunLostError(`run ${id} was cancelled`)),
      ),
    )
  }

  /** Looks for due runs now (coalesced with a fetch already under way). */
  wake(): void {
    if (this.#stopping || !this.#started) return
    if (this.#fetching) {
      this.#again = true
      return
    }
    this.#fetching = this.#fetch()
      .catch((err) => this.#d.emit('error', err as Error))
      .finally(() => {
        this.#fetching = undefined
        if (this.#again) {
          this.#again = false
          this.wake()
        }
      })
  }

  async #fetch(): Promise<void> {
    const { store, jobs, workerId, leaseMs } = this.#d
    const free = [...jobs.values()].map((job) => ({
      job,
      n: job.concurrency - (this.#busy.get(job.name) ?? 0),
    }))
    // the runs fetched ahead are topped up once half are gone, so slots rarely wait on a fetch
    const plain = free.flatMap(({ job, n }) => {
      if (job.shared) return []
      const ahead = this.#ahead.get(job.name)?.length ?? 0
      const want = Math.max(0, n) + job.prefetch - ahead
      return want > 0 && (n > 0 || ahead <= job.prefetch / 2) ? [{ job: job.name, n: want }] : []
    })
    if (plain.length > 0) {
      const runs = await fetchRuns(store, plain, workerId, leaseMs)
      for (const run of runs) this.#take(run)
    }
    const now = store.clock.now()
    for (const w of free.filter((f) => f.job.shared && f.n > 0)) {
      if ((this.#cooldown.get(w.job.name) ?? 0) > now) continue
      const { runs, retryAt } = await fetchLimited(store, w.job.name, w.n, workerId, leaseMs)
      for (const run of runs) this.#execute(run)
      if (retryAt !== null) {
        this.#cooldown.set(w.job.name, retryAt)
        setTimeout(() => this.wake(), Math.max(1, retryAt - now)).unref()
      }
    }
  }

  /** A fetched run: started in a free slot, else held until one frees. */
  #take(run: ActiveRun): void {
    const job = this.#d.jobs.get(run.job) as ResolvedJob
    if (this.#stopping || (this.#busy.get(job.name) ?? 0) < job.concurrency) {
      this.#execute(run)
      return
    }
    this.#held.set(run.id, run.attempt)
    const ahead = this.#ahead.get(job.name)
    if (ahead) ahead.push(run)
    else this.#ahead.set(job.name, [run])
  }

  #execute(run: ActiveRun): void {
    const job = this.#d.jobs.get(run.job) as ResolvedJob
    if (this.#stopping) {
      this.#late.push(run.id)
      return
    }
    const slot: Slot = {
      run,
      job,
      controller: new AbortController(),
      started: performance.now(),
      ended: 0,
      done: false,
    }
    this.#slots.set(run.id, slot)
    this.#held.set(run.id, run.attempt)
    this.#busy.set(job.name, (this.#busy.get(job.name) ?? 0) + 1)
    if (run.timeoutMs !== null) {
      slot.timer = setTimeout(() => {
        const err = new TimeoutError(run.timeoutMs as number)
        slot.controller.abort(err)
        this.#settle(slot, err)
      }, run.timeoutMs)
    }
    const ctx = makeContext(this.#d, run, slot.controller.signal)
    this.#d.emit('run:started', {
      id: run.id,
      job: run.job,
      attempt: run.attempt,
      source: run.source,
    })
    let result: Promise<unknown>
    try {
      result = Promise.resolve(job.run(ctx as RunContext<never>))
    } catch (err) {
      result = Promise.reject(err)
    }
    result.then(
      (value) => {
        const result = toJson(value)
        if (result instanceof Error) {
          this.#settle(slot, result)
          return
        }
        if (!this.#free(slot)) return
        const done = {
          id: run.id,
          attempt: run.attempt,
          result,
          value,
          keep: job.keepCompleted,
          job: run.job,
          source: run.source,
          durationMs: performance.now() - slot.started,
          backfill: run.backfill,
        }
        if (job.onCompleted) this.#completeHooked(slot, done, job.onCompleted)
        else this.#completer.add(done)
      },
      (err) => this.#settle(slot, err),
    )
  }

  /** Frees the slot once; false when the outcome was already decided. */
  #free(slot: Slot): boolean {
    if (slot.done) return false
    slot.done = true
    slot.ended = performance.now()
    clearTimeout(slot.timer)
    this.#slots.delete(slot.run.id)
    this.#busy.set(slot.job.name, (this.#busy.get(slot.job.name) ?? 1) - 1)
    // a run that runOne started beyond the slots leaves its slot to no held run
    const room = (this.#busy.get(slot.job.name) ?? 0) < slot.job.concurrency
    const next = this.#stopping || !room ? undefined : this.#ahead.get(slot.job.name)?.shift()
    if (next) this.#execute(next)
    if (this.#slots.size === 0) for (const resolve of this.#idle.splice(0)) resolve()
    this.wake()
    return true
  }

  #settle(slot: Slot, err: unknown): void {
    if (!this.#free(slot)) return
    const attempt = { run: slot.run, job: slot.job, err, durationMs: slot.ended - slot.started }
    const write: Promise<void> = writeFailure(this.#d, attempt, () => this.#stopping).finally(
      () => {
        this.#failing.delete(write)
        this.#drop(slot.run.id, slot.run.attempt)
        this.#ended(slot.run.id)
      },
    )
    this.#failing.add(write)
  }

  #completeHooked(slot: Slot, done: Done, hook: (end: CompletedRun) => unknown): void {
    const stopping = () => this.#stopping
    const write: Promise<void> = completeHooked(this.#d, done, slot.run, done.value, hook, stopping)
      .then(async (outcome) => {
        if (outcome.kind === 'refused') {
          const attempt = { run: slot.run, job: slot.job, err: outcome.error }
          await writeFailure(this.#d, { ...attempt, durationMs: done.durationMs }, stopping)
          this.#drop(done.id, done.attempt)
          this.#ended(done.id)
        } else if (outcome.kind === 'abandoned') {
          this.#drop(done.id, done.attempt)
          this.#ended(done.id, 'released')
        } else this.#completed([done], new Set(outcome.kind === 'written' ? [done.id] : []))
      })
      .finally(() => this.#failing.delete(write))
    this.#failing.add(write)
  }

  #completed(batch: Done[], written: Set<string>): void {
    for (const c of batch) {
      this.#drop(c.id, c.attempt)
      this.#ended(c.id)
      if (!written.has(c.id)) continue
      if (c.backfill) this.#d.backfillRunEnded?.()
      this.#d.emit('run:completed', {
        id: c.id,
        job: c.job,
        attempt: c.attempt,
        source: c.source,
        result: c.value,
        durationMs: c.durationMs,
      })
    }
  }

  /** Forgets a run this worker held, unless it holds a later attempt of it by now. */
  #drop(id: string, attempt: number): void {
    if (this.#held.get(id) === attempt) this.#held.delete(id)
  }

  /** Takes a run out of those held for a free slot, if it is there. */
  #unhold(id: string): void {
    for (const ahead of this.#ahead.values()) {
      const i = ahead.findIndex((r) => r.id === id)
      if (i >= 0) ahead.splice(i, 1)
    }
  }

  #abort(id: string, reason: Error): void {
    this.#held.delete(id)
    this.#unhold(id)
    const slot = this.#slots.get(id)
    if (!slot) return
    slot.controller.abort(reason)
    this.#free(slot)
    this.#ended(id)
  }

  #ended(id: string, how: 'ran' | 'released' = 'ran'): void {
    const resolve = this.#waiting.get(id)
    this.#waiting.delete(id)
    resolve?.(how)
  }

  /**
   * Runs one attempt of a waiting run here and now, whatever its start time and this
   * worker's free slots (a job's shared limits still hold), and resolves once the
   * attempt's outcome is written: 'ran' (completed, failed, or a retry scheduled),
   * 'released' (handed back: this worker stopped), 'taken' (it was not waiting: another
   * worker has it, or it ended), 'busy' (the job's shared limits say not now). Works on
   * a worker that was never started (a serverless handler's trigger).
   */
  async runOne(id: string): Promise<'ran' | 'released' | 'taken' | 'busy'> {
    if (this.#stopping) return 'released'
    const { store, workerId, leaseMs, jobs } = this.#d
    const claim = (q?: Queryable) => claimRun(store, id, workerId, leaseMs, q)
    let run: ActiveRun | undefined
    const job = await jobOf(store, id)
    if (job && jobs.get(job)?.shared) {
      const got = await withLimits(store, job, 1, async (tx) => {
        const r = await claim(tx)
        return r ? [r] : []
      })
      if (got.runs.length === 0) return got.refused ? 'busy' : 'taken'
      run = got.runs[0]
    } else run = await claim()
    if (!run) return 'taken'
    if (this.#stopping) {
      // stop() may have handed its runs back already: this one goes back itself
      await releaseRuns(store, workerId, [run.id]).catch((err) => this.#d.emit('error', err))
      return 'released'
    }
    this.#lease.start()
    const ended = new Promise<'ran' | 'released'>((resolve) => this.#waiting.set(run.id, resolve))
    this.#execute(run)
    return ended
  }

  /**
   * Stops fetching, lets running handlers finish for up to `graceMs`, then aborts the
   * rest and hands their runs back uncounted. Writes every completion before it
   * resolves.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    clearInterval(this.#poll)
    await this.#fetching
    for (const ahead of this.#ahead.values()) this.#late.push(...ahead.splice(0).map((r) => r.id))
    // held runs, and runs a fetch brought back as stop began, go back at once, not after
    // the grace; those a failed release leaves stay leased and go back at the end
    const back = this.#late.splice(0)
    try {
      await releaseRuns(this.#d.store, this.#d.workerId, back)
      for (const id of back) this.#held.delete(id)
    } catch (err) {
      this.#late.push(...back)
      this.#d.emit('error', err as Error)
    }
    if (this.#slots.size > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        new Promise<void>((resolve) => this.#idle.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs)
        }),
      ])
      clearTimeout(timer)
    }
    const left = [...this.#slots.values()]
    for (const slot of left) {
      slot.controller.abort(new ShutdownError())
      this.#free(slot)
      this.#ended(slot.run.id, 'released')
    }
    await this.#completer.drain()
    await Promise.all(this.#failing)
    this.#lease.stop()
    await releaseRuns(this.#d.store, this.#d.workerId, [
      ...left.map((s) => s.run.id),
      ...this.#late,
    ]).catch((err) => this.#d.emit('error', err as Error))
    // cancels go on reaching handlers through the grace period; only now stop listening
    await Promise.allSettled(this.#unlisten.map((u) => u()))
  }
}
