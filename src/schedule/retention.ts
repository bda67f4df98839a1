import type { QueueStore } from '../queue/store.js'

/**
 * Tick records kept per job. A backfill finds the ticks that already ran here, so this
 * bounds how far back a repeated backfill is a no-op: 10,000 days of a daily job,
 * about 2.8 hours of a one-second one.
 */
export const KEEP_TICKS = 10_000

const sweepSql = (s: string) => `
  DELETE FROM ${s}.ticks t USING (
    SELECT job, (SELECT at FROM ${s}.ticks x WHERE x.job = j.job
                 ORDER BY at DESC OFFSET $1 LIMIT 1) AS cut
    FROM (SELECT DISTINCT job FROM ${s}.schedules UNION SELECT DISTINCT job FROM ${s}.backfills) j
  ) c
  WHERE t.job = c.job AND t.at <= c.cut`

/** Deletes the tick records of each job beyond the newest `KEEP_TICKS`. */
export async function sweepTicks(store: QueueStore): Promise<number> {
  const { rows } = await store.db.query(`${sweepSql(store.s)} RETURNING 1`, [KEEP_TICKS])
  return rows.length
}
