import type { QueueStore } from '../queue/store.js'

/** What can become of a schedule tick. */
export const TICK_OUTCOMES = ['run', 'skipped', 'queued', 'missed'] as const

/** What became of a schedule tick. */
export type TickOutcome = (typeof TICK_OUTCOMES)[number]

/** One tick of a job's schedule, as the scheduler (or a backfill) recorded it. */
export interface Tick {
  at: Date
  /** run: it got a run; skipped: overlap; queued: waiting for the previous run; missed: downtime or deadline */
  outcome: TickOutcome
  runId: string | null
  /** 'schedule' or 'backfill' */
  source: string
  recordedAt: Date
}

// Walks the primary key (job, at) backwards: the newest ticks first, whatever their number.
const listSql = (s: string) => `
  SELECT at, outcome, run_id::text AS "runId", source, recorded_at AS "recordedAt"
  FROM ${s}.ticks
  WHERE job = $1 AND ($2::text IS NULL OR outcome = $2)
    AND ($3::timestamptz IS NULL OR at < $3)
  ORDER BY at DESC LIMIT $4`

/** A job's ticks, newest first, before `before` when given. */
export async function listTicks(
  store: QueueStore,
  job: string,
  filter: { outcome?: TickOutcome; before?: Date; limit: number },
): Promise<Tick[]> {
  const { rows } = await store.db.query<Tick>(listSql(store.s), [
    job,
    filter.outcome ?? null,
    filter.before ?? null,
    filter.limit,
  ])
  return rows
}

/** How a job's ticks since `since` turned out, by outcome. */
export async function countTicks(
  store: QueueStore,
  job: string,
  since: Date,
): Promise<Record<TickOutcome, number>> {
  const { rows } = await store.db.query<{ outcome: TickOutcome; n: number }>(
    `SELECT outcome, count(*)::int AS n FROM ${store.s}.ticks
     WHERE job = $1 AND at >= $2 GROUP BY outcome`,
    [job, since],
  )
  const counts = Object.fromEntries(TICK_OUTCOMES.map((o) => [o, 0])) as Record<TickOutcome, number>
  for (const r of rows) counts[r.outcome] = r.n
  return counts
}
