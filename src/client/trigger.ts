import { z } from 'zod'
import { ConflictError, LockedError } from '../errors.js'
import { type LockBackend, triggerLockName } from '../lock/lock.js'
import { type Enqueued, insertRuns } from '../queue/enqueue.js'
import { getRun } from '../queue/inspect.js'
import type { QueueStore } from '../queue/store.js'
import type { Run } from '../queue/types.js'
import { liveRuns, runFor } from '../schedule/fire.js'
import type { Tx } from '../store/db.js'
import type { Duration } from '../util/duration.js'
import { parse } from '../util/parse.js'
import { lockWindows } from '../window/lock.js'
import type { Emit } from '../worker/events.js'
import type { Worker } from '../worker/worker.js'
import { validatePayload } from './job.js'
import type { ResolvedJob } from './options.js'

/** How `tw.trigger` runs the job. */
export interface TriggerOptions {
  /**
   * Take the job's trigger lock (`job-lock:<job>`) for the run, so that a second
   * trigger while it is unfinished throws `LockedError` (the endpoint's 429). The lock
   * is freed when the run ends; `ttl` (default '1h') bounds it if its holder dies.
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

const duration = z.union([z.number(), z.string()])
const optionsSchema = z
  .object({
    lock: z.union([z.boolean(), z.object({ ttl: duration.optional() }).strict()]).optional(),
    wait: z.boolean().optional(),
    source: z.enum(['manual', 'trigger']).optional(),
  })
  .strict()

/** What a trigger needs from its `Tickwork`. */
export interface TriggerDeps {
  open(): Promise<QueueStore>
  defined(job: string): ResolvedJob
  locks(): Promise<LockBackend>
  toMs(d: Duration, field: string): number
  emit: Emit
  /** the worker that runs `wait` triggers here: the started one, or one made for it */
  inline(): Promise<Worker>
  wake(): void
}

/** Polls until the run has ended: it ran in a worker elsewhere. */
async function ended(store: QueueStore, id: string): Promise<Run | undefined> {
  for (let pause = 10; ; pause = Math.min(pause * 2, 500)) {
    const run = await getRun(store, id)
    if (!run || ['completed', 'failed', 'cancelled'].includes(run.state)) return run
    await new Promise((r) => setTimeout(r, pause))
  }
}

/**
 * Takes the trigger lock for run `owner`. A lock whose holder run has ended already
 * (its process died before freeing it, or the run was cancelled) is taken over; a
 * holder that is live or not yet committed keeps it.
 */
async function takeLock(
  d: TriggerDeps,
  store: QueueStore,
  tx: Tx,
  job: string,
  owner: string,
  ttlMs: number,
): Promise<void> {
  const locks = await d.locks()
  const name = triggerLockName(job)
  // On Postgres the lease is written in the run's transaction: a concurrent trigger
  // waits for it to commit, then sees it held; a rollback takes the lease with it.
  let got = await locks.acquire(name, owner, ttlMs, tx)
  if (!got.acquired) {
    const holder = got.holder.owner
    const { rows } = /^\d{1,19}$/.test(holder)
      ? await tx.query(`SELECT 1 FROM ${store.s}.run_history WHERE id = $1`, [holder])
      : { rows: [] }
    if (rows.length > 0 && (await locks.release(name, holder, tx)))
      got = await locks.acquire(name, owner, ttlMs, tx)
  }
  if (!got.acquired) {
    d.emit('lock:contended', { name, holder: got.holder })
    throw new LockedError(name, got.holder, store.clock.now())
  }
}

/**
 * Enqueues a run of `name` now. Throws `NotFoundError` for a job not defined here,
 * `ValidationError` for a bad payload or option, `ConflictError` while a windowed job
 * has a window run unfinished, `LockedError` while the trigger lock is held.
 */
export async function trigger(
  d: TriggerDeps,
  name: string,
  payload: unknown,
  options: TriggerOptions = {},
): Promise<Triggered> {
  const o = parse(optionsSchema, options, 'trigger options')
  const def = d.defined(name)
  const ttlMs = o.lock ? d.toMs((typeof o.lock === 'object' && o.lock.ttl) || '1h', 'lock.ttl') : 0
  const value = await validatePayload(def, payload, 'payload')
  const store = await d.open()
  let locked: string | undefined
  let made: Enqueued
  try {
    made = await store.db.transaction(async (tx) => {
      if (def.window) {
        await lockWindows(tx, store, name)
        const [live] = await liveRuns(tx, store, name)
        if (live)
          throw new ConflictError(`job '${name}' has a window run unfinished (run ${live})`, {
            job: name,
            runId: live,
          })
      }
      const now = new Date(store.clock.now())
      const run = await runFor(tx, store, def, o.source ?? 'manual', now, now, value)
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
    if (locked) await (await d.locks()).release(triggerLockName(name), locked).catch(() => {})
    throw err
  }
  if (!o.wait) {
    d.wake()
    return made
  }
  if (!(await (await d.inline()).runOne(made.id)))
    return { ...made, run: await ended(store, made.id) }
  return { ...made, run: await getRun(store, made.id) }
}
