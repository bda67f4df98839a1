import type { QueueStore } from '../queue/store.js'
import type { Tx } from '../store/db.js'

/**
 * Serialises, per job, the transactions that start runs which must not overlap (a
 * scheduler's tick, a locked trigger, any window run): each checks for an unfinished
 * run only once it holds this lock, so two windows from the same watermark never both
 * start, nor a locked trigger beside a scheduled run. Released at commit.
 */
export async function lockStarts(tx: Tx, store: QueueStore, job: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `${store.schema}:window:${job}`,
  ])
}
