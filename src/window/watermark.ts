import type { QueueStore } from '../queue/store.js'
import { writeAudit } from '../store/audit.js'
import type { Queryable } from '../store/db.js'

/** Where a windowed job's processing has reached; null before its first run. */
export async function getWatermark(store: QueueStore, job: string): Promise<Date | null> {
  const { rows } = await store.db.query<{ value: Date }>(
    `SELECT value FROM ${store.s}.watermarks WHERE job = $1`,
    [job],
  )
  return rows[0]?.value ?? null
}

/**
 * The job's watermark, first set to `start` when it has none. Runs in the caller's
 * transaction, which holds the schedule's row, so two first runs cannot both start it.
 */
export async function startWatermark(
  q: Queryable,
  store: QueueStore,
  job: string,
  start: Date,
): Promise<Date> {
  const { rows } = await q.query<{ value: Date }>(
    `WITH ins AS (
       INSERT INTO ${store.s}.watermarks (job, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (job) DO NOTHING RETURNING value)
     SELECT value FROM ins
     UNION ALL SELECT value FROM ${store.s}.watermarks WHERE job = $1`,
    [job, start, new Date(store.clock.now())],
  )
  return (rows[0] as { value: Date }).value
}

/**
 * Moves a job's watermark by hand (the next window starts there), with an audit entry
 * recording the value it replaced; the item log forgets the windows from there on, so
 * moving it back processes them again. Returns the value it replaced.
 */
export async function setWatermark(
  store: QueueStore,
  job: string,
  value: Date,
): Promise<Date | null> {
  const now = new Date(store.clock.now())
  return store.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ value: Date }>(
      `SELECT value FROM ${store.s}.watermarks WHERE job = $1 FOR UPDATE`,
      [job],
    )
    const before = rows[0]?.value ?? null
    await tx.query(
      `INSERT INTO ${store.s}.watermarks (job, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (job) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [job, value, now],
    )
    // windows from the new value on are to be done again: forget their items' outcomes
    // (scopes sort as their window's start, ISO strings sorting as time)
    await tx.query(
      `DELETE FROM ${store.s}.items WHERE job = $1 AND scope >= $2 AND scope < 'window;'`,
      [job, `window:${value.toISOString()}`],
    )
    await writeAudit(tx, store.s, {
      at: now,
      job,
      action: 'watermark.set',
      detail: { from: before?.toISOString() ?? null, to: value.toISOString() },
    })
    return before
  })
}
