import { ValidationError } from '../errors.js'
import { cancelRuns } from '../queue/cancel.js'
import type { QueueStore } from '../queue/store.js'
import type { CronSchedule } from '../schedule/cron.js'

/** A backfill's progress, as `status()` reports it. */
export interface BackfillStatus {
  id: string
  job: string
  from: Date
  to: Date
  state: 'running' | 'completed' | 'cancelled'
  /** ticks in the range */
  total: number
  /** runs this backfill enqueued */
  enqueued: number
  /** ticks that already had a run (a repeated backfill adds nothing) */
  existing: number
  /** its runs still waiting or running */
  live: number
  /** ticks with a completed run (a windowed tick split by maxSpan has several) */
  completed: number
  /** ticks with a run failed for good */
  failed: number
  /** ticks with a cancelled run */
  cancelled: number
  createdAt: Date
  finishedAt: Date | null
}

/** A backfill's range may hold at most this many ticks: each costs a croner step. */
export const MAX_BACKFILL_TICKS = 20_000

/** Counts the ticks in `[from, to)`; throws `ValidationError` past the limit. */
export function countTicks(cron: CronSchedule, from: Date, to: Date): number {
  let n = 0
  for (let t = cron.next(new Date(from.getTime() - 1)); t && t < to; t = cron.next(t)) {
    if (++n > MAX_BACKFILL_TICKS)
      throw new ValidationError('invalid backfill range', [
        {
          path: 'to',
          message: `the range holds more than ${MAX_BACKFILL_TICKS} ticks of '${cron.cron}'; backfill it in parts`,
        },
      ])
  }
  return n
}

/** Records a new backfill; its runs are enqueued by top-ups. Returns its id. */
export async function createBackfill(
  store: QueueStore,
  b: {
    job: string
    cron: CronSchedule
    from: Date
    to: Date
    total: number
    concurrency: number
    payload: unknown
  },
): Promise<string> {
  const { rows } = await store.db.query<{ id: string }>(
    `INSERT INTO ${store.s}.backfills (job, range_from, range_to, total, concurrency, payload,
       created_at, state, finished_at, cron, timezone)
     VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz,
       CASE WHEN $4 = 0 THEN 'completed' ELSE 'running' END, CASE WHEN $4 = 0 THEN $7 END,
       $8, $9)
     RETURNING id::text`,
    [
      b.job,
      b.from,
      b.to,
      b.total,
      b.concurrency,
      JSON.stringify(b.payload ?? null),
      new Date(store.clock.now()),
      b.cron.cron,
      b.cron.timezone,
    ],
  )
  return (rows[0] as { id: string }).id
}

const statusSql = (s: string, where: string) => `
  SELECT b.id::text, b.job, b.range_from AS "from", b.range_to AS "to", b.state, b.total,
    b.enqueued, b.existing, b.created_at AS "createdAt", b.finished_at AS "finishedAt",
    (SELECT count(*)::int FROM ${s}.runs r WHERE r.backfill = b.id) AS live,
    (SELECT count(DISTINCT tick)::int FROM ${s}.run_history h WHERE h.backfill = b.id AND h.state = 'completed') AS completed,
    (SELECT count(DISTINCT tick)::int FROM ${s}.run_history h WHERE h.backfill = b.id AND h.state = 'failed') AS failed,
    (SELECT count(DISTINCT tick)::int FROM ${s}.run_history h WHERE h.backfill = b.id AND h.state = 'cancelled') AS cancelled
  FROM ${s}.backfills b ${where}`

/** A backfill's progress; undefined for an unknown id. Finished counts come from the history, so they shrink as retention removes runs. */
export async function backfillStatus(
  store: QueueStore,
  id: string,
): Promise<BackfillStatus | undefined> {
  const { rows } = await store.db.query<BackfillStatus>(statusSql(store.s, 'WHERE b.id = $1'), [id])
  return rows[0]
}

/** The newest backfills, of one job or of all, with their progress. */
export async function listBackfills(
  store: QueueStore,
  filter: { job?: string; limit: number },
): Promise<BackfillStatus[]> {
  const { rows } = await store.db.query<BackfillStatus>(
    statusSql(store.s, 'WHERE $1::text IS NULL OR b.job = $1 ORDER BY b.id DESC LIMIT $2'),
    [filter.job ?? null, filter.limit],
  )
  return rows
}

/** The running backfills of these jobs. */
export async function runningBackfills(
  store: QueueStore,
  jobs: string[],
): Promise<Array<{ id: string; job: string }>> {
  const { rows } = await store.db.query<{ id: string; job: string }>(
    `SELECT id::text, job FROM ${store.s}.backfills
     WHERE state = 'running' AND job = ANY($1::text[])`,
    [jobs],
  )
  return rows
}

/**
 * Cancels a running backfill: no more runs are enqueued, its live runs are cancelled,
 * and their ticks are freed so a later backfill of the range redoes them. Returns
 * false when it was not running.
 */
export async function cancelBackfill(store: QueueStore, id: string): Promise<boolean> {
  return store.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ job: string }>(
      `UPDATE ${store.s}.backfills SET state = 'cancelled', finished_at = $2
       WHERE id = $1 AND state = 'running' RETURNING job`,
      [id, new Date(store.clock.now())],
    )
    const job = rows[0]?.job
    if (job === undefined) return false
    // the state change above holds the lock a chaining completion shares: from here on
    // no run of this backfill is added, so these are all of them
    const { rows: live } = await tx.query<{ id: string; tick: Date }>(
      `SELECT id::text, tick FROM ${store.s}.runs WHERE backfill = $1 FOR UPDATE`,
      [id],
    )
    const cancelled = new Set(
      await cancelRuns(
        store,
        tx,
        live.map((r) => r.id),
      ),
    )
    const freed = live.filter((r) => cancelled.has(r.id))
    await tx.query(
      `DELETE FROM ${store.s}.ticks t USING unnest($2::timestamptz[]) AS f(at)
       WHERE t.job = $1 AND t.at = f.at AND t.source = 'backfill'`,
      [job, freed.map((r) => r.tick)],
    )
    return true
  })
}
