import { z } from 'zod'
import { ConflictError, LockedError, StateError } from '../errors.js'
import { type LockBackend, runOfOwner, triggerLockName, triggerOwner } from '../lock/lock.js'
import { type Enqueued, insertRuns } from '../queue/enqueue.js'
import { getRun } from '../queue/inspect.js'
import type { QueueStore } from '../queue/store.js'
import type { Run } from '../queue/types.js'
import { liveRuns, runFor } from '../schedule/fire.js'
import type { Tx } from '../store/db.js'
import type { Duration } from '../util/duration.js'
import { durationSchema, parse } from '../util/parse.js'
import { lockStarts } from '../window/lock.js'
import type { Emit } from '../worker/events.js'
import type { Worker } from '../worker/worker.js'
import { validatePayload } from './job.js'
import type { ResolvedJob } from './resolve.js'

/** How `tw.trigger` runs the job. */
export interface TriggerOptions {
  /**
   * Take the job's trigger lock (`job-lock:<job>`) for the run, so that a second
   * trigger while it is unfinished throws `LockedError` (the endpoint's 429), as does a
   * trigger while a scheduled run of the job is unfinished. The lock is freed when the
   * run ends; `ttl` (default '1h') bounds it if its holder dies.
   */
  lock?: boolean | { ttl?: Duration }
  /**
   * Run it in this process and resolve when it has ended, with the finished run: for
   * platforms with no long-lived worker. Default false (a worker anywhere runs it).
   */
  wait?: boolean
  /** recorded on the run: 'manual' (default, an operator) or 'trigger' (an external cron) */
  source?: 'manual' | 'trigger'
}

/** What a trigger made: the run, and with `wait`, how it ended. */
export interface Triggered extends Enqueued {
  /** with `wait`: the run once it ended */
  run?: Run
}

const optionsSchema = z
  .object({
    lock: z
      .union([
        z.boolean(),
        z
          .object({ ttl: durationSchema.refine((ms) => ms > 0, 'must be above 0').optional() })
          .strict(),
      ])
      .optional(),
    wait: z.boolean().optional(),
    source: z.enum(['manual', 'trigger']).optional(),
  })
  .strict()

/** What a trigger needs from its `Tickwork`. */
export interface TriggerDeps {
  open(): Promise<QueueStore>
  defined(job: string): ResolvedJob
  locks(): Promise<LockBackend>
  emit: Emit
  /** the worker that runs `wait` triggers here: the started one, or one made for it */
  inline(): Promise<Worker>
  wake(): void
  /** true once `stop()` began */
  stopping(): boolean
}

const HOUR_MS = 3_600_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const TERMINAL = ['completed', 'failed', 'cancelled']

const handedBack = (id: string) =>
  new StateError(`stopped before run ${id} ended: it went back to the queue`)

/** Polls until the run has ended: it runs in a worker elsewhere. */
async function ended(d: TriggerDeps, store: QueueStore, id: string): Promise<Run | undefined> {
  for (let pause = 10; ; pause = Math.min(pause * 2, 500)) {
    const run = await getRun(store, id)
    if (!run || TERMINAL.includes(run.state)) return run
    if (d.stopping()) throw new StateError(`stopped before run ${id} ended; a worker has it`)
    await sleep(pause)
  }
}

/**
 * Runs `id` in this process, attempt after attempt (each retry at its time), until it
 * ends. Throws `StateError` when this process stops first: the run went back to the
 * queue, and a worker will run it.
 */
async function runHere(d: TriggerDeps, store: QueueStore, id: string): Promise<Run | undefined> {
  const worker = await d.inline()
  // the job's shared limits said not now: ask again, less and less often
  let busy = 100
  for (;;) {
    const run = await getRun(store, id)
    if (!run || TERMINAL.includes(run.state)) return run
    if (d.stopping()) throw handedBack(id)
    const wait = run.runAt.getTime() - store.clock.now()
    // a retry waits for its backoff; the clock may be a test's, so look again each second
    if (run.state === 'delayed' && wait > 0) {
      await sleep(Math.min(wait, 1000))
      continue
    }
    const how = await worker.runOne(id)
    if (how === 'released') throw handedBack(id)
    if (how === 'taken') return ended(d, store, id)
    if (how === 'busy') {
      await sleep(busy)
      busy = Math.min(busy * 2, 2000)
    }
  }
}

/** The lock owner a trigger writes: its schema and run, so no other holder is mistaken for one. */
const ownerOf = (store: QueueStore, runId: string) => triggerOwner(store.schema, runId)

/**
 * Takes the trigger lock for run `runId`. A lock held by one of this schema's runs
 * that has ended (its process died before freeing it, or it was cancelled) is taken
 * over. Any other holder keeps it: a live run, one not committed yet (its lease shows
 * in Redis before its commit), or one found nowhere, which may be either of those.
 */
async function takeLock(
  d: TriggerDeps,
  store: QueueStore,
  tx: Tx,
  job: string,
  runId: string,
  ttlMs: number,
): Promise<void> {
  const locks = await d.locks()
  const name = triggerLockName(job)
  // On Postgres the lease is written in the run's transaction: a concurrent trigger
  // waits for it to commit, then sees it held; a rollback takes the lease with it.
  let got = await locks.acquire(name, ownerOf(store, runId), ttlMs, tx)
  if (!got.acquired) {
    const holder = got.holder
    const held = runOfOwner(store.schema, holder.owner)
    if (held !== undefined) {
      const { rows } = await tx.query(`SELECT 1 FROM ${store.s}.run_history WHERE id = $1`, [held])
      if (rows.length > 0 && (await locks.release(name, holder.owner, tx)))
        got = await locks.acquire(name, ownerOf(store, runId), ttlMs, tx)
    }
  }
  if (!got.acquired) throw new LockedError(name, got.holder, store.clock.now())
}

/**
 * A locked trigger while a scheduled run of the job is unfinished is refused as if
 * that run held the lock for its time-to-live.
 */
async function refuseBesideScheduled(tx: Tx, store: QueueStore, job: string, ttlMs: number) {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id::text FROM ${store.s}.runs WHERE job = $1 AND source = 'schedule' LIMIT 1`,
    [job],
  )
  const live = rows[0]?.id
  if (live === undefined) return
  const now = store.clock.now()
  const holder = { owner: ownerOf(store, live), expiresAt: new Date(now + ttlMs) }
  throw new LockedError(triggerLockName(job), holder, now)
}

/**
 * Enqueues a run of `name` now, and with `wait` runs it here to its end. Throws
 * `NotFoundError` for a job not defined here, `ValidationError` for a bad payload or
 * option, `ConflictError` while a windowed job has a window run unfinished (with
 * `lock`, `LockedError` when that run holds the lock), `LockedError` while the
 * trigger lock is held or a scheduled run of the job is unfinished, `StateError` when `stop()` comes before a waited run ended.
 */
export async function trigger(
  d: TriggerDeps,
  name: string,
  payload: unknown,
  options: TriggerOptions = {},
): Promise<Triggered> {
  const o = parse(optionsSchema, options, 'trigger options')
  const def = d.defined(name)
  const ttlMs = (typeof o.lock === 'object' && o.lock.ttl) || HOUR_MS
  const value = await validatePayload(def, payload, 'payload')
  const store = await d.open()
  const lockName = triggerLockName(name)
  let locked: string | undefined
  let made: Enqueued
  try {
    made = await store.db.transaction(async (tx) => {
      if (def.window || o.lock) await lockStarts(tx, store, name)
      // the schedule's runs take no trigger lock, yet "while it runs" counts them too
      if (o.lock) await refuseBesideScheduled(tx, store, name, ttlMs)
      if (def.window) {
        const [live] = await liveRuns(tx, store, name)
        if (live) {
          const held = o.lock ? await (await d.locks()).get(lockName, tx) : undefined
          if (held) throw new LockedError(lockName, held, store.clock.now())
          throw new ConflictError(`job '${name}' has a window run unfinished (run ${live})`, {
            job: name,
            runId: live,
          })
        }
      }
      const now = new Date(store.clock.now())
      // a locked run is freed by whichever worker ends it, which knows it by its source
      const source = o.lock ? 'trigger' : (o.source ?? 'manual')
      const run = await runFor(tx, store, def, source, now, now, value)
      const [enqueued] = (await insertRuns(store, tx, name, [run])) as [Enqueued]
      // taken inside the transaction: a lock refused rolls the run back
      if (o.lock) {
        await takeLock(d, store, tx, name, enqueued.id, ttlMs)
        locked = enqueued.id
      }
      return enqueued
    })
  } catch (err) {
    // the lock was taken for a run whose commit then failed
    if (locked) await (await d.locks()).release(lockName, ownerOf(store, locked)).catch(() => {})
    // told once the transaction has ended: a listener may call tickwork
    if (err instanceof LockedError) d.emit('lock:contended', { name: lockName, holder: err.holder })
    throw err
  }
  if (!o.wait) {
    d.wake()
    return made
  }
  const run = await runHere(d, store, made.id)
  // the worker that ended it frees the lock too; this answer must not race that, nor
  // fail for a lock backend that is down now that the run has ended
  if (locked)
    await (await d.locks())
      .release(lockName, ownerOf(store, locked))
      .catch((err) => d.emit('error', err as Error))
  return { ...made, run }
}
