import type { ResolvedJob } from '../client/resolve.js'
import { insertRuns, type NewRun } from '../queue/enqueue.js'
import type { QueueStore } from '../queue/store.js'
import { type CronSchedule, compileCron } from '../schedule/cron.js'
import type { Tx } from '../store/db.js'
import { firstWindow } from '../window/window.js'

interface BackfillRow {
  id: string
  job: string
  range_to: Date
  range_from: Date
  cursor: Date | null
  concurrency: number
  payload: unknown
  live: number
  cron: string
  timezone: string
}

const lockSql = (s: string) => `
  SELECT b.id::text, b.job, b.range_from, b.range_to, b.cursor, b.concurrency, b.payload,
    b.cron, b.timezone,
    (SELECT count(*)::int FROM ${s}.runs r WHERE r.backfill = b.id) AS live
  FROM ${s}.backfills b
  WHERE b.id = $1 AND b.state = 'running'
  FOR UPDATE OF b SKIP LOCKED`

// A tick a scheduler or an earlier backfill ran is left alone; one it skipped or
// missed is taken over. RETURNING lists the ticks this backfill now owns.
const claimSql = (s: string) => `
  INSERT INTO ${s}.ticks (job, at, outcome, source, recorded_at)
  SELECT $1, at, 'run', 'backfill', $2 FROM unnest($3::timestamptz[]) AS t(at)
  ON CONFLICT (job, at) DO UPDATE SET outcome = 'run', source = 'backfill',
    recorded_at = EXCLUDED.recorded_at, run_id = NULL
  WHERE ${s}.ticks.outcome IN ('skipped', 'missed')
  RETURNING at`

const linkSql = (s: string) => `
  UPDATE ${s}.ticks t SET run_id = l.id
  FROM unnest($2::timestamptz[], $3::bigint[]) AS l(at, id)
  WHERE t.job = $1 AND t.at = l.at`

/** The run a backfill makes for one tick: for a windowed job, that tick's own window. */
function backfillRun(
  job: ResolvedJob,
  cron: CronSchedule,
  b: BackfillRow,
  tick: Date,
  now: Date,
): NewRun {
  const run: NewRun = {
    payload: b.payload,
    runAt: now,
    priority: job.priority,
    key: null,
    source: 'backfill',
    maxAttempts: job.attempts,
    backoff: job.backoff,
    timeoutMs: job.timeoutMs,
    deadLetter: job.deadLetter,
    tick,
    backfill: b.id,
  }
  if (job.window) {
    const lb = job.window.lookbackMs
    const prev = cron.prev(new Date(tick.getTime() - 1))
    const to = new Date(tick.getTime() - lb)
    run.window = firstWindow(prev ? new Date(prev.getTime() - lb) : to, to, job.window.maxSpanMs)
  }
  return run
}

async function enqueueTicks(
  tx: Tx,
  store: QueueStore,
  job: ResolvedJob,
  cron: CronSchedule,
  b: BackfillRow,
  ticks: Date[],
): Promise<number> {
  const now = new Date(store.clock.now())
  const { rows } = await tx.query<{ at: Date }>(claimSql(store.s), [job.name, now, ticks])
  if (rows.length === 0) return 0
  const owned = rows.map((r) => r.at).sort((x, y) => x.getTime() - y.getTime())
  const made = await insertRuns(
    store,
    tx,
    job.name,
    owned.map((tick) => backfillRun(job, cron, b, tick, now)),
  )
  await tx.query(linkSql(store.s), [job.name, owned, made.map((m) => m.id)])
  return owned.length
}

/**
 * Keeps a backfill's live runs up to its concurrency: walks on from its cursor over
 * the ticks of the schedule as it was when the backfill began, enqueueing a run for
 * each tick nothing ran yet, oldest first; marks it completed once the range is walked
 * and its last run ended. Any process that defines the job (`jobOf`) may do this; the
 * backfill's row lock makes it one at a time. Returns how many runs it enqueued.
 */
export async function topUpBackfill(
  store: QueueStore,
  id: string,
  jobOf: (name: string) => ResolvedJob | undefined,
): Promise<number> {
  return store.db.transaction(async (tx) => {
    const b = (await tx.query<BackfillRow>(lockSql(store.s), [id])).rows[0]
    // ended, held by another process, or a job this process does not run
    const job = b && jobOf(b.job)
    if (!b || !job) return 0
    const cron = compileCron(b.cron, b.timezone)
    let room = b.concurrency - b.live
    let cursor = b.cursor ?? new Date(b.range_from.getTime() - 1)
    let made = 0
    let existing = 0
    let walked = false
    while (room > 0) {
      const ticks: Date[] = []
      for (let t = cron.next(cursor); ticks.length < room; t = cron.next(t)) {
        if (!t || t.getTime() >= b.range_to.getTime()) break
        ticks.push(t)
      }
      if (ticks.length === 0) {
        walked = true
        break
      }
      const n = await enqueueTicks(tx, store, job, cron, b, ticks)
      made += n
      existing += ticks.length - n
      room -= n
      cursor = ticks.at(-1) as Date
    }
    const done = walked && b.live === 0 && made === 0
    await tx.query(
      `UPDATE ${store.s}.backfills SET cursor = $2, enqueued = enqueued + $3,
         existing = existing + $4,
         state = CASE WHEN $5 THEN 'completed' ELSE state END,
         finished_at = CASE WHEN $5 THEN $6::timestamptz END
       WHERE id = $1`,
      [id, cursor, made, existing, done, new Date(store.clock.now())],
    )
    return made
  })
}
