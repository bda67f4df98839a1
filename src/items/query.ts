import type { QueueStore } from '../queue/store.js'

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

// items outlive their run by this much at most, so a run's items are there as long
// as the run is
const sweepSql = (s: string) => `
  DELETE FROM ${s}.items WHERE (job, scope, key) IN (
    SELECT i.job, i.scope, i.key FROM ${s}.items i
    WHERE i.at < $1
      AND NOT EXISTS (SELECT 1 FROM ${s}.runs r WHERE r.id = i.run_id)
      AND NOT EXISTS (SELECT 1 FROM ${s}.run_history h WHERE h.id = i.run_id)
    LIMIT 1000)
  RETURNING 1`

/** Deletes items whose run retention has removed. Returns how many. */
export async function sweepItems(store: QueueStore): Promise<number> {
  let total = 0
  for (;;) {
    const { rows } = await store.db.query(sweepSql(store.s), [
      new Date(store.clock.now() - 3_600_000),
    ])
    total += rows.length
    if (rows.length < 1000) return total
  }
}
