import type { Retention } from '../maintenance/retention.js'
import type { QueueStore } from '../queue/store.js'
import { distinctJobs } from '../store/distinct.js'

/** One item's latest outcome, as `tw.items.list` returns it. */
export interface Item {
  job: string
  /** the window, tick or run the item was done for */
  scope: string
  key: string
  runId: string
  attempt: number
  ok: boolean
  error: { name: string; message: string } | null
  at: Date
}

/** Which items to list: of one run, or of one job, failed or not, in a time range. */
export interface ItemFilter {
  run?: string
  job?: string
  ok?: boolean
  /** recorded at or after */
  from?: Date
  /** recorded before */
  to?: Date
  limit: number
}

// Every filter is bound; a NULL one matches all. The indexes serve the two questions
// asked most: the items of a run, and a job's failures over a time range.
const listSql = (s: string) => `
  SELECT job, scope, key, run_id::text AS "runId", attempt, ok, error, at FROM ${s}.items
  WHERE ($1::bigint IS NULL OR run_id = $1) AND ($2::text IS NULL OR job = $2)
    AND ($3::bool IS NULL OR ok = $3) AND ($4::timestamptz IS NULL OR at >= $4)
    AND ($5::timestamptz IS NULL OR at < $5)
  ORDER BY at DESC, key LIMIT $6`

/** Items matching the filter, newest first. */
export async function listItems(store: QueueStore, f: ItemFilter): Promise<Item[]> {
  const { rows } = await store.db.query<Item>(listSql(store.s), [
    f.run ?? null,
    f.job ?? null,
    f.ok ?? null,
    f.from ?? null,
    f.to ?? null,
    f.limit,
  ])
  return rows
}

/** How many of a run's items ended ok and how many failed (their latest outcomes). */
export async function countItems(
  store: QueueStore,
  run: string,
): Promise<{ ok: number; failed: number }> {
  const { rows } = await store.db.query<{ ok: number; failed: number }>(
    `SELECT count(*) FILTER (WHERE ok)::int AS ok, count(*) FILTER (WHERE NOT ok)::int AS failed
     FROM ${store.s}.items WHERE run_id = $1`,
    [run],
  )
  return rows[0] ?? { ok: 0, failed: 0 }
}

// by age, per job, through the (job, at) index: a pass costs what it deletes, not the
// size of the log
const sweepSql = (s: string) => `
  DELETE FROM ${s}.items WHERE (job, scope, key) IN (
    SELECT job, scope, key FROM ${s}.items WHERE job = $1 AND at < $2 LIMIT 1000)
  RETURNING 1`

/** The longest age any of a job's retention rules keeps a run for. */
const longest = (keep: Retention): number | null => {
  const ages = [keep.completed, keep.failed, keep.cancelled].map((r) => r.ageMs)
  return ages.some((a) => a === null) ? null : Math.max(...(ages as number[]))
}

/**
 * Deletes items older than the longest age their job's retention keeps runs for (jobs
 * not defined here, or kept by count only, get `fallback`'s). Returns how many.
 */
export async function sweepItems(
  store: QueueStore,
  jobs: Map<string, Retention>,
  fallback: Retention,
): Promise<number> {
  let total = 0
  for (const job of await distinctJobs(store.db, store.s, 'items')) {
    const age = longest(jobs.get(job) ?? fallback) ?? (longest(fallback) as number)
    const before = new Date(store.clock.now() - age)
    for (;;) {
      const { rows: gone } = await store.db.query(sweepSql(store.s), [job, before])
      total += gone.length
      if (gone.length < 1000) break
    }
  }
  return total
}
