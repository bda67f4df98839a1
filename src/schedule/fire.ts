import type { ResolvedJob } from '../client/resolve.js'
import { cancelRuns } from '../queue/cancel.js'
import { insertRuns, type NewRun } from '../queue/enqueue.js'
import type { QueueStore } from '../queue/store.js'
import type { Tx } from '../store/db.js'
import { lockStarts } from '../window/lock.js'
import { startWatermark } from '../window/watermark.js'
import { firstWindow } from '../window/window.js'
import { compileCron } from './cron.js'
import { type CatchUpPolicy, planTicks } from './plan.js'

/** How a schedule treats a tick that comes while its previous run is unfinished. */
export type Overlap = 'skip' | 'queue' | 'allow' | 'cancel-previous'

/** What a scheduler does with due ticks, beyond the cron expression itself. */
export interface SchedulePolicy extends CatchUpPolicy {
  overlap: Overlap
  jitterMs: number
}

/** What one scheduler pass over a job's due ticks did. */
export interface Fired {
  ran: Array<{ tick: Date; id: string }>
  /** ticks that came while the previous run was unfinished (overlap) */
  skipped: Date[]
  /** the tick overlap 'queue' now holds pending */
  queued: Date | null
  missed: Date[]
  /** more ticks were missed than `missed` lists */
  more: boolean
  /** runs cancelled by overlap 'cancel-previous' */
  cancelled: string[]
  next: Date | null
}

// a schedule that never fires again waits here: next_at is NOT NULL
const NEVER = new Date('9999-12-31T00:00:00Z')

const lockSql = (s: string) => `
  SELECT cron, timezone, next_at, pending FROM ${s}.schedules
  WHERE job = $1 AND NOT paused FOR UPDATE SKIP LOCKED`

/** The job's unfinished runs that overlap counts: those its schedule or an operator started. */
export async function liveRuns(
  tx: Tx,
  store: QueueStore,
  job: string,
  lock = false,
): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id::text FROM ${store.s}.runs WHERE job = $1 AND source IN ('schedule', 'manual', 'trigger')
     ${lock ? 'FOR UPDATE' : ''}`,
    [job],
  )
  return rows.map((r) => r.id)
}

// the primary key drops a tick some other path (a backfill) has already handled
const recordSql = (s: string) => `
  INSERT INTO ${s}.ticks (job, at, outcome, source, recorded_at)
  SELECT $1, t.at, t.outcome, 'schedule', $2
  FROM unnest($3::timestamptz[], $4::text[]) AS t(at, outcome)
  ON CONFLICT (job, at) DO NOTHING
  RETURNING at`

const linkSql = (s: string) => `
  UPDATE ${s}.ticks t SET run_id = l.id, outcome = 'run'
  FROM unnest($2::timestamptz[], $3::bigint[]) AS l(at, id)
  WHERE t.job = $1 AND t.at = l.at`

/**
 * The run a tick (or a trigger) of `job` enqueues: the job's options, and for a
 * windowed job the window from its watermark to `target` (the tick minus lookback).
 */
export async function runFor(
  tx: Tx,
  store: QueueStore,
  job: ResolvedJob,
  source: NewRun['source'],
  tick: Date,
  runAt: Date,
  payload: unknown = null,
): Promise<NewRun> {
  const run: NewRun = {
    payload,
    runAt,
    priority: job.priority,
    key: null,
    source,
    maxAttempts: job.attempts,
    backoff: job.backoff,
    timeoutMs: job.timeoutMs,
    deadLetter: job.deadLetter,
    tick,
  }
  if (job.window) {
    const target = new Date(tick.getTime() - job.window.lookbackMs)
    const from = await startWatermark(tx, store, job.name, job.window.start ?? target)
    run.window = firstWindow(from, target, job.window.maxSpanMs)
  }
  return run
}

/** Records ticks and enqueues the runs of those that were not recorded before. */
async function record(
  tx: Tx,
  store: QueueStore,
  job: ResolvedJob,
  ticks: Array<{ at: Date; outcome: string }>,
  runs: Map<number, NewRun>,
): Promise<Array<{ tick: Date; id: string }>> {
  if (ticks.length === 0) return []
  const { rows } = await tx.query<{ at: Date }>(recordSql(store.s), [
    job.name,
    new Date(store.clock.now()),
    ticks.map((t) => t.at),
    ticks.map((t) => t.outcome),
  ])
  const fresh = new Set(rows.map((r) => r.at.getTime()))
  const due = [...runs].filter(([at]) => fresh.has(at))
  if (due.length === 0) return []
  const made = await insertRuns(
    store,
    tx,
    job.name,
    due.map(([, run]) => run),
  )
  const ran = due.map(([at], i) => ({ tick: new Date(at), id: (made[i] as { id: string }).id }))
  await tx.query(linkSql(store.s), [job.name, ran.map((r) => r.tick), ran.map((r) => r.id)])
  return ran
}

/** Enqueues the tick overlap 'queue' held back; returns its run's id. */
async function runHeld(tx: Tx, store: QueueStore, job: ResolvedJob, tick: Date): Promise<string> {
  const run = await runFor(tx, store, job, 'schedule', tick, new Date(store.clock.now()))
  const [made] = await insertRuns(store, tx, job.name, [run])
  const id = (made as { id: string }).id
  await tx.query(linkSql(store.s), [job.name, [tick], [id]])
  await tx.query(`UPDATE ${store.s}.schedules SET pending = NULL WHERE job = $1`, [job.name])
  return id
}

/**
 * Whether a due tick runs. Overlap counts the runs unfinished before this pass: ticks
 * caught up together all run under 'skip' and 'queue' (catchUp 'all' means all), but a
 * windowed job runs once a pass, for the last tick, whose window covers the others.
 * 'cancel-previous' runs only the last too.
 */
function runs(overlap: Overlap, windowed: boolean, busy: boolean, last: boolean): boolean {
  if (overlap === 'cancel-previous') return last
  if (overlap === 'allow') return !windowed || last
  return !busy && (!windowed || last)
}

/**
 * Handles a job's due ticks, if no other scheduler is doing so: locks the schedule's
 * row (skipping it when locked), plans the due ticks by the catch-up policy, applies
 * the overlap policy, records every tick, enqueues the runs and moves `next_at` on, in
 * one transaction. A tick held by overlap 'queue' goes first, once nothing is running.
 * `lateFrom` is when the scheduler's pass began: lateness counts from there, so a
 * pass over many schedules does not make its last ones late. Returns null when there
 * was nothing to do here.
 */
export async function fireSchedule(
  store: QueueStore,
  job: ResolvedJob,
  policy: SchedulePolicy,
  lateFrom: number,
): Promise<Fired | null> {
  return store.db.transaction(async (tx) => {
    const now = store.clock.now()
    const { rows } = await tx.query<{
      cron: string
      timezone: string
      next_at: Date
      pending: Date | null
    }>(lockSql(store.s), [job.name])
    const row = rows[0]
    if (!row || row.next_at.getTime() > now) return null
    const cron = compileCron(row.cron, row.timezone)
    const plan = planTicks(cron, row.next_at, now, policy, Math.min(now, lateFrom))
    const { overlap, jitterMs } = policy
    if (plan.run.length > 0) await lockStarts(tx, store, job.name)
    // cancel-previous locks what it will cancel: a run completing meanwhile would move
    // the watermark under the window the new run starts from
    const live = await liveRuns(tx, store, job.name, overlap === 'cancel-previous')
    const fired: Fired = {
      ran: [],
      skipped: [],
      queued: null,
      missed: plan.missed,
      more: plan.more,
      cancelled: [],
      next: plan.next,
    }
    let pending = row.pending
    if (pending && live.length === 0) {
      fired.ran.push({ tick: pending, id: await runHeld(tx, store, job, pending) })
      live.push(fired.ran[0]?.id as string)
      pending = null
    }
    const ticks = plan.missed.map((at) => ({ at, outcome: 'missed' }))
    const toRun = new Map<number, NewRun>()
    const busy = live.length > 0
    for (const [i, tick] of plan.run.entries()) {
      let outcome: string
      if (runs(overlap, job.window !== null, busy, i === plan.run.length - 1)) {
        if (overlap === 'cancel-previous' && live.length > 0)
          fired.cancelled = await cancelRuns(store, tx, live)
        const runAt = new Date(Math.max(now, tick.getTime()) + Math.random() * jitterMs)
        toRun.set(tick.getTime(), await runFor(tx, store, job, 'schedule', tick, runAt))
        outcome = 'run'
      } else if (overlap === 'queue' && busy && pending === null) {
        pending = tick
        fired.queued = tick
        outcome = 'queued'
      } else {
        fired.skipped.push(tick)
        outcome = 'skipped'
      }
      ticks.push({ at: tick, outcome })
    }
    fired.ran.push(...(await record(tx, store, job, ticks, toRun)))
    await tx.query(`UPDATE ${store.s}.schedules SET next_at = $2, pending = $3 WHERE job = $1`, [
      job.name,
      plan.next ?? NEVER,
      pending,
    ])
    return fired
  })
}

/**
 * Enqueues the tick overlap 'queue' held back, once the job has no unfinished
 * scheduled or triggered run. Returns the run made, or null.
 */
export async function releasePending(
  store: QueueStore,
  job: ResolvedJob,
): Promise<{ tick: Date; id: string } | null> {
  return store.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ pending: Date | null }>(lockSql(store.s), [job.name])
    const tick = rows[0]?.pending
    if (!tick) return null
    await lockStarts(tx, store, job.name)
    if ((await liveRuns(tx, store, job.name)).length > 0) return null
    return { tick, id: await runHeld(tx, store, job, tick) }
  })
}
